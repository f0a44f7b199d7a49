"""The official `openai` SDK, pointed at the fake server, must read every scenario as expected.

The SDK is an independent reader of the wire: it sits on httpx2 and its own SSE decoder, shares no
code with the harness or the reference provider, and validates every body and chunk against its
pydantic models (strict validation is on). A scenario that the SDK reads differently from the
scenario's expected result means the fake server's bytes are not what api.openai.com sends, so
the harness would be judging providers against a wrong wire.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pytest

from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Mode

openai = pytest.importorskip("openai", reason="the official openai package is not installed")

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

#: OpenAI's finish_reason words, in the canonical vocabulary of conformance.vocabulary.canonical.
_CANONICAL_STOP = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}

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


def _message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
                }
                for call in message.tool_calls
            ],
        }
    return {"role": message.role, "content": message.content}


def _request(scenario: Scenario, turn: int) -> dict[str, Any]:
    """The keyword arguments an SDK user would pass for this turn of the conversation."""
    messages = [_message(m) for m in scenario.messages_for_turn(turn)]
    arguments: dict[str, Any] = {
        "model": scenario.request.model,
        "messages": cast("list[ChatCompletionMessageParam]", messages),
        "temperature": scenario.request.temperature,
        "max_tokens": scenario.request.max_tokens,
    }
    if scenario.request.tools:
        tools = [
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
        arguments["tools"] = cast("list[ChatCompletionToolParam]", tools)
    return arguments


def _usage(raw: Any) -> dict[str, int] | None:
    if raw is None:
        return None
    return {
        "prompt_tokens": raw.prompt_tokens,
        "completion_tokens": raw.completion_tokens,
        "total_tokens": raw.total_tokens,
    }


def _chat(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    completion = client.chat.completions.create(**request)
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    calls = []
    for call in choice.message.tool_calls or ():
        assert call.type == "function", f"tool call of type {call.type!r}"
        calls.append(
            {
                "id": call.id,
                "name": call.function.name,
                "arguments": json.loads(call.function.arguments),
            }
        )
    return {
        "text": choice.message.content or "",
        "tool_calls": calls,
        "usage": _usage(completion.usage),
        "stop_reason": _CANONICAL_STOP.get(choice.finish_reason, choice.finish_reason),
    }


@dataclass
class _PendingCall:
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)


def _stream(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """Accumulate a stream the way the OpenAI cookbook does: text by concatenation, tool calls
    by their `index`, taking the first id and name seen and joining the argument fragments."""
    text: list[str] = []
    calls: dict[int, _PendingCall] = {}
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    with client.chat.completions.create(
        **request, stream=True, stream_options={"include_usage": True}
    ) as stream:
        for chunk in stream:
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            for choice in chunk.choices:
                assert choice.index == 0
                if choice.delta.content:
                    text.append(choice.delta.content)
                for fragment in choice.delta.tool_calls or ():
                    pending = calls.setdefault(fragment.index, _PendingCall())
                    pending.id = pending.id or fragment.id
                    if fragment.function is not None:
                        pending.name = pending.name or fragment.function.name
                        pending.arguments.append(fragment.function.arguments or "")
                if choice.finish_reason is not None:
                    finish_reason = choice.finish_reason
    return {
        "text": "".join(text),
        "tool_calls": [
            {
                "id": calls[index].id,
                "name": calls[index].name,
                "arguments": json.loads("".join(calls[index].arguments)),
            }
            for index in sorted(calls)
        ],
        "usage": usage,
        "stop_reason": _CANONICAL_STOP.get(finish_reason or "", finish_reason),
    }


@pytest.mark.parametrize(("name", "mode"), _cases(_ANSWERING))
def test_sdk_reads_the_expected_result(
    server: FakeServer, api_key: str, name: str, mode: Mode
) -> None:
    scenario = _SCENARIOS[name]
    read = _stream if mode == "stream" else _chat
    with (
        server.session(scenario, OpenAIChatDialect(), api_key) as session,
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
        server.session(scenario, OpenAIChatDialect(), api_key) as session,
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
