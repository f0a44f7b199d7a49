"""The gemini dialect (rendering, requests, the recordings' oracle) and its reference provider.

The dialect half checks the bytes the fake server writes against what the recorded Gemini traffic
shows, and that the oracle reads its own renderings back to the scenario; the provider half drives
GeminiProvider against respx-mocked responses for what the bundled scenarios do not reach (cut
streams, errors inside a stream, Google's RetryInfo, Vertex's streamed arguments).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jsonschema
import pytest
import respx

from conformance.dialects import get_dialect
from conformance.dialects.gemini import GeminiDialect
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Scenario, Turn, WireOptions
from conformance.vocabulary.canonical import ChatMessage, ToolCall, Usage
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.wire import RecordedRequest
from reference_providers.contract import Message, StreamChunk, ToolDefinition
from reference_providers.contract import ToolCall as NativeToolCall
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.gemini import GeminiProvider
from reference_providers.gemini_calls import FunctionCallCollector

DIALECT = GeminiDialect()
SCENARIOS = bundled_scenarios()
MODEL = "gemini-test-model"
CHAT_PATH = f"/v1beta/models/{MODEL}:generateContent"
STREAM_PATH = f"/v1beta/models/{MODEL}:streamGenerateContent"
KEY = "AIza-test-DO-NOT-LEAK-0123456789"

T = TypeVar("T")


def request(
    path: str = CHAT_PATH,
    body: Any = None,
    *,
    query: str = "",
    headers: Sequence[tuple[str, str]] = (("x-goog-api-key", KEY),),
    method: str = "POST",
) -> RecordedRequest:
    raw = json.dumps(body if body is not None else {"contents": []}).encode()
    return RecordedRequest(
        method=method,
        target=path + (f"?{query}" if query else ""),
        path=path,
        headers=(("Content-Type", "application/json"), *headers),
        body=raw,
        connection_id=1,
        sequence=1,
    )


def scenario_with(reply: Reply, *, wire: WireOptions | None = None) -> Scenario:
    return Scenario(
        name="unit",
        title="unit",
        turns=(Turn(reply),),
        request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
        wire=wire or WireOptions(),
    )


def sse_payloads(body: bytes) -> list[dict[str, Any]]:
    blocks = body.decode().replace("\r\n", "\n").split("\n\n")
    return [json.loads(b.removeprefix("data: ")) for b in blocks if b.strip()]


# -- paths and credentials ------------------------------------------------------------------------


def test_registered_by_name() -> None:
    assert isinstance(get_dialect("gemini"), GeminiDialect)


@pytest.mark.parametrize(
    ("method", "path", "kind", "stream"),
    [
        ("POST", CHAT_PATH, "chat", False),
        ("POST", STREAM_PATH, "chat", True),
        ("POST", "/v1/models/gemini-2.0-flash:generateContent", "chat", False),
        ("POST", "/v1beta/tunedModels/my-tune:streamGenerateContent", "chat", True),
        ("GET", "/v1beta/models", "models", None),
        ("GET", f"/v1beta/models/{MODEL}", "models", None),
    ],
)
def test_endpoints(method: str, path: str, kind: str, stream: bool | None) -> None:
    endpoint = DIALECT.endpoint(method, path)
    assert endpoint is not None
    assert (endpoint.kind, endpoint.stream) == (kind, stream)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", CHAT_PATH),
        ("POST", "/v1beta/chat/completions"),
        ("POST", f"/v1beta/models/{MODEL}:countTokens"),
        ("POST", f"/v1beta/models/{MODEL}"),
    ],
)
def test_unknown_endpoints(method: str, path: str) -> None:
    assert DIALECT.endpoint(method, path) is None


def test_credentials_in_the_header_or_the_query() -> None:
    assert DIALECT.credentials_ok(request(), KEY)
    # Accepted as the real API does; RQ-2 flags the key in the URL on its own.
    assert DIALECT.credentials_ok(request(headers=(), query=f"key={KEY}"), KEY)
    assert not DIALECT.credentials_ok(request(headers=(("Authorization", f"Bearer {KEY}"),)), KEY)
    assert not DIALECT.credentials_ok(request(headers=(("x-goog-api-key", "other"),)), KEY)


# -- rendering ------------------------------------------------------------------------------------


def test_chat_reply_has_the_generate_content_shape() -> None:
    scenario = SCENARIOS["tool_call_single"]
    response = DIALECT.render_reply(scenario, 0, request(), stream=False)
    assert response.status == 200
    assert response.meta["usage_sent"] is True
    assert json.loads(response.body) == {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {
                            "functionCall": {
                                "name": "get_weather",
                                "args": {"city": "Paris", "unit": "celsius"},
                            }
                        }
                    ],
                    "role": "model",
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": 80,
            "candidatesTokenCount": 18,
            "totalTokenCount": 98,
        },
        "modelVersion": MODEL,
        "responseId": "conformance-tool_call_single-0",
    }
    # Google's spacing, as in the recordings.
    assert b'"finishReason": "STOP","index": 0' in response.body


def test_angle_brackets_are_escaped_as_google_does() -> None:
    reply = Reply(text_parts=("a <b> & c",))
    body = DIALECT.render_reply(scenario_with(reply), 0, request(), stream=False).body
    assert b"\\u003cb\\u003e" in body
    assert json.loads(body)["candidates"][0]["content"]["parts"][0]["text"] == "a <b> & c"


def test_finish_words() -> None:
    words = {}
    for stop in ("stop", "length", "tool_calls", "content_filter"):
        reply = Reply(text_parts=("x",), stop_reason=stop)
        body = json.loads(
            DIALECT.render_reply(scenario_with(reply), 0, request(), stream=False).body
        )
        words[stop] = body["candidates"][0]["finishReason"]
    assert words == {
        "stop": "STOP",
        "length": "MAX_TOKENS",
        "tool_calls": "STOP",
        "content_filter": "SAFETY",
    }


def test_stream_chunks_grow_usage_and_end_with_the_finish_reason() -> None:
    reply = Reply(
        text_parts=("One", " two"),
        tool_calls=(ToolCall("c1", "f", {"a": 1}), ToolCall("c2", "g", {})),
        usage=Usage(10, 6, 16),
    )
    response = DIALECT.render_reply(
        scenario_with(reply), 0, request(STREAM_PATH, query="alt=sse"), stream=True
    )
    assert response.chunked
    chunks = sse_payloads(response.body)
    parts = [c["candidates"][0]["content"]["parts"] for c in chunks]
    assert parts == [
        [{"text": "One"}],
        [{"text": " two"}],
        [
            {"functionCall": {"name": "f", "args": {"a": 1}}},
            {"functionCall": {"name": "g", "args": {}}},
        ],
    ]
    assert [c["candidates"][0].get("finishReason") for c in chunks] == [None, None, "STOP"]
    assert [c["usageMetadata"] for c in chunks] == [
        {"promptTokenCount": 10, "candidatesTokenCount": 2, "totalTokenCount": 12},
        {"promptTokenCount": 10, "candidatesTokenCount": 4, "totalTokenCount": 14},
        {"promptTokenCount": 10, "candidatesTokenCount": 6, "totalTokenCount": 16},
    ]


def test_zero_counts_are_left_out_as_proto3_json_does() -> None:
    reply = Reply(text_parts=("a", "b", "c"), usage=Usage(5, 2, 7))
    response = DIALECT.render_reply(
        scenario_with(reply), 0, request(STREAM_PATH, query="alt=sse"), stream=True
    )
    first = sse_payloads(response.body)[0]["usageMetadata"]
    assert first == {"promptTokenCount": 5, "totalTokenCount": 5}


@pytest.mark.parametrize(
    ("wire", "needle"),
    [
        (WireOptions(line_ending="crlf"), b'"}\r\n\r\ndata: {'),
        (WireOptions(line_ending="cr"), b'"}\r\rdata: {'),
        (WireOptions(data_space=False), b'"}\n\ndata:{'),
        (WireOptions(comments=True), b"\n\n: keep-alive\ndata: {"),
    ],
)
def test_stream_framing_follows_the_wire_options(wire: WireOptions, needle: bytes) -> None:
    reply = Reply(text_parts=("a", "b"))
    response = DIALECT.render_reply(
        scenario_with(reply, wire=wire), 0, request(STREAM_PATH, query="alt=sse"), stream=True
    )
    assert needle in response.body
    assert DIALECT.recording_reply(response.body).text == "ab"


def test_stream_split_bytes() -> None:
    reply = Reply(text_parts=("Grüße", " 日本"))
    response = DIALECT.render_reply(
        scenario_with(reply, wire=WireOptions(split_bytes=3)),
        0,
        request(STREAM_PATH, query="alt=sse"),
        stream=True,
    )
    assert {len(piece) for piece in response.pieces[:-1]} == {3}
    assert DIALECT.recording_reply(response.body).text == "Grüße 日本"


def test_stream_without_alt_sse_is_a_json_array_and_an_rq1_problem() -> None:
    reply = Reply(text_parts=("a", "b"), usage=Usage(1, 2, 3))
    response = DIALECT.render_reply(scenario_with(reply), 0, request(STREAM_PATH), stream=True)
    chunks = json.loads(response.body)
    assert [c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks] == ["a", "b"]
    problems = DIALECT.parse_request(request(STREAM_PATH, {"contents": []})).problems
    assert any(clause == "RQ-1" and "alt=sse" in text for clause, text in problems)


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (408, "DEADLINE_EXCEEDED"),
        (413, "INVALID_ARGUMENT"),
        (422, "INVALID_ARGUMENT"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (502, "UNAVAILABLE"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
        (529, "UNAVAILABLE"),
    ],
)
def test_error_bodies_are_google_rpc_statuses(status: int, word: str) -> None:
    response = DIALECT.render_error(ErrorReply(status, "went wrong"))
    assert response.status == status
    assert json.loads(response.body) == {
        "error": {"code": status, "message": "went wrong", "status": word}
    }
    assert response.body.startswith(b'{\n  "error": {\n    "code": ')  # pretty-printed


def test_retry_after_is_also_stated_as_retry_info() -> None:
    response = DIALECT.render_error(ErrorReply(429, "slow down", headers={"Retry-After": "7"}))
    assert ("Retry-After", "7") in response.headers
    details = json.loads(response.body)["error"]["details"]
    assert details == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]


def test_error_inside_a_stream_follows_the_text() -> None:
    reply = Reply(text_parts=("partial",), error=ErrorReply(503, "overloaded", in_stream=True))
    response = DIALECT.render_reply(
        scenario_with(reply), 0, request(STREAM_PATH, query="alt=sse"), stream=True
    )
    assert response.status == 200
    chunks = sse_payloads(response.body)
    assert chunks[-1] == {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}
    read = DIALECT.recording_reply(response.body)
    assert read.error == ErrorReply(503, "overloaded", in_stream=True)


def test_models_endpoint() -> None:
    scenario = SCENARIOS["text_plain"]
    endpoint = DIALECT.endpoint("GET", "/v1beta/models")
    assert endpoint is not None
    listing = DIALECT.render_endpoint(endpoint, request("/v1beta/models", method="GET"), scenario)
    assert json.loads(listing.body)["models"][0]["name"] == f"models/{scenario.request.model}"
    missing = DIALECT.render_endpoint(
        endpoint, request("/v1beta/models/nope", method="GET"), scenario
    )
    assert missing.status == 404


STREAMED = sorted(
    (name, s) for name, s in SCENARIOS.items() if not s.is_error and "stream" in s.modes
)


@pytest.mark.parametrize(("name", "scenario"), STREAMED, ids=[n for n, _ in STREAMED])
def test_the_oracle_reads_every_rendered_stream_back(name: str, scenario: Scenario) -> None:
    """Rendering and the recordings' oracle agree, so replayed and scripted streams judge alike."""
    for turn, step in enumerate(scenario.turns):
        sent = request(STREAM_PATH, query="alt=sse")
        body = DIALECT.render_reply(scenario, turn, sent, stream=True).body
        read = DIALECT.recording_reply(body)
        reply = step.reply
        assert read.text == reply.text
        assert [(c.name, dict(c.arguments)) for c in read.tool_calls] == [
            (c.name, dict(c.arguments)) for c in reply.tool_calls
        ]
        assert read.effective_stop_reason == reply.effective_stop_reason
        if reply.usage is not None:
            assert read.usage == reply.usage
        else:
            # Gemini always reports usage: placeholder counts, a prompt never counted zero.
            assert read.usage is not None and read.usage.prompt_tokens > 0


