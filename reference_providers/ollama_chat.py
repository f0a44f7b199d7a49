"""The reference provider for Ollama's native chat API (`POST /api/chat`, NDJSON streaming).

Like the OpenAI reference, it is the yardstick the harness is checked against and the base its
tests subclass to plant one bug at a time, so every step lives in a small overridable method.

What makes Ollama's wire different, and where each difference is handled:
- streaming is the default: `stream` is always sent, false for chat() (`_build_payload`);
- sampling settings travel in `options` (`temperature`, `num_predict`), the system prompt as a
  first message with role "system" (`_build_payload`, `_serialize_message`);
- the stream is one JSON object per line, and a network read may end anywhere inside a line or a
  UTF-8 sequence (`_iter_lines`, reference_providers/ollama_ndjson.py);
- tool calls arrive whole, arguments already a JSON object, with an id only from newer servers
  (`_parse_tool_call`); `done_reason` stays "stop" when the model called tools
  (`_map_stop_reason`);
- usage is `prompt_eval_count` / `eval_count` on the done line, with no total (`_parse_usage`);
- errors are `{"error": "..."}`, with the HTTP status, or as a line inside a stream
  (`_status_error`, `_in_stream_error`); a stream that ends before its `"done": true` line was
  cut (`_final_chunk`, ER-7).

Retries: `max_retries` is stored, as in the OpenAI reference, but nothing is retried yet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    error_from_payload,
    make_error,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.http_provider import EXCERPT, count
from reference_providers.stream_reading import NDJSONProvider

logger = logging.getLogger(__name__)

_NDJSON = "application/x-ndjson"


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    tool_calls: list[ToolCall] = field(default_factory=list)
    done: bool = False
    done_reason: str | None = None
    usage: Usage | None = None


class OllamaProvider(NDJSONProvider[_StreamState]):
    """A native `ChatProvider` speaking the `ollama-chat` dialect over httpx."""

    body_name = "chat response"
    stream_accept = _NDJSON
    _logger = logger

    def __init__(
        self,
        *,
        api_key: str = "",
        base_url: str = "http://localhost:11434",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "ollama",
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

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        return self._parse_completion(data)

    # -- stream ----------------------------------------------------------------------------------

    def _new_stream_state(self) -> _StreamState:
        return _StreamState()

    def _stream_over(self, state: _StreamState) -> bool:
        return state.done

    def _last_line(self, line: str) -> str:
        # A last line without its newline is whole if it parses; if not, the body was cut.
        try:
            json.loads(line)
        except ValueError:
            raise self._cut("stream ended inside a line") from None
        return line

    def _absorb_line(self, line: str, state: _StreamState) -> StreamChunk | None:
        """Take in one NDJSON line; return what it says for the caller, if anything."""
        payload = self._line_payload(line)
        message = payload.get("message")
        if message is None:
            message = {}
        elif not isinstance(message, Mapping):
            raise self._invalid("stream line 'message' is not an object")
        text = _text(message.get("content"))
        calls = self._parse_tool_calls(message.get("tool_calls"), first=len(state.tool_calls))
        state.tool_calls += calls
        if payload.get("done") is True:
            # The done line may still carry the last text or calls (a parser flushed at the end).
            state.done = True
            state.done_reason = _optional_text(payload.get("done_reason"), "done_reason")
            state.usage = self._parse_usage(payload)
        if text or calls:
            return StreamChunk(content=text, tool_calls=calls)
        return None

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        if not state.done:
            # ER-7: a body that ends without its `"done": true` line was cut short.
            raise self._cut("stream ended before its done line")
        return StreamChunk(
            is_final=True,
            stop_reason=self._map_stop_reason(state.done_reason, bool(state.tool_calls)),
            usage=state.usage,
        )

    # -- request ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:  # a local Ollama takes no key; Ollama cloud wants a bearer token
            ours["Authorization"] = f"Bearer {self._api_key}"
        return self._with_default_headers(ours, reserved=frozenset({"authorization"}))

    def _request_url(self, model: str, *, stream: bool) -> str:
        return self._endpoint_url()

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}/api/chat"

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
        # Tool results name their call by id and by name: newer servers read the id, every
        # version (and the model templates) the name.
        names = {call.id: call.name for m in messages for call in m.tool_calls if call.id}
        payload: dict[str, Any] = {
            "model": model,
            "messages": [self._serialize_message(message, names) for message in messages],
            # Always sent: Ollama streams when the field is absent.
            "stream": stream,
        }
        options = self._options(temperature=temperature, max_tokens=max_tokens)
        if options:
            payload["options"] = options
        if tools:
            payload["tools"] = [self._serialize_tool(tool) for tool in tools]
        return payload

    def _options(self, *, temperature: float | None, max_tokens: int | None) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options["num_predict"] = max_tokens
        return options

    def _serialize_message(self, message: Message, names: Mapping[str, str]) -> dict[str, Any]:
        if message.role == "tool":
            serialized: dict[str, Any] = {"role": "tool", "content": message.content}
            tool_name = message.name or names.get(message.tool_call_id or "")
            if tool_name:
                serialized["tool_name"] = tool_name
            if message.tool_call_id:
                serialized["tool_call_id"] = message.tool_call_id
            return serialized
        if message.role == "assistant" and message.tool_calls:
            return {
                "role": "assistant",
                "content": message.content,
                "tool_calls": [
                    self._serialize_tool_call(call, index)
                    for index, call in enumerate(message.tool_calls)
                ],
            }
        return {"role": message.role, "content": message.content}

    def _serialize_tool_call(self, call: ToolCall, index: int) -> dict[str, Any]:
        # Arguments go back as the object they came as; a JSON string makes Ollama answer 400.
        serialized: dict[str, Any] = {
            "function": {"index": index, "name": call.name, "arguments": dict(call.arguments)}
        }
        if call.id:
            serialized = {"id": call.id, **serialized}
        return serialized

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
        message = data["message"]
        if not isinstance(message, Mapping):
            raise self._invalid("chat response 'message' is not an object")
        calls = self._parse_tool_calls(message.get("tool_calls"))
        model = data.get("model")
        done_reason = _optional_text(data.get("done_reason"), "done_reason")
        return CompletionResponse(
            content=_text(message.get("content")),
            tool_calls=calls,
            stop_reason=self._map_stop_reason(done_reason, bool(calls)),
            usage=self._parse_usage(data),
            model=model if isinstance(model, str) else None,
        )

    def _parse_tool_calls(self, raw: Any, *, first: int = 0) -> tuple[ToolCall, ...]:
        """Calls as Ollama sends them: whole, one element each; `first` numbers made-up ids."""
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self._invalid("message 'tool_calls' is not a list")
        return tuple(
            self._parse_tool_call(call, first + position) for position, call in enumerate(raw)
        )

    def _parse_tool_call(self, raw: Any, position: int) -> ToolCall:
        if not isinstance(raw, Mapping):
            raise self._invalid(f"tool call {position} is not an object")
        function = raw.get("function")
        if not isinstance(function, Mapping):
            raise self._invalid(f"tool call {position} has no 'function' object")
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise self._invalid(f"tool call {position} has no function name")
        call_id = raw.get("id")
        if not isinstance(call_id, str) or not call_id:
            # Older servers send no id; a stable made-up one still pairs a result with its call.
            call_id = f"call_{position}"
        return ToolCall(id=call_id, name=name, arguments=self._parse_arguments(function, name))

    def _parse_arguments(self, function: Mapping[str, Any], name: str) -> dict[str, Any]:
        arguments = function.get("arguments")
        if arguments is None:
            return {}
        if isinstance(arguments, Mapping):
            return dict(arguments)
        if isinstance(arguments, str):
            # Not what Ollama sends, but what some servers copying it do: read it, do not guess.
            try:
                parsed = json.loads(arguments) if arguments.strip() else {}
            except ValueError as exc:
                raise self._invalid(
                    f"tool call {name!r}: arguments are not JSON: {arguments!r:.{EXCERPT}}"
                ) from exc
            if isinstance(parsed, dict):
                return parsed
        raise self._invalid(f"tool call {name!r}: arguments are not a JSON object")

    def _map_stop_reason(self, raw: str | None, has_tool_calls: bool) -> str | None:
        """Ollama says "stop" when the model called tools; the caller needs to hear "tool_calls"."""
        if raw in (None, "", "stop"):
            return "tool_calls" if has_tool_calls else "stop"
        return raw  # "length", and the rare "load" / "unload" as they are

    def _parse_usage(self, data: Mapping[str, Any]) -> Usage | None:
        raw_prompt = data.get("prompt_eval_count")
        raw_completion = data.get("eval_count")
        if raw_prompt is None and raw_completion is None:
            return None
        # Go leaves a zero count out of the JSON, so one missing count is a zero.
        prompt = count(0 if raw_prompt is None else raw_prompt)
        completion = count(0 if raw_completion is None else raw_completion)
        if prompt is None or completion is None:
            raise self._invalid(
                f"token counts are not counts: prompt_eval_count={raw_prompt!r}, "
                f"eval_count={raw_completion!r}"
            )
        return Usage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )

    # -- errors ----------------------------------------------------------------------------------

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        # `{"error": "..."}` with no status: a failure after the server accepted the request.
        return self._redacted(error_from_payload(payload, provider=self._name))

    def _cut(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.NETWORK, f"{self._name}: {message}", provider=self._name, retryable=True
        )


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    raise TypeError(f"message content is {type(raw).__name__}, not text")


def _optional_text(raw: Any, what: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise TypeError(f"{what} is {type(raw).__name__}, not text")
