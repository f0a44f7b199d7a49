"""An OpenAI-compatible victor provider written the way seed 000's tutorial writes one, but correct.

Same shape as the tutorial's CustomLLMProvider (an httpx.AsyncClient built in __init__, chat(),
stream(), _build_request_payload, _parse_response, _parse_stream_chunk, _handle_http_error,
close()), with the tutorial's bugs fixed:

- the stream reads an error response before looking at its body (the tutorial's `.text` on an
  unread streamed response raises httpx.ResponseNotRead);
- Server-Sent Events are read as the standard says (`data:` with or without the space, comments,
  multi-line data, `event: error`), not by `line.startswith("data: ")`;
- tool-call fragments are accumulated by index, and a null id or name in a continuation never
  overwrites the one already seen;
- exactly one final chunk, the last, carrying the stop reason, the usage and each tool call once;
- a stream that ends without its terminal event is an error;
- every HTTP status maps as the ER-1 table says, with the status code, the API's own message, the
  Retry-After value and the cause attached;
- the assistant's tool calls are sent back in a multi-turn conversation.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from victor.providers.base import (
    BaseProvider,
    CompletionResponse,
    Message,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidResponseError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    StreamChunk,
    ToolDefinition,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"

#: What a response of an unexpected shape raises while we pick it apart.
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

#: Error words inside a 200 stream, as the status their HTTP twin would have had.
_ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "server_error": 500,
    "overloaded_error": 529,
}


class OpenAICompatProvider(BaseProvider):
    """Provider for any OpenAI Chat Completions compatible API."""

    DEFAULT_TIMEOUT = 60

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: int = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        provider_name: str = "openai_compat",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, **kwargs
        )
        # One class serves many OpenAI-compatible vendors, each under its own name.
        self._provider_name = provider_name
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
            },
        )

    @property
    def name(self) -> str:
        return self._provider_name

    def supports_tools(self) -> bool:
        return True

    def supports_streaming(self) -> bool:
        return True

    async def chat(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.7,
        max_tokens: int = 4096,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        payload = self._build_request_payload(
            messages, model, temperature, max_tokens, tools, False, **kwargs
        )
        # Status errors are raised inside the breaker and the retries, so both see them.
        response = await self._execute_with_circuit_breaker(self._post, payload)
        try:
            result = response.json()
            if not isinstance(result, dict):
                raise TypeError("the completion body is not a JSON object")
            return self._parse_response(result, model)
        except ProviderError:
            raise
        except _SHAPE_ERRORS as e:
            raise ProviderInvalidResponseError(
                message=f"Unexpected completion body: {e!r}", provider=self.name
            ) from e

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            response = await self.client.post("/chat/completions", json=payload)
        except httpx.TimeoutException as e:
            raise ProviderTimeoutError(
                message=f"Request timed out after {self.timeout}s", provider=self.name
            ) from e
        except httpx.TransportError as e:
            raise ProviderConnectionError(
                message=f"Connection failed: {type(e).__name__}", provider=self.name
            ) from e
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as e:
            raise self._handle_http_error(e) from e
        return response

    async def _open_stream(self, payload: dict[str, Any]) -> httpx.Response:
        """The streamed response, its status checked: retried and counted before any text."""
        request = self.client.build_request("POST", "/chat/completions", json=payload)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as e:
            raise ProviderTimeoutError(message="Stream timed out", provider=self.name) from e
        except httpx.TransportError as e:
            raise ProviderConnectionError(
                message=f"Stream connection failed: {type(e).__name__}", provider=self.name
            ) from e
        try:
            await self._raise_for_stream_status(response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def stream(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.7,
        max_tokens: int = 4096,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[StreamChunk]:
        payload = self._build_request_payload(
            messages, model, temperature, max_tokens, tools, True, **kwargs
        )
        state = _StreamState(self.name)
        response = await self._execute_with_circuit_breaker(self._open_stream, payload)
        try:
            async with contextlib.aclosing(_sse_events(response.aiter_lines())) as events:
                async for event_type, data in events:
                    text = self._absorb_event(event_type, data, state)
                    if state.done:
                        break
                    if text:
                        yield StreamChunk(content=text)
        except httpx.TimeoutException as e:
            raise ProviderTimeoutError(message="Stream timed out", provider=self.name) from e
        except httpx.TransportError as e:
            raise ProviderConnectionError(
                message=f"Stream connection failed: {type(e).__name__}", provider=self.name
            ) from e
        finally:
            await response.aclose()
        if not state.done and state.finish_reason is None:
            raise ProviderConnectionError(
                message="Stream ended before its terminal event", provider=self.name
            )
        calls = state.tool_calls()
        yield StreamChunk(
            content="",
            tool_calls=calls or None,
            # Some OpenAI-compatible APIs (Snowflake Cortex) end with [DONE] and no finish_reason:
            # a normal end, so the canonical stop reason.
            stop_reason=state.finish_reason or ("tool_calls" if calls else "stop"),
            usage=state.usage,
            is_final=True,
        )

    async def _raise_for_stream_status(self, response: httpx.Response) -> None:
        if response.is_error:
            await response.aread()  # a streamed body must be read before it is looked at
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as e:
            raise self._handle_http_error(e) from e

    def _absorb_event(self, event_type: str, data: str, state: _StreamState) -> str:
        if not data.strip():
            return ""
        if data.strip() == "[DONE]":
            state.done = True
            return ""
        try:
            chunk_data = json.loads(data)
        except ValueError as e:
            raise ProviderInvalidResponseError(
                message=f"Stream event is not JSON: {data[:100]!r}", provider=self.name
            ) from e
        if not isinstance(chunk_data, dict):
            raise ProviderInvalidResponseError(
                message="Stream event is not a JSON object", provider=self.name
            )
        if event_type == "error" or chunk_data.get("error") is not None:
            raise self._in_stream_error(chunk_data)
        try:
            return self._parse_stream_chunk(chunk_data, state)
        except _SHAPE_ERRORS as e:
            raise ProviderInvalidResponseError(
                message=f"Unexpected stream chunk: {e!r}", provider=self.name
            ) from e

    def _build_request_payload(
        self,
        messages: list[Message],
        model: str,
        temperature: float,
        max_tokens: int,
        tools: list[ToolDefinition] | None,
        stream: bool,
        **kwargs: Any,
    ) -> dict[str, Any]:
        formatted_messages = []
        for msg in messages:
            formatted_msg: dict[str, Any] = {"role": msg.role, "content": msg.content}
            if msg.tool_calls:
                formatted_msg["content"] = msg.content or None
                formatted_msg["tool_calls"] = [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {
                            "name": call["name"],
                            "arguments": json.dumps(call.get("arguments") or {}),
                        },
                    }
                    for call in msg.tool_calls
                ]
            if msg.tool_call_id:
                formatted_msg["tool_call_id"] = msg.tool_call_id
            formatted_messages.append(formatted_msg)

        payload: dict[str, Any] = {
            "model": model,
            "messages": formatted_messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }
        if stream:
            payload["stream_options"] = {"include_usage": True}
        if tools:
            payload["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    },
                }
                for tool in tools
            ]
        for key, value in kwargs.items():
            if key not in {"api_key"} and value is not None:
                payload[key] = value
        return payload

    def _parse_response(self, result: dict[str, Any], model: str) -> CompletionResponse:
        choice = result["choices"][0]
        message = choice["message"]
        return CompletionResponse(
            content=message.get("content") or "",
            role="assistant",
            tool_calls=self._normalize_tool_calls(message.get("tool_calls")),
            stop_reason=choice.get("finish_reason"),
            usage=_usage(result.get("usage")),
            model=model,
            raw_response=result,
        )

    def _normalize_tool_calls(
        self, tool_calls: list[dict[str, Any]] | None
    ) -> list[dict[str, Any]] | None:
        if not tool_calls:
            return None
        normalized = []
        for call in tool_calls:
            function = call["function"]
            normalized.append(
                {
                    "id": call.get("id") or "",
                    "name": function["name"],
                    "arguments": _arguments(function.get("arguments"), self.name),
                }
            )
        return normalized

    def _parse_stream_chunk(self, chunk_data: dict[str, Any], state: _StreamState) -> str:
        if chunk_data.get("usage"):
            state.usage = _usage(chunk_data["usage"])
        texts = []
        for choice in chunk_data.get("choices") or []:
            if (choice.get("index") or 0) != 0:
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                texts.append(str(content))
            for tc_delta in delta.get("tool_calls") or []:
                state.add_tool_call_fragment(tc_delta)
            if choice.get("finish_reason"):
                state.finish_reason = str(choice["finish_reason"])
        return "".join(texts)

    def _handle_http_error(self, error: httpx.HTTPStatusError) -> ProviderError:
        response = error.response
        status = response.status_code
        detail = _api_message(response.text)
        message = f"{self.name}: HTTP {status}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            return ProviderAuthError(message=message, provider=self.name, status_code=status)
        if status == 429:
            return ProviderRateLimitError(
                message=message,
                provider=self.name,
                status_code=status,
                retry_after=_retry_after(response.headers),
            )
        if status in (408, 504):
            return ProviderTimeoutError(message=message, provider=self.name, status_code=status)
        if status == 404:
            return ModelNotFoundError(message=message, provider=self.name, status_code=status)
        return ProviderError(message=message, provider=self.name, status_code=status)

    def _in_stream_error(self, payload: dict[str, Any]) -> ProviderError:
        raw = payload.get("error")
        error = raw if isinstance(raw, dict) else payload
        status = error.get("status_code") or error.get("code")
        if not isinstance(status, int):
            status = _ERROR_WORDS.get(str(error.get("type") or error.get("code")), 500)
        message = f"{self.name}: error in stream: {error.get('message') or raw}"
        if status in (401, 403):
            return ProviderAuthError(message=message, provider=self.name, status_code=status)
        if status == 429:
            return ProviderRateLimitError(message=message, provider=self.name, status_code=status)
        if status == 404:
            return ModelNotFoundError(message=message, provider=self.name, status_code=status)
        return ProviderError(message=message, provider=self.name, status_code=status)

    async def close(self) -> None:
        await self.client.aclose()


class _StreamState:
    """What a stream has said beyond its text: tool calls by index, finish reason, usage."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.calls: dict[int, dict[str, Any]] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None
        self.done = False

    def add_tool_call_fragment(self, fragment: dict[str, Any]) -> None:
        index = fragment.get("index", 0)
        call = self.calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
        if fragment.get("id"):
            call["id"] = call["id"] or fragment["id"]
        function = fragment.get("function") or {}
        if function.get("name"):
            call["name"] = call["name"] or function["name"]
        if function.get("arguments"):
            call["arguments"] += function["arguments"]

    def tool_calls(self) -> list[dict[str, Any]]:
        return [
            {
                "id": call["id"] or f"call_{index}",
                "name": call["name"],
                "arguments": _arguments(call["arguments"], self.provider),
            }
            for index, call in sorted(self.calls.items())
        ]