# -- reading requests -----------------------------------------------------------------------------


def validate(body: Any) -> list[str]:
    schema = json.loads(schema_path("requests/gemini.request.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [error.message for error in validator.iter_errors(body)]


CONVERSATION = {
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris and Kyiv?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                {"functionCall": {"name": "get_time", "args": {"city": "Kyiv"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 7}}},
                {"functionResponse": {"name": "get_time", "response": {"time": "10:00"}}},
            ],
        },
    ],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Weather.",
                    "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}},
                }
            ]
        }
    ],
    "generationConfig": {"temperature": 0.25, "maxOutputTokens": 321},
}


def test_parse_a_tool_conversation() -> None:
    assert validate(CONVERSATION) == []
    parsed = DIALECT.parse_request(request(STREAM_PATH, CONVERSATION, query="alt=sse"))
    assert parsed.problems == ()
    assert (parsed.model, parsed.stream, parsed.temperature, parsed.max_tokens) == (
        MODEL,
        True,
        0.25,
        321,
    )
    assert parsed.system == "Be brief."
    assert [m.role for m in parsed.messages] == ["user", "assistant", "tool", "tool"]
    assistant = parsed.messages[1]
    assert assistant.content == "Checking."
    assert [(c.id, c.name, dict(c.arguments)) for c in assistant.tool_calls] == [
        ("get_weather", "get_weather", {"city": "Paris"}),
        ("get_time", "get_time", {"city": "Kyiv"}),
    ]
    # Results pair with calls by name (Dialect.tool_call_key).
    assert [m.tool_call_id for m in parsed.messages[2:]] == ["get_weather", "get_time"]
    assert [DIALECT.tool_call_key(c) for c in assistant.tool_calls] == ["get_weather", "get_time"]
    assert json.loads(parsed.messages[2].content) == {"temp": 7}
    # The API takes Schema type words in either case.
    assert dict(parsed.tools[0].parameters) == {
        "type": "object",
        "properties": {"city": {"type": "string"}},
    }


