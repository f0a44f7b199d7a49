"""The SSE decoder against the WHATWG event-stream rules and against real recorded streams."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from reference_providers.sse import ServerSentEvent, SSEDecoder


def decode(pieces: Iterable[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.flush())
    return events


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def message(data: str, *, event: str = "message", id: str | None = None) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id)


# -- line ends -----------------------------------------------------------------------------------


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_each_line_end_frames_events(eol: bytes) -> None:
    stream = b"data: one" + eol + eol + b"data: two" + eol + eol
    assert decode([stream]) == [message("one"), message("two")]


def test_mixed_line_ends_in_one_stream() -> None:
    stream = b"data: a\r\ndata: b\rdata: c\n\r\n"
    assert decode([stream]) == [message("a\nb\nc")]


def test_cr_at_end_of_feed_and_lf_at_start_of_next_are_one_line_end() -> None:
    # Were the split CRLF read as two line ends, the empty "line" between them would dispatch "a"
    # on its own.
    assert decode([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [message("a\nb")]


def test_event_ending_in_cr_is_dispatched_without_waiting_for_more_bytes() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [message("a")]
    assert decoder.feed(b"\ndata: b\n\n") == [message("b")]


def test_lf_after_a_cr_is_skipped_only_once() -> None:
    assert decode([b"data: a\r", b"\n", b"\n"]) == [message("a")]


# -- characters ----------------------------------------------------------------------------------


def test_utf8_sequences_split_at_every_byte_position() -> None:
    stream = "data: héllo wörld € 𝄞 日本\n\n".encode()
    expected = [message("héllo wörld € 𝄞 日本")]
    for cut in range(len(stream) + 1):
        assert decode([stream[:cut], stream[cut:]]) == expected, cut
    assert decode(one_byte_at_a_time(stream)) == expected


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert decode([b"data: a\xffb\n\n"]) == [message("a\ufffdb")]


def test_leading_bom_is_stripped() -> None:
    assert decode([b"\xef\xbb\xbfdata: x\n\n"]) == [message("x")]


def test_leading_bom_split_across_feeds_is_stripped() -> None:
    assert decode([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [message("x")]


def test_only_the_first_bom_is_stripped() -> None:
    # A second BOM is part of the field name, which then names no known field.
    assert decode([b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n"]) == []


# -- fields --------------------------------------------------------------------------------------


def test_comment_lines_are_ignored() -> None:
    stream = b": keep-alive\n:\ndata: x\n: between\n\n"
    assert decode([stream]) == [message("x")]


@pytest.mark.parametrize(
    ("line", "value"),
    [(b"data:x", "x"), (b"data: x", "x"), (b"data:  x", " x"), (b"data: ", ""), (b"data:", "")],
)
def test_only_one_space_after_the_colon_is_stripped(line: bytes, value: str) -> None:
    assert decode([line + b"\n\n"]) == [message(value)]


def test_line_without_colon_is_a_field_with_empty_value() -> None:
    assert decode([b"data\n\n"]) == [message("")]
    assert decode([b"data\ndata\n\n"]) == [message("\n")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert decode([b"data: a\ndata:b\ndata:  c\n\n"]) == [message("a\nb\n c")]


def test_event_type_is_set_and_reset_after_dispatch() -> None:
    stream = b"event: delta\ndata: 1\n\ndata: 2\n\n"
    assert decode([stream]) == [message("1", event="delta"), message("2")]


def test_empty_event_field_means_message() -> None:
    assert decode([b"event:\ndata: x\n\n"]) == [message("x")]


def test_block_without_data_is_not_dispatched_and_resets_the_event_type() -> None:
    stream = b"event: ping\n\ndata: x\n\n"
    assert decode([stream]) == [message("x")]


def test_id_carries_over_to_later_events() -> None:
    stream = b"id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"
    assert decode([stream]) == [message("a", id="7"), message("b", id="7"), message("c", id="")]


def test_id_containing_nul_is_ignored() -> None:
    stream = b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"
    assert decode([stream]) == [message("a", id="1"), message("b", id="1")]


def test_id_is_none_until_one_is_seen() -> None:
    assert decode([b"data: a\n\n"])[0].id is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(b"3000", 3000), (b"0", 0), (b"30a", None), (b"-5", None), (b"1.5", None), (b"", None)],
)
def test_retry_accepts_ascii_digits_only(value: bytes, expected: int | None) -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"retry: " + value + b"\ndata: x\n\n")
    assert events == [ServerSentEvent(event="message", data="x", retry=expected)]
    assert decoder.reconnection_time == expected


def test_retry_with_unicode_digits_is_ignored() -> None:
    assert decode(["retry: ٣\ndata: x\n\n".encode()]) == [message("x")]


def test_unknown_fields_are_ignored() -> None:
    assert decode([b"foo: bar\ndata: x\nData: y\n\n"]) == [message("x")]


def test_blank_line_dispatches_immediately() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n") == []
    assert decoder.feed(b"\n") == [message("x")]


# -- end of stream -------------------------------------------------------------------------------


def test_flush_discards_an_event_without_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [message("a")]
    assert decoder.flush() == []


def test_flush_discards_an_unterminated_line_and_a_partial_utf8_sequence() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: \xe2\x82") == []
    assert decoder.flush() == []


def test_decoder_is_reusable_after_flush_and_keeps_the_last_event_id() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 9\ndata: a\n\ndata: partial")
    decoder.flush()
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [message("b", id="9")]
    assert decoder.last_event_id == "9"


# -- real recorded streams -----------------------------------------------------------------------


ALL_SSE_DIRS = ("openai_chat", "anthropic", "gemini", "openai_responses")


@pytest.mark.corpus("openai_chat")
def test_openai_chat_corpus_decodes_the_same_one_byte_at_a_time(corpus_file: Path) -> None:
    data = corpus_file.read_bytes()
    whole = decode([data])
    assert whole, "a recorded stream yields events"
    assert decode(one_byte_at_a_time(data)) == whole


@pytest.mark.corpus(*ALL_SSE_DIRS)
@pytest.mark.parametrize("size", [3, 7, 64])
def test_corpus_decodes_the_same_in_any_piece_size(corpus_file: Path, size: int) -> None:
    data = corpus_file.read_bytes()
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    assert decode(pieces) == decode([data])


@pytest.mark.corpus("openai_chat")
@pytest.mark.parametrize("eol", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
def test_corpus_decodes_the_same_with_other_line_ends(corpus_file: Path, eol: bytes) -> None:
    data = corpus_file.read_bytes()
    assert b"\r" not in data
    assert decode(one_byte_at_a_time(data.replace(b"\n", eol))) == decode([data])


def test_openai_chat_corpus_events_are_json_or_done(wire_corpus: Path) -> None:
    for path in sorted((wire_corpus / "openai_chat").glob("*.sse")):
        for event in decode([path.read_bytes()]):
            if event.data.strip() != "[DONE]":
                assert isinstance(json.loads(event.data), dict), path.name


def test_corpus_keep_alive_comments_and_event_lines_are_honoured(wire_corpus: Path) -> None:
    root = wire_corpus / "openai_chat"
    openrouter = decode(
        [(root / "openai_chat__compat_openrouter_comments_midstream_error.sse").read_bytes()]
    )
    assert all("OPENROUTER" not in event.data for event in openrouter)
    groq = decode(
        [(root / "openai_chat__compat_groq_event_error_tool_use_failed.sse").read_bytes()]
    )
    assert groq[-1].event == "error"
    assert all(event.event == "message" for event in groq[:-1])
