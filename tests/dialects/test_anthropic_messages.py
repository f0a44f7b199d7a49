"""The anthropic-messages dialect (rendering, request reading, the corpus oracle) and its reference
provider, checked piece by piece on hand-written bodies and the bundled scenarios.

The end-to-end judgement (every clause on every scenario) lives in tests/test_known_bad_anthropic.py
and the SDK witness in tests/test_official_anthropic_client.py; here each rule of the wire gets a
test of its own, so a regression names the rule it broke.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.dialects import get_dialect
from conformance.dialects.anthropic_messages import ERROR_TYPES, AnthropicMessagesDialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import fragments
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Turn
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, ToolCall, Usage
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.wire import RecordedRequest
from reference_providers import (
    ErrorCategory,
    InvalidResponseError,
    Message,
    ProviderConnectionError,
    ProviderError,
    StreamChunk,
    ToolDefinition,
)
from reference_providers import ToolCall as NativeToolCall
from reference_providers.anthropic_messages import AnthropicProvider

DIALECT = AnthropicMessagesDialect()
SCENARIOS = bundled_scenarios()
ANSWERING = sorted(name for name, s in SCENARIOS.items() if not s.is_error)
KEY = "fake-anthropic-key-DO-NOT-LEAK-0123456789"
HELLO = [Message(role="user", content="Hello")]


# -- helpers -------------------------------------------------------------------------------------


def request(
    body: Any,
    *,
    headers: dict[str, str | None] | None = None,
    method: str = "POST",
    path: str = "/v1/messages",
) -> RecordedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent: dict[str, str | None] = {
        "content-type": "application/json",
        "x-api-key": KEY,
        "anthropic-version": "2023-06-01",
    }
    sent.update(headers or {})
    return RecordedRequest(
        method=method,
        target=path,
        path=path,
        headers=tuple((k, v) for k, v in sent.items() if v is not None),
        body=raw,
        connection_id=1,
        sequence=1,
    )


def minimal_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "conformance-model-1",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hi"}],
        **extra,
    }


def events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    return [(event, json.loads(data)) for event, data in sse_blocks(body)]


def sse(*payloads: dict[str, Any], terminated: bool = True) -> bytes:
    """A hand-written stream: each payload as `event: <type>` and `data: <json>`."""
    text = "".join(f"event: {p['type']}\ndata: {json.dumps(p)}\n\n" for p in payloads)
    return (text if terminated else text.rstrip("\n")).encode()


def start(input_tokens: int = 10) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "m",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1},
        },
    }


def text_block(index: int, *parts: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": "text", "text": ""},
        },
        *(
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "text_delta", "text": t},
            }
            for t in parts
        ),
        {"type": "content_block_stop", "index": index},
    ]


def tool_block(
    index: int, call_id: str, name: str, *parts: str, kind: str = "tool_use", close: bool = True
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "type": "content_block_start",
            "index": index,
            "content_block": {"type": kind, "id": call_id, "name": name, "input": {}},
        },
        *(
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": p},
            }
            for p in parts
        ),
    ]
    if close:
        out.append({"type": "content_block_stop", "index": index})
    return out


def delta(stop_reason: str, output_tokens: int = 7) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None},
        "usage": {"output_tokens": output_tokens},
    }


STOP = {"type": "message_stop"}
PING = {"type": "ping"}


# -- registry and endpoint -----------------------------------------------------------------------


def test_registered_by_name() -> None:
    dialect = get_dialect("anthropic-messages")
    assert isinstance(dialect, AnthropicMessagesDialect)
    assert dialect.base_path == ""
    assert dialect.corpus_folder == "anthropic"


def test_endpoint_is_post_v1_messages() -> None:
    assert DIALECT.endpoint("POST", "/v1/messages") is not None
    assert DIALECT.endpoint("GET", "/v1/messages") is None
    assert DIALECT.endpoint("POST", "/v1/chat/completions") is None


def test_credentials_in_x_api_key_or_bearer() -> None:
    assert DIALECT.credentials_ok(request(minimal_body()), KEY)
    bearer = request(minimal_body(), headers={"x-api-key": None, "authorization": f"Bearer {KEY}"})
    assert DIALECT.credentials_ok(bearer, KEY)
    assert not DIALECT.credentials_ok(request(minimal_body(), headers={"x-api-key": "other"}), KEY)
    query = request(minimal_body(), headers={"x-api-key": None}, path=f"/v1/messages?key={KEY}")
    assert not DIALECT.credentials_ok(query, KEY)


def test_wire_usage_total_is_the_sum() -> None:
    assert DIALECT.wire_usage(Usage(1234, 56, 1300)) == Usage(1234, 56, 1290)


# -- rendering -----------------------------------------------------------------------------------


def rendered(name: str, *, stream: bool, turn: int = -1) -> bytes:
    scenario = SCENARIOS[name]
    index = turn % len(scenario.turns)
    return DIALECT.render_reply(scenario, index, request(minimal_body()), stream=stream).body


@pytest.mark.parametrize("name", [n for n in ANSWERING if "stream" in SCENARIOS[n].modes])
def test_stream_events_are_typed_and_pinged(name: str) -> None:
    seen = events(rendered(name, stream=True))
    assert all(event == payload["type"] for event, payload in seen), seen
    kinds = [payload["type"] for _, payload in seen]
    assert kinds[0] == "message_start" and kinds[-2:] == ["message_delta", "message_stop"]
    assert "ping" in kinds, "the real API pings in every stream"
    opened: dict[int, str] = {}
    first_fragment: dict[int, str] = {}
    for _, payload in seen:
        if payload["type"] == "content_block_start":
            block = payload["content_block"]
            opened[payload["index"]] = block["type"]
            if block["type"] == "tool_use":
                assert block["input"] == {}, "tool input always starts as {}"
        elif payload["type"] == "content_block_delta" and "partial_json" in payload["delta"]:
            first_fragment.setdefault(payload["index"], payload["delta"]["partial_json"])
    assert all(first_fragment[i] == "" for i, kind in opened.items() if kind == "tool_use")


@pytest.mark.parametrize("name", ANSWERING)
def test_rendered_streams_read_back_through_the_oracle(name: str) -> None:
    """Rendering and the corpus oracle agree, so recordings and scenarios mean the same."""
    scenario = SCENARIOS[name]
    for turn, step in enumerate(scenario.turns):
        reply = step.reply
        body = DIALECT.render_reply(scenario, turn, request(minimal_body()), stream=True).body
        read = DIALECT.recording_reply(body)
        assert read.text == reply.text
        assert read.tool_calls == reply.tool_calls
        assert read.effective_stop_reason == reply.effective_stop_reason
        want = DIALECT.wire_usage(reply.usage) if reply.usage else Usage(0, 0, 0)
        assert read.usage == want


def test_argument_fragments_are_honoured() -> None:
    scenario = SCENARIOS["tool_call_null_continuations"]
    assert scenario.wire.argument_fragments == 5
    seen = events(rendered("tool_call_null_continuations", stream=True))
    for position, call in enumerate(scenario.final_reply.tool_calls, start=1):
        pieces = [
            p["delta"]["partial_json"]
            for _, p in seen
            if p["type"] == "content_block_delta" and p["index"] == position
        ]
        arguments = json.dumps(dict(call.arguments), ensure_ascii=False)
        assert pieces == ["", *fragments(arguments, 5)]


def test_empty_input_streams_one_empty_fragment() -> None:
    seen = events(rendered("tool_call_no_arguments", stream=True))
    pieces = [p["delta"] for _, p in seen if p["type"] == "content_block_delta"]
    assert pieces == [{"type": "input_json_delta", "partial_json": ""}]


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("text_plain", "end_turn"),
        ("stop_length", "max_tokens"),
        ("tool_call_single", "tool_use"),
    ],
)
def test_stop_reasons_in_the_api_words(name: str, word: str) -> None:
    assert json.loads(rendered(name, stream=False))["stop_reason"] == word
    (last_delta,) = [
        p for _, p in events(rendered(name, stream=True)) if p["type"] == "message_delta"
    ]
    assert last_delta["delta"]["stop_reason"] == word


def test_usage_split_between_message_start_and_message_delta() -> None:
    seen = dict((p["type"], p) for _, p in events(rendered("usage_reporting", stream=True)))
    assert seen["message_start"]["message"]["usage"]["input_tokens"] == 1234
    assert seen["message_start"]["message"]["usage"]["output_tokens"] == 1  # provisional
    assert seen["message_delta"]["usage"] == {"output_tokens": 56}
    body = json.loads(rendered("usage_reporting", stream=False))
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (1234, 56)
    assert "total_tokens" not in body["usage"]


def test_chat_body_has_text_then_tool_use_blocks() -> None:
    body = json.loads(rendered("tool_call_null_continuations", stream=False))
    assert body["type"] == "message" and body["role"] == "assistant"
    assert [block["type"] for block in body["content"]] == ["text", "tool_use", "tool_use"]
    assert body["content"][1] == {
        "type": "tool_use",
        "id": "call_n1",
        "name": "get_weather",
        "input": {"city": "Paris", "unit": "celsius"},
    }


def test_wire_options_reach_the_bytes() -> None:
    body = rendered("text_compact_framing", stream=True)
    assert b"data:{" in body and b"data: {" not in body
    assert b"event:message_start" in body


def test_missing_version_header_is_answered_400() -> None:
    no_version = request(minimal_body(), headers={"anthropic-version": None})
    response = DIALECT.render_reply(SCENARIOS["text_plain"], 0, no_version, stream=False)
    assert response.status == 400
    error = json.loads(response.body)["error"]
    assert error == {
        "type": "invalid_request_error",
        "message": "anthropic-version: header is required",
    }
    problems = DIALECT.parse_request(no_version).problems
    assert any(clause == "RQ-1" and "anthropic-version" in text for clause, text in problems)


def test_missing_max_tokens_is_answered_400() -> None:
    body = minimal_body()
    del body["max_tokens"]
    response = DIALECT.render_reply(SCENARIOS["text_plain"], 0, request(body), stream=True)
    assert response.status == 400
    assert json.loads(response.body)["error"]["message"] == "max_tokens: Field required"


@pytest.mark.parametrize("status", sorted({*ERROR_TYPES, 408, 422, 502, 503}))
def test_error_bodies_have_the_api_shape(status: int) -> None:
    response = DIALECT.render_error(
        ErrorReply(status, "Something failed", headers={"Retry-After": "7"})
    )
    assert response.status == status
    body = json.loads(response.body)
    expected_type = ERROR_TYPES.get(
        status, "invalid_request_error" if status < 500 else "api_error"
    )
    assert body["type"] == "error"
    assert body["error"] == {"type": expected_type, "message": "Something failed"}
    headers = dict(response.headers)
    assert headers["request-id"] == body["request_id"]
    assert headers["Retry-After"] == "7"


def in_stream_error_scenario(*parts: str) -> Scenario:
    return Scenario(
        name="overloaded_mid_answer",
        title="overloaded mid-answer",
        modes=("stream",),
        request=RequestSpec(messages=(ChatMessage("user", "Hi"),)),
        turns=(Turn(Reply(text_parts=parts, error=ErrorReply(529, "Overloaded", in_stream=True))),),
    )


def test_in_stream_error_follows_the_partial_answer() -> None:
    scenario = in_stream_error_scenario("It is", " sunny")
    response = DIALECT.render_reply(scenario, 0, request(minimal_body(stream=True)), stream=True)
    assert response.status == 200
    seen = events(response.body)
    assert seen[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    assert "message_stop" not in [p["type"] for _, p in seen]
    read = DIALECT.recording_reply(response.body)
    assert read.error == ErrorReply(529, "Overloaded", in_stream=True)
    # Asked without streaming, the same failure is the plain HTTP error.
    chat = DIALECT.render_reply(scenario, 0, request(minimal_body()), stream=False)
    assert chat.status == 529


# -- reading requests ----------------------------------------------------------------------------


def conversation_body() -> dict[str, Any]:
    return minimal_body(
        system=[{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Use tools."}],
        temperature=0.25,
        stream=True,
        tools=[
            {"name": "get_weather", "description": "Weather.", "input_schema": {"type": "object"}},
            {"type": "web_search_20250305", "name": "web_search"},
        ],
        messages=[
            {"role": "user", "content": "Rain in Lviv?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Checking."},
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "get_weather",
                        "input": {"city": "Lviv"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "light rain"},
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
    )


def test_parse_request_reads_a_tool_conversation() -> None:
    parsed = DIALECT.parse_request(request(conversation_body()))
    assert parsed.problems == ()
    assert (parsed.model, parsed.temperature, parsed.max_tokens, parsed.stream) == (
        "conformance-model-1",
        0.25,
        100,
        True,
    )
    assert parsed.system == "Be terse.\nUse tools."
    assert parsed.messages == (
        ChatMessage("user", "Rain in Lviv?"),
        ChatMessage(
            "assistant",
            "Checking.",
            tool_calls=(ToolCall("toolu_1", "get_weather", {"city": "Lviv"}),),
        ),
        ChatMessage("tool", "light rain", tool_call_id="toolu_1"),
        ChatMessage("user", "And tomorrow?"),
    )
    assert [tool.name for tool in parsed.tools] == ["get_weather"]  # server tools are not ours


def test_parse_request_flags_a_system_message() -> None:
    body = minimal_body(
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}]
    )
    parsed = DIALECT.parse_request(request(body))
    assert parsed.system is None
    assert [clause for clause, _ in parsed.problems] == ["RQ-6"]


def test_parse_request_flags_a_result_for_a_call_not_just_made() -> None:
    body = conversation_body()
    body["messages"][2]["content"][0]["tool_use_id"] = "toolu_other"
    problems = DIALECT.parse_request(request(body)).problems
    assert [clause for clause, _ in problems] == ["RQ-5"]


def test_parse_request_of_a_non_object_body() -> None:
    parsed = DIALECT.parse_request(request(b"model=x"))
    assert ("RQ-1", "the body is not a JSON object") in parsed.problems


@pytest.fixture(scope="module")
def schema() -> jsonschema.Draft202012Validator:
    raw = json.loads(schema_path(f"requests/{DIALECT.request_schema}").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(raw)
    return jsonschema.Draft202012Validator(raw)


def test_schema_accepts_a_full_conversation(schema: jsonschema.Draft202012Validator) -> None:
    assert list(schema.iter_errors(conversation_body())) == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"max_tokens": None}, "max_tokens is required"),
        ({"stream_options": {"include_usage": True}}, "an OpenAI field the API rejects"),
        ({"temperature": 1.5}, "temperature is 0..1"),
        ({"messages": [{"role": "system", "content": "x"}]}, "no system role"),
        (
            {"messages": [{"role": "assistant", "content": [{"type": "text", "text": ""}]}]},
            "empty text",
        ),
        ({"tools": [{"name": "f", "description": "d"}]}, "a custom tool needs input_schema"),
    ],
)
def test_schema_rejects(
    schema: jsonschema.Draft202012Validator, change: dict[str, Any], why: str
) -> None:
    body = conversation_body()
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    assert list(schema.iter_errors(body)), why


# -- the oracle ----------------------------------------------------------------------------------


def test_oracle_reads_input_from_fragments_only() -> None:
    call = tool_block(1, "toolu_a", "get_weather", "", '{"city":', ' "Paris"}')
    call.insert(3, PING)  # a ping between two input fragments, as the API sends them
    body = sse(
        start(), PING, *text_block(0, "Let me ", "check."), *call, delta("tool_use", 30), STOP
    )
    read = DIALECT.recording_reply(body)
    assert read.text == "Let me check."
    assert read.tool_calls == (ToolCall("toolu_a", "get_weather", {"city": "Paris"}),)
    assert read.stop_reason == "tool_calls"
    assert read.usage == Usage(10, 30, 40)


def test_oracle_drops_an_unclosed_call_and_ignores_server_tools_and_thinking() -> None:
    body = sse(
        start(),
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Hmm"},
        },
        {"type": "content_block_stop", "index": 0},
        *tool_block(1, "srvtoolu_1", "web_search", '{"q": "x"}', kind="server_tool_use"),
        *text_block(2, "Done"),
        *tool_block(3, "toolu_cut", "make_file", "", '{"name": "tax', close=False),
        delta("max_tokens"),
        STOP,
        terminated=False,
    )
    read = DIALECT.recording_reply(body)
    assert (read.text, read.tool_calls, read.stop_reason) == ("Done", (), "length")


@pytest.mark.parametrize(
    ("error_type", "status"),
    [("overloaded_error", 529), ("api_error", 500), ("rate_limit_error", 429)],
)
def test_oracle_reads_an_error_event(error_type: str, status: int) -> None:
    body = sse(
        start(),
        *text_block(0, "Part"),
        {"type": "error", "error": {"type": error_type, "message": "m"}},
    )
    assert DIALECT.recording_reply(body).error == ErrorReply(status, "m", in_stream=True)


@pytest.mark.corpus("anthropic")
def test_oracle_reads_every_recording(corpus_file: Path) -> None:
    read = DIALECT.recording_reply(corpus_file.read_bytes())
    assert read.error is None
    assert read.stop_reason in ("stop", "length", "tool_calls")
    assert read.usage is not None and read.usage.prompt_tokens > 0
    if corpus_file.name == "anthropic__max_tokens_mid_tool_use_no_block_stop.sse":
        assert (read.tool_calls, read.stop_reason) == ((), "length")
        assert read.text
    if corpus_file.name == "anthropic__tool_use_empty_input.sse":
        assert [dict(call.arguments) for call in read.tool_calls] == [{}]
    if "server_tool_use" in corpus_file.name or "code_execution" in corpus_file.name:
        assert read.tool_calls == ()


# -- the reference provider ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def replaying(body: bytes) -> Scenario:
    return Scenario(
        name="hand_written",
        title="a hand-written stream",
        modes=("stream",),
        request=RequestSpec(messages=(ChatMessage("user", "Hello"),)),
        turns=(Turn(Reply(recorded=body)),),
    )


def collect(server: FakeServer, scenario: Scenario, **stream_kwargs: Any) -> list[StreamChunk]:
    async def main() -> list[StreamChunk]:
        with server.session(scenario, DIALECT, KEY) as session:
            async with AnthropicProvider(api_key=KEY, base_url=session.base_url, timeout=3.0) as p:
                return [chunk async for chunk in p.stream(HELLO, model="m", **stream_kwargs)]

    return asyncio.run(main())


def stream_error(server: FakeServer, body: bytes) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        collect(server, replaying(body))
    assert KEY not in str(raised.value)
    return raised.value


def test_request_shape_for_a_tool_conversation(server: FakeServer) -> None:
    scenario = SCENARIOS["tool_conversation"]
    messages = [
        Message(
            role=m.role,
            content=m.content,
            tool_calls=[NativeToolCall(c.id, c.name, dict(c.arguments)) for c in m.tool_calls],
            tool_call_id=m.tool_call_id,
        )
        for m in scenario.messages_for_turn(1)
    ]

    async def main() -> RecordedRequest:
        with server.session(scenario, DIALECT, KEY) as session:
            session.next_turn()  # play turn 1
            async with AnthropicProvider(api_key=KEY, base_url=session.base_url, timeout=3.0) as p:
                tools = [
                    ToolDefinition(t.name, t.description, dict(t.parameters))
                    for t in scenario.request.tools
                ]
                await p.chat(messages, model="m", temperature=0.5, max_tokens=None, tools=tools)
            return session.snapshot()[0].request

    sent = asyncio.run(main())
    assert sent.header("x-api-key") == KEY and sent.header("anthropic-version") == "2023-06-01"
    assert sent.header("authorization") is None
    body = sent.json()
    assert body["system"] == scenario.request.system
    assert body["max_tokens"] == AnthropicProvider.default_max_tokens
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "call_conv_1", "name": "get_weather", "input": {"city": "Lviv"}}
    ]
    assert body["messages"][2]["content"][0]["type"] == "tool_result"
    assert body["messages"][2]["content"][0]["tool_use_id"] == "call_conv_1"
    assert body["tools"][0]["input_schema"] == dict(scenario.request.tools[0].parameters)
    assert DIALECT.parse_request(sent).problems == ()


def test_pings_and_unknown_events_are_ignored(server: FakeServer) -> None:
    body = sse(
        start(),
        PING,
        *text_block(0, "Hel", "lo"),
        {"type": "some_future_event", "detail": 1},
        delta("end_turn"),
        STOP,
    )
    chunks = collect(server, replaying(body))
    assert "".join(c.content for c in chunks) == "Hello"
    assert [c.is_final for c in chunks].count(True) == 1 and chunks[-1].is_final
    assert chunks[-1].stop_reason == "stop"


def test_complete_after_message_delta_without_message_stop(server: FakeServer) -> None:
    """The stop reason and the final usage have arrived: nothing of the answer is missing."""
    body = sse(start(), *text_block(0, "Hi"), delta("end_turn", 3), STOP, terminated=False)
    final = collect(server, replaying(body))[-1]
    assert final.is_final and final.stop_reason == "stop"
    assert final.usage is not None and final.usage.total_tokens == 13


def test_cut_before_the_stop_reason_is_an_error(server: FakeServer) -> None:
    body = sse(start(), *text_block(0, "Half an ans"))
    error = stream_error(server, body)
    assert isinstance(error, ProviderConnectionError)
    assert error.category is ErrorCategory.NETWORK and error.retryable


def test_call_cut_by_max_tokens_is_dropped(server: FakeServer) -> None:
    body = sse(
        start(),
        *text_block(0, "Writing."),
        *tool_block(1, "toolu_cut", "make_file", "", '{"name": "ta', close=False),
        delta("max_tokens"),
        STOP,
    )
    final = collect(server, replaying(body))[-1]
    assert final.tool_calls == () and final.stop_reason == "length"


def test_unclosed_call_without_max_tokens_is_invalid(server: FakeServer) -> None:
    body = sse(
        start(), *tool_block(0, "toolu_1", "f", "", "{}", close=False), delta("tool_use"), STOP
    )
    assert isinstance(stream_error(server, body), InvalidResponseError)


def test_input_from_the_start_event_when_nothing_streams(server: FakeServer) -> None:
    start_only = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
    }
    body = sse(
        start(), start_only, {"type": "content_block_stop", "index": 0}, delta("tool_use"), STOP
    )
    (call,) = collect(server, replaying(body))[-1].tool_calls
    assert (call.id, call.name, dict(call.arguments)) == ("toolu_1", "f", {"a": 1})


@pytest.mark.parametrize(
    ("error_type", "status", "category", "retryable"),
    [
        ("overloaded_error", 529, ErrorCategory.SERVER, True),
        ("api_error", 500, ErrorCategory.SERVER, True),
        ("rate_limit_error", 429, ErrorCategory.RATE_LIMIT, True),
        ("invalid_request_error", 400, ErrorCategory.INVALID_REQUEST, False),
        ("request_too_large", 413, ErrorCategory.INVALID_REQUEST, False),
        ("timeout_error", 504, ErrorCategory.TIMEOUT, True),
        ("something_new_error", None, ErrorCategory.SERVER, True),
    ],
)
def test_error_event_maps_like_its_http_twin(
    server: FakeServer,
    error_type: str,
    status: int | None,
    category: ErrorCategory,
    retryable: bool,
) -> None:
    body = sse(
        start(),
        *text_block(0, "Part"),
        {"type": "error", "error": {"type": error_type, "message": "Boom"}},
    )
    error = stream_error(server, body)
    assert (error.status_code, error.category, error.retryable) == (status, category, retryable)
    assert "Boom" in error.message and error.provider == "anthropic"


def test_malformed_event_is_an_invalid_response(server: FakeServer) -> None:
    body = sse(start()) + b"event: content_block_start\ndata: {not json\n\n"
    assert isinstance(stream_error(server, body), InvalidResponseError)


def test_key_echoed_by_the_api_is_redacted(server: FakeServer) -> None:
    scenario = Scenario(
        name="echo",
        title="an error that repeats the key",
        request=RequestSpec(messages=(ChatMessage("user", "Hi"),)),
        turns=(Turn(Reply(error=ErrorReply(401, f"invalid x-api-key {KEY}"))),),
    )

    async def main() -> ProviderError:
        with server.session(scenario, DIALECT, KEY) as session:
            provider = AnthropicProvider(api_key=KEY, base_url=session.base_url, timeout=3.0)
            try:
                await provider.chat(HELLO, model="m", max_tokens=5)
            except ProviderError as exc:
                return exc
            finally:
                await provider.close()
        raise AssertionError("no error")

    error = asyncio.run(main())
    assert error.category is ErrorCategory.AUTH and error.status_code == 401
    assert KEY not in str(error) and "[redacted]" in str(error)
    assert KEY not in repr(AnthropicProvider(api_key=KEY))
