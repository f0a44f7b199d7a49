"""How the OpenAI Responses reference provider reads a stream (`OpenAIResponsesProvider`'s base).

A stream is typed events: text in `response.output_text.delta`; a function call opened by
`response.output_item.added`, its arguments in `response.function_call_arguments.delta` and
`.done`, and the whole item again in `response.output_item.done`; the answer ends with
`response.completed` or `response.incomplete` (usage and status), or fails with `response.failed`
or `error`. Servers differ in which of these carry what (arguments only in `.done`, an item id that
changes once the item is done), so a call is assembled from all of them and reported once,
complete, on the final chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reference_providers.contract import StreamChunk, ToolCall, Usage
from reference_providers.error_mapping import make_error
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.sse import ServerSentEvent
from reference_providers.stream_reading import SSEProvider

logger = logging.getLogger(__name__)

#: The events that end a stream with an answer; `response.failed` ends it with an error.
_TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete"})


@dataclass
class _PendingCall:
    """A function call item as far as the stream has told it."""

    call_id: str | None = None
    name: str | None = None
    arguments: str = ""
    complete: Mapping[str, Any] | None = None


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    #: Function call items by output index (or item id), in the order they were opened.
    calls: dict[Any, _PendingCall] = field(default_factory=dict)
    #: The response object of the terminal event, once it came.
    response: Mapping[str, Any] | None = None
    terminal: str | None = None
    usage: Usage | None = None


class ResponsesStreamReading(SSEProvider[_StreamState]):
    """The Responses stream read into chunks; the request and the whole answer: the subclass."""

    def _new_stream_state(self) -> _StreamState:
        return _StreamState()

    def _stream_over(self, state: _StreamState) -> bool:
        return state.terminal is not None

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        raw = event.data.strip()
        if not raw or raw == "[DONE]":  # some compatible servers still end with [DONE]
            return ""
        payload = self._event_payload(event, raw)
        # `data.type` names the event; the `event:` line repeats it, and a few compatible
        # servers leave that line out.
        kind = payload.get("type") or event.event
        return self._absorb_payload(str(kind), payload, state)

    def _absorb_payload(self, kind: str, payload: Mapping[str, Any], state: _StreamState) -> str:
        if kind == "error":
            raise self._in_stream_error(payload)
        if kind == "response.failed":
            raise self._failure(payload["response"])
        if kind == "response.output_text.delta":
            delta = payload["delta"]
            if not isinstance(delta, str):
                raise self._invalid("output_text delta is not a string")
            return delta
        if kind == "response.output_item.added" and payload["item"].get("type") == "function_call":
            item = payload["item"]
            state.calls[_item_key(payload, item)] = _PendingCall(
                call_id=item.get("call_id"),
                name=item.get("name"),
                arguments=item.get("arguments") or "",
            )
        elif kind == "response.function_call_arguments.delta":
            pending = state.calls.setdefault(_item_key(payload), _PendingCall())
            pending.arguments += str(payload["delta"])
        elif kind == "response.function_call_arguments.done":
            pending = state.calls.setdefault(_item_key(payload), _PendingCall())
            pending.arguments = str(payload["arguments"])
        elif kind == "response.output_item.done" and payload["item"].get("type") == "function_call":
            item = payload["item"]
            self._pending_for_item(state, _item_key(payload, item), item).complete = item
        elif kind in _TERMINAL_EVENTS:
            response = payload["response"]
            if not isinstance(response, Mapping):
                raise self._invalid(f"{kind} carries no response object")
            state.response = response
            state.usage = self._parse_usage(response.get("usage"))
            state.terminal = kind
        # Anything else (reasoning, content parts, refusals, unknown events) carries no answer
        # text, call or stop reason (ST-6).
        return ""

    def _pending_for_item(
        self, state: _StreamState, key: Any, item: Mapping[str, Any]
    ) -> _PendingCall:
        """The call a finished item completes: by its key, else by its call_id.

        Some servers give an item one id while it streams and another once it is done; without
        an output_index to tie the two, its call_id (what a tool result names) still does.
        """
        pending = state.calls.get(key)
        if pending is not None:
            return pending
        call_id = item.get("call_id")
        if call_id:
            for candidate in state.calls.values():
                if candidate.call_id == call_id and candidate.complete is None:
                    return candidate
        return state.calls.setdefault(key, _PendingCall())

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if state.terminal is None or state.response is None:
            # ER-7: a body that ends without response.completed/.incomplete was cut short.
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before its terminal event",
                provider=self._name,
                retryable=True,
            )
        calls = tuple(self._finish_call(pending) for pending in state.calls.values())
        return StreamChunk(
            is_final=True,
            stop_reason=self._stop_reason(
                state.response,
                has_calls=bool(calls),
                incomplete=state.terminal != "response.completed",
            ),
            usage=state.usage,
            tool_calls=calls,
        )

    def _finish_call(self, pending: _PendingCall) -> ToolCall:
        """A call from its `output_item.done` item, else from what its other events said."""
        item: dict[str, Any] = {
            "call_id": pending.call_id,
            "name": pending.name,
            "arguments": pending.arguments,
        }
        if pending.complete is not None:
            item.update({k: v for k, v in pending.complete.items() if v is not None})
        return self._tool_call(item)

    # -- what the subclass reads the same way in a whole response ---------------------------------

    def _failure(self, response: Mapping[str, Any]) -> ProviderError:
        raise NotImplementedError

    def _tool_call(self, item: Mapping[str, Any]) -> ToolCall:
        raise NotImplementedError

    def _stop_reason(
        self, response: Mapping[str, Any], *, has_calls: bool, incomplete: bool
    ) -> str | None:
        raise NotImplementedError

    def _parse_usage(self, raw: Any) -> Usage | None:
        raise NotImplementedError


def _item_key(payload: Mapping[str, Any], item: Mapping[str, Any] | None = None) -> Any:
    """What ties an item's events together: its output index, else its item id."""
    index = payload.get("output_index")
    if isinstance(index, int):
        return index
    return payload.get("item_id") or (item or {}).get("id")
