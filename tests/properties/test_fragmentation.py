"""Cut specs `KIND:N` land where they say, on bodies the SSE writer really renders.

Each kind has an independent oracle here (the places computed from how the body was built, or
from a plain scan of the bytes), so the properties hold `conformance.vocabulary.fragmentation` to
the
meaning of its specs, not to its own regular expressions. The last part covers the SSE writer's
`inserts` (`comment:N`, `unknown:N`), the other way a generated scenario reshapes a stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.dialects.sse_writer import UNKNOWN_EVENT_TYPE, sse_event, sse_response
from conformance.scenarios.model import LineEnding, WireOptions
from conformance.strategies import cuts, inserts, unicode_text
from conformance.vocabulary.fragmentation import (
    CUT_KINDS,
    cut_body,
    cut_offsets,
    describe_pieces,
    parse_cut,
)

PROPERTY = settings(max_examples=50, deadline=None)

FIELD_NAMES = (b"data", b"event", b"id", b"retry")
SPEC = re.compile(rf"(?:{'|'.join(CUT_KINDS)}):[0-9]+")


# --- bodies as the SSE writer renders them, with the event boundaries known -----------------


@dataclass(frozen=True)
class Rendered:
    body: bytes
    #: Offsets right after each event (the last one is the end of the body).
    event_ends: tuple[int, ...]
    wire: WireOptions


def _payload(text: str) -> str:
    # What every dialect sends: JSON, so line breaks inside the text are escaped.
    return json.dumps({"type": "delta", "text": text}, ensure_ascii=False, separators=(",", ":"))


@st.composite
def rendered_streams(draw: st.DrawFn, *, min_events: int = 1) -> Rendered:
    wire = WireOptions(
        data_space=draw(st.booleans()),
        line_ending=draw(st.sampled_from(["lf", "crlf", "cr"])),
        multiline_data=draw(st.booleans()),
        extra_fields=draw(st.booleans()),
    )
    texts = draw(st.lists(unicode_text(max_size=10), min_size=min_events, max_size=4))
    body, ends = b"", []
    for text in texts:
        event = draw(st.sampled_from([None, "message", "content_block_delta"]))
        comment = draw(st.sampled_from([None, "keep-alive"]))
        body += sse_event(_payload(text), wire, event=event, comment=comment)
        ends.append(len(body))
    return Rendered(body, tuple(ends), wire)


def _inside(places: list[int], body: bytes) -> list[int]:
    return [p for p in places if 0 < p < len(body)]


def utf8_places(body: bytes) -> list[int]:
    """Offsets after a multi-byte character's lead byte, from the decoded characters."""
    places: list[int] = []
    offset = 0
    for char in body.decode("utf-8"):
        size = len(char.encode("utf-8"))
        places += range(offset + 1, offset + size)
        offset += size
    return _inside(places, body)


def crlf_places(body: bytes) -> list[int]:
    return _inside([i for i in range(1, len(body)) if body[i - 1 : i + 1] == b"\r\n"], body)


def eol_places(body: bytes) -> list[int]:
    places = []
    for i, byte in enumerate(body):
        if byte == 0x0A or (byte == 0x0D and body[i + 1 : i + 2] != b"\n"):
            places.append(i + 1)
    return _inside(places, body)


def field_places(body: bytes) -> list[int]:
    places = []
    for i in range(len(body)):
        if i == 0 or body[i - 1] in b"\r\n":
            places += [i + len(n) + 1 for n in FIELD_NAMES if body.startswith(n + b":", i)]
    return _inside(places, body)


def places_of(kind: str, rendered: Rendered) -> list[int]:
    body = rendered.body
    oracles: dict[str, Callable[[bytes], list[int]]] = {
        "utf8": utf8_places,
        "crlf": crlf_places,
        "eol": eol_places,
        "field": field_places,
        "byte": lambda b: list(range(1, len(b))),
        "event": lambda b: _inside(list(rendered.event_ends), b),
    }
    return oracles[kind](body)


# --- parse_cut --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CUT_KINDS)
def test_parse_cut_reads_every_kind(kind: str) -> None:
    assert parse_cut(f"{kind}:0") == (kind, 0)
    assert parse_cut(f"{kind}:417") == (kind, 417)


