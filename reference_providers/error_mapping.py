"""Turning what an API or the network says went wrong into the native error taxonomy.

Every provider in this package maps failures through these functions so that the same status means
the same category everywhere (ER-1), in chat and in stream alike, and so that no provider has to
re-learn which body shape each vendor uses for its error text (ER-3).
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from reference_providers.errors import ERROR_CLASSES, ErrorCategory, ProviderError

#: Long error bodies (HTML error pages from proxies) would drown the useful part of a message.
MESSAGE_LIMIT = 500

_EXACT_STATUS: dict[int, tuple[ErrorCategory, bool]] = {
    400: (ErrorCategory.INVALID_REQUEST, False),
    413: (ErrorCategory.INVALID_REQUEST, False),
    422: (ErrorCategory.INVALID_REQUEST, False),
    401: (ErrorCategory.AUTH, False),
    403: (ErrorCategory.AUTH, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    504: (ErrorCategory.TIMEOUT, True),
    429: (ErrorCategory.RATE_LIMIT, True),
}

# Error words seen in bodies that carry no HTTP status (errors inside a 200 stream), each mapped to
# the status its HTTP twin would have had, so that both go through one table (ER-6).
_ERROR_WORD_STATUS: dict[str, int] = {
    # OpenAI / Groq / OpenRouter types and codes
    "invalid_request_error": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "invalid_prompt": 400,  # the Responses API's failure code for a rejected prompt
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
    # Google RPC status names
    "invalid_argument": 400,
    "failed_precondition": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "resource_exhausted": 429,
    "internal": 500,
    "unavailable": 503,
    "deadline_exceeded": 504,
}

_DELAY_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def category_for_status(status: int) -> tuple[ErrorCategory, bool]:
    """Return (category, retryable) for an HTTP status, per the ER-1 table."""
    if status in _EXACT_STATUS:
        return _EXACT_STATUS[status]
    if 500 <= status <= 599:
        return ErrorCategory.SERVER, True
    if 400 <= status <= 499:
        return ErrorCategory.INVALID_REQUEST, False
    return ErrorCategory.UNKNOWN, False


def parse_retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait, or None when it asked nothing we can read.

    `retry-after-ms` wins because it is the more precise of the two when a server sends both.
    A header we cannot read is treated as absent rather than as zero: waiting zero seconds on a
    misread header would hammer a server that asked for patience.
    """
    lowered = {key.lower(): value.strip() for key, value in headers.items()}
    millis = _non_negative_number(lowered.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _non_negative_number(raw)
    if seconds is not None:
        return seconds
    return _seconds_until_http_date(raw, now=now)


def _non_negative_number(raw: str | None) -> float | None:
    if raw is None or not _DELAY_SECONDS.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _seconds_until_http_date(raw: str, *, now: datetime | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a "-0000" zone parses as naive.
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    return max((when - current).total_seconds(), 0.0)


def api_error_message(body: bytes) -> str | None:
    """The API's own words about the failure, whatever vendor shape the body has.

    Callers need the vendor's text (ER-3: "model `x` does not exist") rather than our paraphrase of
    the status, because only the vendor knows which parameter or quota was at fault.
    """
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return _truncate(text)
    found = _message_from_json(parsed)
    return _truncate(found if found else text)


def _message_from_json(parsed: Any) -> str | None:
    # Google's non-SSE streaming endpoint wraps its error object in a one-element array.
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    if not isinstance(parsed, Mapping):
        return None
    error = parsed.get("error")
    if isinstance(error, Mapping):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
    if isinstance(error, str) and error.strip():
        return error.strip()
    for key in ("message", "detail"):
        value = parsed.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if value is not None and not isinstance(value, str):
            # FastAPI-style servers put a list of validation problems in `detail`.
            return json.dumps(value, ensure_ascii=False)
    return None


def _truncate(text: str) -> str:
    if len(text) <= MESSAGE_LIMIT:
        return text
    return text[: MESSAGE_LIMIT - 1] + "…"


def make_error(
    category: ErrorCategory,
    message: str,
    *,
    provider: str | None,
    retryable: bool = False,
    status_code: int | None = None,
    retry_after: float | None = None,
    cause: BaseException | None = None,
) -> ProviderError:
    """Build the category's subclass with its category set.

    The subclasses do not set their own category, so building them by hand is easy to get subtly
    wrong (an `InvalidResponseError` whose category says `unknown`); this is the one place that
    builds them.
    """
    error = ERROR_CLASSES[category](
        message,
        category=category,
        status_code=status_code,
        retryable=retryable,
        retry_after=retry_after,
        provider=provider,
    )
    if cause is not None:
        error.__cause__ = cause
    return error


def error_from_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    provider: str,
    cause: BaseException | None = None,
) -> ProviderError:
    """The error for a non-success HTTP response, with the API's message and its Retry-After."""
    category, retryable = category_for_status(status)
    message = f"{provider}: HTTP {status} {category.value}"
    detail = api_error_message(body)
    if detail:
        message = f"{message}: {detail}"
    return make_error(
        category,
        message,
        provider=provider,
        retryable=retryable,
        status_code=status,
        retry_after=parse_retry_after(headers),
        cause=cause,
    )


def status_for_error_object(error: Mapping[str, Any]) -> int | None:
    """The HTTP status an error object stands for, when it says so in numbers or in words.

    Numbers win over words: Groq sends both `"status_code": 400` and `"code": "tool_use_failed"`,
    and the number is the one the vendor would have put on the status line.
    """
    for key in ("status_code", "code", "status"):
        number = _as_status(error.get(key))
        if number is not None:
            return number
    for key in ("type", "code", "status"):
        word = error.get(key)
        if isinstance(word, str) and word.lower() in _ERROR_WORD_STATUS:
            return _ERROR_WORD_STATUS[word.lower()]
    return None


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
        return int(value)
    return None


def error_from_payload(payload: Mapping[str, Any], *, provider: str) -> ProviderError:
    """The error for an error object that arrived inside a successful response (ER-6).

    An error we cannot classify is treated as a retryable server error: the request was accepted
    (the status was 200), so the failure happened on the server's side of the exchange.
    """
    raw = payload.get("error")
    # `event: error` frames sometimes carry the error object itself, not wrapped in "error".
    error: Mapping[str, Any] = raw if isinstance(raw, Mapping) else payload
    status = status_for_error_object(error)
    if status is None:
        category, retryable = ErrorCategory.SERVER, True
    else:
        category, retryable = category_for_status(status)
    detail = _message_from_json(payload)
    message = f"{provider}: error in response {category.value}"
    if detail:
        message = f"{message}: {_truncate(detail)}"
    return make_error(category, message, provider=provider, retryable=retryable, status_code=status)


def error_from_transport(exc: httpx.HTTPError, *, provider: str) -> ProviderError:
    """The error for a request that got no usable HTTP response (ER-4).

    The message names the exception type and the host and path only: request headers carry the
    credentials and a query string may too (SE-1).
    """
    text = type(exc).__name__
    detail = _scrub_url(str(exc), exc)
    if detail:
        text = f"{text}: {detail}"
    where = _safe_location(exc)
    if where:
        text = f"{text} ({where})"
    if isinstance(exc, httpx.TimeoutException):
        category, retryable = ErrorCategory.TIMEOUT, True
    elif isinstance(exc, httpx.TransportError):
        category, retryable = ErrorCategory.NETWORK, True
    elif isinstance(exc, httpx.DecodingError):
        category, retryable = ErrorCategory.INVALID_RESPONSE, False
    elif isinstance(exc, httpx.HTTPStatusError):
        category, retryable = category_for_status(exc.response.status_code)
    else:
        category, retryable = ErrorCategory.NETWORK, False
    return make_error(
        category,
        f"{provider}: {category.value}: {text}",
        provider=provider,
        retryable=retryable,
        cause=exc,
    )


def _request_of(exc: httpx.HTTPError) -> httpx.Request | None:
    try:
        return exc.request
    except RuntimeError:  # httpx raises when no request was attached to the exception
        return None


def _safe_location(exc: httpx.HTTPError) -> str:
    request = _request_of(exc)
    if request is None:
        return ""
    url = request.url
    port = f":{url.port}" if url.port is not None else ""
    return f"{request.method} {url.scheme}://{url.host}{port}{url.path}"


def _scrub_url(text: str, exc: httpx.HTTPError) -> str:
    request = _request_of(exc)
    if request is not None:
        text = text.replace(str(request.url), "<url>")
    return text
