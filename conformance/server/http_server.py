"""The fake API server: real HTTP/1.1 on 127.0.0.1, an ephemeral port, asyncio in its own thread.

Real sockets, so that a provider on httpx, requests, aiohttp or an official SDK is tested the same
way. The server runs in a background thread with its own event loop: a synchronous provider in
the test thread and an async one in the test's own loop both reach it without sharing a loop.

Each response's head and first body piece leave in one send with TCP_NODELAY set: on loopback a
split write meets Nagle's algorithm and delayed ACKs and costs ~40 ms a request.

This module holds the server's life and its routing (which session a request belongs to); reading
a request is `request_reader.py`, deciding the answer's bytes `answers.py`, writing them as the
fault says `response_writer.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Self

from conformance.dialects.base import Dialect
from conformance.scenarios.model import Scenario
from conformance.server.answers import render_side, render_turn
from conformance.server.request_reader import BadRequest, read_request
from conformance.server.response_writer import write_response
from conformance.server.session import Exchange, Session
from conformance.vocabulary.errors import ScenarioRenderError
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_MAX_HEAD = 64 * 1024
#: How many exchanges the default session (`serve`) keeps: enough to inspect recent traffic.
DEFAULT_SESSION_WINDOW = 200
_SESSION_PREFIX = "/c/"


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
                    request = await read_request(reader, connection_id, self._sequence)
                except (BadRequest, asyncio.LimitOverrunError, ValueError):
                    await write_response(
                        reader, writer, json_response(400, {"error": "malformed HTTP"})
                    )
                    break
                if request is None:
                    break
                response, exchange = self._respond(request)
                try:
                    reusable = await write_response(reader, writer, response, exchange)
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
                response = render_turn(session, turn, attempt, request, endpoint)
            except ScenarioRenderError as exc:  # the runner reports the check as a harness error
                session.harness_error = str(exc)
                response = json_response(500, {"error": {"message": str(exc), "type": "harness"}})
        elif endpoint.shares_faults:
            response = render_side(session, request, endpoint)
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

    def open_connections(self, session: Session) -> set[int]:
        """Connections that served the session and are still open (RS-1)."""
        with self._lock:
            return {
                cid
                for cid in self._open
                if session.token in self._connection_sessions.get(cid, set())
            }