def test_proto_field_names_are_read_too() -> None:
    body = {
        "system_instruction": {"parts": [{"text": "S"}]},
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generation_config": {"temperature": 1, "max_output_tokens": 9},
        "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {}}]}],
    }
    assert validate(body) == []
    parsed = DIALECT.parse_request(request(CHAT_PATH, body))
    assert (parsed.system, parsed.temperature, parsed.max_tokens, parsed.stream) == (
        "S",
        1,
        9,
        False,
    )
    assert [t.name for t in parsed.tools] == ["f"]


def test_misplaced_system_prompts_are_rq6_problems() -> None:
    as_role = {
        "contents": [
            {"role": "system", "parts": [{"text": "Be brief."}]},
            {"role": "user", "parts": [{"text": "hi"}]},
        ]
    }
    parsed = DIALECT.parse_request(request(CHAT_PATH, as_role))
    assert parsed.system is None
    assert [c for c, _ in parsed.problems] == ["RQ-6"]
    assert validate(as_role)  # the API rejects the role as well

    as_user = {
        "contents": [
            {"role": "user", "parts": [{"text": "Be brief."}]},
            {"role": "user", "parts": [{"text": "hi"}]},
        ]
    }
    parsed = DIALECT.parse_request(request(CHAT_PATH, as_user))
    assert [c for c, _ in parsed.problems] == ["RQ-6"]