@pytest.mark.parametrize(
    "spec", ["", "utf8", "utf8:", ":3", "utf8:-1", "utf8:1.5", "UTF8:1", "nope:1", " utf8:1"]
)
def test_parse_cut_rejects_bad_specs_naming_the_kinds(spec: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_cut(spec)
    message = str(caught.value)
    assert repr(spec) in message
    assert all(kind in message for kind in CUT_KINDS)


@PROPERTY
@given(st.text(max_size=12))
@example("utf8:1 ")
@example("byte:٣")  # a digit, but not an ASCII one
@example("utf8:3\n")  # `$` would match before the newline
def test_parse_cut_accepts_exactly_the_spec_language(spec: str) -> None:
    if SPEC.fullmatch(spec):
        kind, number = spec.split(":")
        assert parse_cut(spec) == (kind, int(number))
    else:
        with pytest.raises(ValueError, match="expected KIND:N"):
            parse_cut(spec)


def test_parse_cut_rejects_a_trailing_newline() -> None:
    with pytest.raises(ValueError):
        parse_cut("utf8:3\n")


# --- where each kind lands --------------------------------------------------------------------


def test_examples_read_as_what_they_test() -> None:
    body = 'data: {"t":"é日"}\r\n\r\nevent: x\r\ndata: {}\r\n\r\n'.encode()
    first_multibyte = body.index("é".encode())
    assert cut_offsets(body, ["utf8:0"]) == [first_multibyte + 1]
    crs = [i for i, byte in enumerate(body) if byte == 0x0D]
    assert cut_offsets(body, ["crlf:2"]) == [crs[2] + 1]
    assert cut_offsets(body, ["field:1"]) == [body.index(b"event:") + len(b"event:")]
    assert cut_offsets(body, ["event:0"]) == [body.index(b"\r\n\r\n") + 4]
    assert cut_offsets(body, ["byte:5"]) == [5]
    # Three characters, 1 + 2 continuation bytes: `utf8:3` wraps round to the first place.
    assert cut_offsets(body, ["utf8:3"]) == cut_offsets(body, ["utf8:0"])


def test_byte_n_cuts_at_byte_offset_n() -> None:
    body = b"data: {}\n\n"
    assert cut_offsets(body, ["byte:5"]) == [5]
    assert cut_body(body, ["byte:5"]) == [b"data:", b" {}\n\n"]


@PROPERTY
@given(st.binary(min_size=1, max_size=64), st.integers(0, 200))
def test_byte_n_is_the_offset_inside_the_body(body: bytes, n: int) -> None:
    offsets = cut_offsets(body, [f"byte:{n}"])
    if 0 < n < len(body):
        assert offsets == [n]
    elif len(body) > 1:
        [offset] = offsets  # outside the body, N still names some place inside it
        assert 0 < offset < len(body)
        assert cut_offsets(body, [f"byte:{n}"]) == offsets
    else:
        assert offsets == []


def test_a_kind_the_body_lacks_gives_no_cut() -> None:
    body = b'data: {"text":"plain ascii"}\n\n'
    assert cut_offsets(body, ["crlf:0", "utf8:5"]) == []
    assert cut_body(body, ["crlf:0", "utf8:5"]) == [body]


def test_cuts_never_fall_on_the_body_edges() -> None:
    assert cut_offsets(b"x", ["byte:0", "byte:1"]) == []
    # The only line end is the very end of the body: no place inside it.
    assert cut_offsets(b"data: x\n", ["eol:0", "event:0"]) == []
    assert cut_body(b"", ["byte:3", "utf8:0"]) == [b""]


@PROPERTY
@given(rendered_streams(), st.integers(0, 10_000))
def test_each_kind_names_its_places_modulo_their_count(rendered: Rendered, n: int) -> None:
    for kind in CUT_KINDS:
        if kind == "byte":
            continue  # byte:N is the offset itself: test_byte_n_is_the_offset_inside_the_body
        places = places_of(kind, rendered)
        offsets = cut_offsets(rendered.body, [f"{kind}:{n}"])
        if not places:
            assert offsets == [], kind
            continue
        assert offsets == [places[n % len(places)]], kind
        # Counting runs through the places in order (the first dozen and the last), then wraps.
        indices = [*range(min(len(places), 12)), len(places) - 1]
        counted = [cut_offsets(rendered.body, [f"{kind}:{i}"])[0] for i in indices]
        assert counted == [places[i] for i in indices], kind
        assert cut_offsets(rendered.body, [f"{kind}:{n + len(places)}"]) == offsets, kind


@PROPERTY
@given(rendered_streams(min_events=2), st.integers(0, 10_000))
def test_cuts_land_where_their_kind_says(rendered: Rendered, n: int) -> None:
    body, eol = rendered.body, rendered.wire.eol.encode()

    # utf8: strictly inside a multi-byte character, so neither side decodes.
    offsets = cut_offsets(body, [f"utf8:{n}"])
    if body.isascii():
        assert offsets == []
    else:
        [offset] = offsets
        assert 0x80 <= body[offset] < 0xC0  # a continuation byte follows the cut
        with pytest.raises(UnicodeDecodeError):
            body[:offset].decode("utf-8")
        with pytest.raises(UnicodeDecodeError):
            body[offset:].decode("utf-8")

    # crlf: between a CR and its LF; dropped when the stream has no CRLF.
    offsets = cut_offsets(body, [f"crlf:{n}"])
    if rendered.wire.line_ending != "crlf":
        assert offsets == []
    else:
        [offset] = offsets
        assert body[offset - 1 : offset + 1] == b"\r\n"

    # field: right after `data:`, `event:`, `id:` or `retry:` at a line start.
    [offset] = cut_offsets(body, [f"field:{n}"])  # every rendered event has a data field
    line_start = max(body.rfind(b"\n", 0, offset), body.rfind(b"\r", 0, offset)) + 1
    assert body[line_start:offset] in {name + b":" for name in FIELD_NAMES}

    # event: after an event's blank line; eol: after a line end, never inside a CRLF.
    [offset] = cut_offsets(body, [f"event:{n}"])
    assert offset in rendered.event_ends
    assert body[:offset].endswith(eol + eol)
    [offset] = cut_offsets(body, [f"eol:{n}"])
    assert body[:offset].endswith(eol)
    assert body[offset - 1 : offset + 1] != b"\r\n"


@PROPERTY
@given(st.binary(max_size=64), cuts(max_cuts=8))
def test_cut_offsets_are_sorted_distinct_and_inside(body: bytes, specs: tuple[str, ...]) -> None:
    offsets = cut_offsets(body, specs)
    assert offsets == sorted(set(offsets))
    assert all(0 < offset < len(body) for offset in offsets)
    assert len(offsets) <= len(specs)


@PROPERTY
@given(st.one_of(st.binary(max_size=64), rendered_streams().map(lambda r: r.body)), cuts())
@example(b"", ("byte:0",))
@example(b"\r\n", ("crlf:0", "eol:0"))
def test_cut_body_pieces_join_back_and_are_never_empty(body: bytes, specs: tuple[str, ...]) -> None:
    pieces = cut_body(body, specs)
    assert b"".join(pieces) == body
    if body:
        assert all(pieces)
        assert len(pieces) == len(cut_offsets(body, specs)) + 1
    else:
        assert pieces == [b""]


@PROPERTY
@given(st.binary(max_size=64), cuts())
@example("é\r\n日\r\n\r\n".encode(), ("utf8:0", "utf8:3", "crlf:1", "eol:1", "byte:0"))
def test_cuts_of_one_spec_list_are_the_union_of_each(body: bytes, specs: tuple[str, ...]) -> None:
    union = {offset for spec in specs for offset in cut_offsets(body, [spec])}
    assert cut_offsets(body, specs) == sorted(union)


# --- describe_pieces --------------------------------------------------------------------------


def test_describe_pieces_shows_each_cut_with_the_bytes_around_it() -> None:
    body = 'data: "é"\r\n\r\n'.encode()
    pieces = cut_body(body, ["utf8:0", "crlf:1"])
    assert len(pieces) == 3
    lines = describe_pieces(pieces).splitlines()
    assert lines[0] == "(the body above was written in 3 separate writes, cut at:)"
    assert lines[1] == "  byte 8: " + repr(b'data: "\xc3') + " | " + repr(b'\xa9"\r\n\r\n')
    assert lines[2] == "  byte 13: " + repr(b'data: "\xc3\xa9"\r\n\r') + " | " + repr(b"\n")


def test_describe_pieces_keeps_sixteen_bytes_either_side() -> None:
    body = bytes(range(65, 65 + 40))
    text = describe_pieces([body[:20], body[20:]])
    assert f"byte 20: {body[4:20]!r} | {body[20:36]!r}" in text


@PROPERTY
@given(st.binary(max_size=80), cuts())
def test_describe_pieces_names_every_cut_offset(body: bytes, specs: tuple[str, ...]) -> None:
    pieces = cut_body(body, specs)
    lines = describe_pieces(pieces).splitlines()
    assert f"written in {len(pieces)} separate writes" in lines[0]
    shown = [int(line.split()[1].rstrip(":")) for line in lines[1:]]
    assert shown == cut_offsets(body, specs)


# --- the SSE writer's inserts -----------------------------------------------------------------

UNKNOWN_LINE = b"event: " + UNKNOWN_EVENT_TYPE.encode()


def _events(count: int, wire: WireOptions) -> list[bytes]:
    return [sse_event(_payload(f"part {i}"), wire) for i in range(count)]


def test_comment_0_goes_before_the_first_event() -> None:
    wire = WireOptions(inserts=("comment:0",))
    events = _events(3, wire)
    pieces = sse_response(events, wire).pieces
    assert pieces[0] == b": conformance comment 0\n\n"
    assert pieces[1:] == events


def test_unknown_n_puts_an_unknown_event_after_the_nth_event() -> None:
    wire = WireOptions(inserts=("unknown:2",))
    events = _events(3, wire)
    pieces = sse_response(events, wire).pieces
    assert pieces[:2] == events[:2]
    assert pieces[3:] == events[2:]
    assert pieces[2].split(b"\n")[0] == UNKNOWN_LINE
    assert json.loads(pieces[2].split(b"\n")[1].removeprefix(b"data: ")) == {
        "type": UNKNOWN_EVENT_TYPE
    }


def test_insert_positions_count_modulo_events_plus_one() -> None:
    wire = WireOptions(inserts=("comment:3", "comment:4", "unknown:7"), line_ending="crlf")
    events = _events(3, wire)
    pieces = sse_response(events, wire).pieces
    # 3 -> after the last event; 4 % 4 == 0 -> before the first; 7 % 4 == 3 -> after the last.
    assert pieces[0] == b": conformance comment 0\r\n\r\n"
    assert pieces[1:4] == events
    assert pieces[4] == b": conformance comment 3\r\n\r\n"
    assert pieces[5].startswith(UNKNOWN_LINE + b"\r\n")
    assert len(pieces) == 6


@PROPERTY
@given(
    st.integers(1, 6),
    inserts(),
    st.sampled_from(["lf", "crlf", "cr"]),
    st.booleans(),
)
def test_inserts_land_after_their_event_and_keep_the_events(
    count: int, specs: tuple[str, ...], line_ending: LineEnding, data_space: bool
) -> None:
    wire = WireOptions(inserts=specs, line_ending=line_ending, data_space=data_space)
    events = _events(count, wire)
    pieces = sse_response(events, wire).pieces
    assert len(pieces) == count + len(specs)
    assert [piece for piece in pieces if piece in events] == events
    eol = wire.eol.encode()
    unknown_line = (b"event: " if data_space else b"event:") + UNKNOWN_EVENT_TYPE.encode()
    inserted: list[tuple[int, bytes]] = []
    for index, piece in enumerate(pieces):
        if piece in events:
            continue
        before = sum(1 for earlier in pieces[:index] if earlier in events)
        inserted.append((before, piece))
        assert piece.endswith(eol + eol)
        first_line = piece.split(eol)[0]
        assert first_line.startswith(b": conformance comment ") or first_line == unknown_line
    expected = []
    for spec in specs:
        kind, number = spec.split(":")
        position = int(number) % (count + 1)
        expected.append((position, "comment" if kind == "comment" else "unknown"))
    got = [(at, "comment" if p.startswith(b":") else "unknown") for at, p in inserted]
    assert sorted(got) == sorted(expected)


def test_inserts_survive_byte_splitting() -> None:
    wire = WireOptions(inserts=("comment:1", "unknown:0"), split_bytes=7)
    events = _events(2, wire)
    response = sse_response(events, wire)
    assert all(len(piece) <= 7 for piece in response.pieces)
    body = response.body
    assert body.index(UNKNOWN_LINE) < body.index(events[0]) < body.index(b": conformance comment")
