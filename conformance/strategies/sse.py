"""Hypothesis strategies for Server-Sent Events: what a server means, and the bytes it writes.

`sse_streams()` draws event blocks as a server means them (`sse_events()`), then writes them the
many ways the standard allows: a leading byte order mark or not, CR, LF or CRLF chosen per line,
`data:` with or without the space, fields in any order, comments, unknown fields, `retry` values
valid and invalid, and sometimes a last event the stream cuts off. It hands back the wire bytes
together with the events the standard dispatches for them, derived from the intent rather than by
parsing, so the generator and `conformance.strategies.sse_standard` check each other.
`byte_splits()` then
cuts the bytes into the pieces a network might deliver, preferring the places decoders get wrong:
inside a UTF-8 sequence, between the CR and the LF of a CRLF (ST-1, ST-6).

`sse_byte_soup()` is for robustness rather than intent: arbitrary bytes built from SSE tokens and
broken UTF-8, for which only an oracle can say what the events are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from hypothesis import strategies as st

from conformance.strategies.splits import byte_splits, risky_cuts
from conformance.strategies.sse_standard import StandardEvent

__all__ = [
    "LINE_ENDS",
    "SSEBlock",
    "SSEStream",
    "byte_splits",
    "risky_cuts",
    "sse_byte_soup",
    "sse_events",
    "sse_streams",
]

#: The three line ends the standard accepts.
LINE_ENDS: tuple[str, ...] = ("\n", "\r", "\r\n")

_UTF8_BOM = "\ufeff"
_KNOWN_FIELDS = frozenset({"data", "event", "id", "retry"})

# Characters that other line-splitting rules treat as line ends or that decoders mishandle;
# drawn often so a decoder that uses str.splitlines() or strips whitespace is caught.
_TRICKY_CHARACTERS = (
    " ",
    ":",
    "\0",
    "\t",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    _UTF8_BOM,
    "\ufffd",
    "é",
    "€",
    "日",
    "𝄞",
    "😀",
)


def _text(*, exclude: str, min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Unicode text without the `exclude` characters, often holding the tricky ones."""
    tricky = [character for character in _TRICKY_CHARACTERS if character not in exclude]
    alphabet = st.one_of(
        st.characters(codec="utf-8", exclude_characters=exclude),
        st.sampled_from(tricky),
    )
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


# A field value or a comment cannot hold a line end; data holds LF as its own line separator.
_values = _text(exclude="\r\n")
_data = _text(exclude="\r", max_size=24)

_unknown_field_names = st.one_of(
    st.sampled_from(
        ["Data", "DATA", "data ", " data", "Event", "ID", "Id", "retry ", "datas", "x", "\0"]
    ),
    _text(exclude="\r\n:", min_size=1, max_size=8),
).filter(
    # A name starting with U+FEFF would lose it to BOM stripping at the start of a stream.
    lambda name: name not in _KNOWN_FIELDS and not name.startswith(_UTF8_BOM)
)

_valid_retries = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.sampled_from(["0", "007", "3000", "18446744073709551616"]),
)
_invalid_retries = st.one_of(
    st.sampled_from(
        ["", " 5", "-1", "+5", "1.5", "30a", "1_000", "0x10", "1e3", "٣", "５", "²", "5 "]
    ),
    _values.filter(lambda value: not _is_valid_retry(value)),
)


# Strategies built once: building one per draw costs more than the draw (Hypothesis validates
# every new strategy object).
_BOOLEANS = st.booleans()


@lru_cache(maxsize=64)
def _index_up_to(size: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=size)


