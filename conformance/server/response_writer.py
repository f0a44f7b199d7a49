"""Writing a response the way its fault says: pieces coalesced or one per send, stalls, resets,
cuts, drips and holds, every byte logged as it is handed to the socket (the transcript is the
wire). Apart from the server's routing because this is where the misbehaving happens, and the
order of sends is what a client's reads see.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

from conformance.scenarios.model import Fault
from conformance.server.session import Exchange
from conformance.server.wire_log import WireLog
from conformance.vocabulary.wire import WireResponse

#: How long a stalled response holds the connection when the client never leaves.
STALL_LIMIT = 120.0
#: The most a coalesced send carries (pieces are joined until it is reached).
_BATCH_BYTES = 64 * 1024


async def write_response(
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
        return await _write_pieces(reader, writer, response, exchange, log)
    except ConnectionError:
        log.note("the client closed the connection here; the server could not write the rest")
        raise
    finally:
        log.finished = True


async def _write_pieces(
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
                f"connection reset (TCP RST) by the server here (fault reset_after_pieces={index})"
            )
            return False
        if index == fault.cut_after_pieces:
            return await _cut(writer, response, head, index, log)
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
    if await _until_client_leaves(reader, STALL_LIMIT):
        return f"the client closed the connection {time.perf_counter() - started:.2f} s later"
    return f"the server gave up waiting after {STALL_LIMIT:g} s and closed the connection"


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


def _frame(piece: bytes, chunked: bool) -> bytes:
    if not chunked:
        return piece
    if not piece:
        return b""
    return f"{len(piece):X}\r\n".encode("ascii") + piece + b"\r\n"
