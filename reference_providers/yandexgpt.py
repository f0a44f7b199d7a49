"""The reference provider for YandexGPT (Yandex Cloud Foundation Models, REST completion).

What makes this wire different, and where each difference is handled:

- the model travels as `modelUri` `gpt://<folder>/<model>/latest`, sampling settings in
  `completionOptions` with `maxTokens` as an int64 string (`_build_payload`);
- credentials: an API key (`Authorization: Api-Key`) or an IAM token (`Authorization: Bearer`,
  with `x-folder-id`), chosen by `credential` (`_headers`);
- tool calls come whole in `toolCallList` with arguments as a JSON object and no id: the ids
  reported are made up and stable (`call_<position>_<name>`), and results go back under the
  function's name (`_serialize_message`);
- a stream is NDJSON whose every line repeats the whole alternative so far: the text to yield is
  what a line adds to the text before it, and the usage is the last line's (`_absorb_line`); a
  stream that ends before a final status was cut (ER-7);
- counts are JSON strings (int64 through a gRPC gateway) (`_count`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import error_from_payload, make_error
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.http_provider import EXCERPT
from reference_providers.stream_reading import NDJSONProvider

PRODUCTION_BASE_URL = "https://llm.api.cloud.yandex.net"
_PATH = "/foundationModels/v1/completion"
_PARTIAL = "ALTERNATIVE_STATUS_PARTIAL"
_STOP_REASONS = {
    "ALTERNATIVE_STATUS_FINAL": "stop",
    "ALTERNATIVE_STATUS_TRUNCATED_FINAL": "length",
    "ALTERNATIVE_STATUS_CONTENT_FILTER": "content_filter",
    "ALTERNATIVE_STATUS_TOOL_CALLS": "tool_calls",
}

Credential = Literal["api-key", "iam"]


@dataclass
class _StreamState:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    status: str | None = None
    usage: Usage | None = None


class YandexGPTProvider(NDJSONProvider[_StreamState]):
    """A native `ChatProvider` speaking the `yandexgpt` dialect.

    `folder_id` is the Yandex Cloud folder the model runs in (the real API has no default one;
    "default" only suits a fake server). `credential="iam"` sends `api_key` as an IAM token.
    """

    body_name = "completion"
    stream_accept = None  # the API streams whatever the request accepts

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = PRODUCTION_BASE_URL,
        folder_id: str = "default",
        credential: Credential = "api-key",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "yandexgpt",
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
        self._folder_id = folder_id
        self._credential = credential

    # -- chat ------------------------------------------------------------------------------------

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        alternative, usage = self._alternative(data)
        message = alternative["message"]
        text = message.get("text") or ""
        if not isinstance(text, str):
            raise self._invalid("message 'text' is not a string")
        return CompletionResponse(
            content=text,
            tool_calls=self._parse_tool_calls(message),
            stop_reason=self._map_status(alternative.get("status")),
            usage=usage,
        )

    # -- stream ----------------------------------------------------------------------------------

    def _new_stream_state(self) -> _StreamState:
        return _StreamState()

    def _stream_over(self, state: _StreamState) -> bool:
        return state.status is not None

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if state.status is None:
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before a final alternative",
                provider=self._name,
                retryable=True,
            )
        return StreamChunk(
            is_final=True, stop_reason=self._map_status(state.status), usage=state.usage
        )

    def _absorb_line(self, line: str, state: _StreamState) -> StreamChunk | None:
        data = self._line_payload(line)
        alternative, usage = self._alternative(data)
        state.usage = usage
        message = alternative["message"]
        text = message.get("text") or ""
        if not isinstance(text, str) or not text.startswith(state.text):
            raise self._invalid("a stream line's text does not continue the text before it")
        new, state.text = text[len(state.text) :], text
        calls = self._parse_tool_calls(message)
        state.tool_calls += calls
        status = alternative.get("status")
        if status != _PARTIAL:
            state.status = str(status)
        if new or calls:
            return StreamChunk(content=new, tool_calls=calls)
        return None

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._credential == "iam":
            ours["Authorization"] = f"Bearer {self._api_key}"
            ours["x-folder-id"] = self._folder_id
        else:
            ours["Authorization"] = f"Api-Key {self._api_key}"
        return self._with_default_headers(ours)

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url()

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}{_PATH}"

    def _build_payload(
        self,
        messages: Sequence[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        options: dict[str, Any] = {"stream": stream}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options["maxTokens"] = str(max_tokens)
        names = {call.id: call.name for m in messages for call in m.tool_calls}
        model_uri = model if "://" in model else f"gpt://{self._folder_id}/{model}/latest"
        payload: dict[str, Any] = {
            "modelUri": model_uri,
            "completionOptions": options,
            "messages": [self._serialize_message(m, names) for m in messages],
        }
        if tools:
            payload["tools"] = [
                {
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    }
                }
                for t in tools
            ]
        return payload

    def _serialize_message(self, message: Message, names: Mapping[str, str]) -> dict[str, Any]:
        if message.role == "tool":
            name = message.name or names.get(message.tool_call_id or "")
            if not name:
                raise self._invalid_request(
                    f"tool result for {message.tool_call_id!r} answers no earlier call; "
                    "YandexGPT needs the function's name"
                )
            result = {"functionResult": {"name": name, "content": message.content}}
            return {"role": "assistant", "toolResultList": {"toolResults": [result]}}
        if message.role == "assistant" and message.tool_calls:
            calls = [
                {"functionCall": {"name": call.name, "arguments": dict(call.arguments)}}
                for call in message.tool_calls
            ]
            out: dict[str, Any] = {"role": "assistant", "toolCallList": {"toolCalls": calls}}
            if message.content:
                out["text"] = message.content
            return out
        return {"role": message.role, "text": message.content}

    # -- response --------------------------------------------------------------------------------

    def _alternative(self, data: Mapping[str, Any]) -> tuple[Mapping[str, Any], Usage | None]:
        result = data["result"]
        alternatives = result["alternatives"]
        if not isinstance(alternatives, list) or not alternatives:
            raise self._invalid("result has no alternatives")
        return alternatives[0], self._parse_usage(result.get("usage"))

    def _parse_tool_calls(self, message: Mapping[str, Any]) -> tuple[ToolCall, ...]:
        listed = message.get("toolCallList")
        if listed is None:
            return ()
        calls = []
        for position, raw in enumerate(listed["toolCalls"]):
            function = raw["functionCall"]
            name, arguments = function["name"], function.get("arguments", {})
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments) if arguments.strip() else {}
                except ValueError as exc:
                    raise self._invalid(f"tool call {name!r}: arguments are not JSON") from exc
            if not isinstance(name, str) or not name or not isinstance(arguments, Mapping):
                raise self._invalid(f"tool call {position} has no name or no argument object")
            calls.append(ToolCall(id=f"call_{position}_{name}", name=name, arguments=arguments))
        return tuple(calls)

    def _map_status(self, raw: Any) -> str | None:
        return _STOP_REASONS.get(str(raw)) if raw is not None else None

    def _parse_usage(self, raw: Any) -> Usage | None:
        if raw is None:
            return None
        prompt, completion = _count(raw.get("inputTextTokens")), _count(raw.get("completionTokens"))
        if prompt is None or completion is None:
            raise self._invalid(f"usage lacks token counts: {raw!r:.{EXCERPT}}")
        total = _count(raw.get("totalTokens"))
        return Usage(prompt, completion, prompt + completion if total is None else total)

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        return self._redacted(error_from_payload(payload, provider=self._name))


def _count(value: Any) -> int | None:
    """An int64 count, which a gRPC gateway writes as a JSON string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
