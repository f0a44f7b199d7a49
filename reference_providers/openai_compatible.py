"""The reference provider for the OpenAI Chat Completions API and servers that copy it.

It is the yardstick the harness is checked against, and the base that the harness's own tests
subclass to plant one bug at a time; hence every step of a request lives in a small method of its
own (a seam) that a subclass can override without copying the rest.

Retries: `max_retries` is accepted and stored so that configurations written for a later retry
policy already validate, but no request is retried yet; every failure surfaces on the first try.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

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
from reference_providers.error_mapping import (
    error_from_payload,
    error_from_status,
    error_from_transport,
    make_error,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.sse import ServerSentEvent, SSEDecoder
from reference_providers.tool_call_accumulator import ToolCallAccumulator

logger = logging.getLogger(__name__)

#: What a response of an unexpected shape raises while we pick it apart (ER-5, ER-8).
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

_STOP_REASONS: dict[str, str] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}

_EXCERPT = 200
_REDACTED = "[redacted]"


@dataclass
class _StreamState:
    """What one stream has said so far beyond its text, needed for the final chunk."""

    accumulator: ToolCallAccumulator
    finish_reason: str | None = None
    usage: Usage | None = None
    done: bool = False


class OpenAICompatibleProvider:
    """A native `ChatProvider` speaking the `openai-chat` dialect over httpx."""

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
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self.max_retries = max_retries
        self._name = name
        self._capabilities = capabilities if capabilities is not None else Capabilities()
        self._default_headers = dict(default_headers or {})
        self._http: httpx.AsyncClient | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, base_url={self._base_url!r})"

    @property
    def name(self) -> str:
        return self._name

    def capabilities(self) -> Capabilities:
        return self._capabilities

    # -- lifecycle -------------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        client, self._http = self._http, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _client(self) -> httpx.AsyncClient:
        # Created on first use so that a provider built but never used holds no connection pool.
        if self._closed:
            raise make_error(
                ErrorCategory.UNKNOWN, f"{self._name}: provider is closed", provider=self._name
            )
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout))
        return self._http

    # -- chat ------------------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        payload = self._checked_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=False,
        )
        try:
            response = await self._post(payload)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        if not response.is_success:
            raise self._status_error(response)
        data = self._json_object(response.content, what="completion body")
        if "choices" not in data and data.get("error") is not None:
            raise self._in_stream_error(data)
        try:
            return self._parse_completion(data)
        except _SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected completion shape: {exc!r}") from exc

    async def _post(self, payload: Mapping[str, Any]) -> httpx.Response:
        logger.debug("%s: chat request for model %r", self._name, payload.get("model"))
        return await self._client().post(
            self._endpoint_url(), content=self._encode(payload), headers=self._headers()
        )

    # -- stream ----------------------------------------------------------------------------------

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        payload = self._checked_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=True,
        )
        body = self._encode(payload)
        headers = {**self._headers(), "Accept": "text/event-stream"}
        state = _StreamState(accumulator=self._new_accumulator())
        logger.debug("%s: stream request for model %r", self._name, model)
        try:
            # The response lives inside the generator: leaving the iteration early closes the
            # generator, which leaves this block and closes the connection (ST-7).
            async with self._client().stream(
                "POST", self._endpoint_url(), content=body, headers=headers
            ) as response:
                if not response.is_success:
                    # A streamed response must be read before its body can be looked at.
                    await response.aread()
                    raise self._status_error(response)
                async for text in self._texts(response, state):
                    yield StreamChunk(content=text)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        except _SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected stream chunk shape: {exc!r}") from exc
        # Yielded after the response is closed, so a caller that stops at the final chunk
        # leaves no connection open.
        yield self._final_chunk(state)

    async def _texts(self, response: httpx.Response, state: _StreamState) -> AsyncIterator[str]:
        events = self._iter_events(response)
        try:
            async for event in events:
                text = self._absorb_event(event, state)
                if state.done:
                    return
                if text:
                    yield text
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        decoder = SSEDecoder()
        async for data in response.aiter_bytes():
            for event in decoder.feed(data):
                yield event
        for event in decoder.flush():
            yield event

    def _new_accumulator(self) -> ToolCallAccumulator:
        return ToolCallAccumulator(provider=self._name)

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        if event.event not in ("message", "error"):
            return ""  # ST-6: unknown event types are ignored
        raw = event.data.strip()
        if not raw:
            return ""
        if raw == "[DONE]":
            state.done = True
            return ""
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            if event.event == "error":
                raise self._in_stream_error({"error": {"message": raw}}) from exc
            raise self._invalid(f"stream event is not JSON: {raw!r:.{_EXCERPT}}") from exc
        if not isinstance(payload, Mapping):
            raise self._invalid(f"stream event is not a JSON object: {raw!r:.{_EXCERPT}}")
        if event.event == "error" or payload.get("error") is not None:
            raise self._in_stream_error(payload)
        return self._absorb_chunk(payload, state)

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        usage = chunk.get("usage")
        if usage is not None:
            # The usage-only chunk (choices: []) comes last; any chunk may carry it, the last wins.
            state.usage = self._parse_usage(usage)
        choices = chunk.get("choices")
        if choices is None:
            return ""
        if not isinstance(choices, list):
            raise self._invalid("stream chunk 'choices' is not a list")
        texts: list[str] = []
        for choice in choices:
            # With n > 1 the answers interleave; the native contract carries the first one.
            if (choice.get("index") or 0) != 0:
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif content is not None:
                raise self._invalid("stream delta 'content' is not a string")
            for fragment in delta.get("tool_calls") or ():
                state.accumulator.add(fragment)
            finish_reason = choice.get("finish_reason")
            if finish_reason:  # some compatible servers send "" for "not yet"
                state.finish_reason = str(finish_reason)
        return "".join(texts)

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
        taken = {key.lower() for key in ours} | {"authorization"}
        extra = {k: v for k, v in self._default_headers.items() if k.lower() not in taken}
        return {**extra, **ours}

    def _endpoint_url(self) -> str:
        return f"{self._base_url.rstrip('/')}/chat/completions"

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
        try:
            return self._build_payload(
                messages,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                tools=tools,
                stream=stream,
            )
        except _SHAPE_ERRORS as exc:
            raise self._invalid_request(f"cannot build the request: {exc!r}") from exc

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
                        "function": {"name": call.name, "arguments": _dumps(call.arguments)},
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

    def _encode(self, payload: Mapping[str, Any]) -> bytes:
        try:
            return _dumps(payload).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise self._invalid_request(f"request is not serialisable as JSON: {exc}") from exc

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
        prompt = _count(raw.get("prompt_tokens"))
        completion = _count(raw.get("completion_tokens"))
        if prompt is None or completion is None:
            raise self._invalid(f"usage lacks token counts: {dict(raw)!r:.{_EXCERPT}}")
        raw_total = raw.get("total_tokens")
        total = prompt + completion if raw_total is None else _count(raw_total)
        if total is None:
            raise self._invalid("usage 'total_tokens' is not a count")
        return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)

    def _json_object(self, body: bytes, *, what: str) -> Mapping[str, Any]:
        try:
            data = json.loads(body)
        except ValueError as exc:
            excerpt = body[:_EXCERPT].decode("utf-8", errors="replace")
            raise self._invalid(f"{what} is not JSON: {excerpt!r}") from exc
        if not isinstance(data, Mapping):
            raise self._invalid(f"{what} is not a JSON object")
        return data

    # -- errors ----------------------------------------------------------------------------------

    def _status_error(self, response: httpx.Response) -> ProviderError:
        error = self._error_from_response(response.status_code, response.headers, response.content)
        if error.__cause__ is None:
            # ER-3 wants an original exception as the cause; a status has none, so make the one
            # httpx would (without the URL's query, which may carry secrets).
            request = response.request
            error.__cause__ = httpx.HTTPStatusError(
                f"HTTP {response.status_code} from {request.method} {request.url.path}",
                request=request,
                response=response,
            )
        return error

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        return self._redacted(error_from_status(status, headers, body, provider=self._name))

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        return self._redacted(error_from_payload(payload, provider=self._name))

    def _redacted(self, error: ProviderError) -> ProviderError:
        # An API may echo the credential it rejected; it must not reach a log or report (SE-1).
        if self._api_key and self._api_key in error.message:
            error.message = error.message.replace(self._api_key, _REDACTED)
            error.args = (error.message,)
        return error

    def _invalid(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_RESPONSE, f"{self._name}: {message}", provider=self._name
        )

    def _invalid_request(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_REQUEST, f"{self._name}: {message}", provider=self._name
        )


def _dumps(value: Any) -> str:
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
    )


def _plain(value: Any) -> Any:
    # The contract types hold Mapping/Sequence, which json only knows as dict/list.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


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


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