def test_openai_shaped_fields_are_rq1_problems() -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}], "temperature": 0.2, "messages": []}
    problems = DIALECT.parse_request(request(CHAT_PATH, body)).problems
    assert [c for c, _ in problems] == ["RQ-1", "RQ-1"]
    assert any("Additional properties" in message for message in validate(body))


def test_one_function_response_per_call_in_one_turn() -> None:
    split = dict(CONVERSATION)
    results = CONVERSATION["contents"][2]["parts"]  # type: ignore[index]
    split["contents"] = [
        *CONVERSATION["contents"][:2],  # type: ignore[index]
        {"role": "user", "parts": [results[0]]},
        {"role": "user", "parts": [results[1]]},
    ]
    problems = DIALECT.parse_request(request(CHAT_PATH, split)).problems
    assert [c for c, _ in problems] == ["RQ-1"]
    assert "one functionResponse part per functionCall part" in problems[0][1]


def test_a_body_that_is_not_an_object() -> None:
    parsed = DIALECT.parse_request(request(CHAT_PATH, [1, 2]))
    assert parsed.model == MODEL
    assert ("RQ-1", "the body is not a JSON object") in parsed.problems


# -- the recordings' oracle -----------------------------------------------------------------------


def test_oracle_assembles_streamed_arguments() -> None:
    """Vertex-style pieces: strings continued at one path, arrays and scalars by JSON path."""
    parts = [
        {"functionCall": {"name": "plan", "willContinue": True}},
        {
            "functionCall": {
                "partialArgs": [
                    {"jsonPath": "$.title", "stringValue": "Tri", "willContinue": True}
                ],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [{"jsonPath": "$.title", "stringValue": "p"}],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [{"jsonPath": "$.stops[1].days", "numberValue": 2}],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [{"jsonPath": "$['flags'].ok", "boolValue": True}],
                "willContinue": True,
            }
        },
        {
            "functionCall": {
                "partialArgs": [{"jsonPath": "$.note", "nullValue": "NULL_VALUE"}],
                "willContinue": True,
            }
        },
        {"functionCall": {}},
        {"functionCall": {"name": "noop"}},
    ]
    events = [{"candidates": [{"content": {"role": "model", "parts": [part]}}]} for part in parts]
    events.append({"candidates": [{"content": {"parts": [{"text": ""}]}, "finishReason": "STOP"}]})
    body = "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events).encode()
    read = DIALECT.recording_reply(body)
    assert [(c.name, dict(c.arguments)) for c in read.tool_calls] == [
        (
            "plan",
            {"title": "Trip", "stops": [None, {"days": 2}], "flags": {"ok": True}, "note": None},
        ),
        ("noop", {}),
    ]
    assert read.stop_reason == "tool_calls"


