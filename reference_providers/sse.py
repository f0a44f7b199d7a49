"""An incremental Server-Sent Events decoder, after the WHATWG HTML "event stream interpretation".

It takes bytes exactly as the network hands them over, split anywhere (inside a UTF-8 sequence,
between the CR and the LF of a CRLF), and gives the same events whatever the split (ST-1, ST-6).
It knows nothing of HTTP clients, so it can be tested on recorded bytes alone.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import NamedTuple

_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


class ServerSentEvent(NamedTuple):
    """One dispatched event.

    `id` is the stream's last event ID when the event was dispatched (it carries over from earlier
    events, as the standard says), None while no `id` field has been seen. `retry` is the
    reconnection time set by a `retry` field within this event's block, if any.

    A named tuple rather than a frozen dataclass: a long stream makes one per event, and a frozen
    dataclass costs about as much to build as the event's JSON costs to parse.
    """

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


#: `ServerSentEvent(...)` without the named tuple's Python-level `__new__`: one event per block.
_new_event: Callable[[type[ServerSentEvent], tuple[str, str, str | None, None]], ServerSentEvent]
_new_event = tuple.__new__


class SSEDecoder:
    """Feed it bytes; it returns the events completed by those bytes."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial: list[str] = []
        self._awaiting_bom = True
        # A CR ends a line at once (so an event ending in CR is not held back waiting for more
        # bytes); an LF arriving right after it, even in the next feed, belongs to the same CRLF.
        self._skip_lf = False
        self._data: list[str] = []
        self._event_type = ""
        self._event_retry: int | None = None
        self._last_event_id: str | None = None
        # The last event ID as of the latest blank line: what a reconnection sends, since an
        # `id` inside an event the stream cut off names an event that was never delivered.
        self._dispatched_event_id: str | None = None
        self._reconnection_time: int | None = None

    @property
    def last_event_id(self) -> str | None:
        return self._last_event_id

    @property
    def reconnection_time(self) -> int | None:
        return self._reconnection_time

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        return self._feed_text(self._utf8.decode(data))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: the standard discards an event whose closing blank line never came.

        Dispatching it instead would turn a stream cut mid-event into an apparent success (ER-7).
        The decoder is reset for a new stream, keeping the last event ID as a reconnection would.
        """
        events = self._feed_text(self._utf8.decode(b"", final=True))
        self._utf8.reset()
        self._partial.clear()
        self._awaiting_bom = True
        self._skip_lf = False
        self._reset_event()
        self._last_event_id = self._dispatched_event_id
        return events

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        # Hot for long streams: the text of one read is cut once, and the usual event, one
        # `data:` line and the blank line after it, is dispatched here without a call per line.
        if not text:
            return []
        if self._awaiting_bom:
            self._awaiting_bom = False
            if text.startswith(_BOM):
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text.startswith("\n"):
                text = text[1:]
        if "\r" in text:
            return self._feed_lines(text)
        # Without CR every line ends in LF, so "\n\n" ends a block of lines with the blank line
        # after them, and "\n\ndata: " also starts the next block with a data field: the usual
        # event, one `data: ` line, is then what lies between two of them.
        parts = text.split("\n\ndata: ")
        if len(parts) == 1:
            return self._feed_blocks(text)
        events = self._feed_blocks(parts[0] + "\n\n")
        # That ended in a dispatch: each part from here starts a line and an event.
        last_id = self._last_event_id
        for index in range(1, len(parts) - 1):
            data = parts[index]
            if "\n" in data:
                events += self._feed_lines("data: " + data + "\n\n")
                last_id = self._last_event_id
            else:
                events.append(_new_event(ServerSentEvent, ("message", data, last_id, None)))
        self._dispatched_event_id = last_id
        events += self._feed_blocks("data: " + parts[-1])
        return events

    def _feed_blocks(self, text: str) -> list[ServerSentEvent]:
        """Text without CR, cut at each "\n\n": a block of lines, then the blank line after it.

        A block that is one `data:` line is the usual event, built without reading it line by
        line. What follows the last "\n\n" has no blank line yet and is read line by line.
        """
        blocks = text.split("\n\n")
        tail = blocks.pop()
        if not blocks:
            return self._feed_lines(text)
        events: list[ServerSentEvent] = []
        start = 0
        if self._partial or self._data or self._event_type or self._event_retry is not None:
            # The first block continues what the previous read left (a line, an event's fields).
            events = self._feed_lines(blocks[0] + "\n\n")
            start = 1
        # From here each block starts a line and an event, with no field of the event seen yet.
        last_id = self._last_event_id
        for index in range(start, len(blocks)):
            block = blocks[index]
            if block.startswith("data:") and "\n" not in block:
                data = block[6:] if block.startswith(" ", 5) else block[5:]
                events.append(_new_event(ServerSentEvent, ("message", data, last_id, None)))
            else:
                events += self._feed_lines(block + "\n\n")
                last_id = self._last_event_id
        # Every block ended in a dispatch, and none of the quick ones changed the event ID.
        self._dispatched_event_id = last_id
        if tail:
            events += self._feed_lines(tail)
        return events

    def _feed_lines(self, text: str) -> list[ServerSentEvent]:
        """The general path: any text, any line ends, read line by line."""
        lines = _LINE_END.split(text) if "\r" in text else text.split("\n")
        rest = lines.pop()  # what follows the last line end: the start of a line not yet ended
        if not lines:
            if rest:
                self._partial.append(rest)
            return []
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = "".join(self._partial)
            self._partial.clear()
        if rest:
            self._partial.append(rest)
        elif text.endswith("\r"):
            self._skip_lf = True
        events: list[ServerSentEvent] = []
        data = self._data  # cleared in place on dispatch, so this stays the event's data
        for line in lines:
            if not line:
                # Dispatch (what _dispatch does, without the call): the blank line ends the event.
                self._dispatched_event_id = self._last_event_id
                if data:
                    events.append(
                        ServerSentEvent(
                            self._event_type or "message",
                            data[0] if len(data) == 1 else "\n".join(data),
                            self._last_event_id,
                            self._event_retry,
                        )
                    )
                    data.clear()
                self._event_type = ""
                self._event_retry = None
            elif line.startswith("data:"):
                data.append(line[6:] if line.startswith(" ", 5) else line[5:])
            elif not line.startswith(":"):
                self._process_line(line)
        return events

    def _process_line(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        self._process_field(field, value)
        return None

    def _process_field(self, field: str, value: str) -> None:
        if field == "event":
            self._event_type = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\0" not in value:
                self._last_event_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            try:
                retry = int(value)
            except ValueError:
                # More digits than Python converts (4300 by default): no usable delay, and a
                # malformed stream must not raise out of feed(). Ignored, unlike the standard.
                return
            self._reconnection_time = self._event_retry = retry
        # Any other field name is ignored, as the standard requires.

    def _dispatch(self) -> ServerSentEvent | None:
        self._dispatched_event_id = self._last_event_id
        data = self._data
        if not data:
            self._reset_event()
            return None
        event = ServerSentEvent(
            event=self._event_type or "message",
            data=data[0] if len(data) == 1 else "\n".join(data),
            id=self._last_event_id,
            retry=self._event_retry,
        )
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data.clear()
        self._event_type = ""
        self._event_retry = None
