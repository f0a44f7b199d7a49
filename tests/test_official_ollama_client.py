"""The official `ollama` Python client, pointed at the fake server, reads every scenario right.

The client is an independent reader of the wire: httpx's own line splitting and the client's
pydantic models, sharing no code with the harness or the reference provider. A scenario it reads
differently from the scenario's expected result means the fake server's bytes are not what an
Ollama server sends, so the harness would be judging providers against a wrong wire.

Two things the client cannot witness, and how they are checked instead: its pydantic models drop
the tool-call `id` that current Ollama sends (ollama-python has no such field), so ids are
checked in the response bytes; and it reads no total token count, as Ollama sends none, so usage
is compared through the dialect's `wire_usage` (total = prompt + completion).
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.dialects.corpus import corpus_scenarios
from conformance.dialects.ollama_chat import OllamaChatDialect
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Turn
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Mode

ollama = pytest.importorskip("ollama", reason="the official ollama package is not installed")

DIALECT = OllamaChatDialect()
_SCENARIOS = bundled_scenarios()
_ANSWERING = sorted(name for name, s in _SCENARIOS.items() if s.is_plain_answer)
_FAILING = sorted(name for name, s in _SCENARIOS.items() if s.is_http_error)
_TEXT_ONLY = sorted(
    name for name in _ANSWERING if not any(t.reply.tool_calls for t in _SCENARIOS[name].turns)
)
_CLIENTS = ("sync", "async")


def _cases(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, mode, kind, id=f"{name}-{mode}-{kind}")
        for name in names
        for mode in _SCENARIOS[name].modes
        for kind in _CLIENTS
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client sends $OLLAMA_API_KEY when set; the test decides what credentials go out."""
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    monkeypatch.delenv("OLLAMA_HOST", raising=False)


@pytest.fixture
def api_key() -> str:
    return f"sk-conformance-ollama-{secrets.token_hex(8)}"


def _message(message: ChatMessage, names: dict[str, str]) -> dict[str, Any]:
    """A message as a user of the client writes it (the client knows no tool_call_id)."""
    if message.role == "tool":
        return {
            "role": "tool",
            "content": message.content,
            "tool_name": names[message.tool_call_id or ""],
        }
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content,
            "tool_calls": [
                {"function": {"name": call.name, "arguments": dict(call.arguments)}}
                for call in message.tool_calls
            ],
        }
    return {"role": message.role, "content": message.content}


def _request(scenario: Scenario, turn: int) -> dict[str, Any]:
    messages = scenario.messages_for_turn(turn)
    names = {call.id: call.name for m in messages for call in m.tool_calls}
    arguments: dict[str, Any] = {
        "model": scenario.request.model,
        "messages": [_message(m, names) for m in messages],
        "options": {
            "temperature": scenario.request.temperature,
            "num_predict": scenario.request.max_tokens,
        },
    }
    if scenario.request.tools:
        arguments["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": dict(tool.parameters),
                },
            }
            for tool in scenario.request.tools
        ]
    return arguments


