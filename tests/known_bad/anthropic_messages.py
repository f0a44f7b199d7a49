"""One small, realistic Anthropic Messages bug per class, each planted in the reference provider.

Every class here is `AnthropicProvider` with one seam overridden to make one mistake that real
Anthropic clients make (the docstring says which, and which clause must catch it). Starting from
the reference keeps everything else right, so a flagged clause is flagged for the planted bug.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.anthropic_messages import AnthropicProvider, _Block, _StreamState
from reference_providers.contract import Message, ToolDefinition
from reference_providers.sse import ServerSentEvent

#: The event types a hand-written dispatcher typically knows: everything but `error` and `ping`.
_MESSAGE_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    }
)


class ConcatenatesInitialInput(AnthropicProvider):
    """ST-3: a tool call's input starts from the `input: {}` of content_block_start.

    The start event looks like it carries the input, so the accumulator is seeded with its JSON
    and the partial_json fragments are appended: `{}` + `{"city": "Paris"}` is not JSON. The
    call is lost (here as an invalid-response error); only calls without arguments survive,
    because `{}` + `""` still parses.
    """

    def _start_block(self, index: int, block: Mapping[str, Any], state: _StreamState) -> str:
        text = super()._start_block(index, block, state)
        started: _Block = state.blocks[index]
        if started.type == "tool_use" and block.get("input") is not None:
            started.fragments.append(json.dumps(block["input"]))
        return text


class SwallowsErrorEvent(AnthropicProvider):
    """ER-6: `event: error` is not among the event types the stream loop dispatches on.

    The dispatcher knows the six message events and drops anything else, so an overloaded_error
    in the middle of an answer vanishes; the stream then ends without a stop reason and all the
    caller learns is that the connection ended early, not that the API was overloaded (a
    retryable 529 with the API's own message).
    """

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        if event.event not in _MESSAGE_EVENTS:
            return ""
        return super()._absorb_event(event, state)


class ErrorEventEndsStream(AnthropicProvider):
    """ER-6 (reported today as ER-1/ER-3): an `event: error` is taken as the end of the stream.

    `if event.event in ("message_stop", "error"): break` reads well and turns an overloaded
    answer, cut after its first words, into an apparent success: the caller gets half a text
    and a final chunk, and never retries.
    """

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        if event.event == "error":
            state.stopped = True
            return ""
        return super()._absorb_event(event, state)


class AlwaysStop(AnthropicProvider):
    """CH-3 / ST-5: every stop reason is reported as "stop".

    A mapping written for text answers only: `max_tokens` (cut) and `tool_use` (run the tools)
    both read as a finished answer.
    """

    def _map_stop_reason(self, raw: Any) -> str | None:
        return "stop"


class PingAsContent(AnthropicProvider):
    """ST-1: events the loop does not recognise are passed on as text.

    A generic "SSE to text" adapter yields the data of every event it has no handler for; the
    API's `ping` events then show up in the answer as `{"type": "ping"}`.
    """

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        if event.event not in _MESSAGE_EVENTS and event.event != "error":
            return event.data
        return super()._absorb_event(event, state)


class MissingVersionHeader(AnthropicProvider):
    """RQ-1: no `anthropic-version` header.

    Clients hand-rolled from a curl example often keep the key and drop the version; the API
    answers every request with 400 "anthropic-version: header is required".
    """

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        headers.pop("anthropic-version", None)
        return headers


class UsageFromMessageStart(AnthropicProvider):
    """ST-5: usage is read from message_start only.

    message_start's output count is provisional (usually 1); the real count comes with
    message_delta, which this reader never looks at for usage.
    """

    def _absorb_payload(self, payload: Mapping[str, Any], state: _StreamState) -> str:
        if payload.get("type") == "message_delta":
            payload = {key: value for key, value in payload.items() if key != "usage"}
        return super()._absorb_payload(payload, state)


class SystemAsMessage(AnthropicProvider):
    """RQ-6: the system prompt is sent as a `{"role": "system"}` message, the OpenAI shape.

    Code ported from an OpenAI client keeps its message list as is; the Messages API has no
    system role (it rejects the request) and takes the prompt in the top-level `system` field.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        system = payload.pop("system", None)
        if system is not None:
            payload["messages"].insert(0, {"role": "system", "content": system})
        return payload
