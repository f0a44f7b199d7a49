"""The fake API server: real HTTP/1.1 on 127.0.0.1, an ephemeral port, asyncio in its own thread.

Real sockets, so that a provider on httpx, requests, aiohttp or an official SDK is tested the same
way. The server runs in a background thread with its own event loop: a synchronous provider in
the test thread and an async one in the test's own loop both reach it without sharing a loop.

Each response's head and first body piece leave in one send with TCP_NODELAY set: on loopback a
split write meets Nagle's algorithm and delayed ACKs and costs ~40 ms a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email.utils
import itertools
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from conformance.dialects.base import Dialect, Endpoint
from conformance.dialects.corpus import serve_recording
from conformance.scenarios.model import (
    ErrorReply,
    Fault,
    Reply,
    Scenario,
    check_fault_reachable,
)
from conformance.server.session import Exchange, Session
from conformance.server.wire_log import WireLog
from conformance.vocabulary.errors import ScenarioRenderError
from conformance.vocabulary.fragmentation import cut_body
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_MAX_HEAD = 64 * 1024
#: How many exchanges the default session (`serve`) keeps: enough to inspect recent traffic.
DEFAULT_SESSION_WINDOW = 200
_SESSION_PREFIX = "/c/"


class _BadRequest(Exception):
    pass


class FakeServer:
    """Start with `with FakeServer() as server:`; open a session per check with `server.play`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._sessions: dict[str, Session] = {}
        self._default: Session | None = None
        self._lock = threading.Lock()
        self._connection_ids = itertools.count(1)
        self._sequence = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: set[int] = set()
        self._connection_sessions: dict[int, set[str]] = {}
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen (once: a server already started is returned as it is, on its one port)."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self._host, self._port, limit=_MAX_HEAD)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="conformance-fake-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    # -- sessions -------------------------------------------------------------------------

    def play(self, scenario: Scenario, dialect: Dialect, api_key: str) -> Session:
        token = secrets.token_hex(8)
        session = Session(
            token=token,
            scenario=scenario,
            dialect=dialect,
            api_key=api_key,
            root_url=f"{self.root_url}{_SESSION_PREFIX}{token}",
        )
        with self._lock:
            self._sessions[token] = session
        return session

    def play_default(
        self,
        scenario: Scenario,
        dialect: Dialect,
        api_key: str,
        *,
        window: int | None = DEFAULT_SESSION_WINDOW,
    ) -> Session:
        """Answer un-prefixed paths with this scenario (for `provider-conformance serve`).

        It may answer for hours: only the last `window` exchanges are kept.
        """
        session = Session(
            token="",
            scenario=scenario,
            dialect=dialect,
            api_key=api_key,
            root_url=self.root_url,
            window=window,
        )
        with self._lock:
            self._default = session
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.token, None)

    @contextlib.contextmanager
    def session(self, scenario: Scenario, dialect: Dialect, api_key: str) -> Iterator[Session]:
        session = self.play(scenario, dialect, api_key)
        try:
            yield session
        finally:
            self.end(session)

    def _route(self, target: str) -> tuple[Session | None, str]:
        path = target.split("?", 1)[0]
        if path.startswith(_SESSION_PREFIX):
            token, _, rest = path[len(_SESSION_PREFIX) :].partition("/")
            with self._lock:
                session = self._sessions.get(token)
            return session, "/" + rest
        return self._default, path

    # -- HTTP -----------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection_id = next(self._connection_ids)
        with self._lock:
            self._open.add(connection_id)
        try:
            while True:
                try:
                    request = await self._read_request(reader, connection_id)
                except (_BadRequest, asyncio.LimitOverrunError, ValueError):
                    await self._write(
                        reader, writer, json_response(400, {"error": "malformed HTTP"})
                    )
                    break
                if request is None:
                    break
                response, exchange = self._respond(request)
                try:
                    reusable = await self._write(reader, writer, response, exchange)
                finally:
                    if exchange is not None:
                        exchange.done = True
                if not reusable or (request.header("connection") or "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with self._lock:
                self._open.discard(connection_id)
                self._connection_sessions.pop(connection_id, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _read_request(
        self, reader: asyncio.StreamReader, connection_id: int
    ) -> RecordedRequest | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise _BadRequest("connection closed inside a request head") from exc
            return None
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _version = lines[0].split(" ", 2)
        except ValueError:
            raise _BadRequest(f"bad request line {lines[0]!r}") from None
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                raise _BadRequest(f"bad header line {line!r}")
            headers.append((name.strip(), value.strip()))
        lowered = {k.lower(): v for k, v in headers}
        if "chunked" in lowered.get("transfer-encoding", "").lower():
            body = await self._read_chunked(reader)
        else:
            body = await reader.readexactly(int(lowered.get("content-length", "0") or 0))
        return RecordedRequest(
            method=method,
            target=target,
            path=target.split("?", 1)[0],
            headers=tuple(headers),
            body=body,
            connection_id=connection_id,
            sequence=next(self._sequence),
        )

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        body = bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(body)
            body += await reader.readexactly(size)
            await reader.readexactly(2)

    def _respond(self, request: RecordedRequest) -> tuple[WireResponse, Exchange | None]:
        session, path = self._route(request.target)
        if session is None:
            return (
                json_response(
                    404,
                    {
                        "error": {
                            "message": f"no scenario is playing at {request.path}",
                            "type": "conformance",
                        }
                    },
                ),
                None,
            )
        request = dataclasses.replace(request, path=path)
        received = time.perf_counter()
        dialect = session.dialect
        endpoint = dialect.endpoint(request.method, path)
        turn: int | None = None
        attempt = 0
        if endpoint is None:
            response = dialect.unknown_endpoint(request.method, path)
        elif not dialect.credentials_ok(request, session.api_key):
            response = dialect.auth_failure()
        elif endpoint.plays_turn:
            turn, attempt = session.next_turn()
            try:
                response = self._render(session, turn, attempt, request, endpoint)
            except ScenarioRenderError as exc:  # the runner reports the check as a harness error
                session.harness_error = str(exc)
                response = json_response(500, {"error": {"message": str(exc), "type": "harness"}})
        elif endpoint.shares_faults:
            response = self._render_side(session, request, endpoint)
        else:
            response = dialect.render_endpoint(endpoint, request, session.scenario)
        exchange = Exchange(
            request,
            response,
            endpoint.kind if endpoint else None,
            turn,
            attempt=attempt,
            received_at=received,
        )
        session.record(exchange)
        with self._lock:
            self._connection_sessions.setdefault(request.connection_id, set()).add(session.token)
        return response, exchange

    def _render(
        self,
        session: Session,
        turn: int,
        attempt: int,
        request: RecordedRequest,
        endpoint: Endpoint,
    ) -> WireResponse:
        """A turn endpoint's answer: the turn's reply, in the shape of the endpoint asked."""
        reply = session.scenario.turns[turn].replies[attempt]
        dialect = session.dialect
        error = reply.error
        if error is not None and error.body is not None:
            response = _verbatim_error(error)
        elif reply.recorded is not None:
            response = serve_recording(dialect, reply, stream=dialect.is_stream(request, endpoint))
            response.meta["usage_sent"] = reply.usage is not None
        else:
            response = dialect.render_turn(
                endpoint,
                session.scenario_for(turn, attempt),
                turn,
                request,
                stream=dialect.is_stream(request, endpoint),
            )
        self._misbehave(session, reply, response)
        if reply.fault.hold_after_first_text and reply.text_parts:
            response.meta["hold_marker"] = json.dumps(reply.text_parts[0])[1:-1].encode()
        pieces = len(response.pieces) or 1
        check_fault_reachable(session.scenario, turn, reply.fault, pieces, dialect.name)
        return response

    def _render_side(
        self, session: Session, request: RecordedRequest, endpoint: Endpoint
    ) -> WireResponse:
        """A side endpoint (model list, health, token count): its own answer, unless the reply
        the next turn request would get is an error; the reply's fault applies either way."""
        reply = session.current_reply()
        error = reply.error
        if error is None:
            response = session.dialect.render_endpoint(endpoint, request, session.scenario)
        elif error.body is not None:
            response = _verbatim_error(error)
        else:
            response = session.dialect.render_error(error)
        self._misbehave(session, reply, response)
        return response

    def _misbehave(self, session: Session, reply: Reply, response: WireResponse) -> None:
        """Apply what the reply and the scenario's wire options ask beyond the rendered bytes."""
        error = reply.error
        if error is not None and error.retry_after is not None:
            response.headers.append(_retry_after_header(error.retry_after, error.retry_after_form))
        fault = reply.fault
        if fault.malformed:
            _malform(response)
        if fault.wrong_shape:
            response.pieces = [
                b'{"object":"conformance.unexpected","data":[{"note":"no such shape"}]}'
            ]
            response.headers = [("Content-Type", "application/json")]
            response.chunked = False
        response.meta["fault"] = fault
        wire = session.scenario.wire
        if wire.cuts:
            # Generated fragmentation: exactly these writes, each given time to arrive alone.
            response.pieces = cut_body(response.body, wire.cuts)
            response.meta["cut_pause"] = _CUT_PAUSE
        response.meta["boundaries"] = bool(
            wire.cuts or wire.split_bytes or fault.drip_seconds or fault.hold_after_first_text
        )

    async def _write(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        response: WireResponse,
        exchange: Exchange | None = None,
    ) -> bool:
        """Write the response as its fault says; False when the connection must not be reused.

        Every byte is logged as it is handed to the socket (`Exchange.wire`), with a note where
        the server stopped, cut, reset, stalled or held: the transcript is the wire.
        """
        log = exchange.wire if exchange is not None else WireLog()
        try:
            return await self._write_pieces(reader, writer, response, exchange, log)
        except ConnectionError:
            log.note("the client closed the connection here; the server could not write the rest")
            raise
        finally:
            log.finished = True

    async def _write_pieces(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        response: WireResponse,
        exchange: Exchange | None,
        log: WireLog,
    ) -> bool:
        fault: Fault = response.meta.get("fault", Fault())
        times = exchange.written_at if exchange is not None else []
        for text in _fault_notes(fault):
            log.note(text)
        if fault.stall_before_headers:
            log.note("the server took the request and never answered (fault stall_before_headers)")
            log.note(await _stalled(reader))
            return False
        head: bytes | None = response.head_bytes()
        pieces = response.pieces or [b""]
        marker: bytes | None = response.meta.get("hold_marker")
        log.fragmented = response.meta.get("cut_pause") is not None
        # Pieces are written one per send only where the scenario asks for read boundaries
        # (fragmentation, a drip, a hold); otherwise as few sends as the bytes allow.
        batched = not response.meta.get("boundaries", True)
        index = 0
        while index < len(pieces):
            if index == fault.stall_after_pieces:
                log.note(
                    "the server stopped sending here and kept the connection open "
                    f"(fault stall_after_pieces={index})"
                )
                log.note(await _stalled(reader))
                return False
            if index == fault.reset_after_pieces:
                _reset(writer)
                log.note(
                    "connection reset (TCP RST) by the server here "
                    f"(fault reset_after_pieces={index})"
                )
                return False
            if index == fault.cut_after_pieces:
                return await self._cut(writer, response, head, index, log)
            if index and fault.drip_seconds:
                await asyncio.sleep(fault.drip_seconds)
            end = _batch_end(pieces, index, fault) if batched else index + 1
            piece = pieces[index] if end == index + 1 else b"".join(pieces[index:end])
            await _send(writer, head, piece, response.chunked, log)
            head = None
            times.extend([time.perf_counter()] * (end - index))
            if marker is not None and marker in piece:
                marker = None
                if exchange is not None:
                    exchange.held_after_piece = index
                log.note(
                    f"the server held the stream here for up to {fault.hold_after_first_text:g} s "
                    "(fault hold_after_first_text)"
                )
                if await _until_client_leaves(reader, fault.hold_after_first_text):
                    if exchange is not None:
                        exchange.client_closed_early = True
                    log.note(
                        "the client closed the connection while the server held the stream; "
                        "the rest was never sent"
                    )
                    return False
            elif len(pieces) > 1 and not batched:
                # Let the piece leave on its own so the client's reads end where the piece does.
                await asyncio.sleep(response.meta.get("cut_pause", 0))
            index = end
        if response.chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        if exchange is not None:
            exchange.completed = True
        return True

    async def _cut(
        self,
        writer: asyncio.StreamWriter,
        response: WireResponse,
        head: bytes | None,
        index: int,
        log: WireLog,
    ) -> bool:
        """End the body before its end: cleanly when chunked, by closing the connection if not."""
        if head is not None:
            await _send(writer, head, b"", response.chunked, log)
        if response.chunked:
            log.note(
                "the server ended the body here, cleanly, and never sent the rest of the "
                f"response (fault cut_after_pieces={index})"
            )
            writer.write(b"0\r\n\r\n")
            await writer.drain()
            return True
        log.note(
            "connection cut by the server here, short of its Content-Length "
            f"(fault cut_after_pieces={index})"
        )
        return False

    def open_connections(self, session: Session) -> set[int]:
        """Connections that served the session and are still open (RS-1)."""
        with self._lock:
            return {
                cid
                for cid in self._open
                if session.token in self._connection_sessions.get(cid, set())
            }


_STALL_LIMIT = 120.0
#: The most a coalesced send carries (pieces are joined until it is reached).
_BATCH_BYTES = 64 * 1024
#: Between the writes of a cut body: long enough for a client thread blocked in recv() to take
#: the piece before the next one arrives (so its read ends at the cut), short enough to be cheap.
_CUT_PAUSE = 0.002


async def _until_client_leaves(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Wait up to `seconds` for the client to close the connection; True if it did."""
    try:
        data = await asyncio.wait_for(reader.read(1), timeout=seconds)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return data == b""


def _batch_end(pieces: list[bytes], start: int, fault: Fault) -> int:
    """Where a send that begins at piece `start` ends: before the next piece a fault acts at,
    and once it carries _BATCH_BYTES."""
    stops = [
        at
        for at in (fault.stall_after_pieces, fault.reset_after_pieces, fault.cut_after_pieces)
        if at is not None and at > start
    ]
    limit = min([len(pieces), *stops])
    end, size = start + 1, len(pieces[start])
    while end < limit and size < _BATCH_BYTES:
        size += len(pieces[end])
        end += 1
    return end


async def _send(
    writer: asyncio.StreamWriter, head: bytes | None, piece: bytes, chunked: bool, log: WireLog
) -> None:
    """One send: the head (with the first piece, so they leave together) or a piece alone."""
    data = _frame(piece, chunked)
    writer.write(head + data if head is not None else data)
    log.wrote(head, piece)
    await writer.drain()


async def _stalled(reader: asyncio.StreamReader) -> str:
    """Hold the connection until the client leaves (or the stall limit); say which happened."""
    started = time.perf_counter()
    if await _until_client_leaves(reader, _STALL_LIMIT):
        return f"the client closed the connection {time.perf_counter() - started:.2f} s later"
    return f"the server gave up waiting after {_STALL_LIMIT:g} s and closed the connection"


def _fault_notes(fault: Fault) -> list[str]:
    """Faults that shaped the bytes before they were written, said once above the body."""
    notes = []
    if fault.malformed:
        notes.append("fault malformed: the JSON below was truncated on purpose")
    if fault.wrong_shape:
        notes.append("fault wrong_shape: the body below is a shape this API never sends")
    if fault.drip_seconds:
        notes.append(
            f"fault drip_seconds: each piece below was written {fault.drip_seconds:g} s after "
            "the one before"
        )
    return notes


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort the connection with a TCP RST, as a crashing proxy does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


_JSON_IN_PIECE = re.compile(rb"^(.*?)(\{.*\})(\s*)$", re.DOTALL)


def _malform(response: WireResponse) -> None:
    """Truncate the JSON of the body (or of the second event of a stream) in its middle."""
    candidates = [i for i, piece in enumerate(response.pieces) if _JSON_IN_PIECE.match(piece)]
    if not candidates:
        return
    index = candidates[1] if len(candidates) > 2 else candidates[0]
    match = _JSON_IN_PIECE.match(response.pieces[index])
    assert match is not None
    prefix, payload, trailer = match.groups()
    response.pieces[index] = prefix + payload[: len(payload) // 2] + trailer
    if not response.chunked:
        response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]


def _verbatim_error(error: ErrorReply) -> WireResponse:
    """An error body written as the scenario gives it (e.g. a proxy's HTML page)."""
    assert error.body is not None
    return WireResponse(
        status=error.status,
        headers=[("Content-Type", error.content_type), *error.headers.items()],
        pieces=[error.body.encode("utf-8")],
    )


def _retry_after_header(seconds: float, form: str) -> tuple[str, str]:
    if form == "ms":
        return ("retry-after-ms", str(int(seconds * 1000)))
    if form == "http-date":
        # An HTTP-date has whole seconds: round up, so the delay it states is never shorter.
        when = (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)
        return ("Retry-After", email.utils.format_datetime(when, usegmt=True))
    return ("Retry-After", f"{seconds:g}")


def _frame(piece: bytes, chunked: bool) -> bytes:
    if not chunked:
        return piece
    if not piece:
        return b""
    return f"{len(piece):X}\r\n".encode("ascii") + piece + b"\r\n"