class _Reading:
    """A chat answer accumulated from one response or from a stream's parts."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.done_reason: str | None = None
        self.usage: dict[str, int] | None = None
        self.done = 0

    def add(self, part: Any) -> None:
        message = part.message
        self.text.append(message.content or "")
        for call in message.tool_calls or ():
            self.calls.append(
                {"name": call.function.name, "arguments": dict(call.function.arguments)}
            )
        if part.done:
            self.done += 1
            self.done_reason = part.done_reason
            if part.prompt_eval_count is not None or part.eval_count is not None:
                prompt, completion = part.prompt_eval_count or 0, part.eval_count or 0
                self.usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }

    def result(self) -> dict[str, Any]:
        assert self.done == 1, f"{self.done} done parts, expected exactly one"
        stop = self.done_reason
        if self.calls and stop == "stop":
            stop = "tool_calls"  # Ollama says "stop" when the model called tools
        return {
            "text": "".join(self.text),
            "tool_calls": self.calls,
            "usage": self.usage,
            "stop_reason": stop,
        }


def _read_sync(client: Any, request: dict[str, Any], mode: Mode) -> dict[str, Any]:
    reading = _Reading()
    if mode == "chat":
        reading.add(client.chat(**request, stream=False))
    else:
        for part in client.chat(**request, stream=True):
            reading.add(part)
    return reading.result()


async def _read_async(client: Any, request: dict[str, Any], mode: Mode) -> dict[str, Any]:
    reading = _Reading()
    if mode == "chat":
        reading.add(await client.chat(**request, stream=False))
    else:
        parts: AsyncIterator[Any] = await client.chat(**request, stream=True)
        async for part in parts:
            reading.add(part)
    return reading.result()


def _read_all(
    root_url: str, scenario: Scenario, mode: Mode, kind: str, headers: dict[str, str] | None
) -> list[dict[str, Any]]:
    """Every turn of the conversation, through the sync or the async client."""
    requests = [_request(scenario, turn) for turn in range(len(scenario.turns))]
    if kind == "sync":
        with ollama.Client(host=root_url, timeout=10.0, headers=headers) as client:
            return [_read_sync(client, request, mode) for request in requests]

    async def main() -> list[dict[str, Any]]:
        async with ollama.AsyncClient(host=root_url, timeout=10.0, headers=headers) as client:
            return [await _read_async(client, request, mode) for request in requests]

    return asyncio.run(main())


def _expected(scenario: Scenario) -> dict[str, Any]:
    """The scenario's expected result as this wire can carry it: no ids, no separate total."""
    expected = scenario.expected_result()
    reply = scenario.final_reply
    expected["tool_calls"] = [
        {"name": call.name, "arguments": dict(call.arguments)} for call in reply.tool_calls
    ]
    if reply.usage is not None:
        expected["usage"] = DIALECT.wire_usage(reply.usage).as_json()
    return expected


def _bodies(exchanges: Iterable[Any]) -> bytes:
    return b"".join(exchange.response.body for exchange in exchanges)


@pytest.mark.parametrize(("name", "mode", "kind"), _cases(_ANSWERING))
def test_client_reads_the_expected_result(
    server: FakeServer, api_key: str, name: str, mode: Mode, kind: str
) -> None:
    scenario = _SCENARIOS[name]
    with server.session(scenario, DIALECT, api_key) as session:
        results = _read_all(session.root_url, scenario, mode, kind, headers=None)
        exchanges = session.snapshot()
    assert [exchange.turn for exchange in exchanges] == list(range(len(scenario.turns)))
    assert results[-1] == _expected(scenario), session.transcript()
    # The ids the client cannot show are on the wire, as current Ollama sends them.
    for call in scenario.final_reply.tool_calls:
        assert f'"id":"{call.id}"'.encode() in _bodies(exchanges[-1:]), session.transcript()


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_client_with_a_cloud_key_is_accepted(server: FakeServer, api_key: str, mode: Mode) -> None:
    """Ollama cloud: the key as a bearer token. The server accepts it, and nothing else."""
    scenario = _SCENARIOS["text_plain"]
    with server.session(scenario, DIALECT, api_key) as session:
        auth = {"Authorization": f"Bearer {api_key}"}
        assert _read_all(session.root_url, scenario, mode, "sync", auth)[-1] == _expected(scenario)
    with server.session(scenario, DIALECT, api_key) as session:
        wrong = {"Authorization": "Bearer not-the-key"}
        with pytest.raises(ollama.ResponseError) as raised:
            _read_all(session.root_url, scenario, mode, "sync", wrong)
    assert raised.value.status_code == 401


