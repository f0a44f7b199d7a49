"""The ollama-chat dialect, its NDJSON line decoder and its reference provider, piece by piece.

The end-to-end runs (tests/test_known_bad_ollama.py) show the pieces agree with each other and
the official client (tests/test_official_ollama_client.py) shows the bytes are Ollama's; these
tests pin down each rule on its own, on hand-made bytes and on real recordings, so that a
failure says which rule broke.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jsonschema
import pytest
import respx

from conformance.dialects import get_dialect
from conformance.dialects.ollama_chat import OllamaChatDialect
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, Scenario, WireOptions
from conformance.vocabulary.canonical import ChatMessage, ToolCall, Usage
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.wire import RecordedRequest, WireResponse
from reference_providers import (
    AuthError,
    ChatProvider,
    ErrorCategory,
    InvalidRequestError,
    InvalidResponseError,
    Message,
    NotFoundError,
    ProviderConnectionError,
    ProviderError,
    RateLimitError,
    ServerError,
    StreamChunk,
    ToolDefinition,
)
from reference_providers import ToolCall as NativeToolCall
from reference_providers import Usage as NativeUsage
from reference_providers.ollama_chat import OllamaProvider
from reference_providers.ollama_ndjson import NDJSONError, NDJSONLineDecoder

DIALECT = OllamaChatDialect()
SCENARIOS = bundled_scenarios()
BASE_URL = "http://ollama.test:11434"
ENDPOINT = f"{BASE_URL}/api/chat"
API_KEY = "ollama-test-key-DO-NOT-LEAK-0123456789"
MODEL = "llama3.2"
HELLO = [Message(role="user", content="Hello")]
CHAT_STREAMS = "ollama__chat_stream_*.ndjson"

T = TypeVar("T")


def run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def request(
    body: Any, *, path: str = "/api/chat", headers: Sequence[tuple[str, str]] = ()
) -> RecordedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RecordedRequest("POST", path, path, tuple(headers), raw, 1, 1)


def lines_of(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.split(b"\n") if line.strip()]


# == the dialect ===================================================================================


def test_the_dialect_is_registered_by_name() -> None:
    dialect = get_dialect("ollama-chat")
    assert isinstance(dialect, OllamaChatDialect)
    assert dialect.base_path == ""
    assert dialect.stream_content_type == "application/x-ndjson"
    assert dialect.corpus_folder == "ollama"


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("POST", "/api/chat", "chat"),
        ("POST", "/api/chat/", "chat"),
        ("POST", "/api/generate", "generate"),
        ("POST", "/api/show", "show"),
        ("GET", "/api/tags", "tags"),
        ("GET", "/api/version", "version"),
        ("GET", "/", "root"),
        ("GET", "/api/chat", None),
        ("POST", "/v1/chat/completions", None),
        ("POST", "/api/embed", None),
    ],
)
def test_endpoints(method: str, path: str, kind: str | None) -> None:
    endpoint = DIALECT.endpoint(method, path)
    assert (endpoint.kind if endpoint else None) == kind


@pytest.mark.parametrize(
    ("body", "stream"),
    [
        ({"model": "m"}, True),  # Ollama streams unless told not to
        ({"model": "m", "stream": None}, True),
        ({"model": "m", "stream": True}, True),
        ({"model": "m", "stream": False}, False),
        (b"not json", False),
    ],
)
def test_streaming_is_the_default(body: Any, stream: bool) -> None:
    chat = DIALECT.endpoint("POST", "/api/chat")
    assert chat is not None
    assert DIALECT.is_stream(request(body), chat) is stream


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ((), True),  # local Ollama: no credentials at all
        ((("Authorization", f"Bearer {API_KEY}"),), True),  # Ollama cloud
        ((("authorization", f"Bearer {API_KEY}"),), True),
        ((("Authorization", "Bearer another-key"),), False),
        ((("Authorization", API_KEY),), False),
    ],
)
def test_credentials(headers: tuple[tuple[str, str], ...], ok: bool) -> None:
    assert DIALECT.credentials_ok(request({}, headers=headers), API_KEY) is ok


def test_usage_on_this_wire_has_no_separate_total() -> None:
    assert DIALECT.wire_usage(Usage(1234, 56, 1300)) == Usage(1234, 56, 1290)


def test_tool_results_pair_with_calls_by_name() -> None:
    assert DIALECT.tool_call_ids is True  # current Ollama sends ids: providers must pass them on
    assert DIALECT.tool_call_key(ToolCall("call_1", "get_weather", {})) == "get_weather"


# -- rendering --------------------------------------------------------------------------------


def test_a_stream_is_one_json_object_per_line_ending_in_one_done_line() -> None:
    scenario = SCENARIOS["text_plain"]
    response = DIALECT.render_reply(scenario, 0, request({"model": "asked"}), stream=True)
    assert response.status == 200 and response.chunked
    assert ("Content-Type", "application/x-ndjson") in response.headers
    assert all(piece.endswith(b"\n") and piece.count(b"\n") == 1 for piece in response.pieces)
    lines = lines_of(response.body)
    assert [line["done"] for line in lines] == [False] * 4 + [True]
    assert all(line["model"] == "asked" for line in lines)
    assert "".join(line["message"]["content"] for line in lines) == "Hello, conformance suite!"
    last = lines[-1]
    assert last["done_reason"] == "stop"
    assert (last["prompt_eval_count"], last["eval_count"]) == (21, 6)
    assert "total_tokens" not in response.body.decode()
    assert response.meta["usage_sent"] is True


def test_a_chat_answer_is_one_json_object() -> None:
    scenario = SCENARIOS["tool_call_null_continuations"]
    response = DIALECT.render_reply(scenario, 0, request({"stream": False}), stream=False)
    assert ("Content-Type", "application/json; charset=utf-8") in response.headers
    body = json.loads(response.body)
    assert body["done"] is True
    assert body["done_reason"] == "stop"  # Ollama's word even when the model called tools
    assert body["message"]["content"] == "Checking both cities."
    assert body["message"]["tool_calls"] == [
        {
            "id": "call_n1",
            "function": {
                "index": 0,
                "name": "get_weather",
                "arguments": {"city": "Paris", "unit": "celsius"},
            },
        },
        {
            "id": "call_n2",
            "function": {"index": 1, "name": "get_time", "arguments": {"city": "Kyiv"}},
        },
    ]


def test_streamed_tool_calls_arrive_whole_one_per_line() -> None:
    scenario = SCENARIOS["tool_calls_parallel"]
    lines = lines_of(DIALECT.render_reply(scenario, 0, request({}), stream=True).body)
    calls = [line["message"]["tool_calls"] for line in lines if "tool_calls" in line["message"]]
    assert [len(c) for c in calls] == [1, 1, 1]
    assert [c[0]["function"]["index"] for c in calls] == [0, 1, 2]
    assert calls[2][0]["function"]["arguments"] == {"city": "東京"}
    assert lines[-1]["done_reason"] == "stop"


def test_length_is_ollamas_only_other_done_reason() -> None:
    scenario = SCENARIOS["stop_length"]
    for stream in (False, True):
        body = DIALECT.render_reply(scenario, 0, request({}), stream=stream).body
        assert lines_of(body)[-1]["done_reason"] == "length"


def test_no_counts_without_usage() -> None:
    scenario = SCENARIOS["tool_call_no_arguments"]
    response = DIALECT.render_reply(scenario, 0, request({}), stream=True)
    last = lines_of(response.body)[-1]
    assert "prompt_eval_count" not in last and "eval_count" not in last
    assert response.meta["usage_sent"] is False
    calls = lines_of(response.body)[0]["message"]["tool_calls"]
    assert calls[0]["function"]["arguments"] == {}


def test_split_bytes_cuts_lines_and_utf8_sequences() -> None:
    scenario = SCENARIOS["text_unicode_split_reads"]
    response = DIALECT.render_reply(scenario, 0, request({}), stream=True)
    assert all(len(piece) <= 3 for piece in response.pieces)
    assert any(not piece.endswith(b"\n") for piece in response.pieces)
    text = "".join(line["message"]["content"] for line in lines_of(response.body))
    assert text == scenario.final_reply.text


def test_crlf_line_endings_are_honoured_and_a_bare_cr_is_not_ndjson() -> None:
    base = SCENARIOS["text_plain"]
    crlf = DIALECT.render_reply(
        _with_wire(base, WireOptions(line_ending="crlf")), 0, request({}), stream=True
    )
    assert all(piece.endswith(b"}\r\n") for piece in crlf.pieces)
    cr = DIALECT.render_reply(
        _with_wire(base, WireOptions(line_ending="cr")), 0, request({}), stream=True
    )
    assert all(piece.endswith(b"}\n") for piece in cr.pieces)


def _with_wire(scenario: Any, wire: WireOptions) -> Any:
    return dataclasses.replace(scenario, wire=wire)


def test_strings_are_escaped_as_go_escapes_them() -> None:
    base = SCENARIOS["text_plain"]
    reply = Reply(text_parts=("a <b> & c\u2028d",), stop_reason="stop")
    scenario = dataclasses.replace(base, turns=(dataclasses.replace(base.turns[0], reply=reply),))
    body = DIALECT.render_reply(scenario, 0, request({}), stream=False).body
    assert b"\\u003cb\\u003e \\u0026 c\\u2028d" in body
    assert json.loads(body)["message"]["content"] == "a <b> & c\u2028d"


def test_errors_are_a_flat_error_string_with_the_status() -> None:
    response = DIALECT.render_reply(SCENARIOS["error_429"], 0, request({}), stream=True)
    assert response.status == 429
    assert json.loads(response.body) == {
        "error": "Rate limit reached for requests per min (RPM): Limit 3, Used 3."
    }
    assert ("Retry-After", "7") in response.headers


def test_an_error_inside_a_stream_is_a_line_without_status() -> None:
    base = SCENARIOS["text_plain"]
    reply = dataclasses.replace(
        base.final_reply, error=ErrorReply(500, "runner terminated", in_stream=True)
    )
    scenario = dataclasses.replace(base, turns=(dataclasses.replace(base.turns[0], reply=reply),))
    response = DIALECT.render_reply(scenario, 0, request({}), stream=True)
    assert response.status == 200
    lines = lines_of(response.body)
    assert lines[-1] == {"error": "runner terminated"}
    assert not any(line.get("done") for line in lines)
    # A status other than 500 cannot be said inside the stream: Ollama sends it as HTTP.
    other = dataclasses.replace(reply, error=ErrorReply(429, "slow down", in_stream=True))
    scenario = dataclasses.replace(base, turns=(dataclasses.replace(base.turns[0], reply=other),))
    assert DIALECT.render_reply(scenario, 0, request({}), stream=True).status == 429


def _generate(body: dict[str, Any], scenario: Scenario, turn: int = 0) -> WireResponse:
    generate = DIALECT.endpoint("POST", "/api/generate")
    assert generate is not None and generate.plays_turn
    post = RecordedRequest(
        "POST", "/api/generate", "/api/generate", (), json.dumps(body).encode(), 1, 1
    )
    return DIALECT.render_turn(generate, scenario, turn, post, stream=body.get("stream", True))


def test_generate_endpoint_answers_the_scenario_text() -> None:
    scenario = SCENARIOS["text_plain"]
    streamed = _generate({"model": "m", "prompt": "hi"}, scenario)
    lines = lines_of(streamed.body)
    assert "".join(line["response"] for line in lines) == "Hello, conformance suite!"
    assert lines[-1]["done"] is True and lines[-1]["context"]
    whole = _generate({"model": "m", "stream": False}, scenario)
    assert json.loads(whole.body)["response"] == "Hello, conformance suite!"
    failing = _generate({"model": "m"}, SCENARIOS["error_503"])
    assert failing.status == 503


def test_generate_plays_each_turn_and_errors_inside_a_stream() -> None:
    scenario = SCENARIOS["error_in_stream"]
    lines = lines_of(_generate({"model": "m", "prompt": "hi"}, scenario).body)
    assert "error" in lines[-1] and all("response" in line for line in lines[:-1])
    multi = next(s for s in SCENARIOS.values() if len(s.turns) > 1 and s.turns[-1].reply.text)
    last = len(multi.turns) - 1
    whole = _generate({"model": "m", "stream": False}, multi, last)
    assert json.loads(whole.body)["response"] == multi.turns[last].reply.text


def test_a_generate_request_is_read_and_validated_as_a_generate_request() -> None:
    body = {
        "model": "m",
        "prompt": "hi",
        "system": "Be brief.",
        "options": {"temperature": 0.25, "num_predict": 9},
    }
    post = RecordedRequest(
        "POST", "/api/generate", "/api/generate", (), json.dumps(body).encode(), 1, 1
    )
    assert DIALECT.request_schema_for(post) == "ollama-generate.request.schema.json"
    parsed = DIALECT.parse_request(post)
    assert parsed.problems == ()  # a top-level `system` is right here, unlike /api/chat
    assert parsed.system == "Be brief."
    assert [m.content for m in parsed.messages] == ["hi"]
    assert (parsed.temperature, parsed.max_tokens, parsed.stream) == (0.25, 9, True)
    chat = RecordedRequest("POST", "/api/chat", "/api/chat", (), b"{}", 1, 1)
    assert DIALECT.request_schema_for(chat) == DIALECT.request_schema


def test_health_endpoints_list_the_scenario_model() -> None:
    scenario = SCENARIOS["text_plain"]
    get = RecordedRequest("GET", "/api/tags", "/api/tags", (), b"", 1, 1)
    tags = DIALECT.endpoint("GET", "/api/tags")
    assert tags is not None
    models = json.loads(DIALECT.render_endpoint(tags, get, scenario).body)["models"]
    assert [m["model"] for m in models] == [scenario.request.model]
    version = DIALECT.endpoint("GET", "/api/version")
    assert version is not None
    assert "version" in json.loads(DIALECT.render_endpoint(version, get, scenario).body)
    root = DIALECT.endpoint("GET", "/")
    assert root is not None
    assert DIALECT.render_endpoint(root, get, scenario).body == b"Ollama is running"


# -- recordings -------------------------------------------------------------------------------


@pytest.mark.corpus("ollama", pattern=CHAT_STREAMS)
def test_recordings_replay_one_line_per_piece(corpus_file: Path) -> None:
    body = corpus_file.read_bytes()
    response = DIALECT.render_recorded(body)
    assert response.body == body
    assert len(response.pieces) == body.count(b"\n")
    assert ("Content-Type", "application/x-ndjson") in response.headers


@pytest.mark.corpus("ollama", pattern=CHAT_STREAMS)
def test_the_oracle_reads_answer_text_and_counts(corpus_file: Path) -> None:
    body = corpus_file.read_bytes()
    reply = DIALECT.recording_reply(body)
    lines = lines_of(body)
    assert reply.text == "".join(line["message"]["content"] for line in lines)
    assert reply.stop_reason == "stop"
    last = lines[-1]
    prompt, completion = last["prompt_eval_count"], last["eval_count"]
    assert reply.usage == Usage(prompt, completion, prompt + completion)


def test_thinking_is_not_answer_text(wire_corpus: Path) -> None:
    body = (wire_corpus / "ollama" / "ollama__chat_stream_thinking_cloud.ndjson").read_bytes()
    reply = DIALECT.recording_reply(body)
    assert reply.text.startswith("1")
    assert "User" not in reply.text


def test_the_oracle_reads_the_recorded_tool_call_body(wire_corpus: Path) -> None:
    """The non-streamed tool-call body is one done line: the oracle reads it like a stream."""
    body = (wire_corpus / "ollama" / "ollama__chat_tool_call_id_index_thinking.json").read_bytes()
    reply = DIALECT.recording_reply(body)
    assert reply.tool_calls == (
        ToolCall("call_mo1wm122", "getWeather", {"location": "San Francisco, CA"}),
    )
    assert reply.stop_reason == "tool_calls"  # the wire says "stop"
    assert reply.text == ""
    assert reply.usage == Usage(145, 44, 189)


def test_the_oracle_reads_an_error_line() -> None:
    body = ndjson(part("Hi"), {"error": "boom"})
    assert DIALECT.recording_reply(body).error == ErrorReply(500, "boom", in_stream=True)


# -- reading requests -------------------------------------------------------------------------

SCHEMA = jsonschema.Draft202012Validator(
    json.loads(schema_path("requests/ollama-chat.request.schema.json").read_text(encoding="utf-8"))
)


def test_parse_request_reads_options_system_and_the_stream_default() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
        ],
        "options": {"temperature": 0.25, "num_predict": 321},
    }
    parsed = DIALECT.parse_request(request(body))
    assert (parsed.model, parsed.temperature, parsed.max_tokens) == ("m", 0.25, 321)
    assert parsed.stream is True  # absent means streaming
    assert parsed.system == "Be terse."
    assert parsed.messages == (ChatMessage("user", "Hi"),)
    assert parsed.problems == ()
    assert not list(SCHEMA.iter_errors(body))


def test_top_level_sampling_settings_are_not_read() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.25,
        "max_tokens": 321,
        "stream": False,
    }
    parsed = DIALECT.parse_request(request(body))
    assert (parsed.temperature, parsed.max_tokens, parsed.stream) == (None, None, False)
    assert parsed.extras["ignored_top_level"] == ["max_tokens", "temperature"]


def test_a_misplaced_system_prompt_is_an_rq6_problem() -> None:
    top_level = DIALECT.parse_request(
        request({"model": "m", "system": "S", "messages": [{"role": "user", "content": "Hi"}]})
    )
    assert top_level.system is None
    assert [c for c, _ in top_level.problems] == ["RQ-6"]
    assert "top-level 'system' field" in top_level.problems[0][1]
    late = DIALECT.parse_request(
        request(
            {
                "model": "m",
                "messages": [{"role": "user", "content": "Hi"}, {"role": "system", "content": "S"}],
            }
        )
    )
    assert late.system is None
    assert "messages[1]" in late.problems[0][1]


def _conversation(
    tool_message: dict[str, Any], *, call_id: str | None = "call_1"
) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {"name": "get_weather", "arguments": {"city": "Lviv"}}}
    if call_id:
        call["id"] = call_id
    return {
        "model": "m",
        "messages": [
            {"role": "user", "content": "Rain?"},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "content": "light rain", **tool_message},
        ],
    }


@pytest.mark.parametrize(
    ("tool_message", "call_id", "link"),
    [
        ({"tool_call_id": "call_1", "tool_name": "get_weather"}, "call_1", "get_weather"),
        ({"tool_call_id": "call_1"}, "call_1", "get_weather"),
        ({"tool_name": "get_weather"}, None, "get_weather"),  # the official client's shape
        ({"tool_call_id": "call_9", "tool_name": "get_weather"}, "call_1", "call_9"),
        ({"tool_call_id": "call_1", "tool_name": "get_time"}, "call_1", "call_1"),
        ({"tool_call_id": "call_1"}, None, "call_1"),
        ({}, "call_1", None),
    ],
)
def test_a_tool_result_is_linked_to_the_name_of_the_call_it_answers(
    tool_message: dict[str, Any], call_id: str | None, link: str | None
) -> None:
    body = _conversation(tool_message, call_id=call_id)
    parsed = DIALECT.parse_request(request(body))
    assistant, tool = parsed.messages[1], parsed.messages[2]
    assert assistant.tool_calls == (ToolCall(call_id or "", "get_weather", {"city": "Lviv"}),)
    assert tool.tool_call_id == link
    assert not list(SCHEMA.iter_errors(body))


def test_the_schema_rejects_what_ollama_rejects() -> None:
    body = _conversation({"tool_name": "get_weather"})
    body["messages"][1]["tool_calls"][0]["function"]["arguments"] = '{"city": "Lviv"}'
    errors = list(SCHEMA.iter_errors(body))
    assert errors and "is not of type 'object'" in errors[0].message
    assert list(
        SCHEMA.iter_errors({"model": "m", "messages": [{"role": "developer", "content": ""}]})
    )
    assert list(SCHEMA.iter_errors({"model": "m", "messages": [], "options": {"num_predict": "5"}}))


# == the NDJSON line decoder ======================================================================

RECORDED_LINES = [
    '{"message":{"content":"Grüße — 日本語 😀🧑‍💻"},"done":false}',
    '{"message":{"content":"\\r\\n"},"done":false}',
    '{"done":true}',
]


def decode_in_pieces(data: bytes, cuts: Sequence[int]) -> list[str]:
    decoder = NDJSONLineDecoder()
    lines: list[str] = []
    start = 0
    for cut in [*cuts, len(data)]:
        lines += decoder.feed(data[start:cut])
        start = cut
    return lines + decoder.flush()


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_every_split_gives_the_same_lines(eol: str) -> None:
    data = "".join(line + eol for line in RECORDED_LINES).encode()
    for cut in range(len(data) + 1):
        assert decode_in_pieces(data, [cut]) == RECORDED_LINES, cut
    rng = random.Random(7)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 20)))
        assert decode_in_pieces(data, cuts) == RECORDED_LINES


def test_byte_by_byte_feeding_gives_each_line_once_it_is_whole() -> None:
    decoder = NDJSONLineDecoder()
    data = b'{"a":1}\n{"b":"\xc3\xa9"}\n'
    seen = [decoder.feed(bytes([byte])) for byte in data]
    assert [lines for lines in seen if lines] == [['{"a":1}'], ['{"b":"é"}']]
    assert decoder.pending == 0


def test_blank_lines_a_bom_and_a_last_line_without_newline() -> None:
    decoder = NDJSONLineDecoder()
    assert decoder.feed(b"\xef\xbb") == []
    assert decoder.feed(b'\xbf{"a":1}\n\n  \r\n{"b":2}') == ['{"a":1}']
    assert decoder.pending == len(b'{"b":2}')
    assert decoder.flush() == ['{"b":2}']


def test_invalid_utf8_and_runaway_lines_are_errors() -> None:
    with pytest.raises(NDJSONError, match="not UTF-8"):
        NDJSONLineDecoder().feed(b'{"a":"\xff"}\n')
    decoder = NDJSONLineDecoder(max_line_bytes=10)
    decoder.feed(b"0123456789")
    with pytest.raises(NDJSONError, match="exceeds 10 bytes"):
        decoder.feed(b"0")


# == the reference provider =======================================================================


def make_provider(**kwargs: Any) -> OllamaProvider:
    return OllamaProvider(api_key=API_KEY, base_url=BASE_URL, **kwargs)


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
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for sent, piece in enumerate(self.pieces):
            if self.pause_after is not None and sent == self.pause_after:
                await self.resume.wait()
            yield piece
        if self.fail_with is not None:
            raise self.fail_with

    async def aclose(self) -> None:
        self.closed = True


def ndjson(*lines: dict[str, Any] | str) -> bytes:
    return b"".join(
        (line if isinstance(line, str) else json.dumps(line)).encode() + b"\n" for line in lines
    )


def part(content: str = "", **message: Any) -> dict[str, Any]:
    return {
        "model": MODEL,
        "created_at": "2025-08-20T13:48:24.316155Z",
        "message": {"role": "assistant", "content": content, **message},
        "done": False,
    }


def done(
    reason: str = "stop", prompt: int | None = 9, completion: int | None = 3
) -> dict[str, Any]:
    line = part()
    line["done"] = True
    line["done_reason"] = reason
    if prompt is not None:
        line["prompt_eval_count"] = prompt
    if completion is not None:
        line["eval_count"] = completion
    return line


def stream_response(stream: httpx.AsyncByteStream, status: int = 200) -> httpx.Response:
    return httpx.Response(status, headers={"content-type": "application/x-ndjson"}, stream=stream)


async def collect(provider: OllamaProvider, **kwargs: Any) -> list[StreamChunk]:
    return [item async for item in provider.stream(HELLO, model=MODEL, **kwargs)]


def sent_json(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


def test_identity_and_repr() -> None:
    provider = make_provider()
    assert isinstance(provider, ChatProvider)
    assert provider.name == "ollama"
    assert API_KEY not in repr(provider)
    assert OllamaProvider().name == "ollama"  # a local Ollama needs no key at all


@respx.mock
def test_chat_request_shape_and_text_answer() -> None:
    route = respx.post(ENDPOINT).respond(
        json={**done(), "message": {"role": "assistant", "content": "Hi ✓"}}
    )
    tools = [ToolDefinition("get_weather", "Weather.", {"type": "object", "properties": {}})]
    messages = [Message("system", "Be terse."), *HELLO]

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(
                messages, model=MODEL, temperature=0.2, max_tokens=50, tools=tools
            )

    response = run(scenario)
    assert (response.content, response.stop_reason) == ("Hi ✓", "stop")
    assert response.usage == NativeUsage(9, 3, 12)
    assert response.model == MODEL
    body = sent_json(route)
    assert body == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hello"},
        ],
        "stream": False,
        "options": {"temperature": 0.2, "num_predict": 50},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather.",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
    }
    assert not list(SCHEMA.iter_errors(body))
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"


@respx.mock
def test_without_a_key_no_authorization_is_sent_and_options_are_left_out() -> None:
    route = respx.post(ENDPOINT).respond(json=done())

    async def scenario() -> Any:
        async with OllamaProvider(base_url=BASE_URL + "/") as provider:
            return await provider.chat(HELLO, model=MODEL)

    run(scenario)
    assert "authorization" not in route.calls.last.request.headers
    assert "options" not in sent_json(route)


@respx.mock
def test_the_tool_conversation_goes_back_with_ids_names_and_object_arguments() -> None:
    route = respx.post(ENDPOINT).respond(json=done())
    call = NativeToolCall("call_1", "get_weather", {"city": "Lviv"})
    messages = [
        *HELLO,
        Message("assistant", "", tool_calls=[call]),
        Message("tool", '{"rain": true}', tool_call_id="call_1"),
    ]

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(messages, model=MODEL)

    run(scenario)
    body = sent_json(route)
    assert body["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Lviv"}},
                }
            ],
        },
        {
            "role": "tool",
            "content": '{"rain": true}',
            "tool_name": "get_weather",
            "tool_call_id": "call_1",
        },
    ]
    assert not list(SCHEMA.iter_errors(body))
    parsed = DIALECT.parse_request(request(body))
    assert parsed.messages[-1].tool_call_id == "get_weather"


@respx.mock
def test_chat_reads_the_recorded_tool_call_body(wire_corpus: Path) -> None:
    """Real ollama.com traffic: id and index on the call, arguments an object, thinking beside
    the content, and done_reason "stop" although the model called a tool."""
    body = (wire_corpus / "ollama" / "ollama__chat_tool_call_id_index_thinking.json").read_bytes()
    respx.post(ENDPOINT).respond(200, content=body, headers={"content-type": "application/json"})

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model="gpt-oss:120b")

    response = run(scenario)
    assert response.content == ""
    assert list(response.tool_calls) == [
        NativeToolCall("call_mo1wm122", "getWeather", {"location": "San Francisco, CA"})
    ]
    assert response.stop_reason == "tool_calls"
    assert response.usage == NativeUsage(145, 44, 189)


@respx.mock
def test_calls_without_ids_get_stable_made_up_ones() -> None:
    calls = [
        {"function": {"name": "a", "arguments": {}}},
        {"function": {"name": "b", "arguments": {"x": 1}}},
    ]
    respx.post(ENDPOINT).respond(
        json={**done(), "message": {"role": "assistant", "content": "", "tool_calls": calls}}
    )

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    response = run(scenario)
    assert [(c.id, c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("call_0", "a", {}),
        ("call_1", "b", {"x": 1}),
    ]


@pytest.mark.parametrize(
    ("reason", "calls", "canonical"),
    [
        ("stop", False, "stop"),
        ("stop", True, "tool_calls"),
        (None, False, "stop"),  # builds before mid-2024 sent no done_reason
        ("length", False, "length"),
        ("length", True, "length"),
        ("unload", False, "unload"),
    ],
)
@respx.mock
def test_stop_reasons(reason: str | None, calls: bool, canonical: str) -> None:
    message: dict[str, Any] = {"role": "assistant", "content": "x"}
    if calls:
        message["tool_calls"] = [{"function": {"name": "f", "arguments": {}}}]
    body = {**done(), "message": message}
    if reason is None:
        del body["done_reason"]
    else:
        body["done_reason"] = reason
    respx.post(ENDPOINT).respond(json=body)

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    assert run(scenario).stop_reason == canonical


@pytest.mark.parametrize(
    ("prompt", "completion", "usage"),
    [(9, 3, NativeUsage(9, 3, 12)), (None, 3, NativeUsage(0, 3, 3)), (None, None, None)],
)
@respx.mock
def test_usage_is_the_two_counts_and_their_sum(
    prompt: int | None, completion: int | None, usage: NativeUsage | None
) -> None:
    respx.post(ENDPOINT).respond(json=done(prompt=prompt, completion=completion))

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    assert run(scenario).usage == usage


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>proxy</html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"model": MODEL, "done": True}),
        httpx.Response(200, json={**done(), "message": {"role": "assistant", "content": 5}}),
        httpx.Response(200, json={**done(), "message": {"content": "", "tool_calls": {}}}),
        httpx.Response(
            200,
            json={
                **done(),
                "message": {"content": "", "tool_calls": [{"function": {"arguments": {}}}]},
            },
        ),
        httpx.Response(
            200,
            json={
                **done(),
                "message": {
                    "content": "",
                    "tool_calls": [{"function": {"name": "f", "arguments": [1]}}],
                },
            },
        ),
        httpx.Response(200, json={**done(prompt=-1)}),
        httpx.Response(200, content=ndjson(part("Hi"), done())),  # a stream where one was not asked
    ],
)
@respx.mock
def test_malformed_chat_bodies_are_invalid_response(response: httpx.Response) -> None:
    respx.post(ENDPOINT).mock(return_value=response)

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(InvalidResponseError) as raised:
        run(scenario)
    assert raised.value.category is ErrorCategory.INVALID_RESPONSE


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, InvalidRequestError),
        (401, AuthError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
@pytest.mark.parametrize("mode", ["chat", "stream"])
@respx.mock
def test_http_errors_carry_the_api_message(
    status: int, error_type: type[ProviderError], mode: str
) -> None:
    message = "registry.ollama.ai/library/gemma3:1b does not support tools"
    respx.post(ENDPOINT).respond(status, json={"error": message}, headers={"Retry-After": "3"})

    async def scenario() -> Any:
        async with make_provider() as provider:
            if mode == "chat":
                return await provider.chat(HELLO, model=MODEL)
            return await collect(provider)

    with pytest.raises(error_type) as raised:
        run(scenario)
    error = raised.value
    assert error.status_code == status
    assert message in error.message
    assert error.provider == "ollama"
    assert isinstance(error.__cause__, httpx.HTTPStatusError)
    assert error.retry_after == 3.0


@respx.mock
def test_an_echoed_key_is_redacted() -> None:
    respx.post(ENDPOINT).respond(401, json={"error": f"bad key {API_KEY}"})

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(AuthError) as raised:
        run(scenario)
    assert API_KEY not in str(raised.value)


@respx.mock
def test_transport_failures_are_connection_errors() -> None:
    respx.post(ENDPOINT).mock(side_effect=httpx.ConnectError("refused"))

    async def scenario() -> Any:
        async with make_provider() as provider:
            return await provider.chat(HELLO, model=MODEL)

    with pytest.raises(ProviderConnectionError):
        run(scenario)


@respx.mock
def test_stream_text_tool_calls_stop_reason_and_usage() -> None:
    body = ndjson(
        part("", thinking="Let me think."),
        part("Checking"),
        part(" now."),
        part(
            "",
            tool_calls=[
                {"id": "call_a", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
            ],
        ),
        part(
            "",
            tool_calls=[
                {"id": "call_b", "function": {"index": 1, "name": "g", "arguments": {}}},
                {"function": {"index": 2, "name": "h", "arguments": {"y": [1]}}},
            ],
        ),
        done(),
    )
    route = respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider, temperature=0.5)

    chunks = run(scenario)
    assert "".join(c.content for c in chunks) == "Checking now."
    calls = [call for c in chunks for call in c.tool_calls]
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("call_a", "f", {"x": 1}),
        ("call_b", "g", {}),
        ("call_2", "h", {"y": [1]}),
    ]
    assert [c.is_final for c in chunks].count(True) == 1 and chunks[-1].is_final
    assert chunks[-1].stop_reason == "tool_calls"
    assert chunks[-1].usage == NativeUsage(9, 3, 12)
    sent = sent_json(route)
    assert sent["stream"] is True and sent["options"] == {"temperature": 0.5}
    assert route.calls.last.request.headers["accept"] == "application/x-ndjson"


@respx.mock
def test_stream_split_anywhere_gives_the_same_answer() -> None:
    text = ["Grüße — ", "日本語 😀🧑‍💻", "\r\n", " end."]
    body = ndjson(*(part(t) for t in text), done("length")).replace(b"\n", b"\r\n")
    for size in (1, 2, 3, 5, 7, 64):
        pieces = [body[i : i + size] for i in range(0, len(body), size)]
        respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream(pieces)))

        async def scenario() -> list[StreamChunk]:
            async with make_provider() as provider:
                return await collect(provider)

        chunks = run(scenario)
        assert "".join(c.content for c in chunks) == "".join(text), size
        assert chunks[-1].stop_reason == "length"


@respx.mock
def test_stream_delivers_text_before_the_server_finishes() -> None:
    stream = ScriptedStream([ndjson(part("first")), ndjson(part(" second"), done())], pause_after=1)
    respx.post(ENDPOINT).mock(return_value=stream_response(stream))

    async def scenario() -> list[str]:
        seen: list[str] = []
        async with make_provider() as provider:
            async for chunk in provider.stream(HELLO, model=MODEL):
                seen.append(chunk.content)
                if chunk.content == "first":
                    stream.resume.set()
        return seen

    assert run(scenario)[:2] == ["first", " second"]


@respx.mock
def test_stream_leaving_early_closes_the_response() -> None:
    stream = ScriptedStream([ndjson(part("a")), ndjson(part("b"), done())], pause_after=1)
    respx.post(ENDPOINT).mock(return_value=stream_response(stream))

    async def scenario() -> None:
        async with make_provider() as provider:
            iterator = provider.stream(HELLO, model=MODEL)
            assert (await iterator.__anext__()).content == "a"
            await iterator.aclose()

    run(scenario)
    assert stream.closed


@pytest.mark.parametrize(
    "body",
    [
        ndjson(part("Hello")),  # ends before its done line
        b"",
        ndjson(part("Hello"))[:-10],  # ends inside a line
    ],
)
@respx.mock
def test_a_stream_cut_before_its_done_line_is_an_error(body: bytes) -> None:
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderError) as raised:
        run(scenario)
    assert raised.value.category is ErrorCategory.NETWORK
    assert raised.value.retryable is True
    assert "stream ended" in raised.value.message


@respx.mock
def test_a_done_line_without_its_newline_still_ends_the_stream() -> None:
    body = ndjson(part("Hello"), done()).rstrip(b"\n")
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert [c.content for c in chunks] == ["Hello", ""]
    assert chunks[-1].is_final


@respx.mock
def test_a_stream_cut_by_the_network_is_a_connection_error() -> None:
    stream = ScriptedStream([ndjson(part("Hel"))], fail_with=httpx.RemoteProtocolError("cut"))
    respx.post(ENDPOINT).mock(return_value=stream_response(stream))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderConnectionError):
        run(scenario)


@pytest.mark.parametrize(
    ("line", "category", "status"),
    [
        ({"error": "llama runner process has terminated"}, ErrorCategory.SERVER, None),
        ({"error": "unauthorized", "status": 401}, ErrorCategory.AUTH, 401),
    ],
)
@respx.mock
def test_an_error_line_inside_a_stream_maps_like_its_http_twin(
    line: dict[str, Any], category: ErrorCategory, status: int | None
) -> None:
    body = ndjson(part("Hel"), line, done())
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(ProviderError) as raised:
        run(scenario)
    assert raised.value.category is category
    assert raised.value.status_code == status
    assert str(line["error"]) in raised.value.message


@pytest.mark.parametrize(
    "body",
    [
        b"not json\n",
        b"[1,2]\n",
        ndjson({"message": "text", "done": False}),
        ndjson(part(tool_calls=[{"function": {"name": "f", "arguments": "{oops"}}])),
        b'{"message":{"content":"\xff"},"done":false}\n',
    ],
)
@respx.mock
def test_malformed_stream_lines_are_invalid_response(body: bytes) -> None:
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body + ndjson(done())])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    with pytest.raises(InvalidResponseError):
        run(scenario)


@respx.mock
def test_the_done_line_may_carry_the_last_text() -> None:
    last = done()
    last["message"]["content"] = " tail"
    body = ndjson(part("head"), last, part("after the end is ignored"))
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream([body])))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert "".join(c.content for c in chunks) == "head tail"
    assert chunks[-1].is_final and chunks[-1].content == ""


@pytest.mark.corpus("ollama", pattern=CHAT_STREAMS)
@respx.mock
def test_stream_reads_recorded_ollama_streams_as_the_oracle_does(corpus_file: Path) -> None:
    body = corpus_file.read_bytes()
    expected = DIALECT.recording_reply(body)
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    respx.post(ENDPOINT).mock(return_value=stream_response(ScriptedStream(pieces)))

    async def scenario() -> list[StreamChunk]:
        async with make_provider() as provider:
            return await collect(provider)

    chunks = run(scenario)
    assert "".join(c.content for c in chunks) == expected.text
    assert chunks[-1].stop_reason == expected.stop_reason
    assert expected.usage is not None
    assert chunks[-1].usage == NativeUsage(
        expected.usage.prompt_tokens, expected.usage.completion_tokens, expected.usage.total_tokens
    )
