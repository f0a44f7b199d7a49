"""The openai-responses dialect and its reference provider, piece by piece.

The end-to-end checks (every scenario through the fake server, the known-bad providers, the
official SDK) live in tests/test_known_bad_openai_responses.py and
tests/test_official_openai_responses_client.py; here each rule is pinned on its own, so that a
change that breaks one says which.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jsonschema
import pytest
import respx

from conformance.dialects import get_dialect
from conformance.dialects.openai_responses import OpenAIResponsesDialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, Turn, WireOptions
from conformance.vocabulary.canonical import ChatMessage, ToolCall
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.wire import RecordedRequest
from reference_providers import (
    ChatProvider,
    ErrorCategory,
    InvalidResponseError,
    Message,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    ServerError,
    StreamChunk,
    ToolDefinition,
    Usage,
)
from reference_providers import ToolCall as ContractToolCall
from reference_providers.openai_responses import OpenAIResponsesProvider

DIALECT = OpenAIResponsesDialect()
SCENARIOS = bundled_scenarios()
BASE_URL = "http://test.local/v1"
ENDPOINT = f"{BASE_URL}/responses"
API_KEY = "sk-test-DO-NOT-LEAK-responses-0123456789"
MODEL = "gpt-4.1-mini"
HELLO = [Message(role="user", content="Hello")]

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def recorded(body: Mapping[str, Any] | bytes, *, path: str = "/v1/responses") -> RecordedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RecordedRequest(
        method="POST",
        target=path,
        path=path,
        headers=(("Content-Type", "application/json"), ("Authorization", "Bearer k")),
        body=raw,
        connection_id=1,
        sequence=1,
    )


@cache
def _schema() -> jsonschema.Draft202012Validator:
    path = schema_path("requests/openai-responses.request.schema.json")
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def schema_errors(body: Any) -> list[str]:
    return [error.message for error in _schema().iter_errors(body)]


# == the dialect ==================================================================================


def test_registered_under_its_name() -> None:
    assert isinstance(get_dialect("openai-responses"), OpenAIResponsesDialect)
    assert DIALECT.base_path == "/v1"
    assert DIALECT.corpus_folder == "openai_responses"


def test_endpoint_and_credentials() -> None:
    assert DIALECT.endpoint("POST", "/v1/responses") is not None
    assert DIALECT.endpoint("POST", "/v1/responses/") is not None
    assert DIALECT.endpoint("POST", "/v1/chat/completions") is None
    assert DIALECT.endpoint("GET", "/v1/responses") is None
    request = recorded({"model": "m", "input": "hi"})
    assert DIALECT.credentials_ok(request, "k")
    assert not DIALECT.credentials_ok(request, "other")


# -- requests ---------------------------------------------------------------------------------


def _tool_conversation_body() -> dict[str, Any]:
    return {
        "model": "m",
        "instructions": "Be terse.",
        "input": [
            {"role": "user", "content": "Rain in Lviv?"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Lviv"}',
            },
            {"type": "function_call", "call_id": "call_2", "name": "get_time", "arguments": ""},
            {"type": "function_call_output", "call_id": "call_1", "output": "rain"},
            {"type": "function_call_output", "call_id": "call_2", "output": "10:00"},
        ],
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather.",
                "parameters": {"type": "object"},
                "strict": False,
            }
        ],
        "temperature": 0.25,
        "max_output_tokens": 321,
        "stream": True,
    }


def test_a_tool_conversation_reads_back_canonically() -> None:
    body = _tool_conversation_body()
    assert schema_errors(body) == []
    parsed = DIALECT.parse_request(recorded(body))
    assert parsed.problems == ()
    assert (parsed.model, parsed.temperature, parsed.max_tokens, parsed.stream) == (
        "m",
        0.25,
        321,
        True,
    )
    assert parsed.system == "Be terse."
    assert parsed.messages == (
        ChatMessage("user", "Rain in Lviv?"),
        # Calls following an assistant message belong to it, as in a Chat Completions turn.
        ChatMessage(
            "assistant",
            "Checking.",
            tool_calls=(
                ToolCall("call_1", "get_weather", {"city": "Lviv"}),
                ToolCall("call_2", "get_time", {}),
            ),
        ),
        ChatMessage("tool", "rain", tool_call_id="call_1"),
        ChatMessage("tool", "10:00", tool_call_id="call_2"),
    )
    assert [(t.name, t.description) for t in parsed.tools] == [("get_weather", "Weather.")]


def test_a_string_input_is_one_user_message() -> None:
    parsed = DIALECT.parse_request(recorded({"model": "m", "input": "hi"}))
    assert parsed.messages == (ChatMessage("user", "hi"),)
    assert parsed.system is None


@pytest.mark.parametrize("role", ["system", "developer"])
def test_the_system_prompt_may_be_the_first_input_item(role: str) -> None:
    body = {
        "model": "m",
        "input": [{"role": role, "content": "S"}, {"role": "user", "content": "U"}],
    }
    parsed = DIALECT.parse_request(recorded(body))
    assert (parsed.system, parsed.problems) == ("S", ())
    assert parsed.messages == (ChatMessage("user", "U"),)


def test_a_system_prompt_elsewhere_or_twice_is_an_rq6_problem() -> None:
    late = {
        "model": "m",
        "input": [{"role": "user", "content": "U"}, {"role": "system", "content": "S"}],
    }
    parsed = DIALECT.parse_request(recorded(late))
    assert parsed.system is None
    assert [clause for clause, _ in parsed.problems] == ["RQ-6"]
    assert "input[1]" in parsed.problems[0][1]

    twice = {
        "model": "m",
        "instructions": "S",
        "input": [{"role": "developer", "content": "S"}, {"role": "user", "content": "U"}],
    }
    parsed = DIALECT.parse_request(recorded(twice))
    assert parsed.system == "S"
    assert parsed.problems == (
        (
            "RQ-6",
            "the system prompt is sent twice: in 'instructions' and as a developer message at "
            "input[0]",
        ),
    )

    anthropic = {"model": "m", "system": "S", "input": "U"}
    parsed = DIALECT.parse_request(recorded(anthropic))
    assert parsed.system is None
    assert "top-level 'system'" in parsed.problems[0][1]


def test_chat_completions_habits_are_named() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "U"}],
        "max_tokens": 5,
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    }
    parsed = DIALECT.parse_request(recorded(body))
    texts = [text for clause, text in parsed.problems if clause == "RQ-1"]
    assert any("'messages'" in t and "'input'" in t for t in texts), texts
    assert any("'max_tokens'" in t and "'max_output_tokens'" in t for t in texts), texts
    assert any("Chat Completions shape" in t for t in texts), texts
    assert parsed.max_tokens is None
    assert parsed.tools == ()
    assert schema_errors(body)  # no `input`, no top-level tool name


def test_a_function_call_without_call_id_is_named() -> None:
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "U"},
            {"type": "function_call", "id": "call_1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "x"},
        ],
    }
    parsed = DIALECT.parse_request(recorded(body))
    assert parsed.messages[1].tool_calls == (ToolCall("", "f", {}),)
    (problem,) = parsed.problems
    assert problem[0] == "RQ-1" and "without 'call_id'" in problem[1]
    errors = schema_errors(body)
    assert any("'call_id' is a required property" in e for e in errors), errors
    assert any("'^fc'" in e for e in errors), errors


@pytest.mark.parametrize(
    "item",
    [
        # Chat Completions shapes the Responses API rejects.
        {"role": "tool", "tool_call_id": "c", "content": "x"},
        {"role": "assistant", "content": [{"type": "input_text", "text": "x"}]},
        {"role": "user", "content": [{"type": "output_text", "text": "x"}]},
        {"role": "user", "content": [{"type": "text", "text": "x"}]},
        {"type": "function_call_output", "output": "x"},
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": {}},
    ],
)
def test_the_schema_rejects_what_the_api_rejects(item: dict[str, Any]) -> None:
    assert schema_errors({"model": "m", "input": [item]})


def test_a_body_that_is_not_an_object_is_rq1() -> None:
    parsed = DIALECT.parse_request(recorded(b"model=m"))
    assert parsed.problems == (("RQ-1", "the body is not a JSON object"),)


# -- rendering --------------------------------------------------------------------------------


def _request_for(scenario: Scenario, *, stream: bool) -> RecordedRequest:
    body: dict[str, Any] = {
        "model": scenario.request.model,
        "input": "x",
        "stream": stream,
        "instructions": scenario.request.system,
        "tools": [
            {"type": "function", "name": t.name, "parameters": dict(t.parameters), "strict": False}
            for t in scenario.request.tools
        ],
    }
    return recorded(body)


def _events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    return [(event, json.loads(data)) for event, data in sse_blocks(body)]


ANSWERS = sorted(name for name, s in SCENARIOS.items() if s.is_plain_answer)


@pytest.mark.parametrize("name", ANSWERS)
def test_the_oracle_reads_back_what_the_renderer_writes(name: str) -> None:
    """recording_reply(render_reply(s)) is s's reply: the two halves agree on the wire."""
    scenario = SCENARIOS[name]
    for turn, step in enumerate(scenario.turns):
        request = _request_for(scenario, stream=True)
        response = DIALECT.render_reply(scenario, turn, request, stream=True)
        reply = step.reply
        read = DIALECT.recording_reply(response.body)
        assert read.text == reply.text
        assert read.tool_calls == reply.tool_calls
        assert read.effective_stop_reason == reply.effective_stop_reason
        assert read.usage == reply.usage
        assert response.meta["usage_sent"] is (reply.usage is not None)