@pytest.mark.parametrize(("name", "mode", "kind"), _cases(_FAILING))
def test_client_raises_its_response_error(
    server: FakeServer, api_key: str, name: str, mode: Mode, kind: str
) -> None:
    scenario = _SCENARIOS[name]
    error = scenario.final_reply.error
    assert error is not None
    with (
        server.session(scenario, DIALECT, api_key) as session,
        pytest.raises(ollama.ResponseError) as raised,
    ):
        _read_all(session.root_url, scenario, mode, kind, headers=None)
    exc = raised.value
    assert exc.status_code == error.status, session.transcript()
    assert exc.error == error.message
    (exchange,) = session.snapshot()
    for header, value in error.headers.items():
        assert (header, value) in exchange.response.headers


@pytest.mark.parametrize("kind", _CLIENTS)
def test_client_raises_an_error_line_inside_a_stream(
    server: FakeServer, api_key: str, kind: str
) -> None:
    """Ollama's error line after content has gone out: `{"error": "..."}`, no status."""
    base = _SCENARIOS["text_plain"]
    failing = ErrorReply(500, "llama runner process has terminated: exit status 2", in_stream=True)
    reply = dataclasses.replace(base.final_reply, error=failing)
    scenario = dataclasses.replace(base, turns=(Turn(reply),))
    with (
        server.session(scenario, DIALECT, api_key) as session,
        pytest.raises(ollama.ResponseError) as raised,
    ):
        _read_all(session.root_url, scenario, "stream", kind, headers=None)
    assert raised.value.error == failing.message
    (exchange,) = session.snapshot()
    assert exchange.response.status == 200
    assert b'"content":"Hello"' in exchange.response.body


@pytest.mark.parametrize("name", _TEXT_ONLY)
@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_client_generate_reads_the_scenario_text(
    server: FakeServer, api_key: str, name: str, stream: bool
) -> None:
    """/api/generate, which text-only Ollama providers use, answers the scenario's text."""
    scenario = _SCENARIOS[name]
    with (
        server.session(scenario, DIALECT, api_key) as session,
        ollama.Client(host=session.root_url, timeout=10.0) as client,
    ):
        prompt = scenario.request.messages[-1].content
        if stream:
            parts = list(client.generate(scenario.request.model, prompt, stream=True))
        else:
            parts = [client.generate(scenario.request.model, prompt, stream=False)]
    assert "".join(part.response or "" for part in parts) == scenario.final_reply.text
    assert [part.done for part in parts].count(True) == 1 and parts[-1].done
    expected_reason = "length" if scenario.final_reply.effective_stop_reason == "length" else "stop"
    assert parts[-1].done_reason == expected_reason
    if scenario.final_reply.usage is not None:
        assert parts[-1].prompt_eval_count == scenario.final_reply.usage.prompt_tokens
        assert parts[-1].eval_count == scenario.final_reply.usage.completion_tokens


def test_client_health_endpoints_answer(server: FakeServer, api_key: str) -> None:
    """The model list, version and model details that Ollama providers check health with."""
    scenario = _SCENARIOS["text_plain"]
    with (
        server.session(scenario, DIALECT, api_key) as session,
        ollama.Client(host=session.root_url, timeout=10.0) as client,
    ):
        listed = client.list()
        shown = client.show(scenario.request.model)
        with pytest.raises(ollama.ResponseError) as missing:
            client.show("no-such-model")
    assert [model.model for model in listed.models] == [scenario.request.model]
    assert shown.capabilities is not None and "tools" in shown.capabilities
    assert missing.value.status_code == 404


@pytest.mark.corpus("ollama", pattern="ollama__chat_stream_*.ndjson")
def test_client_reads_recordings_as_the_oracle_does(
    server: FakeServer, api_key: str, corpus_file: Path
) -> None:
    """Real Ollama streams, replayed verbatim: the client and the dialect's oracle agree."""
    recorded = corpus_scenarios(DIALECT, corpus_file.parent.parent)
    scenario = recorded[f"wire-{corpus_file.stem}"]
    with server.session(scenario, DIALECT, api_key) as session:
        (result,) = _read_all(session.root_url, scenario, "stream", "sync", headers=None)
    assert result == _expected(scenario)
