"""The reference provider for the Google Gemini API (generateContent / streamGenerateContent).

Same shape as the OpenAI reference: every step of a request is a small method (a seam) that a
subclass can override to plant one bug without copying the rest.

What Gemini does differently, and where it is handled:
- the model and the stream flag are in the path (`_endpoint_url`), the key in `x-goog-api-key`;
- the system prompt goes in `systemInstruction`, and the conversation's roles are `user` and
  `model` (`_build_payload`, `_serialize_contents`);
- function calls carry no ids: calls get ids made up here (`gemini_calls`), and a tool result is
  sent back as a `functionResponse` part named after the function, which is found through the id
  of the call it answers (`_function_names`);
- `finishReason` is `STOP` even when the answer is function calls; `_map_stop_reason` reports
  `tool_calls` then;
- a stream has no terminal event of its own: it ends with the body, and only a chunk with a
  `finishReason` proves it was not cut (ER-7).

Not round-tripped: Gemini 3 "thought signatures" on function-call parts, which the native contract
has no field for.

Retries: `max_retries` is accepted and stored, but no request is retried yet.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import (
    make_error,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.gemini_calls import FunctionCallCollector, function_response
from reference_providers.gemini_errors import google_rpc_error
from reference_providers.http_provider import EXCERPT, SHAPE_ERRORS, count
from reference_providers.sse import ServerSentEvent
from reference_providers.stream_reading import SSEProvider

logger = logging.getLogger(__name__)

#: Gemini finishReason words with a canonical meaning; others are passed on lowercased.
_STOP_REASONS: dict[str, str] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
}


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    calls: FunctionCallCollector
    finish_reason: str | None = None
    usage: Usage | None = None


class GeminiProvider(SSEProvider[_StreamState]):
    """A native `ChatProvider` speaking the `gemini` dialect over httpx."""

    body_name = "generateContent"
    _logger = logger

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://generativelanguage.googleapis.com",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "gemini",
        capabilities: Capabilities | None = None,
        api_version: str = "v1beta",
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
        self._api_version = api_version.strip("/")

    # -- chat ------------------------------------------------------------------------------------

    def _is_error_body(self, data: Mapping[str, Any]) -> bool:
        return data.get("error") is not None and "candidates" not in data

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        return self._parse_response(data)

    # -- stream ----------------------------------------------------------------------------------

    def _new_stream_state(self) -> _StreamState:
        # No _stream_over: the stream has no terminal event of its own and ends with the body.
        return _StreamState(calls=self._new_collector())

    def _new_collector(self) -> FunctionCallCollector:
        return FunctionCallCollector(provider=self._name)

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        if event.event not in ("message", "error"):
            return ""  # ST-6: unknown event types are ignored
        raw = event.data.strip()
        if not raw:
            return ""
        payload = self._event_payload(event, raw)
        if event.event == "error" or payload.get("error") is not None:
            raise self._in_stream_error(payload)
        return self._absorb_chunk(payload, state)

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        usage = chunk.get("usageMetadata")
        if usage is not None:
            # Every chunk may carry the counts so far; the last one holds the totals.
            state.usage = self._parse_usage(usage)
        candidate = self._first_candidate(chunk)
        if candidate is None:
            blocked = self._block_reason(chunk)
            if blocked is not None:
                state.finish_reason = blocked
            return ""
        text = self._absorb_parts(candidate, state.calls)
        finish_reason = candidate.get("finishReason")
        if finish_reason:
            state.finish_reason = str(finish_reason)
        return text

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if state.finish_reason is None:
            # ER-7: the stream has no terminal event but the chunk with the finishReason; a body
            # that ends without one was cut short.
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before a chunk with a finishReason",
                provider=self._name,
                retryable=True,
            )
        calls = state.calls.finish()
        return StreamChunk(
            is_final=True,
            stop_reason=self._map_stop_reason(state.finish_reason, has_tool_calls=bool(calls)),
            usage=state.usage,
            tool_calls=tuple(calls),
        )

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            ours["x-goog-api-key"] = self._api_key
        return self._with_default_headers(
            ours, reserved=frozenset({"x-goog-api-key", "authorization"})
        )

    def _endpoint_url(self, model: str, *, stream: bool) -> str:
        # "gemini-2.0-flash", "models/gemini-2.0-flash" and "tunedModels/x" all name a model.
        resource = model if "/" in model else f"models/{model}"
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        base = self._base_url.rstrip("/")
        return f"{base}/{self._api_version}/{quote(resource, safe='/')}:{method}"

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url(model, stream=stream)

    def _checked_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        # The model and the stream flag travel in the URL (`_request_url`), never in the body.
        try:
            return self._build_payload(
                messages, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        except SHAPE_ERRORS as exc:
            raise self._invalid_request(f"cannot build the request: {exc!r}") from exc

    def _build_payload(  # type: ignore[override]  # no model, no stream flag: see above
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
    ) -> dict[str, Any]:
        system = [m.content for m in messages if m.role == "system"]
        payload: dict[str, Any] = {
            "contents": self._serialize_contents([m for m in messages if m.role != "system"])
        }
        if system:
            payload["systemInstruction"] = {"parts": [{"text": text} for text in system]}
        config: dict[str, Any] = {}
        if temperature is not None:
            config["temperature"] = temperature
        if max_tokens is not None:
            config["maxOutputTokens"] = max_tokens
        if config:
            payload["generationConfig"] = config
        if tools:  # the API rejects a tool without declarations
            payload["tools"] = [
                {"functionDeclarations": [self._serialize_tool(tool) for tool in tools]}
            ]
        return payload

    def _serialize_contents(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        """The conversation as Gemini contents: one turn per message, tool results merged.

        The API wants every result of one model turn's calls in the single turn after it, one
        functionResponse part per functionCall part, so consecutive tool messages share a turn.
        """
        names = self._function_names(messages)
        contents: list[dict[str, Any]] = []
        results: dict[str, Any] | None = None  # the turn collecting tool results, if open
        for message in messages:
            if message.role != "tool":
                results = None
                contents.append(self._serialize_message(message))
                continue
            part = self._function_response_part(message, names)
            if results is None:
                results = {"role": "user", "parts": []}
                contents.append(results)
            results["parts"].append(part)
        return contents

    def _serialize_message(self, message: Message) -> dict[str, Any]:
        if message.role == "assistant":
            parts: list[dict[str, Any]] = []
            if message.content or not message.tool_calls:
                parts.append({"text": message.content})
            parts += [self._function_call_part(call) for call in message.tool_calls]
            return {"role": "model", "parts": parts}
        if message.role == "user":
            return {"role": "user", "parts": [{"text": message.content}]}
        raise self._invalid_request(f"a message has role {message.role!r}")

    def _function_call_part(self, call: ToolCall) -> dict[str, Any]:
        return {"functionCall": {"name": call.name, "args": dict(call.arguments)}}

    def _function_names(self, messages: Sequence[Message]) -> dict[str, str]:
        """Each earlier tool call's id, mapped to its function's name (the wire's only link)."""
        return {
            call.id: call.name
            for message in messages
            if message.role == "assistant"
            for call in message.tool_calls
        }

    def _function_response_part(self, message: Message, names: Mapping[str, str]) -> dict[str, Any]:
        name = message.name or names.get(message.tool_call_id or "")
        if not name:
            raise self._invalid_request(
                f"tool result for {message.tool_call_id!r} answers no earlier tool call; Gemini "
                "needs the function's name"
            )
        return {"functionResponse": {"name": name, "response": function_response(message.content)}}

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        return {
            "name": tool.name,
            "description": tool.description,
            "parameters": dict(tool.parameters),
        }

    # -- response --------------------------------------------------------------------------------

    def _parse_response(self, data: Mapping[str, Any]) -> CompletionResponse:
        candidate = self._first_candidate(data)
        usage = self._parse_usage(data.get("usageMetadata"))
        model = data.get("modelVersion")
        model_name = model if isinstance(model, str) else None
        if candidate is None:
            blocked = self._block_reason(data)
            if blocked is None:
                raise self._invalid("generateContent answered with no candidates")
            return CompletionResponse(
                content="",
                stop_reason=self._map_stop_reason(blocked, has_tool_calls=False),
                usage=usage,
                model=model_name,
            )
        calls = self._new_collector()
        text = self._absorb_parts(candidate, calls)
        tool_calls = calls.finish()
        raw_finish = candidate.get("finishReason")
        return CompletionResponse(
            content=text,
            tool_calls=tuple(tool_calls),
            stop_reason=self._map_stop_reason(
                str(raw_finish) if raw_finish else None, has_tool_calls=bool(tool_calls)
            ),
            usage=usage,
            model=model_name,
        )

    def _first_candidate(self, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        candidates = data.get("candidates")
        if candidates is None:
            return None
        if not isinstance(candidates, list):
            raise self._invalid("'candidates' is not a list")
        for candidate in candidates:
            if not isinstance(candidate, Mapping):
                raise self._invalid("a candidate is not an object")
            # With candidateCount > 1 the native contract carries the first answer.
            if (candidate.get("index") or 0) == 0:
                return candidate
        return None

    def _block_reason(self, data: Mapping[str, Any]) -> str | None:
        """A prompt the API refused to answer: no candidates, promptFeedback.blockReason."""
        feedback = data.get("promptFeedback")
        if isinstance(feedback, Mapping) and feedback.get("blockReason"):
            return "SAFETY"
        return None

    def _absorb_parts(self, candidate: Mapping[str, Any], calls: FunctionCallCollector) -> str:
        content = candidate.get("content")
        if content is None:
            return ""  # a candidate stopped by SAFETY or MAX_TOKENS may have no content
        if not isinstance(content, Mapping):
            raise self._invalid("candidate 'content' is not an object")
        parts = content.get("parts") or []
        if not isinstance(parts, list):
            raise self._invalid("content 'parts' is not a list")
        texts: list[str] = []
        for part in parts:
            if not isinstance(part, Mapping):
                raise self._invalid("a content part is not an object")
            if "functionCall" in part:
                calls.add(part["functionCall"])
            elif "text" in part and not part.get("thought"):
                # Thought summaries (thought: true) are the model's notes, not its answer.
                text = part["text"]
                if not isinstance(text, str):
                    raise self._invalid("a text part's 'text' is not a string")
                texts.append(text)
        return "".join(texts)

    def _map_stop_reason(self, raw: str | None, *, has_tool_calls: bool) -> str | None:
        if not raw or raw == "FINISH_REASON_UNSPECIFIED":
            return None
        if raw == "STOP" and has_tool_calls:
            return "tool_calls"
        return _STOP_REASONS.get(raw, raw.lower())

    def _parse_usage(self, raw: Any) -> Usage | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self._invalid("'usageMetadata' is not an object")
        # proto3 JSON leaves zero counts out, so a missing count is 0, not unknown.
        prompt = count(raw.get("promptTokenCount", 0))
        completion = count(raw.get("candidatesTokenCount", 0))
        if prompt is None or completion is None:
            raise self._invalid(f"usageMetadata counts are not counts: {dict(raw)!r:.{EXCERPT}}")
        raw_total = raw.get("totalTokenCount")
        total = prompt + completion if raw_total is None else count(raw_total)
        if total is None:
            raise self._invalid("usageMetadata 'totalTokenCount' is not a count")
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)

    # -- errors ----------------------------------------------------------------------------------

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        return self._redacted(google_rpc_error(status, headers, body, provider=self._name))
