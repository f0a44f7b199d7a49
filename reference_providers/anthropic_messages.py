"""The reference provider for the Anthropic Messages API (`POST /v1/messages`).

Like the OpenAI-compatible reference it is both a yardstick and a base for the harness's own
known-bad providers, so every step lives in a small overridable method (a seam).

What this API asks of a client beyond the OpenAI shape:
- the key goes in `x-api-key`, and `anthropic-version` is required on every request;
- `max_tokens` is required, the system prompt is the top-level `system` field, tool calls are
  `tool_use` blocks of the assistant turn and tool results are `tool_result` blocks of the next
  user turn, linked by `tool_use_id`;
- a stream is a sequence of typed events; a tool_use block opens with `input: {}` and then streams
  its input as `partial_json` fragments that form the whole JSON text from an empty start (the
  `{}` is a placeholder, never a prefix); `ping` events carry nothing; `event: error` ends the
  stream with an error that means what its HTTP twin would.

How a stream is read, and when it is complete: reference_providers/anthropic_stream.py.

Retries: `max_retries` is stored, not yet acted upon, as in the OpenAI-compatible reference.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.anthropic_stream import (
    AnthropicStreamReading,
    _Block,  # noqa: F401  (the harness's known-bad providers import it from here)
    _StreamState,  # noqa: F401  (likewise)
    _usage,
)
from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import (
    MESSAGE_LIMIT,
    category_for_status,
    make_error,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.http_provider import EXCERPT, count

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_API_VERSION = "2023-06-01"

_STOP_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: The status each documented `error.type` comes with, for errors that arrive inside a stream.
_ERROR_TYPE_STATUS: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class AnthropicProvider(AnthropicStreamReading):
    """A native `ChatProvider` speaking the `anthropic-messages` dialect over httpx."""

    #: Sent when the caller gives no max_tokens: the API requires one.
    default_max_tokens: int = 4096
    body_name = "message"
    stream_shape_error = "unexpected stream event shape"
    _logger = logger

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "anthropic",
        capabilities: Capabilities | None = None,
        anthropic_version: str = DEFAULT_API_VERSION,
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
        self._anthropic_version = anthropic_version

    # -- chat ------------------------------------------------------------------------------------

    def _is_error_body(self, data: Mapping[str, Any]) -> bool:
        return data.get("type") == "error"

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        return self._parse_message(data)

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "x-api-key": self._api_key,
            "anthropic-version": self._anthropic_version,
        }
        return self._with_default_headers(ours, reserved=frozenset({"authorization"}))

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url()

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}/v1/messages"

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
        system = [m.content for m in messages if m.role == "system"]
        payload: dict[str, Any] = {
            "model": model,
            "max_tokens": max_tokens if max_tokens is not None else self.default_max_tokens,
            "messages": self._serialize_messages([m for m in messages if m.role != "system"]),
            "stream": stream,
        }
        if system:
            payload["system"] = "\n\n".join(system)
        if temperature is not None:
            payload["temperature"] = temperature
        if tools:
            payload["tools"] = [self._serialize_tool(tool) for tool in tools]
        return payload

    def _serialize_messages(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        """The conversation as API turns: consecutive messages of one API role become one turn.

        Tool results are user turns here, so the results answering one assistant turn end up in
        the single user turn right after it, as the API requires.
        """
        turns: list[dict[str, Any]] = []
        for message in messages:
            role, blocks = self._serialize_message(message)
            if turns and turns[-1]["role"] == role:
                turns[-1]["content"] += blocks
            else:
                turns.append({"role": role, "content": list(blocks)})
        for turn in turns:
            content = turn["content"]
            # One plain text block reads (and logs) better as a string; both are accepted.
            if len(content) == 1 and content[0]["type"] == "text":
                turn["content"] = content[0]["text"]
        return turns

    def _serialize_message(self, message: Message) -> tuple[str, list[dict[str, Any]]]:
        if message.role == "tool":
            if not message.tool_call_id:
                raise self._invalid_request("a tool message needs the tool_call_id it answers")
            return "user", [
                {
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id,
                    "content": message.content,
                }
            ]
        # The API rejects empty text blocks; an assistant turn of tool calls has no text.
        blocks: list[dict[str, Any]] = (
            [{"type": "text", "text": message.content}] if message.content else []
        )
        if message.role == "assistant":
            blocks += [
                {
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": _plain(call.arguments),
                }
                for call in message.tool_calls
            ]
            return "assistant", blocks
        if message.role != "user":
            raise self._invalid_request(f"message role {message.role!r} has no Messages form")
        return "user", blocks or [{"type": "text", "text": message.content}]

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        return {
            "name": tool.name,
            "description": tool.description,
            "input_schema": _plain(tool.parameters),
        }

    def _encode(self, payload: Mapping[str, Any]) -> bytes:
        try:
            return _dumps(payload).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise self._invalid_request(f"request is not serialisable as JSON: {exc}") from exc

    # -- response --------------------------------------------------------------------------------

    def _parse_message(self, data: Mapping[str, Any]) -> CompletionResponse:
        content = data["content"]
        if not isinstance(content, list):
            raise self._invalid("message 'content' is not a list")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for position, block in enumerate(content):
            if not isinstance(block, Mapping):
                raise self._invalid(f"content block {position} is not an object")
            kind = block.get("type")
            if kind == "text":
                text = block["text"]
                if not isinstance(text, str):
                    raise self._invalid(f"text block {position} has non-text 'text'")
                texts.append(text)
            elif kind == "tool_use":
                calls.append(self._parse_tool_use(block, position))
            # thinking, redacted_thinking, server tool blocks: not the caller's text or calls.
        usage = data.get("usage")
        model = data.get("model")
        return CompletionResponse(
            content="".join(texts),
            tool_calls=tuple(calls),
            stop_reason=self._map_stop_reason(data.get("stop_reason")),
            usage=self._parse_usage(usage) if usage is not None else None,
            model=model if isinstance(model, str) else None,
        )

    def _parse_tool_use(self, block: Mapping[str, Any], position: int) -> ToolCall:
        call_id, name, arguments = block.get("id"), block.get("name"), block.get("input")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
            raise self._invalid(f"tool_use block {position} lacks an id or a name")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise self._invalid(f"tool call {name!r}: input is not an object")
        return ToolCall(id=call_id, name=name, arguments=dict(arguments))

    def _map_stop_reason(self, raw: Any) -> str | None:
        if not raw:
            return None
        return _STOP_REASONS.get(str(raw), str(raw))

    def _parse_usage(self, raw: Any) -> Usage:
        if not isinstance(raw, Mapping):
            raise self._invalid("'usage' is not an object")
        input_tokens = count(raw.get("input_tokens"))
        output_tokens = count(raw.get("output_tokens"))
        if input_tokens is None or output_tokens is None:
            raise self._invalid(f"usage lacks token counts: {dict(raw)!r:.{EXCERPT}}")
        return _usage(input_tokens, output_tokens)

    # -- errors ----------------------------------------------------------------------------------

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        """An `event: error` inside a 200 stream, mapped as the status its type stands for (ER-6).

        An error type we do not know is a retryable server error: the request was accepted, so
        the failure happened on the server's side.
        """
        raw = payload.get("error")
        error: Mapping[str, Any] = raw if isinstance(raw, Mapping) else payload
        error_type = error.get("type")
        status = _ERROR_TYPE_STATUS.get(error_type) if isinstance(error_type, str) else None
        category, retryable = (
            category_for_status(status) if status is not None else (ErrorCategory.SERVER, True)
        )
        message = f"{self._name}: error in stream {category.value}"
        if isinstance(error_type, str) and error_type:
            message = f"{message} ({error_type})"
        detail = error.get("message")
        if isinstance(detail, str) and detail.strip():
            message = f"{message}: {_truncate(detail.strip())}"
        return self._redacted(
            make_error(
                category, message, provider=self._name, retryable=retryable, status_code=status
            )
        )


def _dumps(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_json_default
    )


def _json_default(value: Any) -> Any:
    # The contract types hold Mapping/Sequence, which json only knows as dict/list.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists all the way down, for the wire's objects."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _truncate(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    return text[: MESSAGE_LIMIT - 1] + "…"
