"""The reference provider for the OpenAI Chat Completions API and servers that copy it.

It is the yardstick the harness is checked against, and the base that the harness's own tests
subclass to plant one bug at a time; hence every step of a request lives in a small method of its
own (a seam) that a subclass can override without copying the rest.

Retries: `max_retries` is accepted and stored so that configurations written for a later retry
policy already validate, but no request is retried yet; every failure surfaces on the first try.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import make_error
from reference_providers.errors import ErrorCategory
from reference_providers.http_provider import EXCERPT, count, dumps
from reference_providers.sse import ServerSentEvent
from reference_providers.stream_reading import SSEProvider, scan_json
from reference_providers.tool_call_accumulator import ToolCallAccumulator

logger = logging.getLogger(__name__)

_STOP_REASONS: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    accumulator: ToolCallAccumulator
    finish_reason: str | None = None
    usage: Usage | None = None
    done: bool = False


class OpenAICompatibleProvider(SSEProvider[_StreamState]):
    """A native `ChatProvider` speaking the `openai-chat` dialect over httpx."""

    body_name = "completion"
    _logger = logger

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.openai.com/v1",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "openai",
        capabilities: Capabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            name=name,
            capabilities=capabilities,
            default_headers=default_headers,
        )

    # -- chat ------------------------------------------------------------------------------------

    async def _send(self, model: str, payload: Mapping[str, Any]) -> httpx.Response:
        return await self._post(payload)

    async def _post(self, payload: Mapping[str, Any]) -> httpx.Response:
        # Its own seam (the harness plants a form-encoded body here); the model is in the payload.
        logger.debug("%s: chat request for model %r", self._name, payload.get("model"))
        return await self._client().post(
            self._endpoint_url(), content=self._encode(payload), headers=self._headers()
        )

    def _is_error_body(self, data: Mapping[str, Any]) -> bool:
        return "choices" not in data and data.get("error") is not None

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        return self._parse_completion(data)

    # -- stream ----------------------------------------------------------------------------------

    def _new_stream_state(self) -> _StreamState:
        return _StreamState(accumulator=self._new_accumulator())

    def _stream_over(self, state: _StreamState) -> bool:
        return state.done

    def _new_accumulator(self) -> ToolCallAccumulator:
        return ToolCallAccumulator(provider=self._name)

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        kind = event.event
        if kind != "message" and kind != "error":
            return ""  # ST-6: unknown event types are ignored
        raw = event.data.strip()
        if not raw:
            return ""
        if raw == "[DONE]":
            state.done = True
            return ""
        # The usual event, a JSON object, is scanned here (once per event of a long stream);
        # anything else goes to _event_payload, which raises what it is.
        try:
            payload, end = scan_json(raw, 0)
        except (StopIteration, ValueError):
            end = -1
        if end != len(raw) or type(payload) is not dict:
            payload = self._event_payload(event, raw)
        if kind == "error" or payload.get("error") is not None:
            raise self._in_stream_error(payload)
        return self._absorb_chunk(payload, state)

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        # Hot for long streams (once per event): plain branches, no call that a branch can spare.
        usage = chunk.get("usage")
        if usage is None:
            vendor = chunk.get("x_groq")  # Groq: usage only here, on the last chunk
            if vendor is not None and isinstance(vendor, Mapping):
                usage = vendor.get("usage")
        if usage is not None:
            # Usually the usage-only chunk (choices: []) near the end, but Perplexity sends the
            # counts so far on every chunk and servers may send chunks after it: the last usage
            # sent wins, so it is counted once, and a chunk without usage leaves it as it is.
            state.usage = self._parse_usage(usage)
        choices = chunk.get("choices")
        if choices is None:
            return ""
        if not isinstance(choices, list):
            raise self._invalid("stream chunk 'choices' is not a list")
        text = ""
        for choice in choices:
            # With n > 1 the answers interleave; the native contract carries the first one.
            if choice.get("index"):
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content is not None:
                if not isinstance(content, str):
                    content = self._delta_parts_text(content)
                text += content
            fragments = delta.get("tool_calls")
            if fragments:
                for fragment in fragments:
                    state.accumulator.add(fragment)
            finish_reason = choice.get("finish_reason")
            if finish_reason:  # some compatible servers send "" for "not yet"
                # OpenRouter may state it twice (on the last text chunk and again after it):
                # the later one is the same answer's, so it replaces, never adds.
                state.finish_reason = str(finish_reason)
        return text

    def _delta_parts_text(self, content: Any) -> str:
        try:
            # (Mistral) typed parts, of which only the text parts are the answer.
            return _text_content(content)
        except TypeError as exc:
            raise self._invalid("stream delta 'content' is neither text nor parts") from exc

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if not state.done and state.finish_reason is None:
            # ER-7: a body that ends without [DONE] or a finish_reason was cut short.
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before its terminal event",
                provider=self._name,
                retryable=True,
            )
        return StreamChunk(
            is_final=True,
            stop_reason=self._map_stop_reason(state.finish_reason),
            usage=state.usage,
            tool_calls=tuple(state.accumulator.finish()),
        )

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:  # local servers (Ollama, LM Studio, vLLM) are often run without a key
            ours["Authorization"] = f"Bearer {self._api_key}"
        return self._with_default_headers(ours, reserved=frozenset({"authorization"}))

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url()

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}/chat/completions"

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
        payload: dict[str, Any] = {
            "model": model,
            "messages": [self._serialize_message(message) for message in messages],
            "stream": stream,
        }
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if tools:  # the API rejects an empty tools array
            payload["tools"] = [self._serialize_tool(tool) for tool in tools]
        if stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def _serialize_message(self, message: Message) -> dict[str, Any]:
        if message.role == "tool":
            if not message.tool_call_id:
                raise self._invalid_request("a tool message needs the tool_call_id it answers")
            return {
                "role": "tool",
                "tool_call_id": message.tool_call_id,
                "content": message.content,
            }
        if message.role == "assistant" and message.tool_calls:
            return {
                "role": "assistant",
                "content": message.content or None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": dumps(call.arguments)},
                    }
                    for call in message.tool_calls
                ],
            }
        return {"role": message.role, "content": message.content}

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }

    # -- response --------------------------------------------------------------------------------

    def _parse_completion(self, data: Mapping[str, Any]) -> CompletionResponse:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self._invalid("completion has no choices")
        choice = choices[0]
        message = choice["message"]
        model = data.get("model")
        return CompletionResponse(
            content=_text_content(message.get("content")),
            tool_calls=self._parse_tool_calls(message.get("tool_calls")),
            stop_reason=self._map_stop_reason(choice.get("finish_reason")),
            usage=self._parse_usage(data.get("usage")),
            model=model if isinstance(model, str) else None,
        )

    def _parse_tool_calls(self, raw: Any) -> tuple[ToolCall, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self._invalid("message 'tool_calls' is not a list")
        # A complete call is a stream of one fragment: one parser checks both paths alike.
        accumulator = ToolCallAccumulator(provider=self._name)
        for position, call in enumerate(raw):
            if not isinstance(call, Mapping):
                raise self._invalid(f"tool call {position} is not an object")
            accumulator.add({**call, "index": position})
        return tuple(accumulator.finish())

    def _map_stop_reason(self, raw: str | None) -> str | None:
        if not raw:
            return None
        return _STOP_REASONS.get(raw, raw)

    def _parse_usage(self, raw: Mapping[str, Any] | None) -> Usage | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self._invalid("'usage' is not an object")
        prompt = count(raw.get("prompt_tokens"))
        completion = count(raw.get("completion_tokens"))
        if prompt is None or completion is None:
            raise self._invalid(f"usage lacks token counts: {dict(raw)!r:.{EXCERPT}}")
        raw_total = raw.get("total_tokens")
        total = prompt + completion if raw_total is None else count(raw_total)
        if total is None:
            raise self._invalid("usage 'total_tokens' is not a count")
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def _text_content(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        # Some compatible servers answer with content parts instead of a string.
        return "".join(
            part.get("text", "")
            for part in raw
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    raise TypeError(f"message content is {type(raw).__name__}, not text")
