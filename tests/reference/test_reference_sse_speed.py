"""The shortcuts the stream readers take for speed give what the plain way gives (issue #14)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import pickle
from collections.abc import AsyncIterator

import httpx
import pytest

from reference_providers.contract import Message, StreamChunk, text_chunk
from reference_providers.errors import ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.sse import ServerSentEvent, SSEDecoder
from reference_providers.stream_reading import loads


def test_text_chunk_is_the_chunk_the_constructor_makes() -> None:
    made, built = text_chunk("héllo"), StreamChunk(content="héllo")
    assert made == built and hash(made) == hash(built) and repr(made) == repr(built)
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    assert dataclasses.replace(made, is_final=True) == dataclasses.replace(built, is_final=True)
    assert pickle.loads(pickle.dumps(made)) == built
    # text_chunk stores only the content: every other field must read a default from the class.
    for f in dataclasses.fields(StreamChunk):
        assert f.default is not dataclasses.MISSING, f.name
        assert getattr(StreamChunk, f.name) == f.default, f.name


@pytest.mark.parametrize(
    "text",
    ['{"a": [1, 2.5, null, true]}', '"x"', "[]", "NaN", '{"k": "\\u00e9"}', "0"],
)
def test_loads_reads_what_json_loads_reads(text: str) -> None:
    assert json.dumps(loads(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", ["", "{", '{"a": 1}x', '{"a": 1} {"b": 2}', "nope", "'x'"])
def test_loads_rejects_what_json_loads_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_events_split_across_reads_and_line_ends_come_whole() -> None:
    body = b'data: {"a": 1}\r\n\r\ndata:{"b":\ndata: 2}\r\rdata: x\n\n'
    expected = [
        ServerSentEvent("message", '{"a": 1}'),
        ServerSentEvent("message", '{"b":\n2}'),
        ServerSentEvent("message", "x"),
    ]
    for cut in range(len(body) + 1):
        decoder = SSEDecoder()
        events = decoder.feed(body[:cut]) + decoder.feed(body[cut:]) + decoder.flush()
        assert events == expected, cut


def _stream(body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})

    return httpx.MockTransport(handler)


def _read(provider: OpenAICompatibleProvider, body: bytes) -> list[StreamChunk]:
    async def main() -> list[StreamChunk]:
        provider._http = httpx.AsyncClient(transport=_stream(body))
        async with provider:
            return [c async for c in provider.stream([Message("user", "hi")], model="m")]

    return asyncio.run(main())


_BODY = (
    b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def test_an_override_of_iter_events_is_what_the_stream_reads() -> None:
    """The batched path must not bypass a subclass that cuts the events itself."""

    class Doubled(OpenAICompatibleProvider):
        async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
            async for event in super()._iter_events(response):
                if event.data.startswith("{"):
                    yield event
                yield event

    plain = _read(OpenAICompatibleProvider(api_key="k", base_url="http://x"), _BODY)
    doubled = _read(Doubled(api_key="k", base_url="http://x"), _BODY)
    assert [c.content for c in plain] == ["a", "b", ""]
    assert [c.content for c in doubled] == ["a", "a", "b", "b", ""]


def test_text_before_a_failing_event_of_the_same_read_comes_before_the_error() -> None:
    """One read holds the text and the error; the text must still reach the caller first."""
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        b'data: {"error":{"message":"overloaded","type":"server_error","code":503}}\n\n'
    )
    seen: list[str] = []

    async def main() -> None:
        provider = OpenAICompatibleProvider(api_key="k", base_url="http://x")
        provider._http = httpx.AsyncClient(transport=_stream(body))
        async with provider:
            async for chunk in provider.stream([Message("user", "hi")], model="m"):
                seen.append(chunk.content)

    with pytest.raises(ProviderError):
        asyncio.run(main())
    assert seen == ["a"]


class _LineByLine(SSEDecoder):
    """The decoder with its quick paths for the usual event turned off: the standard's way."""

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._awaiting_bom:
            self._awaiting_bom = False
            text = text.removeprefix("\ufeff")
        if self._skip_lf:
            self._skip_lf = False
            text = text.removeprefix("\n")
        return self._feed_lines(text) if text else []


#: Quick blocks between every kind of block the quick path must leave to the line-by-line one.
_MIXED = (
    b"\xef\xbb\xbfdata: a\n\n"
    b"data:b\n\n"
    b"data: \n\n"
    b"data:\n\n"
    b": comment\n\n"
    b"id: 7\ndata: c\n\n"
    b"data: d\n\n"
    b"event: error\ndata: e\n\n"
    b"retry: 10\ndata: f\n\n"
    b"data: g\ndata: h\n\n"
    b"\n\n\n"
    b"data:  i\n\n"
    b"id\n\ndata: j\n\n"
    b"data: k\n"
    b"id: 8\n\n"
    b"data: l\n\n"
    b"data: cut off"
)


def test_quick_blocks_give_the_events_the_lines_give_at_every_cut() -> None:
    expected = _LineByLine().feed(_MIXED)
    assert [e.data for e in expected][:4] == ["a", "b", "", ""]
    for first in range(len(_MIXED) + 1):
        for second in (first, min(first + 9, len(_MIXED))):
            quick, lines = SSEDecoder(), _LineByLine()
            got, want = [], []
            for piece in (_MIXED[:first], _MIXED[first:second], _MIXED[second:]):
                got += quick.feed(piece)
                want += lines.feed(piece)
            got += quick.flush()
            want += lines.flush()
            assert got == want == expected, (first, second)
            assert quick.last_event_id == lines.last_event_id == "8"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"choices": }', "stream event is not JSON"),
        (b'{"choices" []}', "stream event is not JSON"),
        (b'{"choices": "\\x"}', "stream event is not JSON"),
        (b'{"choices": []} {"x": 1}', "stream event is not JSON"),
        (b"[1, 2]", "stream event is not a JSON object"),
        (b'"text"', "stream event is not a JSON object"),
        (b"nope", "stream event is not JSON"),
    ],
)
def test_an_event_that_is_not_a_json_object_is_a_malformed_answer(
    data: bytes, message: str
) -> None:
    """The quick scan of an event's JSON leaves every other event to the checks it had."""
    body = b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: ' + data + b"\n\n"
    with pytest.raises(ProviderError) as caught:
        _read(OpenAICompatibleProvider(api_key="k", base_url="http://x"), body)
    assert message in str(caught.value)


def test_an_error_event_whose_data_is_not_json_is_still_an_error() -> None:
    body = b"event: error\ndata: upstream overloaded\n\n"
    with pytest.raises(ProviderError) as caught:
        _read(OpenAICompatibleProvider(api_key="k", base_url="http://x"), body)
    assert "upstream overloaded" in str(caught.value)
    assert "not JSON" not in str(caught.value)
