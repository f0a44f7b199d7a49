"""The official `openai` SDK's Responses API, pointed at the fake server, reads every scenario.

The SDK is an independent reader of the openai-responses wire: it shares no code with the harness
or the reference provider, and with strict response validation on it checks every body and every
stream event against its pydantic models. A scenario the SDK reads differently from the scenario's
expected result means the fake server's bytes are not what api.openai.com sends.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from conformance.dialects.openai_responses import OpenAIResponsesDialect
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.scenarios.model import ErrorReply, Reply, Turn
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Mode

openai = pytest.importorskip("openai", reason="the official openai package is not installed")

#: `incomplete_details.reason` in the canonical vocabulary of conformance.vocabulary.canonical.
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}

#: The exception class the SDK documents for each status; anything else is plain APIStatusError.
_STATUS_ERRORS: dict[int, type[Exception]] = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
}

_SCENARIOS = bundled_scenarios()
_ANSWERING = sorted(name for name, s in _SCENARIOS.items() if s.is_plain_answer)
_FAILING = sorted(name for name, s in _SCENARIOS.items() if s.is_http_error)


def _cases(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, mode, id=f"{name}-{mode}")
        for name in names
        for mode in _SCENARIOS[name].modes
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def api_key() -> str:
    return f"sk-conformance-sdk-{secrets.token_hex(8)}"


def _client(base_url: str, api_key: str) -> Any:
    # Strict validation makes a missing or mistyped field fail here instead of reading as None.
    return openai.OpenAI(
        base_url=base_url,
        api_key=api_key,
        max_retries=0,
        timeout=10.0,
        _strict_response_validation=True,
    )


def _items(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {
                "type": "function_call_output",
                "call_id": message.tool_call_id,
                "output": message.content,
            }
        ]
    items: list[dict[str, Any]] = []
    if message.content or not message.tool_calls:
        items.append({"role": message.role, "content": message.content})
    items += [
        {
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": json.dumps(dict(call.arguments)),
        }
        for call in message.tool_calls
    ]
    return items


def _request(scenario: Scenario, turn: int) -> dict[str, Any]:
    """The keyword arguments an SDK user would pass for this turn of the conversation."""
    messages = scenario.messages_for_turn(turn)
    arguments: dict[str, Any] = {
        "model": scenario.request.model,
        "input": [item for m in messages if m.role != "system" for item in _items(m)],
        "temperature": scenario.request.temperature,
        "max_output_tokens": scenario.request.max_tokens,
    }
    system = [m.content for m in messages if m.role == "system"]
    if system:
        arguments["instructions"] = "\n\n".join(system)
    if scenario.request.tools:
        arguments["tools"] = [
            {
                "type": "function",
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters),
                "strict": False,
            }
            for tool in scenario.request.tools
        ]
    return arguments


def _result(response: Any, text: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The canonical result of a finished response, as the API documents its status words."""
    if response.status == "incomplete":
        reason = response.incomplete_details.reason
        stop = _INCOMPLETE.get(reason, reason)
    else:
        assert response.status == "completed", response.status
        stop = "tool_calls" if calls else "stop"
    usage = response.usage
    return {
        "text": text,
        "tool_calls": calls,
        "usage": None
        if usage is None
        else {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
        "stop_reason": stop,
    }


def _call(item: Any) -> dict[str, Any]:
    # The contract's tool-call id is call_id; the item's own id (fc_...) is a storage handle.
    assert item.id and item.id != item.call_id
    return {"id": item.call_id, "name": item.name, "arguments": json.loads(item.arguments)}


def _chat(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    response = client.responses.create(**request)
    calls = [_call(item) for item in response.output if item.type == "function_call"]
    return _result(response, response.output_text, calls)


def _stream(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Read the events the way the Responses streaming guide does: text from output_text
    deltas, each call from its finished output item, the rest from the terminal response."""
    text: list[str] = []
    calls: list[dict[str, Any]] = []
    final: Any = None
    numbers: list[int] = []
    with client.responses.create(**request, stream=True) as stream:
        for event in stream:
            numbers.append(event.sequence_number)
            if event.type == "response.output_text.delta":
                text.append(event.delta)
            elif event.type == "response.output_item.done" and event.item.type == "function_call":
                calls.append(_call(event.item))
            elif event.type in ("response.completed", "response.incomplete"):
                assert final is None, "two terminal events"
                final = event.response
    assert numbers == list(range(len(numbers))), numbers
    assert final is not None, "the stream ended without a terminal event"
    assert "".join(text) == final.output_text
    return _result(final, "".join(text), calls)


@pytest.mark.parametrize(("name", "mode"), _cases(_ANSWERING))
def test_sdk_reads_the_expected_result(
    server: FakeServer, api_key: str, name: str, mode: Mode
) -> None:
    scenario = _SCENARIOS[name]
    read = _stream if mode == "stream" else _chat
    with (
        server.session(scenario, OpenAIResponsesDialect(), api_key) as session,
        _client(session.base_url, api_key) as client,
    ):
        results = [read(client, _request(scenario, turn)) for turn in range(len(scenario.turns))]
        turns_played = [exchange.turn for exchange in session.snapshot()]
    assert turns_played == list(range(len(scenario.turns))), session.transcript()
    assert results[-1] == scenario.expected_result(), session.transcript()


@pytest.mark.parametrize(("name", "mode"), _cases(_FAILING))
def test_sdk_raises_its_status_error(
    server: FakeServer, api_key: str, name: str, mode: Mode
) -> None:
    scenario = _SCENARIOS[name]
    error = scenario.final_reply.error
    assert error is not None
    expected_class = _STATUS_ERRORS.get(
        error.status, openai.InternalServerError if error.status >= 500 else openai.APIStatusError
    )
    read = _stream if mode == "stream" else _chat
    with (
        server.session(scenario, OpenAIResponsesDialect(), api_key) as session,
        _client(session.base_url, api_key) as client,
        pytest.raises(openai.APIStatusError) as raised,
    ):
        read(client, _request(scenario, 0))
    exc = raised.value
    assert type(exc) is expected_class, session.transcript()
    assert exc.status_code == error.status
    assert error.message in str(exc)
    assert isinstance(exc.body, dict) and exc.body.get("message") == error.message
    for header, value in error.headers.items():
        assert exc.response.headers.get(header) == value


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limit_exceeded"), (500, "server_error")])
def test_sdk_reads_a_failure_inside_the_stream(
    server: FakeServer, api_key: str, status: int, code: str
) -> None:
    """An in-stream failure (no bundled scenario has one) is an `error` event and
    `response.failed`, both valid for the SDK's models, carrying the API's code and message."""
    message = "The model had a problem while answering."
    base = _SCENARIOS["text_plain"]
    scenario = replace(
        base,
        name=f"in_stream_{status}",
        turns=(Turn(Reply(error=ErrorReply(status, message, in_stream=True))),),
    )
    events: list[Any] = []
    with (
        server.session(scenario, OpenAIResponsesDialect(), api_key) as session,
        _client(session.base_url, api_key) as client,
        client.responses.create(**_request(scenario, 0), stream=True) as stream,
    ):
        events = list(stream)
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "error",
        "response.failed",
    ], session.transcript()
    error_event, failed = events[2], events[3]
    assert (error_event.code, error_event.message) == (code, message)
    assert failed.response.status == "failed"
    assert (failed.response.error.code, failed.response.error.message) == (code, message)
