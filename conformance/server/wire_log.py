"""What the server really wrote for one response: the bytes that left, and where it stopped.

A transcript is evidence: a provider author reads it to see what their code was given. It is
therefore recorded where the server writes to the socket, after faults, cuts, fragmentation and
drips have done their work, never re-rendered from the response the dialect produced (a stream
cut after three events must not show the events that never left). Where the server stopped,
cut, reset, stalled or held the stream, the transcript says so at that very byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.vocabulary.fragmentation import describe_pieces
from conformance.vocabulary.wire import printable_body, redact


@dataclass
class WireLog:
    """The head and body bytes one response put on the wire, with notes at body offsets."""

    #: The status line and headers as written; None when the server wrote nothing at all.
    head: bytes | None = None
    #: The body bytes as the client reads them (chunked framing removed).
    body: bytearray = field(default_factory=bytearray)
    #: How many body bytes each send carried, in order (a send may carry the head as well).
    sends: list[int] = field(default_factory=list)
    #: (body offset, what happened there): faults, holds, and how the response ended.
    notes: list[tuple[int, str]] = field(default_factory=list)
    #: Whether the send sizes are deliberate (generated fragmentation) and worth describing.
    fragmented: bool = False
    #: The server is finished with this response.
    finished: bool = False

    def wrote(self, head: bytes | None, piece: bytes) -> None:
        if head is not None:
            self.head = head
        self.body += piece
        self.sends.append(len(piece))

    def note(self, text: str) -> None:
        """Mark the current end of what was written (where the server is now)."""
        self.notes.append((len(self.body), text))

    def transcript(self, secrets: tuple[str, ...] | list[str] = ()) -> str:
        if self.head is None:
            lines = ["(the server wrote no response: not even a status line)"]
            lines += [f"--- {text} ---" for _, text in self.notes]
            return redact("\n".join(lines), secrets)
        head = self.head.decode("latin-1").rstrip("\r\n").replace("\r\n", "\n")
        parts: list[str] = [head, ""]
        body = bytes(self.body)
        start = 0
        for offset, text in sorted(self.notes, key=lambda note: note[0]):
            if offset > start:
                parts.append(printable_body(body[start:offset]))
                start = offset
            parts.append(f"--- {text} ---")
        if start < len(body):
            parts.append(printable_body(body[start:]))
        if not self.finished:
            parts.append("--- the server was still writing this response when it was shown ---")
        text = "\n".join(parts)
        if self.fragmented and len(self.sends) > 1:
            text += "\n\n" + describe_pieces(self._pieces())
        return redact(text, secrets)

    def _pieces(self) -> list[bytes]:
        pieces, offset = [], 0
        for size in self.sends:
            pieces.append(bytes(self.body[offset : offset + size]))
            offset += size
        return pieces