@lru_cache(maxsize=16)
def _sampled(choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(choices)


def _is_valid_retry(value: str) -> bool:
    return value != "" and all(character in "0123456789" for character in value)


@dataclass(frozen=True)
class SSEBlock:
    """One block of lines up to a blank line, as the server means it.

    With `data` None the block has no `data` line and dispatches nothing (a bare `event:`, an
    `id:` or `retry:` on its own, comments only); `data` "" is one empty `data:` line and does
    dispatch. `event` "" is an explicit empty `event:` and still means "message". An `id`
    holding NUL is written but the standard ignores it. `retry` is the raw value as written.
    """

    data: str | None
    event: str | None = None
    id: str | None = None
    retry: str | None = None
    comments: tuple[str, ...] = ()
    unknown_fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SSEStream:
    """Wire bytes and what the standard makes of them.

    `events`, `last_event_id` and `reconnection_time` mean what they mean in
    `conformance.strategies.sse_standard.EventStreamInterpretation`. `blocks` are the complete
    blocks as
    drawn and `cut_off` the last block the stream ends inside of, if any (not dispatched).
    """

    body: bytes
    events: tuple[StandardEvent, ...]
    last_event_id: str
    reconnection_time: int | None
    blocks: tuple[SSEBlock, ...]
    cut_off: SSEBlock | None = None


def sse_events(*, max_data_lines: int = 4) -> st.SearchStrategy[SSEBlock]:
    """Event blocks: data over Unicode (empty, multi-line, absent), event, id, retry, comments."""
    multi_line = st.lists(_data, min_size=2, max_size=max_data_lines).map("\n".join)
    return st.builds(
        SSEBlock,
        data=st.one_of(st.none(), st.just(""), _data, multi_line),
        event=st.one_of(st.none(), st.just(""), st.sampled_from(["delta", "ping"]), _values),
        id=st.one_of(st.none(), st.just(""), _values),
        retry=st.one_of(st.none(), _valid_retries, _invalid_retries),
        comments=st.lists(_values, max_size=2).map(tuple),
        unknown_fields=st.lists(st.tuples(_unknown_field_names, _values), max_size=2).map(tuple),
    )


_BLOCKS = sse_events()


@st.composite
def sse_streams(
    draw: st.DrawFn,
    *,
    min_events: int = 0,
    max_events: int = 6,
    line_ends: Sequence[str] = LINE_ENDS,
    bom: bool | None = None,
    cut_off: bool | None = None,
) -> SSEStream:
    """Streams of `sse_events()` blocks written with every liberty the standard allows.

    `line_ends` restricts the line ends (say to LF only, for a decoder that claims no more);
    `bom` and `cut_off` force a leading byte order mark or a last event the stream ends inside
    of, on or off, instead of drawing them. `min_events`/`max_events` count blocks, some of
    which dispatch nothing.
    """
    if not line_ends or any(end not in LINE_ENDS for end in line_ends):
        raise ValueError(f"line_ends must be some of {LINE_ENDS!r}, got {line_ends!r}")
    blocks = tuple(draw(st.lists(_BLOCKS, min_size=min_events, max_size=max_events)))
    with_bom = draw(_BOOLEANS) if bom is None else bom
    with_cut_off = draw(_BOOLEANS) if cut_off is None else cut_off
    last = draw(_BLOCKS) if with_cut_off else None

    writer = _Writer(draw, tuple(line_ends))
    for block in blocks:
        for line in _block_lines(draw, block):
            writer.line(line.text)
        writer.line("")
    retry_survives_cut = True
    if last is not None:
        lines = _block_lines(draw, last)
        for line in lines[:-1]:
            writer.line(line.text)
        if lines:
            # The stream may end right after the last line's end, or in the middle of the line,
            # and then that line is never read at all.
            if draw(_BOOLEANS):
                writer.line(lines[-1].text)
            else:
                writer.unterminated(lines[-1].text)
                retry_survives_cut = lines[-1].field != "retry"

    body = (_UTF8_BOM if with_bom else "") + writer.text()
    events, last_event_id, reconnection_time = _intended(blocks)
    if last is not None and last.retry is not None and retry_survives_cut:
        reconnection_time = _retry_value(last.retry, reconnection_time)
    return SSEStream(
        body=body.encode("utf-8"),
        events=events,
        last_event_id=last_event_id,
        reconnection_time=reconnection_time,
        blocks=blocks,
        cut_off=last,
    )


_SOUP_TOKENS: tuple[bytes, ...] = (
    b"data",
    b"data:",
    b"data: ",
    b"event",
    b"event:",
    b"id",
    b"id:",
    b"retry",
    b"retry:",
    b"Data",
    b":",
    b": ",
    b" ",
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b"\n\n",
    b"\0",
    b"0",
    b"42",
    b"x",
    "é€𝄞\u2028\x85".encode(),
    b"\xef\xbb\xbf",
)
# Broken UTF-8: lone continuation bytes, truncated sequences, an overlong form, a surrogate, and
# bytes that never occur in UTF-8.
_BROKEN_UTF8: tuple[bytes, ...] = (
    b"\x80",
    b"\xbf",
    b"\xc3",
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xfe",
    b"\xff",
    b"\xef\xbb",
)


def sse_byte_soup(*, broken_utf8: bool = True, max_tokens: int = 40) -> st.SearchStrategy[bytes]:
    """Bytes made of SSE field names, separators, line ends and (optionally) broken UTF-8.

    Not meant as valid SSE: for robustness properties where the expected events come from
    `conformance.strategies.sse_standard.parse_event_stream`, not from an intent.
    """
    tokens = _SOUP_TOKENS + (_BROKEN_UTF8 if broken_utf8 else ())
    return st.lists(st.sampled_from(tokens), max_size=max_tokens).map(b"".join)


# -- writing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    field: str | None  # the field the line sets; None for a comment


def _block_lines(draw: st.DrawFn, block: SSEBlock) -> list[_Line]:
    """The block's lines: data lines in order, every other line inserted anywhere among them."""
    lines = (
        [_field_line(draw, "data", part) for part in block.data.split("\n")]
        if block.data is not None
        else []
    )
    others: list[_Line] = [_Line(":" + comment, None) for comment in block.comments]
    others += [_field_line(draw, name, value) for name, value in block.unknown_fields]
    for name, value in (("event", block.event), ("id", block.id), ("retry", block.retry)):
        if value is not None:
            others.append(_field_line(draw, name, value))
    for line in others:
        lines.insert(draw(_index_up_to(len(lines))), line)
    return lines


def _field_line(draw: st.DrawFn, name: str, value: str) -> _Line:
    """`name:value`, `name: value`, or a bare `name` when the value is empty.

    The space after the colon is optional only when the value does not itself start with a
    space: the standard removes one leading space, so such a value needs the separator written.
    """
    if value == "" and draw(_BOOLEANS):
        return _Line(name, name)
    space = " " if value.startswith(" ") or draw(_BOOLEANS) else ""
    return _Line(f"{name}:{space}{value}", name)


class _Writer:
    """Joins lines with drawn line ends, never letting a CR and the next LF fuse by accident.

    A blank line written as LF right after a line ended by CR would read as the second half of
    a CRLF, and the blank line, the event's dispatch, would vanish.
    """

    def __init__(self, draw: st.DrawFn, line_ends: tuple[str, ...]) -> None:
        self._draw = draw
        self._line_ends = line_ends
        self._parts: list[str] = []
        self._after_cr = False

    def line(self, text: str) -> None:
        choices = self._line_ends
        if self._after_cr and text == "":
            choices = tuple(end for end in choices if end != "\n")
        end = self._draw(_sampled(choices))
        self._parts += [text, end]
        self._after_cr = end == "\r"

    def unterminated(self, text: str) -> None:
        self._parts.append(text)
        self._after_cr = False

    def text(self) -> str:
        return "".join(self._parts)


def _intended(blocks: Sequence[SSEBlock]) -> tuple[tuple[StandardEvent, ...], str, int | None]:
    """What the blocks mean: events, the last event ID after them, the reconnection time."""
    events: list[StandardEvent] = []
    last_event_id = ""
    reconnection_time: int | None = None
    for block in blocks:
        if block.id is not None and "\0" not in block.id:
            last_event_id = block.id
        retry: int | None = None
        if block.retry is not None and _is_valid_retry(block.retry):
            retry = reconnection_time = _digits_value(block.retry)
        if block.data is not None:
            events.append(
                StandardEvent(
                    type=block.event or "message",
                    data=block.data,
                    last_event_id=last_event_id,
                    retry=retry,
                )
            )
    return tuple(events), last_event_id, reconnection_time


def _retry_value(value: str, current: int | None) -> int | None:
    """The reconnection time after a `retry` field with this value: an invalid one changes none."""
    return _digits_value(value) if _is_valid_retry(value) else current


def _digits_value(digits: str) -> int:
    value = 0
    for digit in digits:
        value = value * 10 + ord(digit) - ord("0")
    return value
