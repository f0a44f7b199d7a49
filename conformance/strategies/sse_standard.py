"""The WHATWG HTML "event stream interpretation" algorithm, written out step by step as an oracle.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

Every SSE decoder in the project (and yours) can be tested against `parse_event_stream`: feed your
decoder the same bytes, in whatever pieces you like, and compare. This module is deliberately
plain: it reads the whole body at once, splits lines one character at a time and follows the
standard's steps in the standard's order, so that a reader can check it against the text line by
line. It is meant to be obviously right, not fast or incremental; incremental decoders are where
the bugs live (ST-1, ST-6), and they are what it judges.

Two choices where the standard leaves room, both stated here so no test depends on them silently:

- The standard's UTF-8 decode drops one leading byte order mark; a second one is an ordinary
  character (it becomes part of the first field name, which then names no known field).
- `retry:` with an empty value is ignored: there are no digits to read an integer from.
"""

from __future__ import annotations

from dataclasses import dataclass

_BOM = "\ufeff"
_LF = "\n"
_CR = "\r"
_ASCII_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class StandardEvent:
    """One event as the standard dispatches it: what a `MessageEvent` would carry.

    `type` is "message" unless an `event` field gave another; `last_event_id` is the event
    source's last event ID string at dispatch ("" until an `id` field set one; it carries over
    from earlier events). `retry` is not part of a `MessageEvent`: it is the reconnection time
    that a valid `retry` field set within this event's own block (since the previous blank
    line), None if none did. Decoders commonly report it per event, so the oracle offers it to
    compare against; the standard itself only keeps the stream-wide reconnection time.
    """

    type: str
    data: str
    last_event_id: str = ""
    retry: int | None = None


@dataclass(frozen=True)
class EventStreamInterpretation:
    """The events of a whole body and the event source's state after its last byte.

    `last_event_id` is the event source's last event ID string, the value a reconnection sends
    as `Last-Event-ID`: it is updated at each blank line, so an `id` inside an event the stream
    cut off never reaches it. `reconnection_time` is set the moment a valid `retry` field is
    read, even inside an event that is never dispatched; None if the stream never set it.
    """

    events: tuple[StandardEvent, ...]
    last_event_id: str
    reconnection_time: int | None


def parse_event_stream(body: bytes) -> list[StandardEvent]:
    """The events the standard dispatches for `body`, a complete response body."""
    return list(interpret_event_stream(body).events)


def interpret_event_stream(body: bytes) -> EventStreamInterpretation:
    """Run the standard's algorithm over `body` and report the events and the final state."""
    interpreter = _Interpreter()
    for line in _complete_lines(_decode(body)):
        interpreter.process_line(line)
    # "Once the end of the file is reached, any pending data must be discarded." The
    # unterminated last line was never returned by _complete_lines, and the buffers of an event
    # without its blank line are simply dropped with the interpreter.
    return EventStreamInterpretation(
        events=tuple(interpreter.events),
        last_event_id=interpreter.last_event_id_string,
        reconnection_time=interpreter.reconnection_time,
    )


def _decode(body: bytes) -> str:
    """UTF-8 decode: invalid bytes become U+FFFD, and one leading byte order mark is dropped."""
    text = body.decode("utf-8", errors="replace")
    if text.startswith(_BOM):
        text = text[len(_BOM) :]
    return text


def _complete_lines(text: str) -> list[str]:
    """The lines of `text` that have a line end; the text after the last line end is left out.

    A line ends with CRLF, with an LF not preceded by CR, or with a CR not followed by LF; a CR
    at the very end of the body is followed by nothing, so it ends a line.
    """
    lines: list[str] = []
    current: list[str] = []
    position = 0
    while position < len(text):
        character = text[position]
        if character == _CR:
            lines.append("".join(current))
            current = []
            if position + 1 < len(text) and text[position + 1] == _LF:
                position += 1  # the LF of a CRLF: the same line end
        elif character == _LF:
            lines.append("".join(current))
            current = []
        else:
            current.append(character)
        position += 1
    return lines


def _base_ten(digits: str) -> int:
    """The integer the ASCII digits spell, however many there are.

    Not `int(digits)`: Python refuses strings of more than 4300 digits by default, and the
    standard sets no such limit, so the oracle must not raise where a decoder should not.
    """
    value = 0
    for digit in digits:
        value = value * 10 + (ord(digit) - ord("0"))
    return value


class _Interpreter:
    """The buffers the standard associates with a stream being parsed, and its steps."""

    def __init__(self) -> None:
        # "When a stream is parsed, a data buffer, an event type buffer, and a last event ID
        # buffer must be associated with it. They must be initialized to the empty string."
        self.data_buffer = ""
        self.event_type_buffer = ""
        self.last_event_id_buffer = ""
        # State of the event source rather than of the parse.
        self.last_event_id_string = ""
        self.reconnection_time: int | None = None
        # Not in the standard: the `retry` set within the current block, for StandardEvent.retry.
        self.retry_in_block: int | None = None
        self.events: list[StandardEvent] = []

    def process_line(self, line: str) -> None:
        if line == "":
            # "If the line is empty (a blank line): Dispatch the event."
            self.dispatch()
        elif line.startswith(":"):
            # "If the line starts with a U+003A COLON character (:): Ignore the line."
            pass
        elif ":" in line:
            # "Collect the characters on the line before the first U+003A COLON character (:),
            # and let field be that string. Collect the characters on the line after the first
            # U+003A COLON character (:), and let value be that string. If value starts with a
            # U+0020 SPACE character, remove it from value."
            colon = line.index(":")
            field = line[:colon]
            value = line[colon + 1 :]
            if value.startswith(" "):
                value = value[1:]
            self.process_field(field, value)
        else:
            # "Otherwise, the string is not empty but does not contain a U+003A COLON character
            # (:): Process the field using ... the whole line as the field name, and the empty
            # string as the field value."
            self.process_field(line, "")

    def process_field(self, name: str, value: str) -> None:
        # "Field names must be compared literally, with no case folding performed."
        if name == "event":
            self.event_type_buffer = value
        elif name == "data":
            self.data_buffer += value + _LF
        elif name == "id":
            if "\0" not in value:
                self.last_event_id_buffer = value
        elif name == "retry":
            if value != "" and all(character in _ASCII_DIGITS for character in value):
                self.reconnection_time = _base_ten(value)
                self.retry_in_block = self.reconnection_time
        else:
            pass  # "Otherwise: The field is ignored."

    def dispatch(self) -> None:
        retry = self.retry_in_block
        self.retry_in_block = None
        # 1. "Set the last event ID string of the event source to the value of the last event ID
        #    buffer. The buffer does not get reset."
        self.last_event_id_string = self.last_event_id_buffer
        # 2. "If the data buffer is an empty string, set the data buffer and the event type
        #    buffer to the empty string and return."
        if self.data_buffer == "":
            self.data_buffer = ""
            self.event_type_buffer = ""
            return
        # 3. "If the data buffer's last character is a U+000A LINE FEED (LF) character, then
        #    remove the last character from the data buffer."
        data = self.data_buffer
        if data.endswith(_LF):
            data = data[:-1]
        # 4.-6. The event: type "message" unless the event type buffer is not empty; its
        #    lastEventId is the event source's last event ID string.
        event_type = "message"
        if self.event_type_buffer != "":
            event_type = self.event_type_buffer
        self.events.append(
            StandardEvent(
                type=event_type, data=data, last_event_id=self.last_event_id_string, retry=retry
            )
        )
        # 7. "Set the data buffer and the event type buffer to the empty string."
        self.data_buffer = ""
        self.event_type_buffer = ""
