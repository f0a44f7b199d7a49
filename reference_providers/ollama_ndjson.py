"""An incremental newline-delimited JSON (NDJSON) line decoder, for Ollama's streamed answers.

It takes bytes exactly as the network hands them over, and a network read ends anywhere: inside
a line, inside a UTF-8 sequence, between the CR and the LF of a CRLF. Lines are cut on the LF
byte before anything is decoded (an LF byte never occurs inside a multi-byte UTF-8 sequence), so
a line is only decoded once it is whole, and every split of the bytes yields the same lines
(ST-1, ST-6). It knows nothing of HTTP clients or of JSON values, so it can be tested on
recorded bytes alone.
"""

from __future__ import annotations

_LF = b"\n"
_BOM = b"\xef\xbb\xbf"
#: Longer than any line a chat answer sends; a body without newlines must not grow memory forever.
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024


class NDJSONError(ValueError):
    """The bytes are not NDJSON text (not UTF-8, or a line beyond the length limit)."""


class NDJSONLineDecoder:
    """Feed it bytes; it returns the complete, non-blank lines those bytes finished.

    A CR before the LF is dropped, as the NDJSON format allows CRLF line ends. Blank lines carry
    no value and are skipped. `flush()` returns a last line that the body left without its LF.
    """

    def __init__(self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._buffer = bytearray()
        #: How far the buffer is known to hold no LF, so a long line is scanned once, not per read.
        self._scanned = 0
        self._max_line_bytes = max_line_bytes
        self._at_start = True

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        if self._at_start:
            if len(self._buffer) < len(_BOM) and _BOM.startswith(bytes(self._buffer)):
                return []  # maybe the start of a byte order mark: wait for more
            if self._buffer.startswith(_BOM):
                del self._buffer[: len(_BOM)]
            self._at_start = False
        lines: list[str] = []
        start = 0
        while True:
            end = self._buffer.find(_LF, max(start, self._scanned))
            if end < 0:
                break
            # A line that arrived whole in one read is held to the limit too, or whether a
            # stream fails would depend on how the network cut it.
            self._check_length(end - start)
            self._emit(self._buffer[start:end], lines)
            start = end + 1
        del self._buffer[:start]
        self._scanned = len(self._buffer)
        self._check_length(self._scanned)
        return lines

    def flush(self) -> list[str]:
        """The last line when the body ended without a final LF; the decoder is then reset."""
        rest, self._buffer, self._scanned = bytes(self._buffer), bytearray(), 0
        self._at_start = True
        lines: list[str] = []
        self._emit(rest, lines)
        return lines

    @property
    def pending(self) -> int:
        """Bytes held back as the start of a line not yet ended."""
        return len(self._buffer)

    def _check_length(self, size: int) -> None:
        if size > self._max_line_bytes:
            raise NDJSONError(f"an NDJSON line exceeds {self._max_line_bytes} bytes")

    def _emit(self, raw: bytes | bytearray, lines: list[str]) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            line = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            excerpt = bytes(raw[:80])
            raise NDJSONError(f"an NDJSON line is not UTF-8 ({exc.reason}): {excerpt!r}") from exc
        if line.strip():
            lines.append(line)
