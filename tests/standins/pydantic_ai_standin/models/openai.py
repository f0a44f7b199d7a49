"""pydantic-ai's OpenAIChatModel over the official `openai` SDK: Chat Completions in and out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import openai

from pydantic_ai_standin import exceptions as errors
from pydantic_ai_standin import messages as m
from pydantic_ai_standin.models import ModelRequestParameters

FINISH = {"tool_calls": "tool_call", "stop": "stop", "length": "length"}
STATUS_CATEGORIES: dict[int, type[errors.ModelAPIError]] = {
    400: errors.ModelRequestRejectedError,
    401: errors.ModelAuthenticationError,
    403: errors.ModelAuthenticationError,
    404: errors.ModelNotFoundError,
    413: errors.ModelRequestRejectedError,
    422: errors.ModelRequestRejectedError,
    429: errors.ModelRateLimitError,
    500: errors.ModelServerError,
    502: errors.ModelServerError,
    503: errors.ModelUnavailableError,
    529: errors.ModelUnavailableError,
}
IN_STREAM = {
    "server_error": 500,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "invalid_request_error": 400,
    "api_error": 500,
    "overloaded_error": 529,
}


def retry_after(headers: Any) -> float | None:
    raw = headers.get("retry-after-ms") if headers is not None else None
    if raw is not None:
        try:
            return float(raw) / 1000
        except ValueError:
            pass
    raw = headers.get("retry-after") if headers is not None else None
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class OpenAIChatModel:
    #: A stream that ends before its finish_reason is an error (pydantic-ai's own check).
    checks_finish = True
    #: Tool calls come back in the order of their `index`, not of their first fragment.
    orders_by_index = True
    #: A chunk's usage is the answer's so far and replaces the last, not adds to it.
    sums_chunk_usage = False

    def __init__(self, model_name: str, *, provider: Any) -> None:
        self.model_name = model_name
        self.provider = provider

    def category_for(self, status: int) -> type[errors.ModelAPIError] | None:
        if status in (408, 504):
            return errors.ModelTimeoutError if status == 408 else errors.ModelServerError
        return STATUS_CATEGORIES.get(
            status, errors.ModelRequestRejectedError if status < 500 else errors.ModelServerError
        )

    def map_error(self, exc: Exception) -> Exception:
        if isinstance(exc, openai.APITimeoutError):
            return errors.ModelTimeoutError(self.model_name, str(exc))
        if isinstance(exc, openai.APIConnectionError):
            return errors.ModelConnectionError(self.model_name, str(exc))
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status in (408, 504):
                category: type[errors.ModelAPIError] | None = errors.ModelTimeoutError
            else:
                category = self.category_for(status)
            return errors.http_error(
                category, status, self.model_name, exc.body, retry_after(exc.response.headers)
            )
        if isinstance(exc, openai.APIError) and isinstance(exc.body, dict):
            status = IN_STREAM.get(str(exc.body.get("type") or exc.body.get("code")), 500)
            return errors.http_error(self.category_for(status), status, self.model_name, exc.body)
        return errors.UnexpectedModelBehavior(f"{type(exc).__name__}: {exc}")

    def body(
        self, messages: list[Any], settings: dict[str, Any], parameters: ModelRequestParameters
    ) -> dict[str, Any]:
        wire: list[dict[str, Any]] = []
        for message in messages:
            if isinstance(message, m.ModelResponse):
                text = "".join(p.content for p in message.parts if isinstance(p, m.TextPart))
                calls = [
                    {
                        "id": p.tool_call_id,
                        "type": "function",
                        "function": {"name": p.tool_name, "arguments": json.dumps(p.args)},
                    }
                    for p in message.parts
                    if isinstance(p, m.ToolCallPart)
                ]
                entry: dict[str, Any] = {"role": "assistant", "content": text}
                if calls:
                    entry["tool_calls"] = calls
                wire.append(entry)
                continue
            for part in message.parts:
                if isinstance(part, m.SystemPromptPart):
                    wire.append({"role": "system", "content": part.content})
                elif isinstance(part, m.UserPromptPart):
                    wire.append({"role": "user", "content": part.content})
                elif isinstance(part, m.ToolReturnPart):
                    wire.append(
                        {
                            "role": "tool",
                            "tool_call_id": part.tool_call_id,
                            "content": str(part.content),
                        }
                    )
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": wire,
            "temperature": settings["temperature"],
            "max_tokens": settings["max_tokens"],
        }
        if "top_p" in settings:
            body["top_p"] = settings["top_p"]
        if "stop_sequences" in settings:
            body["stop"] = settings["stop_sequences"]
        if parameters.function_tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters_json_schema,
                    },
                }
                for t in parameters.function_tools
            ]
        return body

    async def request(
        self, messages: list[Any], settings: dict[str, Any], parameters: ModelRequestParameters
    ) -> m.ModelResponse:
        client = self.provider.client.with_options(timeout=settings["timeout"])
        try:
            answer = await client.chat.completions.create(
                **self.body(messages, settings, parameters)
            )
        except Exception as exc:
            raise self.map_error(exc) from exc
        if not answer.choices:
            raise errors.UnexpectedModelBehavior("the answer has no choices")
        choice = answer.choices[0]
        parts: list[Any] = []
        if choice.message.content:
            parts.append(m.TextPart(choice.message.content))
        for call in choice.message.tool_calls or ():
            parts.append(m.ToolCallPart(call.function.name, call.function.arguments, call.id))
        usage = (
            m.RequestUsage(answer.usage.prompt_tokens, answer.usage.completion_tokens)
            if answer.usage
            else m.RequestUsage()
        )
        return m.ModelResponse(
            parts, usage, FINISH.get(str(choice.finish_reason), choice.finish_reason)
        )

    @asynccontextmanager
    async def request_stream(
        self, messages: list[Any], settings: dict[str, Any], parameters: ModelRequestParameters
    ) -> AsyncIterator[StreamedResponse]:
        client = self.provider.client.with_options(timeout=settings["timeout"])
        body = self.body(messages, settings, parameters)
        try:
            stream = await client.chat.completions.create(
                stream=True, stream_options={"include_usage": True}, **body
            )
        except Exception as exc:
            raise self.map_error(exc) from exc
        try:
            yield StreamedResponse(self, stream)
        finally:
            await stream.close()


class StreamedResponse:
    def __init__(self, model: OpenAIChatModel, stream: Any) -> None:
        self._model = model
        self._stream = stream
        self._text = ""
        self._calls: dict[int, list[str]] = {}
        self._finish: str | None = None
        self._usage = m.RequestUsage()

    async def __aiter__(self) -> AsyncIterator[Any]:
        started = False
        try:
            async for chunk in self._stream:
                if chunk.usage is not None:
                    before = self._usage if self._model.sums_chunk_usage else m.RequestUsage()
                    self._usage = m.RequestUsage(
                        before.input_tokens + chunk.usage.prompt_tokens,
                        before.output_tokens + chunk.usage.completion_tokens,
                    )
                for choice in chunk.choices or ():
                    if choice.finish_reason:
                        self._finish = FINISH.get(choice.finish_reason, choice.finish_reason)
                    delta = choice.delta
                    if delta.content:
                        self._text += delta.content
                        if started:
                            yield m.PartDeltaEvent(0, m.TextPartDelta(delta.content))
                        else:
                            started = True
                            yield m.PartStartEvent(0, m.TextPart(delta.content))
                    for fragment in delta.tool_calls or ():
                        call = self._calls.setdefault(fragment.index, ["", "", ""])
                        call[0] = fragment.id or call[0]
                        if fragment.function is not None:
                            call[1] = fragment.function.name or call[1]
                            call[2] += fragment.function.arguments or ""
        except errors.ModelAPIError:
            raise
        except Exception as exc:
            raise self._model.map_error(exc) from exc
        if self._finish is None and self._model.checks_finish:
            raise errors.ModelConnectionError(
                self._model.model_name, "the stream ended before its finish_reason"
            )

    def get(self) -> m.ModelResponse:
        parts: list[Any] = [m.TextPart(self._text)] if self._text else []
        calls = sorted(self._calls.items()) if self._model.orders_by_index else self._calls.items()
        parts += [m.ToolCallPart(c[1], c[2], c[0]) for _, c in calls]
        return m.ModelResponse(parts, self._usage, self._finish)
