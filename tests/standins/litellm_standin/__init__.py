"""A stand-in for LiteLLM's `acompletion`, for the `litellm` profile's tests without LiteLLM.

It speaks the `openai` prefix only, through the official `openai` SDK (which reads every scenario
right: tests/test_official_openai_client.py), and hands back what LiteLLM hands back: OpenAI-shaped
results, OpenAI-shaped stream chunks, and its own exception classes (`exceptions.py`), each chosen
the way a correct mapping chooses it. Known-bad variants (tests/known_bad/litellm_style.py) change
one mapping at a time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import openai

from litellm_standin import exceptions

#: HTTP status -> the exception class LiteLLM's docs give for it.
STATUS_CLASSES: dict[int, Callable[..., exceptions.APIError]] = {
    400: exceptions.BadRequestError,
    401: exceptions.AuthenticationError,
    403: exceptions.PermissionDeniedError,
    404: exceptions.NotFoundError,
    408: exceptions.Timeout,
    413: exceptions.BadRequestError,
    422: exceptions.UnprocessableEntityError,
    429: exceptions.RateLimitError,
    500: exceptions.InternalServerError,
    502: exceptions.BadGatewayError,
    503: exceptions.ServiceUnavailableError,
    504: exceptions.Timeout,
    529: exceptions.ServiceUnavailableError,
}

#: An in-stream error's `type` -> the status of its HTTP twin.
IN_STREAM_TYPES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "server_error": 500,
    "api_error": 500,
    "overloaded_error": 529,
}


def map_error(exc: Exception, provider: str, model: str) -> Exception:
    """The exception LiteLLM raises for the SDK's `exc`."""
    message = str(exc)
    if isinstance(exc, openai.APITimeoutError):
        return exceptions.Timeout(message, provider, model)
    if isinstance(exc, openai.APIConnectionError):
        return exceptions.APIConnectionError(message, provider, model)
    if isinstance(exc, openai.APIStatusError):
        chosen = STATUS_CLASSES.get(exc.status_code)
        if chosen is None:
            status = exc.status_code
            if 400 <= status < 500:
                return exceptions.BadRequestError(message, provider, model, status)
            return exceptions.InternalServerError(message, provider, model, status)
        return chosen(message, provider, model, exc.status_code)
    if isinstance(exc, openai.APIError) and isinstance(exc.body, dict):
        # An error event inside the stream: its type says what its HTTP twin would have been.
        twin = IN_STREAM_TYPES.get(str(exc.body.get("type") or exc.body.get("code")))
        if twin is not None:
            return STATUS_CLASSES[twin](message, provider, model, twin)
    if isinstance(exc, openai.APIError | json.JSONDecodeError | ValueError | KeyError | TypeError):
        return exceptions.APIResponseValidationError(message, provider, model)
    return exc


#: The classes a correct retry retries: the server's trouble, a rate limit, the network.
RETRYABLE = (
    exceptions.RateLimitError,
    exceptions.InternalServerError,
    exceptions.BadGatewayError,
    exceptions.ServiceUnavailableError,
    exceptions.Timeout,
    exceptions.APIConnectionError,
)
BASE_DELAY = 0.5


def retry_after(exc: BaseException) -> float:
    """The Retry-After of the answer behind a mapped error, in seconds (0 when none)."""
    response = getattr(exc.__cause__, "response", None)
    raw = response.headers.get("retry-after") if response is not None else None
    try:
        return max(float(raw), 0.0) if raw is not None else 0.0
    except ValueError:
        return 0.0


async def acompletion(
    model: str,
    messages: list[dict[str, Any]],
    *,
    num_retries: int = 0,
    fallbacks: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """One call, retried `num_retries` times on retryable errors (backoff that doubles, never
    sooner than Retry-After), then each of `fallbacks` in turn; when all fail, the error names
    every failure."""
    failures: list[exceptions.APIError] = []
    for entry in [{"model": model}, *(fallbacks or ())]:
        settings = {**kwargs, **entry}
        try:
            return await _with_retries(settings.pop("model"), messages, num_retries, settings)
        except exceptions.APIError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    last = failures[-1]
    named = "; ".join(f"{f.model}: {f.status_code} {f.message}" for f in failures)
    raise exceptions.APIError(
        last.status_code, f"every fallback failed: {named}", last.llm_provider, model
    ) from last


async def _with_retries(
    model: str, messages: list[dict[str, Any]], num_retries: int, settings: dict[str, Any]
) -> Any:
    for attempt in range(num_retries + 1):
        try:
            return await _once(model, messages, **settings)
        except RETRYABLE as exc:
            if attempt == num_retries:
                raise
            await asyncio.sleep(max(BASE_DELAY * 2**attempt, retry_after(exc)))
    raise AssertionError("unreachable")


async def ahealth_check(model_params: dict[str, Any]) -> dict[str, Any]:
    """LiteLLM's shape: a one-token completion; `{"error": ...}` when it fails, never a raise."""
    params = {k: v for k, v in model_params.items() if k not in ("model", "num_retries")}
    params["max_tokens"] = 1
    messages = [{"role": "user", "content": "ping"}]
    try:
        await _once(model_params["model"], messages, **params)
    except Exception as exc:
        return {"error": str(exc)}
    return {}


async def _once(
    model: str,
    messages: list[dict[str, Any]],
    *,
    api_base: str,
    api_key: str,
    timeout: float,
    stream: bool = False,
    max_retries: int = 0,
    **params: Any,
) -> Any:
    provider, _, name = model.partition("/")
    if provider != "openai":
        raise exceptions.BadRequestError(f"unknown provider prefix {provider!r}", provider, model)
    client = openai.AsyncOpenAI(
        base_url=api_base, api_key=api_key, timeout=timeout, max_retries=max_retries
    )
    body = {"model": name, "messages": messages, **params}
    try:
        if not stream:
            try:
                response = await client.chat.completions.create(**body)
                if not response.choices:
                    raise exceptions.APIResponseValidationError(
                        "the answer has no choices", provider, model
                    )
                return response.model_dump()
            finally:
                await client.close()
        chunks = await client.chat.completions.create(stream=True, **body)
    except exceptions.APIError:
        await client.close()
        raise
    except Exception as exc:
        await client.close()
        raise map_error(exc, provider, model) from exc
    return _stream(client, chunks, provider, model)


async def _stream(client: Any, chunks: Any, provider: str, model: str) -> AsyncIterator[Any]:
    try:
        finished = False
        async for chunk in chunks:
            finished = finished or any(c.finish_reason for c in chunk.choices or ())
            yield chunk
        if not finished:
            raise exceptions.APIConnectionError(
                "the stream ended before its finish_reason", provider, model
            )
    except exceptions.APIError:
        raise
    except Exception as exc:
        raise map_error(exc, provider, model) from exc
    finally:
        await chunks.close()
        await client.close()