async def _sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """(event type, data) per Server-Sent Event: fields per line, a blank line dispatches."""
    event_type, data = "", []
    async for line in lines:
        if not line:
            if data:
                yield event_type or "message", "\n".join(data)
            event_type, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            event_type = value
    if data:  # an event without its closing blank line: the stream was cut inside it
        return


def _arguments(raw: Any, provider: str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError as e:
        raise ProviderInvalidResponseError(
            message=f"Tool call arguments are not JSON: {str(raw)[:100]!r}", provider=provider
        ) from e
    if not isinstance(parsed, dict):
        raise ProviderInvalidResponseError(
            message="Tool call arguments are not a JSON object", provider=provider
        )
    return parsed


def _usage(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    return {
        "prompt_tokens": int(raw.get("prompt_tokens") or 0),
        "completion_tokens": int(raw.get("completion_tokens") or 0),
        "total_tokens": int(raw.get("total_tokens") or 0),
    }


def _api_message(body: str) -> str:
    """The API's own words about the failure, from whatever error body shape it sent."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:500]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if parsed.get("message"):
            return str(parsed["message"])
    return body.strip()[:500]


def _retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds or as an HTTP-date, or retry-after-ms."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


class SelfManagedProvider(OpenAICompatProvider):
    """Shaped like victor subclasses that settle resilience themselves: the constructor takes
    **kwargs only and passes its own `use_circuit_breaker` and `max_retries` to the base, so a
    caller that passes them too gets "multiple values for keyword argument"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_circuit_breaker=False, max_retries=0, **kwargs)
