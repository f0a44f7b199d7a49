"""What crosses the wire, as plain data: a recorded request and a response to write.

Both render as a transcript, the text a failure message shows so that a provider author sees the
exact bytes that broke their code. Transcripts redact the session's API key in any
form it takes (conformance/vocabulary/redaction.py; SE-1: not even a report about a leak may repeat
the key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.vocabulary.fragmentation import describe_pieces
from conformance.vocabulary.redaction import REDACTED as REDACTED  # the old import place
from conformance.vocabulary.redaction import redact as redact

_TRANSCRIPT_BODY_LIMIT = 6000


def printable_body(body: bytes) -> str:
    """A body as transcript text: UTF-8 with undecodable bytes escaped, long bodies shortened."""
    text = body.decode("utf-8", errors="backslashreplace")
    if len(text) > _TRANSCRIPT_BODY_LIMIT:
        omitted = len(text) - _TRANSCRIPT_BODY_LIMIT
        text = text[:_TRANSCRIPT_BODY_LIMIT] + f"\n… ({omitted} more characters)"
    return text


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake server received it."""

    method: str
    target: str
    #: The path below the session prefix: what the provider would have sent to the real API.
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    connection_id: int
    sequence: int

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None

    def transcript(self, secrets: Sequence[str] = ()) -> str:
        lines = [f"{self.method} {self.target} HTTP/1.1"]
        lines += [f"{key}: {value}" for key, value in self.headers]
        body = self.body
        parsed = self.json()
        text = json.dumps(parsed, indent=2, ensure_ascii=False) if parsed is not None else None
        lines += ["", text if text is not None else printable_body(body)]
        return redact("\n".join(lines), secrets)


@dataclass
class WireResponse:
    """A response to write: status, headers, and the body as the pieces to send one by one.

    Each piece leaves in one send (after TCP_NODELAY), so splitting is deliberate: by event for
    streams, or in arbitrary pieces when a scenario asks for fragmentation.
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    pieces: list[bytes] = field(default_factory=list)
    #: Chunked transfer encoding (as real streaming APIs use) instead of Content-Length.
    chunked: bool = False
    #: Facts the dialect records for the judge (e.g. "usage_sent"); never written to the wire.
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> bytes:
        return b"".join(self.pieces)

    def split(self, size: int) -> None:
        """Re-cut the body into pieces of `size` bytes, ignoring event boundaries."""
        if size <= 0:
            return
        body = self.body
        self.pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    def head_bytes(self) -> bytes:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = {529: "Site is overloaded"}.get(self.status, "Unknown")
        headers = list(self.headers)
        names = {key.lower() for key, _ in headers}
        if self.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif "content-length" not in names:
            headers.append(("Content-Length", str(len(self.body))))
        lines = [f"HTTP/1.1 {self.status} {reason}"] + [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def transcript(self, secrets: Sequence[str] = ()) -> str:
        head = self.head_bytes().decode("latin-1").rstrip("\r\n").replace("\r\n", "\n")
        text = f"{head}\n\n{printable_body(self.body)}"
        if self.meta.get("cut_pause") is not None and len(self.pieces) > 1:
            text += "\n\n" + describe_pieces(self.pieces)
        return redact(text, secrets)


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> WireResponse:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    all_headers = [("Content-Type", "application/json")]
    all_headers += list((headers or {}).items())
    return WireResponse(status=status, headers=all_headers, pieces=[body])