RECORDED: dict[str, dict[str, Any]] = {
    "gemini__function_call_empty_args_thought_signature.sse": {
        "calls": [("get_country", {})],
        "stop": "tool_calls",
        "usage": Usage(29, 10, 241),
    },
    "gemini__function_call_gemini2.sse": {
        "calls": [("get_capital", {"country": "France"})],
        "stop": "tool_calls",
        "usage": Usage(52, 5, 57),
    },
    "gemini__parallel_function_calls_one_chunk.sse": {
        "calls": [
            ("get_current_temperature", {"city": "Paris"}),
            ("get_current_temperature", {"city": "London"}),
        ],
        "stop": "tool_calls",
        "usage": Usage(37, 14, 51),
    },
    "gemini__thinking_thought_parts.sse": {
        "text_starts": "This is a great question!",
        "stop": "stop",
        "usage": Usage(34, 469, 1290),
    },
    "gemini__grounding_web_search.sse": {
        "text_starts": "### Weather in San Francisco",
        "stop": "stop",
        "usage": Usage(17, 241, 772),
    },
    "gemini__vertex_partial_args_streaming.sse": {
        "calls": [
            ("getWeather", {"location": "Boston"}),
            ("getWeather", {"location": "San Francisco"}),
        ],
        "stop": "tool_calls",
        "usage": Usage(26, 23, 181),
    },
    "gemini__vertex_partial_args_no_args_then_parallel.sse": {
        "calls": [
            ("read_theme", {}),
            ("read_screen", {"id": "A"}),
            ("read_screen", {"id": "B"}),
            ("read_screen", {"id": "C"}),
        ],
        "stop": "tool_calls",
        "usage": Usage(249, 58, 490),
    },
}


@pytest.mark.corpus("gemini")
def test_oracle_reading_of_each_recording(corpus_file: Path) -> None:
    read = DIALECT.recording_reply(corpus_file.read_bytes())
    assert read.error is None
    assert read.stop_reason in ("stop", "tool_calls")
    assert read.usage is not None
    want = RECORDED.get(corpus_file.name)
    if want is None:
        return
    assert [(c.name, dict(c.arguments)) for c in read.tool_calls] == want.get("calls", [])
    assert read.text.startswith(want.get("text_starts", ""))
    assert read.stop_reason == want["stop"]
    assert read.usage == want["usage"]


