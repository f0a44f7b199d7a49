"""An incremental Server-Sent Events decoder, after the WHATWG HTML "event stream interpretation".

It takes bytes exactly as the network hands them over, split anywhere (inside a UTF-8 sequence,
between the CR and the LF of a CRLF), and gives the same events whatever the split (ST-1, ST-6).
It knows nothing of HTTP clients, so it can be tested on recorded bytes alone.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event.

    `id` is the stream's last event ID when the event was dispatched (it carries over from earlier
    events, as the standard says), None while no `id` field has been seen. `retry` is the
    reconnection time set by a `retry` field within this event's block, if any.
    """

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


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
        events: list[ServerSentEvent] = []
        start = 0
        for match in _LINE_END.finditer(text):
            self._partial.append(text[start : match.start()])
            line = "".join(self._partial)
            self._partial.clear()
            event = self._process_line(line)
            if event is not None:
                events.append(event)
            start = match.end()
        if start < len(text):
            self._partial.append(text[start:])
        elif text.endswith("\r"):
            self._skip_lf = True
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
        if not self._data:
            self._reset_event()
            return None
        event = ServerSentEvent(
            event=self._event_type or "message",
            data="\n".join(self._data),
            id=self._last_event_id,
            retry=self._event_retry,
        )
        self._reset_event()
        return event

    def _reset_event(self) -> None:
        self._data.clear()
        self._event_type = ""
        self._event_retry = None
