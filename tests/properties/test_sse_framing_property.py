"""The project's SSE decoders agree with the standard's algorithm on generated streams (ST-1, ST-6).

`conformance.strategies.sse_standard` is the oracle. The generator (`conformance.strategies.sse`)
derives
the expected events from what it meant to send, so the first property checks the oracle and the
generator against each other; the rest hold the decoders to the oracle:

- `reference_providers.sse.SSEDecoder`, the providers' incremental decoder, must give exactly the
  oracle's events (type, data, last event ID, per-event retry) and final state, for every way of
  cutting the bytes into reads.
- `conformance.dialects.sse_reader.sse_blocks`, the judge's reading of recordings, promises less,
  on purpose: it sees a whole body, yields only (event type, data), reads the body strictly as
  UTF-8 (a recording that is not UTF-8 should fail loudly, not be patched with U+FFFD), and reads
  a last event whose closing blank line is missing as if the blank line were there, because some
  stored recordings lost their final newlines. So it must equal the oracle's (type, data) for the
  body with a blank line appended.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.dialects.sse_reader import sse_blocks
from conformance.strategies.sse import SSEStream, byte_splits, sse_byte_soup, sse_streams
from conformance.strategies.sse_standard import (
    EventStreamInterpretation,
    StandardEvent,
    interpret_event_stream,
    parse_event_stream,
)
from reference_providers.sse import ServerSentEvent, SSEDecoder

PROPERTY = settings(max_examples=200, deadline=None)
# For properties over the same streams that the decoder's split property draws 200 of.
LIGHTER = settings(max_examples=100, deadline=None)


def decode_in_pieces(pieces: list[bytes]) -> tuple[list[StandardEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.flush())
    return [as_standard(event) for event in events], decoder


def as_standard(event: ServerSentEvent) -> StandardEvent:
    # The decoder says None for "no id seen yet", where the standard's string is still empty.
    return StandardEvent(
        type=event.event, data=event.data, last_event_id=event.id or "", retry=event.retry
    )


def assert_decoder_agrees(pieces: list[bytes], expected: EventStreamInterpretation) -> None:
    events, decoder = decode_in_pieces(pieces)
    assert events == list(expected.events)
    assert decoder.reconnection_time == expected.reconnection_time
    assert (decoder.last_event_id or "") == expected.last_event_id


# -- the oracle and the generator ------------------------------------------------------------------


@LIGHTER
@given(sse_streams())
def test_oracle_reads_generated_streams_as_intended(stream: SSEStream) -> None:
    result = interpret_event_stream(stream.body)
    assert result.events == stream.events
    assert result.last_event_id == stream.last_event_id
    assert result.reconnection_time == stream.reconnection_time


def test_oracle_on_the_standards_stock_ticker_example() -> None:
    body = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    assert parse_event_stream(body) == [StandardEvent("message", "YHOO\n+2\n10")]


def test_oracle_on_the_standards_last_event_id_example() -> None:
    body = (
        b": test stream\n\n"
        b"data: first event\nid: 1\n\n"
        b"data:second event\nid\n\n"
        b"data:  third event\n\n"
    )
    # The comment-only block fires nothing; `id` with no value resets the ID to "".
    assert interpret_event_stream(body) == EventStreamInterpretation(
        events=(
            StandardEvent("message", "first event", last_event_id="1"),
            StandardEvent("message", "second event", last_event_id=""),
            StandardEvent("message", " third event", last_event_id=""),
        ),
        last_event_id="",
        reconnection_time=None,
    )
    # "the end of the stream is not enough to trigger the dispatch of the last event"
    assert len(parse_event_stream(body.removesuffix(b"\n"))) == 2


def test_oracle_on_the_standards_empty_data_example() -> None:
    body = b"data\n\ndata\ndata\n\ndata:"
    assert parse_event_stream(body) == [
        StandardEvent("message", ""),
        StandardEvent("message", "\n"),
    ]


def test_oracle_on_the_standards_two_identical_events_example() -> None:
    body = b"data:test\n\ndata: test\n\n"
    assert parse_event_stream(body) == [StandardEvent("message", "test")] * 2


def test_oracle_line_ends_bom_retry_and_cut_off_id() -> None:
    body = b"\xef\xbb\xbfretry: 12\r\nid: a\revent: e\ndata: x\r\r\nid: b\x00\ndata: y\n\nid: c\n"
    assert interpret_event_stream(body) == EventStreamInterpretation(
        events=(
            StandardEvent("e", "x", last_event_id="a", retry=12),
            StandardEvent("message", "y", last_event_id="a"),
        ),
        # "c" sits in an event the stream cut off, so it never became the last event ID.
        last_event_id="a",
        reconnection_time=12,
    )


def test_oracle_reads_a_retry_beyond_pythons_int_string_limit() -> None:
    digits = "9" * 5000
    result = interpret_event_stream(f"retry: {digits}\n\n".encode())
    assert result.reconnection_time == 10**5000 - 1


# -- the providers' incremental decoder ------------------------------------------------------------


@PROPERTY
@given(st.data(), sse_streams())
def test_sse_decoder_agrees_with_the_standard_for_any_split(
    data: st.DataObject, stream: SSEStream
) -> None:
    pieces = data.draw(byte_splits(stream.body), label="pieces")
    expected = interpret_event_stream(stream.body)
    assert expected.events == stream.events
    assert_decoder_agrees(pieces, expected)


@PROPERTY
@given(st.data(), sse_byte_soup())
@example(data=None, body=b"data: a\nid: 5\ndata: b")  # an id in an event that is cut off
def test_sse_decoder_agrees_with_the_standard_on_byte_soup(
    data: st.DataObject | None, body: bytes
) -> None:
    pieces = [body] if data is None else data.draw(byte_splits(body), label="pieces")
    assert_decoder_agrees(pieces, interpret_event_stream(body))


def test_sse_decoder_ignores_a_retry_beyond_pythons_int_string_limit() -> None:
    # A deliberate difference: Python will not convert more than 4300 digits, and no such delay
    # means anything, so the decoder ignores the field where the standard would set it. What
    # matters is that it does not raise out of feed().
    body = b"retry: " + b"1" * 5000 + b"\ndata: x\n\n"
    events, decoder = decode_in_pieces([body])
    assert events == [replace(event, retry=None) for event in parse_event_stream(body)]
    assert decoder.reconnection_time is None


@PROPERTY
@given(sse_byte_soup())
@example(body=b"data: x\n\ndata:\xef\xbb\xbf\n\n")  # only a leading BOM is dropped, not a read's
@example(body=b"data: a\r\n\r\n")
def test_sse_decoder_one_byte_at_a_time(body: bytes) -> None:
    assert_decoder_agrees([body[i : i + 1] for i in range(len(body))], interpret_event_stream(body))


# -- the judge's reading of recordings -------------------------------------------------------------


def judge_promise(body: bytes) -> list[tuple[str, str]]:
    return [(event.type, event.data) for event in parse_event_stream(body + b"\n\n")]


@LIGHTER
@given(sse_streams())
def test_judge_reader_agrees_with_the_standard(stream: SSEStream) -> None:
    assert list(sse_blocks(stream.body)) == judge_promise(stream.body)


@PROPERTY
@given(sse_byte_soup(broken_utf8=False))
def test_judge_reader_agrees_with_the_standard_on_byte_soup(body: bytes) -> None:
    assert list(sse_blocks(body)) == judge_promise(body)


@pytest.mark.parametrize(
    "body",
    [
        b"data: a\n\r\ndata: b\n\n",  # a blank line ended unlike the line before it
        b"data: a\r\n\rdata: b\r\r",
        'data: {"t": "x\u2028y"}\n\n'.encode(),  # JSON carries U+2028 raw; not a line end
        b"data: a\xc2\x85b\x0cc\x1ed\n\n",
        b"event:\ndata: x\n\n",  # an empty event type means "message"
    ],
)
def test_judge_reader_regressions(body: bytes) -> None:
    assert list(sse_blocks(body)) == judge_promise(body)


def test_judge_reader_reads_a_cut_off_last_event() -> None:
    body = b'event: message_stop\ndata: {"type":"message_stop"}'
    assert list(sse_blocks(body)) == [("message_stop", '{"type":"message_stop"}')]