@pytest.mark.parametrize("name", ANSWERS)
def test_stream_events_are_typed_and_numbered(name: str) -> None:
    scenario = SCENARIOS[name]
    response = DIALECT.render_reply(scenario, 0, _request_for(scenario, stream=True), stream=True)
    events = _events(response.body)
    assert all(event == payload["type"] for event, payload in events)
    assert [payload["sequence_number"] for _, payload in events] == list(range(len(events)))
    kinds = [event for event, _ in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] in ("response.completed", "response.incomplete")
    assert kinds.count(kinds[-1]) == 1


def test_stop_reasons_become_status_and_incomplete_details() -> None:
    length = SCENARIOS["stop_length"]
    chat = DIALECT.render_reply(length, 0, _request_for(length, stream=False), stream=False)
    body = json.loads(chat.body)
    assert (body["status"], body["incomplete_details"]) == (
        "incomplete",
        {"reason": "max_output_tokens"},
    )
    assert body["output"][0]["status"] == "incomplete"
    streamed = DIALECT.render_reply(length, 0, _request_for(length, stream=True), stream=True)
    assert _events(streamed.body)[-1][0] == "response.incomplete"

    tools = SCENARIOS["tool_call_single"]
    body = json.loads(
        DIALECT.render_reply(tools, 0, _request_for(tools, stream=False), stream=False).body
    )
    assert body["status"] == "completed" and body["incomplete_details"] is None
    (call,) = body["output"]
    assert call["type"] == "function_call"
    assert call["call_id"] == "call_w1"
    assert call["id"].startswith("fc_") and call["id"] != call["call_id"]
    assert body["usage"]["input_tokens"] == 80


