"""One small, realistic bug per contract clause, each planted in the reference provider.

Every class here is `OpenAICompatibleProvider` with one seam overridden to make one mistake that
real provider classes make (the docstring says which, and which clause must catch it). Starting
from the reference keeps everything else correct, so when the suite flags a class, it flags it for
the planted bug and not for some unrelated difference: the test asserts exactly that.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from reference_providers.contract import (
    CompletionResponse,
    Message,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import (
    api_error_message,
    error_from_status,
    error_from_transport,
    make_error,
    parse_retry_after,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider, _StreamState
from reference_providers.sse import ServerSentEvent
from reference_providers.tool_call_accumulator import ToolCallAccumulator

# -- ID ------------------------------------------------------------------------------------------


class EmptyName(OpenAICompatibleProvider):
    """ID-1: `name` is "" (the mistake: the name read from an unset setting or env variable).

    Reports, logs and errors are keyed by the provider's name; an empty one makes them unreadable.
    """

    @property
    def name(self) -> str:
        return ""


# -- RQ ------------------------------------------------------------------------------------------


class FormEncodedBody(OpenAICompatibleProvider):
    """RQ-1: the body is sent form-encoded, as `requests.post(url, data=payload)` does.

    The classic slip of `data=` for `json=`: the server gets `model=...&messages=...` with
    Content-Type application/x-www-form-urlencoded, which a real API rejects with 400.
    """

    async def _post(self, payload: Mapping[str, Any]) -> httpx.Response:
        headers = {k: v for k, v in self._headers().items() if k.lower() != "content-type"}
        return await self._client().post(self._endpoint_url(), data=dict(payload), headers=headers)


class KeyInQueryString(OpenAICompatibleProvider):
    """RQ-2: the API key travels as `?api_key=...` in the URL instead of the Authorization header.

    Copied from a vendor whose docs show a key in the query (Gemini's `?key=`); URLs end up in
    proxy logs, browser history and tracing spans, which is why the clause forbids it.
    """

    def _endpoint_url(self) -> str:
        return f"{super()._endpoint_url()}?api_key={self._api_key}"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        headers.pop("Authorization", None)
        return headers


class DropsTemperature(OpenAICompatibleProvider):
    """RQ-3: temperature is accepted but never sent, so the server's default silently applies.

    A payload builder written before the parameter was added to the signature, never updated.
    """

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
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        payload.pop("temperature", None)
        return payload


class DropsToolDescription(OpenAICompatibleProvider):
    """RQ-4: each tool reaches the wire with its name and parameters but without a description.

    The model then picks tools by name alone; the mistake of a serializer that only copies the
    fields the author's first example happened to use.
    """

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        serialized = super()._serialize_tool(tool)
        function = dict(serialized["function"])
        function.pop("description", None)
        return {**serialized, "function": function}


class ForgetsAssistantToolCalls(OpenAICompatibleProvider):
    """RQ-5: an assistant turn is sent back with its text only, its tool calls dropped.

    The next request then carries tool results answering calls nobody made: the real API
    answers 400 ("messages with role 'tool' must be a response to a preceding message with
    'tool_calls'"). A serializer that treats every message as `{role, content}` does this.
    """

    def _serialize_message(self, message: Message) -> dict[str, Any]:
        if message.role == "assistant":
            return {"role": "assistant", "content": message.content}
        return super()._serialize_message(message)


class TopLevelSystemField(OpenAICompatibleProvider):
    """RQ-6: the system prompt goes in a top-level "system" field, the Anthropic Messages shape.

    OpenAI ignores the unknown field, so the model never sees the prompt: code ported from an
    Anthropic client keeps working, just without its instructions.
    """

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
        payload = super()._build_payload(
            [m for m in messages if m.role != "system"],
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        if system:
            payload["system"] = "\n".join(system)
        return payload


# -- CH ------------------------------------------------------------------------------------------


class StripsContent(OpenAICompatibleProvider):
    """CH-1: the answer's text is `.strip()`ped, losing the whitespace the model produced.

    A "tidy-up" that breaks code blocks, Markdown line breaks and text meant to be concatenated.
    """

    def _parse_completion(self, data: Mapping[str, Any]) -> CompletionResponse:
        response = super()._parse_completion(data)
        return CompletionResponse(
            content=response.content.strip(),
            tool_calls=response.tool_calls,
            stop_reason=response.stop_reason,
            usage=response.usage,
            model=response.model,
        )


class FirstToolCallOnly(OpenAICompatibleProvider):
    """CH-2: only the first tool call of an answer is kept (`tool_calls[0]`).

    Written when models made one call at a time; parallel calls are silently lost.
    """

    def _parse_tool_calls(self, raw: Any) -> tuple[ToolCall, ...]:
        return super()._parse_tool_calls(raw)[:1]


class AlwaysStop(OpenAICompatibleProvider):
    """CH-3: the stop reason is hard-coded to "stop".

    A caller then cannot tell an answer cut by max_tokens (`length`) from a finished one, nor
    see that the model wants tools run.
    """

    def _map_stop_reason(self, raw: str | None) -> str | None:
        return "stop"


class AnthropicUsageNames(OpenAICompatibleProvider):
    """CH-4: usage is read with Anthropic's field names (input_tokens, output_tokens).

    OpenAI's `prompt_tokens` and `completion_tokens` are never looked at, so every count is 0:
    the typical result of one usage parser shared across vendors.
    """

    def _parse_usage(self, raw: Mapping[str, Any] | None) -> Usage | None:
        if raw is None:
            return None
        prompt = int(raw.get("input_tokens", 0))
        completion = int(raw.get("output_tokens", 0))
        return Usage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )


# -- ST ------------------------------------------------------------------------------------------


class RequiresDataSpace(OpenAICompatibleProvider):
    """ST-1: a line-based SSE "parser" that only knows `data: ` with the space.

    The standard makes the space optional; servers that write `data:{...}` lose every event to
    this parser, so none of the text arrives.
    """

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                yield ServerSentEvent(event="message", data=line[len("data: ") :])


class TwoFinalChunks(OpenAICompatibleProvider):
    """ST-2: a final chunk at `finish_reason` and another one at `[DONE]`.

    The shape of the victor tutorial's stream loop: both places look like "the end", and both
    yield `is_final=True`, so a caller that stops at the first final chunk misses the usage.
    """

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
        headers = {**self._headers(), "Accept": "text/event-stream"}
        accumulator = self._new_accumulator()
        finish_reason: str | None = None
        usage: Usage | None = None
        try:
            async with self._client().stream(
                "POST", self._endpoint_url(), content=self._encode(payload), headers=headers
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._status_error(response)
                async for event in self._iter_events(response):
                    if event.data.strip() == "[DONE]":
                        yield StreamChunk(
                            is_final=True,
                            stop_reason=self._map_stop_reason(finish_reason),
                            usage=usage,
                            tool_calls=tuple(accumulator.finish()),
                        )
                        return
                    chunk = json.loads(event.data)
                    if chunk.get("usage") is not None:
                        usage = self._parse_usage(chunk["usage"])
                    for choice in chunk.get("choices") or ():
                        delta = choice.get("delta") or {}
                        if delta.get("content"):
                            yield StreamChunk(content=delta["content"])
                        for fragment in delta.get("tool_calls") or ():
                            accumulator.add(fragment)
                        if choice.get("finish_reason"):
                            finish_reason = choice["finish_reason"]
                            yield StreamChunk(
                                is_final=True, stop_reason=self._map_stop_reason(finish_reason)
                            )
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc


class _OverwritingIdAccumulator(ToolCallAccumulator):
    """Copies `id` from every fragment that has the key, even when its value is null."""

    def add(self, delta: Mapping[str, Any]) -> None:
        super().add(delta)
        if "id" in delta and self._last_index is not None:
            self._calls[self._last_index].id = delta["id"]


class LosesToolCallIdOnNull(OpenAICompatibleProvider):
    """ST-3 (a): a tool call's id is overwritten by the `"id": null` of a continuation fragment.

    `if "id" in delta: call.id = delta["id"]` is right for api.openai.com (continuations omit
    the key) and wrong for servers that repeat it as null; the call then ends with no id (here
    the made-up fallback), and its result can no longer be matched to it.
    """

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _OverwritingIdAccumulator(provider=self._name)


class ToolCallsReportedTwice(OpenAICompatibleProvider):
    """ST-3 (b): each tool call is yielded when it completes and again on the final chunk.

    Two well-meant features added at different times ("emit calls as soon as they are whole",
    "the final chunk summarises the calls"): a caller then runs every tool twice.
    """

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        chunks = super().stream(
            messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
        )
        try:
            async for chunk in chunks:
                if chunk.is_final and chunk.tool_calls:
                    yield StreamChunk(tool_calls=chunk.tool_calls)
                yield chunk
        finally:
            await chunks.aclose()


class IgnoresUsageOnlyChunk(OpenAICompatibleProvider):
    """ST-5: the trailing usage-only chunk (`"choices": []`) is skipped as "empty".

    `if not chunk["choices"]: continue` is in many stream loops; with `include_usage` the
    usage arrives in exactly that chunk, so the final chunk carries none.
    """

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        if not chunk.get("choices"):
            return ""
        return super()._absorb_chunk(chunk, state)


# -- ER ------------------------------------------------------------------------------------------

#: A hand-written status table missing two rows: 403 (permission) and 529 (Anthropic/Azure
#: "overloaded"). Statuses not listed fall through to "unknown", not retryable.
_INCOMPLETE_STATUS_TABLE: dict[int, tuple[ErrorCategory, bool]] = {
    400: (ErrorCategory.INVALID_REQUEST, False),
    401: (ErrorCategory.AUTH, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    413: (ErrorCategory.INVALID_REQUEST, False),
    422: (ErrorCategory.INVALID_REQUEST, False),
    429: (ErrorCategory.RATE_LIMIT, True),
    500: (ErrorCategory.SERVER, True),
    502: (ErrorCategory.SERVER, True),
    503: (ErrorCategory.SERVER, True),
    504: (ErrorCategory.TIMEOUT, True),
}


class IncompleteStatusTable(OpenAICompatibleProvider):
    """ER-1: 403 becomes a generic unknown error and 529 is not retryable.

    A status table copied from one vendor's docs: a 403 is not recognised as an auth failure
    (so nobody is told to fix the key's permissions) and an overloaded 529 is never retried.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        category, retryable = _INCOMPLETE_STATUS_TABLE.get(status, (ErrorCategory.UNKNOWN, False))
        message = f"{self._name}: HTTP {status} {category.value}"
        detail = api_error_message(body)
        if detail:
            message = f"{message}: {detail}"
        return make_error(
            category,
            message,
            provider=self._name,
            retryable=retryable,
            status_code=status,
            retry_after=parse_retry_after(headers),
        )


class GenericErrorMessage(OpenAICompatibleProvider):
    """ER-3: the error says "request failed with status N" and drops the API's own message.

    The usual `raise ProviderError(f"request failed with status {status}")`: the vendor's text
    naming the bad parameter or the exhausted quota never reaches the person debugging.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        reference = super()._error_from_response(status, headers, body)
        return make_error(
            reference.category,
            f"{self._name}: request failed with status {status}",
            provider=self._name,
            retryable=reference.retryable,
            status_code=status,
            retry_after=reference.retry_after,
        )


class RetryAfterConstant(OpenAICompatibleProvider):
    """ER-2: every retryable error gets a fixed retry_after of 60 s; `Retry-After` is ignored.

    A "sensible default back-off" that makes a client wait a minute when the API asked for
    seconds, or hammer it when the API asked for longer.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        error = super()._error_from_response(status, headers, body)
        error.retry_after = 60.0 if error.retryable else None
        return error


class RetryAfterIgnored(OpenAICompatibleProvider):
    """ER-2: `Retry-After` is never read; retry_after is always None.

    The most common form of the mistake: the header is simply not looked at, so a caller's
    retry loop falls back to its own schedule and ignores what the server asked for.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        error = super()._error_from_response(status, headers, body)
        error.retry_after = None
        return error


class RetryAfterSecondsOnly(OpenAICompatibleProvider):
    """ER-2: only `Retry-After: <seconds>` is understood; an HTTP-date or `retry-after-ms` is lost.

    `float(headers["retry-after"])` inside a try: right for most APIs, silently wrong for
    proxies that send an HTTP-date and for OpenAI's own `retry-after-ms`.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        error = super()._error_from_response(status, headers, body)
        raw = headers.get("retry-after", "").strip()
        error.retry_after = float(raw) if raw.isdigit() else None
        return error


class UnreadStreamedErrorBody(OpenAICompatibleProvider):
    """ER-8: a failed stream touches `response.text` before reading the body.

    This is the reference `stream()` with one line missing, `await response.aread()`: on a
    streamed response httpx then raises `httpx.ResponseNotRead`, which is neither an
    `httpx.HTTPError` nor a shape error, so it escapes unwrapped instead of an auth error.
    """

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
        headers = {**self._headers(), "Accept": "text/event-stream"}
        state = _StreamState(accumulator=self._new_accumulator())
        try:
            async with self._client().stream(
                "POST", self._endpoint_url(), content=self._encode(payload), headers=headers
            ) as response:
                if not response.is_success:
                    body = response.text.encode("utf-8")  # raises httpx.ResponseNotRead
                    raise self._error_from_response(response.status_code, response.headers, body)
                async for text in self._texts(response, state):
                    yield StreamChunk(content=text)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        yield self._final_chunk(state)


# -- SE ------------------------------------------------------------------------------------------


class KeyInErrorMessage(OpenAICompatibleProvider):
    """SE-1: the error message includes the request headers "for debugging", key and all.

    Error messages reach logs, bug reports and dashboards; the Authorization header in one of
    them leaks the credential to everyone who reads them.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        error = error_from_status(status, headers, body, provider=self._name)
        error.message = f"{error.message} (request headers: {self._headers()})"
        error.args = (error.message,)
        return error


class LogsEncodedKey(OpenAICompatibleProvider):
    """SE-1: logs a Basic credential for "debugging": the key, base64-encoded inside `user:key`.

    base64 is an encoding, not a secret: anyone reading the log decodes it in one step.
    """

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        token = base64.b64encode(f"user:{self._api_key}".encode()).decode("ascii")
        logging.getLogger("known_bad.debug").info("Authorization: Basic %s", token)
        return await super().chat(*args, **kwargs)