def test_oracle_reading_of_the_partial_array_recording(wire_corpus: Path) -> None:
    path = wire_corpus / "gemini" / "gemini__vertex_partial_args_array_missing_terminal.sse"
    if not path.is_file():
        pytest.skip(f"{path} is not in the corpus")
    (call,) = DIALECT.recording_reply(path.read_bytes()).tool_calls
    assert call.name == "writeItems"
    assert call.arguments == {
        "operations": [
            {
                "action": "add",
                "description": "Fresh red apple",
                "itemid": "apple_001",
                "price": 0.5,
            },
            {
                "action": "add",
                "description": "Ripe yellow banana",
                "itemid": "banana_001",
                "price": 0.3,
            },
        ]
    }


def test_thought_parts_are_not_text() -> None:
    body = (
        b'data: {"candidates": [{"content": {"parts": [{"text": "hm", "thought": true}]}}]}'
        b"\r\n\r\n"
        b'data: {"candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]}'
        b"\r\n\r\n"
    )
    assert DIALECT.recording_reply(body).text == "Hi"


# -- the reference provider -----------------------------------------------------------------------

BASE = "http://gemini.test"
CHAT_URL = f"{BASE}/v1beta/models/{MODEL}:generateContent"
STREAM_URL = f"{BASE}/v1beta/models/{MODEL}:streamGenerateContent"
HELLO = [Message(role="user", content="Hello")]


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def provider(**kwargs: Any) -> GeminiProvider:
    return GeminiProvider(api_key=KEY, base_url=BASE, **kwargs)


def sse(*payloads: Any) -> bytes:
    return b"".join(f"data: {json.dumps(p)}\r\n\r\n".encode() for p in payloads)


def text_chunk(text: str, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], **extra}


async def collect(chunks: AsyncIterator[StreamChunk]) -> list[StreamChunk]:
    return [chunk async for chunk in chunks]


def test_request_shape() -> None:
    messages = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="Weather?"),
        Message(
            role="assistant",
            content="",
            tool_calls=[
                NativeToolCall(id="c1", name="get_weather", arguments={"city": "Paris"}),
                NativeToolCall(id="c2", name="get_time", arguments={}),
            ],
        ),
        Message(role="tool", content='{"temp": 7}', tool_call_id="c1"),
        Message(role="tool", content="10:00", tool_call_id="c2"),
    ]
    tools = [ToolDefinition(name="get_weather", description="Weather.")]
    with respx.mock(assert_all_called=True) as mock:
        route = mock.post(CHAT_URL).respond(json=text_chunk("ok", "STOP"))

        async def go() -> None:
            async with provider() as p:
                await p.chat(messages, model=MODEL, temperature=0.5, max_tokens=9, tools=tools)

        run(go)
    sent = route.calls.last.request
    assert sent.headers["x-goog-api-key"] == KEY
    assert KEY not in str(sent.url)
    body = json.loads(sent.content)
    assert validate(body) == []
    assert body == {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather?"}]},
            {
                "role": "model",
                "parts": [
                    {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
                    {"functionCall": {"name": "get_time", "args": {}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp": 7}}},
                    {"functionResponse": {"name": "get_time", "response": {"content": "10:00"}}},
                ],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"temperature": 0.5, "maxOutputTokens": 9},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather.",
                        "parameters": {"type": "object", "properties": {}},
                    }
                ]
            }
        ],
    }


def test_model_names_in_resource_form_and_the_stream_url() -> None:
    p = provider(api_version="v1")
    assert p._endpoint_url("models/gemini-2.0-flash", stream=False) == (
        f"{BASE}/v1/models/gemini-2.0-flash:generateContent"
    )
    assert p._endpoint_url("tunedModels/t1", stream=True) == (
        f"{BASE}/v1/tunedModels/t1:streamGenerateContent?alt=sse"
    )


def test_a_tool_result_for_an_unknown_call_is_refused_before_sending() -> None:
    messages = [*HELLO, Message(role="tool", content="x", tool_call_id="nobody")]
    with pytest.raises(ProviderError) as raised:
        run(lambda: provider().chat(messages, model=MODEL))
    assert raised.value.category is ErrorCategory.INVALID_REQUEST


