"""The official `google-genai` SDK, pointed at the fake server, reads every scenario as expected.

The SDK is an independent reader of the Gemini wire: its own URL building (model and method in
the path), its own SSE line reader, pydantic models for every response, and its own error
classes. A scenario it reads differently from the scenario's expected result means the fake
server's bytes are not what generativelanguage.googleapis.com sends, so the harness would judge
Gemini providers against a wrong wire.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.dialects.corpus import corpus_scenarios
from conformance.dialects.gemini import GeminiDialect
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Turn, WireOptions
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Mode, Usage
from conformance.vocabulary.data_files import schema_path

genai = pytest.importorskip("google.genai", reason="the official google-genai package is missing")
from google.genai import errors, types  # noqa: E402

#: Gemini's finishReason words, in the canonical vocabulary (STOP with calls is handled apart).
_CANONICAL_STOP = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
}

_SCENARIOS = bundled_scenarios()
_ANSWERING = sorted(name for name, s in _SCENARIOS.items() if s.is_plain_answer)
_FAILING = sorted(name for name, s in _SCENARIOS.items() if s.is_http_error)


def _sdk_cannot_read(scenario: Scenario) -> str | None:
    """Why the SDK cannot read a scenario's framing, for framings Gemini itself never sends.

    The SDK's stream reader takes only lines starting with `data: ` (with the space) and reads
    any other line as a piece of a bare JSON error body. Gemini always writes `data: ` and never
    comment lines, so a scenario that tests SSE tolerance beyond that (ST-6) is out of its reach.
    """
    if not scenario.wire.data_space:
        return "the SDK reads only 'data: ' lines (with the space); Gemini always sends the space"
    if scenario.wire.comments:
        return "the SDK does not skip SSE comment lines; Gemini never sends them"
    return None


def _cases(names: list[str]) -> list[Any]:
    params = []
    for name in names:
        scenario = _SCENARIOS[name]
        for mode in scenario.modes:
            reason = _sdk_cannot_read(scenario) if mode == "stream" else None
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(name, mode, id=f"{name}-{mode}", marks=marks))
    return params


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def api_key() -> str:
    return f"AIza-conformance-sdk-{secrets.token_hex(8)}"


def _client(base_url: str, api_key: str) -> Any:
    """A client on the session's root URL: the SDK appends `/v1beta/models/...` itself."""
    return genai.Client(
        api_key=api_key,
        http_options=types.HttpOptions(
            base_url=base_url,
            api_version="v1beta",
            timeout=10_000,  # milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
    )


def _contents(scenario: Scenario, turn: int) -> list[types.Content]:
    """The conversation as an SDK user writes it; tool results answer their call by name."""
    messages = [m for m in scenario.messages_for_turn(turn) if m.role != "system"]
    names = {call.id: call.name for m in messages for call in m.tool_calls}
    contents: list[types.Content] = []
    for message in messages:
        if message.role == "tool":
            part = types.Part.from_function_response(
                name=names[message.tool_call_id or ""],
                response=json.loads(message.content),
            )
            if contents and contents[-1].role == "user" and _answers(contents[-1]):
                (contents[-1].parts or []).append(part)
            else:
                contents.append(types.Content(role="user", parts=[part]))
        else:
            contents.append(_content(message))
    return contents


def _answers(content: types.Content) -> bool:
    return any(part.function_response is not None for part in content.parts or ())


def _content(message: ChatMessage) -> types.Content:
    if message.role == "assistant":
        parts = [types.Part.from_text(text=message.content)] if message.content else []
        parts += [
            types.Part.from_function_call(name=call.name, args=dict(call.arguments))
            for call in message.tool_calls
        ]
        return types.Content(role="model", parts=parts)
    return types.Content(role="user", parts=[types.Part.from_text(text=message.content)])


def _config(scenario: Scenario) -> types.GenerateContentConfig:
    request = scenario.request
    tools = None
    if request.tools:
        tools = [
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name=tool.name,
                        description=tool.description,
                        parameters_json_schema=dict(tool.parameters),
                    )
                    for tool in request.tools
                ]
            )
        ]
    return types.GenerateContentConfig(
        system_instruction=request.system,
        temperature=request.temperature,
        max_output_tokens=request.max_tokens,
        tools=tools,
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )


def _usage(raw: Any) -> dict[str, int] | None:
    if raw is None or raw.prompt_token_count is None:
        return None
    return {
        "prompt_tokens": raw.prompt_token_count,
        "completion_tokens": raw.candidates_token_count or 0,
        "total_tokens": raw.total_token_count,
    }


class _Reading:
    """What an SDK user collects from responses (one, or each chunk of a stream)."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.usage: dict[str, int] | None = None
        self.finish: str | None = None

    def take(self, response: types.GenerateContentResponse) -> None:
        if response.usage_metadata is not None:
            self.usage = _usage(response.usage_metadata) or self.usage
        for candidate in response.candidates or ():
            for part in (candidate.content.parts if candidate.content else None) or ():
                if part.text is not None and not part.thought:
                    self.text.append(part.text)
                if part.function_call is not None:
                    # The wire has no ids; the judge pairs calls by name, so the id is not read.
                    call = part.function_call
                    self.calls.append({"name": call.name, "arguments": dict(call.args or {})})
            if candidate.finish_reason is not None:
                self.finish = candidate.finish_reason.value

    def result(self) -> dict[str, Any]:
        stop = _CANONICAL_STOP.get(self.finish or "", self.finish)
        if stop == "stop" and self.calls:
            stop = "tool_calls"
        return {
            "text": "".join(self.text),
            "tool_calls": self.calls,
            "usage": self.usage,
            "stop_reason": stop,
        }


def _read(client: Any, scenario: Scenario, turn: int, mode: Mode) -> dict[str, Any]:
    arguments = {
        "model": scenario.request.model,
        "contents": _contents(scenario, turn),
        "config": _config(scenario),
    }
    reading = _Reading()
    if mode == "chat":
        reading.take(client.models.generate_content(**arguments))
    else:
        for chunk in client.models.generate_content_stream(**arguments):
            reading.take(chunk)
    return reading.result()


def _without_ids(expected: dict[str, Any]) -> dict[str, Any]:
    calls = [{"name": c["name"], "arguments": c["arguments"]} for c in expected["tool_calls"]]
    return {**expected, "tool_calls": calls}


@pytest.mark.parametrize(("name", "mode"), _cases(_ANSWERING))
def test_sdk_reads_the_expected_result(
    server: FakeServer, api_key: str, name: str, mode: Mode
) -> None:
    scenario = _SCENARIOS[name]
    with server.session(scenario, GeminiDialect(), api_key) as session:
        client = _client(session.base_url, api_key)
        try:
            results = [_read(client, scenario, turn, mode) for turn in range(len(scenario.turns))]
        finally:
            client.close()
        exchanges = session.snapshot()
    assert [e.turn for e in exchanges] == list(range(len(scenario.turns))), session.transcript()
    expected = _without_ids(scenario.expected_result())
    if expected["usage"] is None:
        # Gemini always sends usageMetadata: where the scenario states none, the dialect sends
        # placeholder counts that nothing judges; the SDK reads them, non-zero.
        assert (results[-1].pop("usage") or {}).get("prompt_tokens"), session.transcript()
        expected.pop("usage")
    assert results[-1] == expected, session.transcript()
    # The SDK's own requests are what the dialect expects: the judge's view of them is clean.
    schema = json.loads(schema_path("requests/gemini.request.schema.json").read_text())
    for exchange in exchanges:
        jsonschema.validate(exchange.request.json(), schema)
        parsed = GeminiDialect().parse_request(exchange.request)
        assert parsed.model == scenario.request.model
        assert parsed.stream is (mode == "stream")
        assert parsed.system == scenario.request.system
        assert not parsed.problems, parsed.problems


@pytest.mark.parametrize(("name", "mode"), _cases(_FAILING))
def test_sdk_raises_its_api_error(server: FakeServer, api_key: str, name: str, mode: Mode) -> None:
    scenario = _SCENARIOS[name]
    error = scenario.final_reply.error
    assert error is not None
    expected_class = errors.ServerError if error.status >= 500 else errors.ClientError
    with server.session(scenario, GeminiDialect(), api_key) as session:
        client = _client(session.base_url, api_key)
        try:
            with pytest.raises(errors.APIError) as raised:
                _read(client, scenario, 0, mode)
        finally:
            client.close()
    exc = raised.value
    assert isinstance(exc, expected_class), session.transcript()
    assert exc.code == error.status
    assert exc.message == error.message
    body = json.loads(GeminiDialect().render_error(error).body)
    assert exc.status == body["error"]["status"]
    for header, value in error.headers.items():
        assert exc.response is not None
        assert exc.response.headers.get(header) == value


def _one_turn(reply: Reply, wire: WireOptions) -> Scenario:
    return Scenario(
        name="sdk_extra",
        title="sdk extra",
        turns=(Turn(reply),),
        request=RequestSpec(messages=(ChatMessage("user", "Hello?"),)),
        wire=wire,
    )


def test_sdk_reads_gemini_crlf_framing_split_anywhere(server: FakeServer, api_key: str) -> None:
    """The framing Gemini really sends (CRLF CRLF), cut in 2-byte pieces, non-ASCII included."""
    reply = Reply(text_parts=("Grüße", " <b>日本</b>", "!"), usage=Usage(3, 4, 9))
    scenario = _one_turn(reply, WireOptions(line_ending="crlf", split_bytes=2))
    with server.session(scenario, GeminiDialect(), api_key) as session:
        client = _client(session.base_url, api_key)
        try:
            result = _read(client, scenario, 0, "stream")
        finally:
            client.close()
    assert result == _without_ids(scenario.expected_result()), session.transcript()


def test_sdk_raises_for_an_error_inside_the_stream(server: FakeServer, api_key: str) -> None:
    """The shape of an error after a 200 (`data: {"error": ...}`) is the one the SDK looks for."""
    error = ErrorReply(503, "The model is overloaded.", in_stream=True)
    scenario = _one_turn(Reply(text_parts=("partial",), error=error), WireOptions())
    with server.session(scenario, GeminiDialect(), api_key) as session:
        client = _client(session.base_url, api_key)
        try:
            with pytest.raises(errors.APIError) as raised:
                _read(client, scenario, 0, "stream")
        finally:
            client.close()
    assert isinstance(raised.value, errors.ServerError), session.transcript()
    assert (raised.value.code, raised.value.status) == (503, "UNAVAILABLE")
    assert raised.value.message == "The model is overloaded."


# -- the wire corpus, read by the SDK ----------------------------------------------------------

#: Recording -> why the SDK reads it differently from the oracle (docs/sdk-quirks.md).
_PARTIAL_ARGS = (
    "the SDK hands each streamed fragment of a call (Vertex partialArgs) to the caller as a "
    "function_call of its own, nameless after the first and without args: assembling them is "
    "left to the caller"
)
_CORPUS_QUIRKS: dict[str, str] = {
    "gemini__vertex_partial_args_array_missing_terminal.sse": _PARTIAL_ARGS,
    "gemini__vertex_partial_args_nested.sse": _PARTIAL_ARGS,
    "gemini__vertex_partial_args_no_args_then_parallel.sse": _PARTIAL_ARGS,
    "gemini__vertex_partial_args_streaming.sse": _PARTIAL_ARGS,
}


@pytest.mark.corpus("gemini")
def test_sdk_reads_recordings_as_the_oracle_does(
    server: FakeServer, api_key: str, corpus_file: Path
) -> None:
    """Three readings of real Gemini traffic agree: the oracle's (expected), the SDK's here, and
    the reference provider's (tests/test_wire_corpus_replay.py)."""
    dialect = GeminiDialect()
    scenario = corpus_scenarios(dialect, corpus_file.parent.parent)[f"wire-{corpus_file.stem}"]
    if scenario.final_reply.error is not None:
        pytest.skip("an error recording: the SDK raises, judged by the ER tests")
    with server.session(scenario, dialect, api_key) as session:
        client = _client(session.base_url, api_key)
        try:
            result = _read(client, scenario, 0, "stream")
        finally:
            client.close()
    expected = _without_ids(scenario.expected_result())
    quirk = _CORPUS_QUIRKS.get(corpus_file.name)
    if quirk is None:
        assert result == expected
    else:
        assert result != expected, f"the SDK now reads {corpus_file.name}: remove the quirk"
