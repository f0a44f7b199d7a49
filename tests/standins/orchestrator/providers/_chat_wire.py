"""What the stand-in orchestrator providers share: the OpenAI-style chat wire and its errors.

Kept apart so that each provider file shows only what differs (how it authenticates). Errors are
the package's classes, raised `from` the httpx exception so that the status stays within reach
(`err.__cause__.response.status_code`), with the provider's name and the API's own message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import (
    AuthenticationError,
    InvalidRequestError,
    ProviderError,
    RateLimitError,
    TimeoutError,
)

#: Error words inside a 200 stream, as the status their HTTP twin would have had.
_ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "rate_limit_error": 429,
    "server_error": 500,
}


def api_message(body: str) -> str:
    """The API's own words about the failure, whatever error body shape it has."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:300]
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str) and parsed.get("error_description"):
            return str(parsed["error_description"])
        if parsed.get("message"):
            return str(parsed["message"])
    return body.strip()[:300]


def error_for_status(status: int, message: str) -> ProviderError:
    """The package's class for a status: the ER-1 table in the orchestrator's vocabulary."""
    if status in (401, 403):
        return AuthenticationError(message)
    if status == 429:
        return RateLimitError(message)
    if status in (408, 504):
        return TimeoutError(message)
    if status in (400, 413, 422) or (400 <= status < 500 and status != 404):
        return InvalidRequestError(message)
    return ProviderError(message)  # 404 and 5xx: the catch-all


def raise_for_status(response: httpx.Response, name: str, what: str = "") -> None:
    try:
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        status = response.status_code
        raise error_for_status(
            status, f"{name}: {what}HTTP {status}: {api_message(response.text)}"
        ) from exc


def transport_error(exc: httpx.HTTPError, name: str) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{name}: request timed out ({type(exc).__name__})")
    return ProviderError(f"{name}: connection failed ({type(exc).__name__})")


def payload(model: str, prompt: str, params: Any, *, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": stream,
    }
    if params is not None:
        body["temperature"] = params.temperature
        body["max_tokens"] = params.max_tokens
    return body


def completion_text(response: httpx.Response, name: str) -> str:
    try:
        data = response.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ProviderError(f"{name}: unexpected response body: {exc!r}") from exc
    if not isinstance(content, str):
        raise ProviderError(f"{name}: unexpected response body: content is {content!r}")
    return content


async def stream_texts(response: httpx.Response, name: str) -> AsyncIterator[str]:
    """Texts of an OpenAI-style SSE stream; a stream without its terminal event is an error."""
    finished = False
    data: list[str] = []
    event_type = ""
    async for line in response.aiter_lines():
        if line:
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event_type = value
            continue
        if not data:
            event_type = ""
            continue
        raw, data = "\n".join(data), []
        kind, event_type = event_type, ""
        if raw.strip() == "[DONE]":
            return
        try:
            chunk = json.loads(raw)
        except ValueError as exc:
            raise ProviderError(f"{name}: stream event is not JSON: {raw[:100]!r}") from exc
        if not isinstance(chunk, dict):
            raise ProviderError(f"{name}: stream event is not a JSON object")
        if kind == "error" or chunk.get("error") is not None:
            error = chunk.get("error") if isinstance(chunk.get("error"), dict) else chunk
            status = error.get("code") if isinstance(error.get("code"), int) else None
            status = status or _ERROR_WORDS.get(str(error.get("type")), 500)
            raise error_for_status(status, f"{name}: error in stream: {error.get('message')}")
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                yield str(delta["content"])
            if choice.get("finish_reason"):
                finished = True
    if not finished:
        raise ProviderError(f"{name}: the stream ended before its terminal event")
