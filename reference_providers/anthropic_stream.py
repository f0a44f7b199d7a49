"""How the Anthropic reference provider reads a Messages stream (`AnthropicProvider`'s base).

A stream is a sequence of typed events: `message_start` (input usage), `content_block_start` /
`content_block_delta` / `content_block_stop` per block (text, or a tool_use whose input streams
as `partial_json` fragments that form the whole JSON text from an empty start: the start event's
`input: {}` is a placeholder, never a prefix), `message_delta` (stop reason, final usage) and
`message_stop`; `ping` carries nothing, `event: error` ends the stream with an error.

When is a stream complete? `message_delta` carries the stop reason and the final usage, and
`message_stop` carries nothing. A body that ends after a `message_delta` with a stop reason has
delivered the whole answer, so it is complete even when `message_stop` is missing (or, as in some
recordings, arrives without the blank line that dispatches it); a body that ends before any stop
reason was cut (ER-7).

A tool_use block left open when the answer hit max_tokens holds unfinished input: it is dropped,
not reported (a call is reported only complete, and running a tool on half its input is worse than
not running it); the `length` stop reason tells the caller the answer was cut.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reference_providers.contract import StreamChunk, ToolCall, Usage
from reference_providers.error_mapping import make_error
from reference_providers.errors import ErrorCategory
from reference_providers.http_provider import EXCERPT, count
from reference_providers.sse import ServerSentEvent
from reference_providers.stream_reading import SSEProvider

logger = logging.getLogger(__name__)


@dataclass
class _Block:
    """One content block of a streamed message, as far as it has arrived."""

    type: str
    id: str | None = None
    name: str | None = None
    #: The input's JSON text, from the fragments only (never the start event's `{}`).
    fragments: list[str] = field(default_factory=list)
    #: The `input` of content_block_start, used only when no fragment ever arrives.
    initial_input: Any = None
    closed: bool = False


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    blocks: dict[int, _Block] = field(default_factory=dict)
    input_tokens: int | None = None
    output_tokens: int | None = None
    stop_reason: str | None = None
    stopped: bool = False


class AnthropicStreamReading(SSEProvider[_StreamState]):
    """The Messages stream read into chunks; the request and the whole answer are the subclass's."""

    # -- stream ----------------------------------------------------------------------------------

    def _new_stream_state(self) -> _StreamState:
        return _StreamState()

    def _stream_over(self, state: _StreamState) -> bool:
        return state.stopped

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        raw = event.data.strip()
        if event.event == "ping" or not raw:
            return ""
        payload = self._event_payload(event, raw)
        if event.event == "error" or payload.get("type") == "error":
            raise self._in_stream_error(payload)
        return self._absorb_payload(payload, state)

    def _absorb_payload(self, payload: Mapping[str, Any], state: _StreamState) -> str:
        """One typed event. The data's `type` decides: the `event:` line only repeats it."""
        kind = payload.get("type")
        if kind == "message_start":
            self._absorb_usage(payload["message"].get("usage"), state)
        elif kind == "content_block_start":
            return self._start_block(payload["index"], payload["content_block"], state)
        elif kind == "content_block_delta":
            return self._absorb_delta(payload["index"], payload["delta"], state)
        elif kind == "content_block_stop":
            self._block(state, payload["index"]).closed = True
        elif kind == "message_delta":
            stop_reason = payload["delta"].get("stop_reason")
            if stop_reason:
                state.stop_reason = str(stop_reason)
            self._absorb_usage(payload.get("usage"), state)
        elif kind == "message_stop":
            state.stopped = True
        # `ping` and event types added after this was written carry nothing we report (ST-6).
        return ""

    def _start_block(self, index: int, block: Mapping[str, Any], state: _StreamState) -> str:
        kind = str(block["type"])
        state.blocks[index] = _Block(
            type=kind,
            id=block.get("id"),
            name=block.get("name"),
            initial_input=block.get("input"),
        )
        if kind == "text":
            text = block.get("text") or ""
            if not isinstance(text, str):
                raise self._invalid(f"text block {index} has non-text 'text'")
            return text
        return ""

    def _absorb_delta(self, index: int, delta: Mapping[str, Any], state: _StreamState) -> str:
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta["text"]
            if not isinstance(text, str):
                raise self._invalid("text_delta 'text' is not a string")
            return text
        if kind == "input_json_delta":
            fragment = delta["partial_json"]
            if not isinstance(fragment, str):
                raise self._invalid("input_json_delta 'partial_json' is not a string")
            self._block(state, index).fragments.append(fragment)
        # thinking_delta, signature_delta, citations_delta: not part of the answer's text.
        return ""

    def _block(self, state: _StreamState, index: int) -> _Block:
        block = state.blocks.get(index)
        if block is None:
            raise self._invalid(f"stream event for content block {index}, which never started")
        return block

    def _absorb_usage(self, raw: Any, state: _StreamState) -> None:
        # message_start has the input count and a provisional output count; message_delta has the
        # final output count (and, from newer servers, the input count again).
        if raw is None:
            return
        if not isinstance(raw, Mapping):
            raise self._invalid("'usage' is not an object")
        input_tokens = count(raw.get("input_tokens"))
        output_tokens = count(raw.get("output_tokens"))
        if input_tokens is not None:
            state.input_tokens = input_tokens
        if output_tokens is not None:
            state.output_tokens = output_tokens

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if state.stop_reason is None and not state.stopped:
            # ER-7: the body ended before message_delta said why the answer stopped.
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before its terminal event",
                provider=self._name,
                retryable=True,
            )
        return StreamChunk(
            is_final=True,
            stop_reason=self._map_stop_reason(state.stop_reason),
            usage=self._stream_usage(state),
            tool_calls=self._stream_tool_calls(state),
        )

    def _stream_usage(self, state: _StreamState) -> Usage | None:
        if state.input_tokens is None or state.output_tokens is None:
            return None
        return _usage(state.input_tokens, state.output_tokens)

    def _stream_tool_calls(self, state: _StreamState) -> tuple[ToolCall, ...]:
        calls: list[ToolCall] = []
        for index in sorted(state.blocks):
            block = state.blocks[index]
            if block.type != "tool_use":
                continue  # server_tool_use and the like are run by the API, not by the caller
            if not block.closed:
                if state.stop_reason == "max_tokens":
                    logger.debug(
                        "%s: dropping tool call %r cut by max_tokens", self._name, block.name
                    )
                    continue
                raise self._invalid(f"tool_use block {index} ({block.name!r}) never closed")
            calls.append(self._tool_call(block, index))
        return tuple(calls)

    def _tool_call(self, block: _Block, index: int) -> ToolCall:
        if not block.id or not block.name:
            raise self._invalid(f"tool_use block {index} lacks an id or a name")
        if block.fragments:
            arguments = self._parse_input("".join(block.fragments), block.name)
        else:
            # Nothing streamed: the start event's input is then the whole input (`{}` normally).
            initial = block.initial_input if block.initial_input is not None else {}
            if not isinstance(initial, Mapping):
                raise self._invalid(f"tool call {block.name!r}: input is not an object")
            arguments = dict(initial)
        return ToolCall(id=block.id, name=block.name, arguments=arguments)

    def _parse_input(self, text: str, name: str) -> dict[str, Any]:
        if not text.strip():
            return {}
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise self._invalid(
                f"tool call {name!r}: input is not valid JSON ({exc}): {text!r:.{EXCERPT}}"
            ) from exc
        if not isinstance(parsed, dict):
            raise self._invalid(
                f"tool call {name!r}: input is JSON {type(parsed).__name__}, not an object"
            )
        return parsed

    def _map_stop_reason(self, raw: Any) -> str | None:
        raise NotImplementedError


def _usage(input_tokens: int, output_tokens: int) -> Usage:
    # The API sends no total; the total of what it counts is the sum.
    return Usage(
        prompt_tokens=input_tokens,
        completion_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
    )