def test_chat_reads_calls_thoughts_and_usage() -> None:
    data = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "thinking...", "thought": True},
                        {"text": "Let me check."},
                        {"functionCall": {"name": "f", "args": {"a": [1]}}},
                        {"functionCall": {"name": "f", "args": {"a": [2]}}},
                    ],
                },
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {"promptTokenCount": 3, "totalTokenCount": 3},
        "modelVersion": "gemini-x",
    }
    with respx.mock() as mock:
        mock.post(CHAT_URL).respond(json=data)
        response = run(lambda: provider().chat(HELLO, model=MODEL))
    assert response.content == "Let me check."
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("f_0", "f", {"a": [1]}),
        ("f_1", "f", {"a": [2]}),
    ]
    assert response.stop_reason == "tool_calls"
    assert response.usage is not None and response.usage.completion_tokens == 0
    assert response.model == "gemini-x"


def test_a_blocked_prompt_is_a_content_filter_stop() -> None:
    with respx.mock() as mock:
        mock.post(CHAT_URL).respond(json={"promptFeedback": {"blockReason": "SAFETY"}})
        response = run(lambda: provider().chat(HELLO, model=MODEL))
    assert (response.content, response.stop_reason) == ("", "content_filter")


def test_stream_text_calls_and_one_final_chunk() -> None:
    body = sse(
        text_chunk("Hel", usageMetadata={"promptTokenCount": 4, "totalTokenCount": 4}),
        text_chunk("lo"),
        {
            "candidates": [
                {
                    "content": {"parts": [{"functionCall": {"name": "f", "args": {"x": 1}}}]},
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 4,
                "candidatesTokenCount": 5,
                "totalTokenCount": 9,
            },
        },
    )
    with respx.mock() as mock:
        route = mock.post(STREAM_URL).respond(
            content=body, headers={"Content-Type": "text/event-stream"}
        )
        chunks = run(lambda: collect(provider().stream(HELLO, model=MODEL)))
    assert route.calls.last.request.url.params["alt"] == "sse"
    assert [c.content for c in chunks] == ["Hel", "lo", ""]
    final = chunks[-1]
    assert [c.is_final for c in chunks] == [False, False, True]
    assert final.stop_reason == "tool_calls"
    assert [(c.name, dict(c.arguments)) for c in final.tool_calls] == [("f", {"x": 1})]
    assert final.usage is not None and (
        final.usage.total_tokens,
        final.usage.completion_tokens,
    ) == (
        9,
        5,
    )


def test_a_stream_without_a_finish_reason_was_cut() -> None:
    with respx.mock() as mock:
        mock.post(STREAM_URL).respond(
            content=sse(text_chunk("Hel")), headers={"Content-Type": "text/event-stream"}
        )
        with pytest.raises(ProviderError) as raised:
            run(lambda: collect(provider().stream(HELLO, model=MODEL)))
    assert raised.value.category is ErrorCategory.NETWORK
    assert "finishReason" in raised.value.message


def test_an_error_inside_the_stream_maps_as_its_http_twin() -> None:
    error = {
        "error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}
    }
    with respx.mock() as mock:
        mock.post(STREAM_URL).respond(
            content=sse(text_chunk("a"), error), headers={"Content-Type": "text/event-stream"}
        )
        with pytest.raises(ProviderError) as raised:
            run(lambda: collect(provider().stream(HELLO, model=MODEL)))
    assert raised.value.category is ErrorCategory.RATE_LIMIT
    assert raised.value.status_code == 429
    assert "Resource exhausted." in raised.value.message


def test_retry_info_gives_the_retry_after() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Quota exceeded.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "31.5s"}
            ],
        }
    }
    with respx.mock() as mock:
        mock.post(CHAT_URL).respond(429, json=body)
        with pytest.raises(ProviderError) as raised:
            run(lambda: provider().chat(HELLO, model=MODEL))
    assert raised.value.retry_after == 31.5
    assert raised.value.category is ErrorCategory.RATE_LIMIT
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)


def test_an_invalid_key_is_an_auth_error_though_gemini_says_400() -> None:
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid. Please pass a valid API key.",
            "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
            ],
        }
    }
    with respx.mock() as mock:
        # As recorded: the stream endpoint's error is plain JSON under a text/event-stream type.
        mock.post(STREAM_URL).respond(
            400, content=json.dumps(body, indent=2), headers={"Content-Type": "text/event-stream"}
        )
        with pytest.raises(ProviderError) as raised:
            run(lambda: collect(provider().stream(HELLO, model=MODEL)))
    assert raised.value.category is ErrorCategory.AUTH
    assert raised.value.status_code == 400
    assert "API key not valid" in raised.value.message


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"candidates": "x"}', b'{"candidates": [{"content": {"parts": 3}}]}'],
)
def test_malformed_bodies_are_invalid_response_errors(body: bytes) -> None:
    with respx.mock() as mock:
        mock.post(CHAT_URL).respond(content=body)
        with pytest.raises(ProviderError) as raised:
            run(lambda: provider().chat(HELLO, model=MODEL))
    assert raised.value.category is ErrorCategory.INVALID_RESPONSE


