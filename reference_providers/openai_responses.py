"""The reference provider for the OpenAI Responses API (`POST /v1/responses`).

Like `OpenAICompatibleProvider`, it is the yardstick the harness is checked against and the base
the harness's tests subclass to plant one bug at a time, so each step lives in a small seam method.
It does not subclass that provider: the two APIs share the platform (key, error bodies) but not
the shape of a request, a response or a stream, and a Responses provider that inherited Chat
Completions seams would answer `isinstance` checks for an API it does not speak.

The choices the Responses API leaves open, and why they fall as they do:

- The system prompt goes in `instructions` (every system message, joined by a blank line): it is
  the API's own field for it, and keeps the `input` list a pure conversation.
- A conversation is flattened to items: an assistant turn becomes its text message (if any) and
  one `function_call` item per call, a tool turn a `function_call_output`, paired by `call_id`.
  The contract's tool-call id is the `call_id`, never the output item's own `id` (`fc_...`).
- Tools are sent with `"strict": false`: the API otherwise may hold a schema to strict mode's
  rules (every property required, no additional properties), which arbitrary contract tool
  schemas do not follow.
- There is no finish reason: `completed` is `stop`, or `tool_calls` when the output holds function
  calls; `incomplete` is `length` for `max_output_tokens` and `content_filter` for that reason.
- Tool calls are reported once, complete, on the final chunk, as the Chat Completions reference
  does, so callers of either see the same shape (the stream: openai_responses_stream.py).

Retries: `max_retries` is accepted and stored, as by the Chat Completions reference, but no request
is retried yet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import (
    error_from_payload,
)
from reference_providers.errors import ProviderError
from reference_providers.http_provider import EXCERPT, count, dumps
from reference_providers.openai_responses_stream import (
    ResponsesStreamReading,
    _StreamState,  # noqa: F401  (the harness's known-bad providers import it from here)
)

logger = logging.getLogger(__name__)

#: `incomplete_details.reason` in canonical words; other reasons pass through as they are.
_INCOMPLETE_REASONS: dict[str, str] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


class OpenAIResponsesProvider(ResponsesStreamReading):
    """A native `ChatProvider` speaking the `openai-responses` dialect over httpx."""

    body_name = "response"
    stream_shape_error = "unexpected stream event shape"
    _logger = logger

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.openai.com/v1",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "openai-responses",
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

    def _is_error_body(self, data: Mapping[str, Any]) -> bool:
        return False  # a failed response object is read as such by _parse_response

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        return self._parse_response(data)

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:  # compatible local servers are often run without a key
            ours["Authorization"] = f"Bearer {self._api_key}"
        return self._with_default_headers(ours, reserved=frozenset({"authorization"}))

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url()

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}/responses"

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
        instructions = self._instructions(messages)
        payload: dict[str, Any] = {
            "model": model,
            "input": [
                item
                for message in messages
                if message.role != "system"
                for item in self._serialize_message(message)
            ],
            "stream": stream,
        }
        if instructions is not None:
            payload["instructions"] = instructions
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_output_tokens"] = max_tokens
        if tools:
            payload["tools"] = [self._serialize_tool(tool) for tool in tools]
        return payload

    def _instructions(self, messages: Sequence[Message]) -> str | None:
        system = [message.content for message in messages if message.role == "system"]
        return "\n\n".join(system) if system else None

    def _serialize_message(self, message: Message) -> list[dict[str, Any]]:
        """The input items for one message (an assistant turn with calls is several)."""
        if message.role == "tool":
            if not message.tool_call_id:
                raise self._invalid_request("a tool message needs the tool_call_id it answers")
            return [
                {
                    "type": "function_call_output",
                    "call_id": message.tool_call_id,
                    "output": message.content,
                }
            ]
        if message.role == "assistant" and message.tool_calls:
            items: list[dict[str, Any]] = []
            if message.content:
                items.append({"role": "assistant", "content": message.content})
            items += [self._serialize_call(call) for call in message.tool_calls]
            return items
        return [{"role": message.role, "content": message.content}]

    def _serialize_call(self, call: ToolCall) -> dict[str, Any]:
        return {
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": dumps(call.arguments),
        }

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        return {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "strict": False,
        }

    # -- response --------------------------------------------------------------------------------

    def _parse_response(self, data: Mapping[str, Any]) -> CompletionResponse:
        status = data.get("status")
        if status == "failed" or ("output" not in data and data.get("error") is not None):
            raise self._failure(data)
        if status not in (None, "completed", "incomplete"):
            # queued / in_progress belong to background mode, which we never ask for.
            raise self._invalid(f"response status {status!r} is not a finished answer")
        output = data["output"]
        if not isinstance(output, list):
            raise self._invalid("response 'output' is not a list")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for item in output:
            kind = item.get("type")
            if kind == "message":
                texts += [
                    part["text"] for part in item["content"] if part.get("type") == "output_text"
                ]
            elif kind == "function_call":
                calls.append(self._tool_call(item))
            # Reasoning items and hosted tool calls are not part of the answer.
        model = data.get("model")
        return CompletionResponse(
            content="".join(texts),
            tool_calls=tuple(calls),
            stop_reason=self._stop_reason(
                data, has_calls=bool(calls), incomplete=status == "incomplete"
            ),
            usage=self._parse_usage(data.get("usage")),
            model=model if isinstance(model, str) else None,
        )

    def _tool_call(self, item: Mapping[str, Any]) -> ToolCall:
        call_id = self._call_id(item)
        name = item.get("name")
        if not isinstance(call_id, str) or not call_id:
            raise self._invalid(f"function call {item.get('id')!r} has no call_id")
        if not isinstance(name, str) or not name:
            raise self._invalid(f"function call {call_id!r} has no name")
        raw = item.get("arguments")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            arguments: Any = {}  # a call without arguments may stream none at all
        elif isinstance(raw, str):
            try:
                arguments = json.loads(raw)
            except ValueError as exc:
                raise self._invalid(
                    f"arguments of call {call_id!r} are not JSON: {raw!r:.{EXCERPT}}"
                ) from exc
        else:
            raise self._invalid(f"arguments of call {call_id!r} are not a JSON string")
        if not isinstance(arguments, Mapping):
            raise self._invalid(f"arguments of call {call_id!r} are not a JSON object")
        return ToolCall(id=call_id, name=name, arguments=arguments)

    def _call_id(self, item: Mapping[str, Any]) -> Any:
        """The contract's tool-call id: `call_id`, which tool results name, not the item's `id`."""
        return item.get("call_id")

    def _stop_reason(
        self, response: Mapping[str, Any], *, has_calls: bool, incomplete: bool
    ) -> str | None:
        if incomplete or response.get("status") == "incomplete":
            details = response.get("incomplete_details")
            reason = details.get("reason") if isinstance(details, Mapping) else None
            if not isinstance(reason, str) or not reason:
                return "length"
            return _INCOMPLETE_REASONS.get(reason, reason)
        return "tool_calls" if has_calls else "stop"

    def _parse_usage(self, raw: Any) -> Usage | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise self._invalid("'usage' is not an object")
        prompt = count(raw.get("input_tokens"))
        completion = count(raw.get("output_tokens"))
        if prompt is None or completion is None:
            raise self._invalid(f"usage lacks token counts: {dict(raw)!r:.{EXCERPT}}")
        raw_total = raw.get("total_tokens")
        total = prompt + completion if raw_total is None else count(raw_total)
        if total is None:
            raise self._invalid("usage 'total_tokens' is not a count")
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)

    # -- errors ----------------------------------------------------------------------------------

    def _failure(self, response: Mapping[str, Any]) -> ProviderError:
        """The error for a failed response object (`response.failed`, or a failed body)."""
        error = response.get("error")
        if not isinstance(error, Mapping):
            error = {"message": f"the response failed (status {response.get('status')!r})"}
        return self._in_stream_error({"error": error})

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        """ER-6: an error inside a 200 answer, mapped as the HTTP error it stands for.

        Both shapes are in use: the documented flat `error` event (`code`, `message` beside
        `type`) and an `error` object nested under `"error"`.
        """
        raw = payload.get("error")
        error = dict(raw if isinstance(raw, Mapping) else payload)
        if error.get("type") == "error":
            del error["type"]  # the event's own type, not an error word
        return self._redacted(error_from_payload({"error": error}, provider=self._name))