def test_the_response_echoes_the_request() -> None:
    scenario = SCENARIOS["text_plain"]
    body = {
        "model": "my-model",
        "input": "x",
        "instructions": "Be terse.",
        "temperature": 0.5,
        "max_output_tokens": 99,
        "tools": [{"type": "function", "name": "f", "parameters": {}, "strict": True}, "junk"],
    }
    response = json.loads(DIALECT.render_reply(scenario, 0, recorded(body), stream=False).body)
    assert response["model"] == "my-model"
    assert response["instructions"] == "Be terse."
    assert (response["temperature"], response["max_output_tokens"]) == (0.5, 99)
    assert response["tools"] == [
        {"type": "function", "name": "f", "description": None, "parameters": {}, "strict": True}
    ]


def test_argument_fragments_are_honoured() -> None:
    base = SCENARIOS["tool_call_single"]
    for count in (1, 4):
        scenario = replace(base, wire=WireOptions(argument_fragments=count))
        response = DIALECT.render_reply(
            scenario, 0, _request_for(scenario, stream=True), stream=True
        )
        deltas = [
            payload["delta"]
            for event, payload in _events(response.body)
            if event == "response.function_call_arguments.delta"
        ]
        assert len(deltas) == count
        assert json.loads("".join(deltas)) == {"city": "Paris", "unit": "celsius"}


