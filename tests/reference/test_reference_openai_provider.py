"""Smoke tests of OpenAICompatibleProvider against respx-mocked Chat Completions responses."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import respx

from reference_providers import (
    AuthError,
    Capabilities,
    ChatProvider,
    ErrorCategory,
    InvalidRequestError,
    InvalidResponseError,
    Message,
    OpenAICompatibleProvider,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ServerError,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)

BASE_URL = "http://test.local/v1"
ENDPOINT = f"{BASE_URL}/chat/completions"
API_KEY = "sk-test-DO-NOT-LEAK-0123456789"
MODEL = "gpt-4o-mini"
HELLO = [Message(role="user", content="Hello")]

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def make_provider(**kwargs: Any) -> OpenAICompatibleProvider:
    return OpenAICompatibleProvider(api_key=API_KEY, base_url=BASE_URL, **kwargs)


class ScriptedStream(httpx.AsyncByteStream):
    """A response body sent piece by piece, optionally pausing until the test lets it go on."""

    def __init__(
        self,
        pieces: Sequence[bytes],
        *,
        pause_after: int | None = None,
        fail_with: Exception | None = None,
    ) -> None:
        self.pieces = list(pieces)
        self.pause_after = pause_after
        self.fail_with = fail_with
        self.resume = asyncio.Event()
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            if self.pause_after is not None and self.sent == self.pause_after:
                await self.resume.wait()
            self.sent += 1
            yield piece
        if self.fail_with is not None:
            raise self.fail_with

    async def aclose(self) -> None:
        self.closed = True


def split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def sse(*payloads: Mapping[str, Any] | str, done: bool = True) -> bytes:
    frames = [p if isinstance(p, str) else json.dumps(p) for p in payloads]
    if done:
        frames.append("[DONE]")
    return "".join(f"data: {frame}\n\n" for frame in frames).encode()


def chunk(
    *,
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


USAGE_ONLY = {
    "id": "chatcmpl-1",
    "choices": [],
    "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
}


def completion(message: dict[str, Any], finish_reason: str, usage: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def sse_response(stream: httpx.AsyncByteStream, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": "text/event-stream"}, stream=stream)


async def collect(provider: OpenAICompatibleProvider, **kwargs: Any) -> list[StreamChunk]:
    return [item async for item in provider.stream(HELLO, model=MODEL, **kwargs)]


def sent_json(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- identity and lifecycle ----------------------------------------------------------------------


def test_identity_capabilities_and_protocol() -> None:
    provider = make_provider()
    assert isinstance(provider, ChatProvider)
    assert provider.name == "openai"
    assert provider.capabilities() == Capabilities()
    custom = make_provider(name="groq", capabilities=Capabilities(parallel_tool_calls=False))
    assert custom.name == "groq"
    assert custom.capabilities().parallel_tool_calls is False


def test_repr_shows_no_key() -> None:
    text = repr(make_provider())
    assert API_KEY not in text
    assert text == f"OpenAICompatibleProvider(name='openai', base_url='{BASE_URL}')"


def test_close_is_idempotent_and_the_context_manager_closes() -> None:
    async def scenario() -> None:
        provider = make_provider()
        await provider.close()
        await provider.close()
        async with make_provider() as entered:
            assert isinstance(entered, OpenAICompatibleProvider)
        with pytest.raises(ProviderError, match="closed"):
            await entered.chat(HELLO, model=MODEL)

    run(scenario)


# -- chat ----------------------------------------------------------------------------------------


@respx.mock
def test_chat_text_request_and_response() -> None:
    route = respx.post(ENDPOINT).respond(
        json=completion(
            {"role": "assistant", "content": "Hi there ✓"},
            "stop",
            {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
        )
    )

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL, temperature=0.2, max_tokens=50)

    response = run(scenario)
    assert response.content == "Hi there ✓"
    assert response.tool_calls == ()
    assert response.stop_reason == "stop"
    assert response.usage == Usage(5, 4, 9)
    assert response.model == MODEL
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert API_KEY not in str(request.url)
    assert API_KEY.encode() not in request.content
    assert sent_json(route) == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": False,
        "temperature": 0.2,
        "max_tokens": 50,
    }


@respx.mock
def test_chat_leaves_out_unset_parameters_and_null_content_is_empty() -> None:
    route = respx.post(ENDPOINT).respond(
        json=completion({"role": "assistant", "content": None}, "length")
    )

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL, tools=[])

    response = run(scenario)
    assert response.content == ""
    assert response.stop_reason == "length"
    assert response.usage is None
    assert sent_json(route) == {"model": MODEL, "messages": HELLO_WIRE, "stream": False}


HELLO_WIRE = [{"role": "user", "content": "Hello"}]


@respx.mock
def test_chat_tool_calls_and_tool_conversation_serialisation() -> None:
    route = respx.post(ENDPOINT).respond(
        json=completion(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": ""},
                    },
                ],
            },
            "tool_calls",
            {"prompt_tokens": 20, "completion_tokens": 10},
        )
    )
    weather = ToolDefinition(
        name="get_weather",
        description="Weather for a city",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
    history = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Weather in Oslo?"),
        Message(
            role="assistant",
            tool_calls=[ToolCall(id="call_0", name="get_weather", arguments={"city": "Bergen"})],
        ),
        Message(role="tool", tool_call_id="call_0", content="rain"),
    ]

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(history, model=MODEL, tools=[weather])

    response = run(scenario)
    assert response.tool_calls == (
        ToolCall(id="call_1", name="get_weather", arguments={"city": "Oslo"}),
        ToolCall(id="call_2", name="get_time", arguments={}),
    )
    assert response.stop_reason == "tool_calls"
    assert response.usage == Usage(20, 10, 30)
    body = sent_json(route)
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Bergen"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "rain"},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("content_filter", "content_filter"),
        ("end_turn", "end_turn"),
    ],
)
@respx.mock
def test_chat_stop_reasons(raw: str, canonical: str) -> None:
    respx.post(ENDPOINT).respond(json=completion({"role": "assistant", "content": "x"}, raw))

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    assert run(scenario).stop_reason == canonical


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>not json</html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"id": "x", "object": "chat.completion"}),
        httpx.Response(200, json={"choices": []}),
        httpx.Response(200, json={"choices": [{"index": 0}]}),
        httpx.Response(200, json={"choices": [{"message": {"content": 42}}]}),
        httpx.Response(200, json=completion({"content": "x"}, "stop", {"prompt_tokens": "9"})),
        httpx.Response(
            200,
            json=completion(
                {
                    "content": None,
                    "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": '{"broken'}}],
                },
                "tool_calls",
            ),
        ),
    ],
    ids=[
        "html",
        "array",
        "no-choices",
        "empty-choices",
        "no-message",
        "content-int",
        "bad-usage",
        "bad-tool-args",
    ],
)
@respx.mock
def test_chat_malformed_bodies_are_invalid_response(response: httpx.Response) -> None:
    respx.post(ENDPOINT).mock(return_value=response)

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(InvalidResponseError) as caught:
        run(scenario)
    assert caught.value.category is ErrorCategory.INVALID_RESPONSE
    assert caught.value.provider == "openai"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, InvalidRequestError), (401, AuthError), (429, RateLimitError), (503, ServerError)],
)
@respx.mock
def test_chat_http_errors(status: int, error_type: type[ProviderError]) -> None:
    respx.post(ENDPOINT).respond(
        status,
        headers={"retry-after": "3"},
        json={"error": {"message": f"the API says {status}", "type": "x"}},
    )

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(error_type) as caught:
        run(scenario)
    error = caught.value
    assert error.status_code == status
    assert error.provider == "openai"
    assert error.retry_after == 3.0
    assert f"the API says {status}" in error.message
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


@respx.mock
def test_chat_error_object_in_a_200_body_is_mapped() -> None:
    respx.post(ENDPOINT).respond(json={"error": {"message": "quota", "type": "rate_limit_error"}})

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(RateLimitError, match="quota"):
        run(scenario)


@pytest.mark.parametrize(
    ("exc", "error_type"),
    [
        (httpx.ConnectError("connection refused"), ProviderConnectionError),
        (httpx.RemoteProtocolError("peer closed"), ProviderConnectionError),
        (httpx.ReadTimeout("timed out"), ProviderTimeoutError),
    ],
)
@respx.mock
def test_chat_transport_errors(exc: httpx.HTTPError, error_type: type[ProviderError]) -> None:
    respx.post(ENDPOINT).mock(side_effect=exc)

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(error_type) as caught:
        run(scenario)
    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, type(exc))


@respx.mock
def test_an_echoed_key_is_redacted_from_error_messages() -> None:
    respx.post(ENDPOINT).respond(
        401, json={"error": {"message": f"Incorrect API key provided: {API_KEY}"}}
    )

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(AuthError) as caught:
        run(scenario)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)
    assert "Incorrect API key provided" in caught.value.message


@respx.mock
def test_default_headers_are_sent_but_cannot_replace_the_credentials() -> None:
    route = respx.post(ENDPOINT).respond(json=completion({"content": "x"}, "stop"))

    async def scenario() -> Any:
        provider = make_provider(default_headers={"X-Title": "suite", "authorization": "nope"})
        async with provider:
            return await provider.chat(HELLO, model=MODEL)

    run(scenario)
    headers = route.calls.last.request.headers
    assert headers["x-title"] == "suite"
    assert headers.get_list("authorization") == [f"Bearer {API_KEY}"]


@respx.mock
def test_without_a_key_no_authorization_header_is_sent() -> None:
    route = respx.post(ENDPOINT).respond(json=completion({"content": "x"}, "stop"))

    async def scenario() -> Any:
        async with OpenAICompatibleProvider(api_key="", base_url=BASE_URL) as provider:
            return await provider.chat(HELLO, model=MODEL)

    run(scenario)
    assert "authorization" not in route.calls.last.request.headers


def test_a_tool_message_without_its_call_id_is_an_invalid_request() -> None:
    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat([Message(role="tool", content="x")], model=MODEL)

    with pytest.raises(InvalidRequestError):
        run(scenario)


def test_an_unserialisable_request_is_an_invalid_request() -> None:
    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL, temperature=float("nan"))

    with pytest.raises(InvalidRequestError):
        run(scenario)


# -- stream --------------------------------------------------------------------------------------


@respx.mock
def test_stream_text_with_usage_only_chunk() -> None:
    body = sse(
        {"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        chunk(content="Hel"),
        chunk(content="lo ✓"),
        chunk(finish_reason="stop"),
        USAGE_ONLY,
    )
    route = respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream(split(body, 7))))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider, temperature=0.0)

    chunks = run(scenario)
    assert [c.content for c in chunks[:-1]] == ["Hel", "lo ✓"]
    assert not any(c.is_final for c in chunks[:-1])
    final = chunks[-1]
    assert final == StreamChunk(is_final=True, stop_reason="stop", usage=Usage(9, 3, 12))
    body_sent = sent_json(route)
    assert body_sent["stream"] is True
    assert body_sent["stream_options"] == {"include_usage": True}
    assert body_sent["temperature"] == 0.0
    assert "max_tokens" not in body_sent
    assert route.calls.last.request.headers["accept"] == "text/event-stream"


@respx.mock
def test_stream_delivers_text_before_the_server_finishes() -> None:
    body = [sse(chunk(content="first"), done=False), sse(chunk(finish_reason="stop"))]
    stream = ScriptedStream(body, pause_after=1)
    respx.post(ENDPOINT).mock(return_value=sse_response(stream))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            chunks = provider.stream(HELLO, model=MODEL)
            first = await anext(chunks)
            assert first.content == "first"
            assert stream.sent == 1, "the first chunk came before the rest was sent"
            stream.resume.set()
            return [first] + [c async for c in chunks]

    chunks = run(scenario)
    assert [c.is_final for c in chunks] == [False, True]


@respx.mock
def test_stream_tool_calls_arrive_once_on_the_final_chunk() -> None:
    body = sse(
        chunk(
            tool_calls=[
                {
                    "index": 0,
                    "id": "a",
                    "type": "function",
                    "function": {"name": "f", "arguments": ""},
                }
            ]
        ),
        chunk(
            tool_calls=[
                {
                    "index": 1,
                    "id": "b",
                    "type": "function",
                    "function": {"name": "g", "arguments": '{"y"'},
                }
            ]
        ),
        chunk(tool_calls=[{"index": 0, "id": None, "function": {"arguments": '{"x": 1}'}}]),
        chunk(tool_calls=[{"index": 1, "function": {"name": None, "arguments": ": 2}"}}]),
        chunk(finish_reason="tool_calls"),
        USAGE_ONLY,
    )
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream(split(body, 5))))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert len(chunks) == 1
    assert chunks[0].is_final
    assert chunks[0].stop_reason == "tool_calls"
    assert chunks[0].tool_calls == (
        ToolCall(id="a", name="f", arguments={"x": 1}),
        ToolCall(id="b", name="g", arguments={"y": 2}),
    )


@respx.mock
def test_stream_http_error_body_is_read_and_mapped() -> None:
    error = {
        "message": "Incorrect API key provided: sk-***",
        "type": "invalid_request_error",
        "code": "invalid_api_key",
    }
    error_body = json.dumps({"error": error})
    stream = ScriptedStream(split(error_body.encode(), 10))
    respx.post(ENDPOINT).mock(
        return_value=httpx.Response(
            401, headers={"content-type": "application/json"}, stream=stream
        )
    )

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(AuthError) as caught:
        run(scenario)
    assert caught.value.status_code == 401
    assert "Incorrect API key provided" in caught.value.message
    assert stream.closed


@respx.mock
def test_stream_leaving_early_closes_the_response() -> None:
    body = sse(chunk(content="a"), chunk(content="b"), chunk(finish_reason="stop"))
    stream = ScriptedStream(split(body, 20))
    respx.post(ENDPOINT).mock(return_value=sse_response(stream))

    async def scenario() -> None:
        async with make_provider() as provider:
            async with contextlib.aclosing(provider.stream(HELLO, model=MODEL)) as chunks:
                async for item in chunks:
                    assert item.content == "a"
                    break
            assert stream.closed

    run(scenario)


@respx.mock
def test_stream_cut_before_its_terminal_event_is_an_error() -> None:
    body = sse(chunk(content="partial"), done=False)
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body])))
    seen: list[str] = []

    async def scenario() -> None:
        async with make_provider() as provider:
            async for item in provider.stream(HELLO, model=MODEL):
                seen.append(item.content)

    with pytest.raises(ProviderError) as caught:
        run(scenario)
    assert caught.value.category is ErrorCategory.NETWORK
    assert caught.value.retryable is True
    assert "terminal event" in caught.value.message
    assert seen == ["partial"]


@respx.mock
def test_stream_cut_inside_an_event_is_an_error() -> None:
    body = sse(chunk(content="a"), chunk(finish_reason="stop"), done=False)
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body[:-1]])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderConnectionError):
        run(scenario)


@respx.mock
def test_stream_with_finish_reason_but_no_done_still_ends_well() -> None:
    body = sse(chunk(content="ok"), chunk(finish_reason="length"), done=False)
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert chunks[-1] == StreamChunk(is_final=True, stop_reason="length")


@respx.mock
def test_stream_empty_finish_reason_is_not_a_terminal_event() -> None:
    body = sse(chunk(content="a", finish_reason=""), done=False)
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderConnectionError):
        run(scenario)


@respx.mock
def test_stream_transport_failure_midway_is_a_connection_error() -> None:
    stream = ScriptedStream(
        [sse(chunk(content="a"), done=False)], fail_with=httpx.ReadError("connection reset")
    )
    respx.post(ENDPOINT).mock(return_value=sse_response(stream))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderConnectionError) as caught:
        run(scenario)
    assert isinstance(caught.value.__cause__, httpx.ReadError)


@pytest.mark.parametrize(
    ("body", "error_type", "status"),
    [
        (
            sse(chunk(content="a"), {"error": {"code": 400, "message": "Token limit reached"}}),
            InvalidRequestError,
            400,
        ),
        (
            b"event: error\n"
            b'data: {"error": {"message": "slow down", "type": "rate_limit_error"}}\n\n',
            RateLimitError,
            429,
        ),
        (b"event: error\ndata: upstream exploded\n\n", ServerError, None),
    ],
    ids=["error-field", "event-error", "event-error-text"],
)
@respx.mock
def test_stream_errors_inside_the_stream_map_like_http(
    body: bytes, error_type: type[ProviderError], status: int | None
) -> None:
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(error_type) as caught:
        run(scenario)
    assert caught.value.status_code == status


@pytest.mark.parametrize(
    "body",
    [
        b"data: {not json\n\n",
        b"data: [1, 2]\n\n",
        sse({"choices": {"index": 0}}),
        sse({"choices": [{"index": 0, "delta": {"content": 5}}]}),
        sse(
            chunk(
                tool_calls=[
                    {"index": 0, "id": "c", "function": {"name": "f", "arguments": "{oops"}}
                ]
            ),
            chunk(finish_reason="tool_calls"),
        ),
        sse(chunk(finish_reason="stop"), {"choices": [], "usage": {"prompt_tokens": 1}}),
    ],
    ids=["not-json", "not-object", "choices-object", "content-int", "bad-tool-args", "bad-usage"],
)
@respx.mock
def test_stream_malformed_events_are_invalid_response(body: bytes) -> None:
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(InvalidResponseError) as caught:
        run(scenario)
    assert caught.value.category is ErrorCategory.INVALID_RESPONSE


@respx.mock
def test_stream_ignores_unknown_event_types_and_comments() -> None:
    body = b": keep-alive\r\n\r\nevent: ping\r\ndata: {}\r\n\r\n" + sse(
        chunk(content="x"), chunk(finish_reason="stop")
    ).replace(b"data: ", b"data:")
    respx.post(ENDPOINT).mock(return_value=sse_response(ScriptedStream(split(body, 3))))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    assert [c.content for c in run(scenario)] == ["x", ""]


# -- stream: the recorded corpus -----------------------------------------------------------------


ERROR_FILES = {
    "openai_chat__compat_groq_event_error_tool_use_failed.sse": InvalidRequestError,
    "openai_chat__compat_openrouter_comments_midstream_error.sse": InvalidRequestError,
}


def expected_from_recording(data: bytes) -> tuple[str, str | None, Usage | None, list[str]]:
    """A deliberately naive reading of an LF-framed recording, as the test's oracle."""
    text, finish, usage, names = "", None, None, []
    for line in data.decode().split("\n"):
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        payload = json.loads(line[len("data: ") :])
        if payload.get("usage"):
            u = payload["usage"]
            usage = Usage(u["prompt_tokens"], u["completion_tokens"], u["total_tokens"])
        for choice in payload.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue
            text += choice["delta"].get("content") or ""
            finish = choice.get("finish_reason") or finish
            for call in choice["delta"].get("tool_calls") or []:
                if (call.get("function") or {}).get("name"):
                    names.append(call["function"]["name"])
    return text, finish, usage, names


@pytest.mark.corpus("openai_chat")
@respx.mock
def test_stream_replays_recorded_openai_chat_streams(corpus_file: Path) -> None:
    path = corpus_file
    data = path.read_bytes()
    stream = ScriptedStream(split(data, 5))
    respx.post(ENDPOINT).mock(return_value=sse_response(stream))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    if path.name in ERROR_FILES:
        with pytest.raises(ERROR_FILES[path.name]):
            run(scenario)
        return
    chunks = run(scenario)
    text, finish, usage, names = expected_from_recording(data)
    final = chunks[-1]
    assert [c.is_final for c in chunks].count(True) == 1
    assert final.is_final
    assert "".join(c.content for c in chunks) == text
    assert final.stop_reason == finish
    assert final.usage == usage
    assert [call.name for call in final.tool_calls] == names
    assert all(not c.tool_calls for c in chunks[:-1])
    assert stream.closed
