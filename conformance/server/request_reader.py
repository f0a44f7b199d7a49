"""Reading HTTP/1.1 requests off a connection, by hand: the fake server must accept exactly what
clients send (chunked bodies, keep-alive) and answer a malformed head with a 400 rather than a
library's own idea of the request, so its request log is the bytes the provider wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from conformance.vocabulary.wire import RecordedRequest


class BadRequest(Exception):
    """A request head the server cannot read: answered with a 400, the connection closed."""


async def read_request(
    reader: asyncio.StreamReader, connection_id: int, sequence: Iterator[int]
) -> RecordedRequest | None:
    """The next request on the connection, or None when the client closed it between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest("connection closed inside a request head") from exc
        return None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise BadRequest(f"bad request line {lines[0]!r}") from None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest(f"bad header line {line!r}")
        headers.append((name.strip(), value.strip()))
    lowered = {k.lower(): v for k, v in headers}
    if "chunked" in lowered.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(lowered.get("content-length", "0") or 0))
    return RecordedRequest(
        method=method,
        target=target,
        path=target.split("?", 1)[0],
        headers=tuple(headers),
        body=body,
        connection_id=connection_id,
        sequence=next(sequence),
    )


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)