def test_framing_options_are_honoured() -> None:
    base = SCENARIOS["text_plain"]
    wire = WireOptions(data_space=False, line_ending="crlf", comments=True, split_bytes=5)
    scenario = replace(base, wire=wire)
    response = DIALECT.render_reply(scenario, 0, _request_for(scenario, stream=True), stream=True)
    body = response.body
    assert b"data:{" in body and b"data: " not in body
    assert b"event:response.created\r\n" in body
    assert b": keep-alive\r\n" in body
    assert all(len(piece) <= 5 for piece in response.pieces)
    assert DIALECT.recording_reply(body).text == base.final_reply.text


def test_http_errors_have_the_platform_body() -> None:
    response = DIALECT.render_error(ErrorReply(429, "Slow down.", headers={"Retry-After": "7"}))
    assert response.status == 429
    body = json.loads(response.body)
    assert body == {
        "error": {
            "message": "Slow down.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    assert ("Retry-After", "7") in response.headers


@pytest.mark.parametrize(
    ("status", "code"), [(400, "invalid_prompt"), (429, "rate_limit_exceeded")]
)
def test_in_stream_failures_round_trip(status: int, code: str) -> None:
    scenario = replace(
        SCENARIOS["text_plain"],
        turns=(Turn(Reply(error=ErrorReply(status, "It broke.", in_stream=True))),),
    )
    streamed = DIALECT.render_reply(scenario, 0, _request_for(scenario, stream=True), stream=True)
    assert streamed.status == 200
    events = _events(streamed.body)
    assert [event for event, _ in events][-2:] == ["error", "response.failed"]
    assert events[-2][1]["code"] == code
    assert events[-1][1]["response"]["error"] == {"code": code, "message": "It broke."}
    assert DIALECT.recording_reply(streamed.body).error == ErrorReply(
        status, "It broke.", in_stream=True
    )
    # Without a stream there is no 200 to fail inside: the error is an HTTP error.
    chat = DIALECT.render_reply(scenario, 0, _request_for(scenario, stream=False), stream=False)
    assert chat.status == status


# -- the oracle on recorded traffic -----------------------------------------------------------


@pytest.mark.corpus("openai_responses")
def test_the_oracle_reads_every_recording(corpus_file: Path) -> None:
    reply = DIALECT.recording_reply(corpus_file.read_bytes())
    if reply.error is not None:
        assert reply.error.in_stream and reply.error.message
        return
    assert reply.stop_reason in ("stop", "length", "tool_calls")
    assert reply.usage is not None
    assert reply.text or reply.tool_calls
    for call in reply.tool_calls:
        assert call.id.startswith("call_"), call  # the call_id, never the item id


def test_the_oracle_on_known_recordings(wire_corpus: Path) -> None:
    folder = wire_corpus / "openai_responses"
    if not folder.is_dir():
        pytest.skip(f"no openai_responses recordings under {wire_corpus}")

    def read(name: str) -> Reply:
        return DIALECT.recording_reply((folder / f"openai_responses__{name}.sse").read_bytes())

    text = read("text_only")
    assert (text.text, text.stop_reason) == ("1, 2, 3", "stop")
    assert text.usage is not None and text.usage.total_tokens == 35
    commentary = read("phase_commentary_then_function_call")
    assert commentary.text.startswith("I’ll check")  # a message item, unlike reasoning
    assert [c.name for c in commentary.tool_calls] == ["get_capital"]
    deepseek = read("compat_deepseek_reasoning_text_function_call")
    assert deepseek.text == ""  # reasoning_text deltas are not answer text
    failed = read("error_event_then_response_failed")
    assert failed.error is not None and failed.error.status == 429  # insufficient_quota


# == the reference provider =======================================================================


def make_provider(**kwargs: Any) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(api_key=API_KEY, base_url=BASE_URL, **kwargs)


class ScriptedStream(httpx.AsyncByteStream):
    """A response body sent piece by piece, recording whether the client closed it."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece

    async def aclose(self) -> None:
        self.closed = True


def sse(*payloads: Mapping[str, Any], event_lines: bool = True) -> bytes:
    frames = []
    for payload in payloads:
        head = f"event: {payload['type']}\n" if event_lines else ""
        frames.append(f"{head}data: {json.dumps(payload)}\n\n")
    return "".join(frames).encode()


def response_object(status: str = "completed", **extra: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "status": status, "output": [], **extra}


USAGE = {"input_tokens": 9, "output_tokens": 3, "total_tokens": 12}
CREATED = {"type": "response.created", "response": response_object("in_progress")}
COMPLETED = {"type": "response.completed", "response": response_object(usage=USAGE)}


def text_delta(text: str) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "delta": text,
    }


def call_events(index: int, call_id: str, name: str, pieces: list[str]) -> list[dict[str, Any]]:
    item = {"type": "function_call", "id": f"fc_{index}", "call_id": call_id, "name": name}
    where = {"item_id": f"fc_{index}", "output_index": index}
    return [
        {
            "type": "response.output_item.added",
            "output_index": index,
            "item": {**item, "arguments": ""},
        },
        *({"type": "response.function_call_arguments.delta", **where, "delta": p} for p in pieces),
        {
            "type": "response.output_item.done",
            "output_index": index,
            "item": {**item, "arguments": "".join(pieces), "status": "completed"},
        },
    ]


def stream_with(body: bytes) -> tuple[respx.Route, ScriptedStream]:
    scripted = ScriptedStream([body[i : i + 7] for i in range(0, len(body), 7)])
    route = respx.post(ENDPOINT).mock(
        return_value=httpx.Response(
            200, headers={"content-type": "text/event-stream"}, stream=scripted
        )
    )
    return route, scripted


async def collect(provider: OpenAIResponsesProvider, **kwargs: Any) -> list[StreamChunk]:
    return [chunk async for chunk in provider.stream(HELLO, model=MODEL, **kwargs)]


def test_identity_and_repr() -> None:
    provider = make_provider()
    assert isinstance(provider, ChatProvider)
    assert provider.name == "openai-responses"
    assert API_KEY not in repr(provider)


@respx.mock
def test_the_request_is_a_responses_request() -> None:
    route = respx.post(ENDPOINT).respond(json=response_object(output=[], usage=USAGE))
    messages = [
        Message(role="system", content="Be terse."),
        Message(role="user", content="Weather?"),
        Message(
            role="assistant",
            tool_calls=(ContractToolCall("call_1", "get_weather", {"city": "Lviv"}),),
        ),
        Message(role="tool", content="rain", tool_call_id="call_1"),
    ]
    tools = [ToolDefinition("get_weather", "Weather.", {"type": "object"})]

    async def scenario() -> None:
        async with make_provider() as provider:
            await provider.chat(messages, model=MODEL, temperature=0.2, max_tokens=50, tools=tools)

    run(scenario)
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    body = json.loads(request.content)
    assert body == {
        "model": MODEL,
        "instructions": "Be terse.",
        "input": [
            {"role": "user", "content": "Weather?"},
            {
                "type": "function_call",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": '{"city":"Lviv"}',
            },
            {"type": "function_call_output", "call_id": "call_1", "output": "rain"},
        ],
        "stream": False,
        "temperature": 0.2,
        "max_output_tokens": 50,
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather.",
                "parameters": {"type": "object"},
                "strict": False,
            }
        ],
    }
    assert schema_errors(body) == []
    assert DIALECT.parse_request(recorded(request.content)).problems == ()


@respx.mock
def test_chat_reads_text_calls_stop_and_usage() -> None:
    output = [
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking ✓", "annotations": []}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "f",
            "arguments": '{"a": 1}',
        },
    ]
    respx.post(ENDPOINT).respond(json=response_object(output=output, usage=USAGE, model=MODEL))

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    response = run(scenario)
    assert response.content == "Checking ✓"
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("call_1", "f", {"a": 1})
    ]
    assert response.stop_reason == "tool_calls"
    assert response.usage == Usage(9, 3, 12)
    assert response.model == MODEL


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ({"reason": "max_output_tokens"}, "length"),
        ({"reason": "content_filter"}, "content_filter"),
        (None, "length"),
    ],
)
@respx.mock
def test_chat_incomplete_responses(details: Any, expected: str) -> None:
    respx.post(ENDPOINT).respond(json=response_object("incomplete", incomplete_details=details))

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    assert run(scenario).stop_reason == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<html>oops</html>",
        json.dumps({"object": "response", "status": "completed"}).encode(),  # no output
        json.dumps(response_object(status="in_progress")).encode(),
        json.dumps(
            response_object(
                output=[{"type": "function_call", "id": "fc_1", "name": "f", "arguments": "{}"}]
            )
        ).encode(),  # no call_id
        json.dumps(
            response_object(
                output=[
                    {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{oops"}
                ]
            )
        ).encode(),
        json.dumps(response_object(usage={"prompt_tokens": 1})).encode(),
    ],
)
@respx.mock
def test_malformed_responses_are_invalid_response_errors(body: bytes) -> None:
    respx.post(ENDPOINT).respond(content=body, headers={"content-type": "application/json"})

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(InvalidResponseError):
        run(scenario)


@respx.mock
def test_a_failed_response_body_is_its_error() -> None:
    failed = response_object(
        "failed", error={"code": "rate_limit_exceeded", "message": "Too many tokens."}
    )
    respx.post(ENDPOINT).respond(json=failed)

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(RateLimitError, match="Too many tokens") as raised:
        run(scenario)
    assert raised.value.status_code == 429 and raised.value.retryable


@respx.mock
def test_stream_text_calls_and_one_final_chunk() -> None:
    body = sse(
        CREATED,
        text_delta("Hel"),
        text_delta("lo ✓"),
        # A reasoning delta and an unknown event carry no answer text (ST-6).
        {"type": "response.reasoning_summary_text.delta", "delta": "thinking", "output_index": 0},
        {"type": "response.future_thing", "x": 1},
        *call_events(1, "call_a", "f", ['{"a"', ":1}"]),
        *call_events(2, "call_b", "g", []),
        COMPLETED,
    )
    route, scripted = stream_with(body)

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert json.loads(route.calls.last.request.content)["stream"] is True
    assert "".join(c.content for c in chunks) == "Hello ✓"
    assert [c.is_final for c in chunks].count(True) == 1 and chunks[-1].is_final
    final = chunks[-1]
    assert [(c.id, c.name, dict(c.arguments)) for c in final.tool_calls] == [
        ("call_a", "f", {"a": 1}),
        ("call_b", "g", {}),
    ]
    assert all(not c.tool_calls for c in chunks[:-1])
    assert (final.stop_reason, final.usage) == ("tool_calls", Usage(9, 3, 12))
    assert scripted.closed


@respx.mock
def test_stream_without_event_lines_or_item_done_events() -> None:
    """Compatible servers may drop `event:` lines and `output_item.done`; deltas still count."""
    events = call_events(0, "call_a", "f", ['{"a":', "2}"])[:-1]
    incomplete = {
        "type": "response.incomplete",
        "response": response_object(
            "incomplete", incomplete_details={"reason": "max_output_tokens"}
        ),
    }
    stream_with(sse(CREATED, *events, incomplete, event_lines=False) + b"data: [DONE]\n\n")

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    final = run(scenario)[-1]
    assert [(c.id, dict(c.arguments)) for c in final.tool_calls] == [("call_a", {"a": 2})]
    assert (final.stop_reason, final.usage) == ("length", None)


@pytest.mark.parametrize(
    ("failure", "error_type", "status"),
    [
        # The documented flat error event.
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "Slow.", "param": None},
            RateLimitError,
            429,
        ),
        # The nested shape, as recorded from api.openai.com.
        (
            {"type": "error", "error": {"type": "insufficient_quota", "message": "Slow."}},
            RateLimitError,
            429,
        ),
        # response.failed alone.
        (
            {
                "type": "response.failed",
                "response": response_object(
                    "failed", error={"code": "server_error", "message": "Slow."}
                ),
            },
            ServerError,
            500,
        ),
        (
            {
                "type": "response.failed",
                "response": response_object(
                    "failed", error={"code": "invalid_prompt", "message": "Slow."}
                ),
            },
            ProviderError,
            400,
        ),
    ],
)
@respx.mock
def test_er6_errors_inside_the_stream(
    failure: dict[str, Any], error_type: type[ProviderError], status: int
) -> None:
    stream_with(sse(CREATED, text_delta("Hi"), failure))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(error_type, match="Slow") as raised:
        run(scenario)
    assert raised.value.status_code == status
    assert raised.value.provider == "openai-responses"


@pytest.mark.parametrize(
    "body",
    [
        sse(CREATED, text_delta("Hi")),
        # The terminal event cut in the middle: an unfinished event is discarded.
        sse(CREATED, text_delta("Hi")) + sse(COMPLETED)[:-1],
    ],
)
@respx.mock
def test_er7_a_stream_without_its_terminal_event_is_an_error(body: bytes) -> None:
    stream_with(body)

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderConnectionError, match="terminal event") as raised:
        run(scenario)
    assert raised.value.category is ErrorCategory.NETWORK and raised.value.retryable


@respx.mock
def test_st7_leaving_early_closes_the_response() -> None:
    _, scripted = stream_with(sse(CREATED, text_delta("a"), text_delta("b"), COMPLETED))

    async def scenario() -> str:
        async with make_provider() as provider:
            chunks = provider.stream(HELLO, model=MODEL)
            async for chunk in chunks:
                await chunks.aclose()
                return chunk.content
        return ""

    assert run(scenario) == "a"
    assert scripted.closed


@respx.mock
def test_http_errors_in_stream_and_chat_alike() -> None:
    error = {"error": {"message": "Bad key sk-test-DO-NOT-LEAK-responses-0123456789", "type": "x"}}
    respx.post(ENDPOINT).respond(401, json=error)

    async def chat() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    async def stream() -> Any:
        async with make_provider() as provider:
            return await collect(provider)

    for call in (chat, stream):
        with pytest.raises(ProviderError) as raised:
            run(call)
        assert raised.value.category is ErrorCategory.AUTH
        assert raised.value.status_code == 401
        assert API_KEY not in str(raised.value)  # SE-1: the echoed key is redacted
        assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)


@pytest.mark.corpus("openai_responses")
@respx.mock
def test_the_provider_reads_every_recording_as_the_oracle_does(corpus_file: Path) -> None:
    body = corpus_file.read_bytes()
    expected = DIALECT.recording_reply(body)
    stream_with(body)

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    if expected.error is not None:
        with pytest.raises(ProviderError) as raised:
            run(scenario)
        assert raised.value.status_code == expected.error.status
        assert expected.error.message in raised.value.message
        return
    chunks = run(scenario)
    final = chunks[-1]
    assert "".join(c.content for c in chunks) == expected.text
    assert [(c.id, c.name, dict(c.arguments)) for c in final.tool_calls] == [
        (c.id, c.name, dict(c.arguments)) for c in expected.tool_calls
    ]
    assert final.stop_reason == expected.stop_reason
    assert expected.usage is not None and final.usage == Usage(
        expected.usage.prompt_tokens, expected.usage.completion_tokens, expected.usage.total_tokens
    )
