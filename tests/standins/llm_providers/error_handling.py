"""Error handling framework for providers (seed 003's `error_handling.py`, with its bugs fixed).

Fixed against the seed: a TIMEOUT and an INVALID_RESPONSE category (408/504 and stalls are
timeouts, not network errors; a malformed body is not "unknown"); 403 is an auth error and
413/422 are invalid requests; Retry-After is read in seconds, as an HTTP-date or as
retry-after-ms, and never invented (the seed defaulted to 60 and set 60 on every 5xx); the
API's own message is kept; and `if error.response:` is `is not None`, since a
`requests.Response` with an error status is falsy.
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from enum import Enum

import requests
import urllib3

logger = logging.getLogger(__name__)


class ErrorCategory(Enum):
    """Error classification"""

    AUTH_ERROR = "auth"  # 401, 403
    RATE_LIMIT = "rate_limit"  # 429
    NOT_FOUND = "not_found"  # 404
    INVALID_REQUEST = "invalid"  # 400, 413, 422
    SERVER_ERROR = "server"  # 5xx
    TIMEOUT = "timeout"  # 408, 504, a stalled server
    NETWORK_ERROR = "network"  # connection refused or reset
    INVALID_RESPONSE = "invalid_response"  # a body we cannot read
    UNKNOWN = "unknown"


class ProviderError(RuntimeError):
    """Enhanced error with retry information"""

    def __init__(
        self,
        message: str,
        category: ErrorCategory = ErrorCategory.UNKNOWN,
        status_code: int | None = None,
        provider: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        self.message = message
        self.category = category
        self.status_code = status_code
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"ProviderError({self.provider}, {self.category.value}, "
            f"status={self.status_code}, retryable={self.retryable})"
        )


#: status -> (category, retryable); other 4xx are invalid requests, other 5xx server errors.
_STATUS: dict[int, tuple[ErrorCategory, bool]] = {
    400: (ErrorCategory.INVALID_REQUEST, False),
    401: (ErrorCategory.AUTH_ERROR, False),
    403: (ErrorCategory.AUTH_ERROR, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    413: (ErrorCategory.INVALID_REQUEST, False),
    422: (ErrorCategory.INVALID_REQUEST, False),
    429: (ErrorCategory.RATE_LIMIT, True),
    504: (ErrorCategory.TIMEOUT, True),
}


def category_for_status(status: int) -> tuple[ErrorCategory, bool]:
    if status in _STATUS:
        return _STATUS[status]
    if 500 <= status < 600:
        return ErrorCategory.SERVER_ERROR, True
    if 400 <= status < 500:
        return ErrorCategory.INVALID_REQUEST, False
    return ErrorCategory.UNKNOWN, False


def retry_after_seconds(headers: object) -> float | None:
    """Retry-After in seconds or as an HTTP-date, or retry-after-ms; None when absent."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    raw = get("Retry-After")
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


def api_message(text: str) -> str:
    """The API's own words about the failure, from whatever error body shape it sent."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return ""  # an HTML page from a proxy says nothing we should repeat
    if isinstance(parsed, dict):
        error = parsed.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if parsed.get("message"):
            return str(parsed["message"])
    return ""


class ErrorClassifier:
    """Classifies errors consistently"""

    @staticmethod
    def classify_http_error(
        response: requests.Response, provider: str = "unknown"
    ) -> ProviderError:
        """Classify HTTP response errors"""
        status = response.status_code
        category, retryable = category_for_status(status)
        detail = api_message(response.text)
        message = f"{provider} HTTP {status} ({category.value})" + (f": {detail}" if detail else "")
        return ProviderError(
            message,
            category=category,
            status_code=status,
            provider=provider,
            retryable=retryable,
            retry_after=retry_after_seconds(response.headers),
        )

    @staticmethod
    def classify_request_error(
        error: requests.RequestException, provider: str = "unknown"
    ) -> ProviderError:
        """Classify requests library errors"""
        if _is_timeout(error):
            return ProviderError(
                f"{provider} request timeout ({type(error).__name__})",
                category=ErrorCategory.TIMEOUT,
                provider=provider,
                retryable=True,
            )
        if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return ProviderError(
                f"{provider} connection error ({type(error).__name__})",
                category=ErrorCategory.NETWORK_ERROR,
                provider=provider,
                retryable=True,
            )
        if error.response is not None:
            return ErrorClassifier.classify_http_error(error.response, provider)
        return ProviderError(
            f"{provider} request failed: {type(error).__name__}",
            category=ErrorCategory.UNKNOWN,
            provider=provider,
            retryable=False,
        )


def _is_timeout(error: requests.RequestException) -> bool:
    """requests reports a read timeout *while streaming* as a ConnectionError wrapping urllib3's
    ReadTimeoutError; that is a timeout all the same."""
    if isinstance(error, requests.Timeout):
        return True
    reason = error.args[0] if error.args else None
    return isinstance(reason, urllib3.exceptions.ReadTimeoutError)


def invalid_response(provider: str, what: str) -> ProviderError:
    return ProviderError(
        f"{provider} invalid response: {what}",
        category=ErrorCategory.INVALID_RESPONSE,
        provider=provider,
        retryable=False,
    )