def test_leaving_a_stream_early_closes_the_response() -> None:
    closed: list[bool] = []

    class Body(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse(text_chunk("one"))
            yield sse(text_chunk("two", "STOP"))

        async def aclose(self) -> None:
            closed.append(True)

    async def go() -> str:
        async with provider() as p:
            chunks = p.stream(HELLO, model=MODEL)
            first = await chunks.__anext__()
            await chunks.aclose()
            return first.content

    with respx.mock() as mock:
        mock.post(STREAM_URL).mock(
            return_value=httpx.Response(
                200, headers={"Content-Type": "text/event-stream"}, stream=Body()
            )
        )
        assert run(go) == "one"
    assert closed == [True]


# -- streamed function-call arguments (Vertex) ----------------------------------------------------


def test_collector_assembles_streamed_arguments() -> None:
    collector = FunctionCallCollector(provider="gemini")
    collector.add({"name": "plan", "willContinue": True})
    collector.add(
        {
            "partialArgs": [{"jsonPath": "$.a[0].b", "stringValue": "x", "willContinue": True}],
            "willContinue": True,
        }
    )
    collector.add(
        {"partialArgs": [{"jsonPath": "$.a[0].b", "stringValue": "y"}], "willContinue": True}
    )
    collector.add({"willContinue": True})
    collector.add({"partialArgs": [{"jsonPath": "$.n", "numberValue": 1.5}], "willContinue": True})
    collector.add({})
    collector.add({"name": "other", "args": {"k": True}})
    collector.add({"name": "open", "willContinue": True})  # never closed: ends with the stream
    calls = collector.finish()
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("plan_0", "plan", {"a": [{"b": "xy"}], "n": 1.5}),
        ("other_1", "other", {"k": True}),
        ("open_2", "open", {}),
    ]


@pytest.mark.parametrize(
    "parts",
    [
        [{"partialArgs": [{"jsonPath": "$.a", "stringValue": "x"}]}],
        [
            {"name": "f", "willContinue": True},
            {"partialArgs": [{"jsonPath": "a", "stringValue": ""}]},
        ],
        [{"name": "f", "willContinue": True}, {"partialArgs": [{"jsonPath": "$.a"}]}],
        [{"name": "f", "args": [1]}],
        [
            {"name": "f", "willContinue": True},
            {"partialArgs": [{"jsonPath": "$.a", "numberValue": 1}], "willContinue": True},
            {"partialArgs": [{"jsonPath": "$.a.b", "numberValue": 1}]},
        ],
    ],
)
def test_collector_refuses_broken_pieces(parts: list[dict[str, Any]]) -> None:
    collector = FunctionCallCollector(provider="gemini")
    with pytest.raises(ProviderError) as raised:
        for part in parts:
            collector.add(part)
    assert raised.value.category is ErrorCategory.INVALID_RESPONSE


def test_the_provider_reads_a_streamed_call_over_the_stream() -> None:
    pieces = [
        {"name": "getWeather", "willContinue": True},
        {
            "partialArgs": [{"jsonPath": "$.location", "stringValue": "Bos", "willContinue": True}],
            "willContinue": True,
        },
        {"partialArgs": [{"jsonPath": "$.location", "stringValue": "ton"}], "willContinue": True},
        {},
    ]
    events = [{"candidates": [{"content": {"parts": [{"functionCall": p}]}}]} for p in pieces]
    events.append(text_chunk("", "STOP"))
    with respx.mock() as mock:
        mock.post(STREAM_URL).respond(
            content=sse(*events), headers={"Content-Type": "text/event-stream"}
        )
        chunks = run(lambda: collect(provider().stream(HELLO, model=MODEL)))
    final = chunks[-1]
    assert [(c.name, dict(c.arguments)) for c in final.tool_calls] == [
        ("getWeather", {"location": "Boston"})
    ]
    assert final.stop_reason == "tool_calls"
