"""The native error taxonomy.

One exception type with a category, rather than a class per status, because callers decide on the
category (retry? fall back? ask for a new key?) and a category survives being passed across
process and profile boundaries. Subclasses exist only so that `except RateLimitError` reads well.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCategory(StrEnum):
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"
    SERVER = "server"
    TIMEOUT = "timeout"
    NETWORK = "network"
    INVALID_RESPONSE = "invalid_response"
    UNKNOWN = "unknown"


class ProviderError(Exception):
    """Every error a native provider lets escape.

    The message carries the API's own error text but never credentials; `__cause__` keeps the
    original transport or parsing exception for debugging.
    """

    #: The category an instance gets when none is given, so `RateLimitError("...")` is one.
    default_category: ErrorCategory = ErrorCategory.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        category: ErrorCategory | None = None,
        status_code: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.category = category if category is not None else self.default_category
        self.status_code = status_code
        self.retryable = retryable
        self.retry_after = retry_after
        self.provider = provider

    @property
    def is_timeout(self) -> bool:
        return self.category is ErrorCategory.TIMEOUT

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, category={self.category.value!r}, "
            f"status_code={self.status_code!r}, retryable={self.retryable!r}, "
            f"retry_after={self.retry_after!r})"
        )


class AuthError(ProviderError):
    default_category = ErrorCategory.AUTH


class RateLimitError(ProviderError):
    default_category = ErrorCategory.RATE_LIMIT


class NotFoundError(ProviderError):
    default_category = ErrorCategory.NOT_FOUND


class InvalidRequestError(ProviderError):
    default_category = ErrorCategory.INVALID_REQUEST


class ServerError(ProviderError):
    default_category = ErrorCategory.SERVER


class ProviderTimeoutError(ProviderError):
    default_category = ErrorCategory.TIMEOUT


class ProviderConnectionError(ProviderError):
    default_category = ErrorCategory.NETWORK


class InvalidResponseError(ProviderError):
    default_category = ErrorCategory.INVALID_RESPONSE


ERROR_CLASSES: dict[ErrorCategory, type[ProviderError]] = {
    ErrorCategory.AUTH: AuthError,
    ErrorCategory.RATE_LIMIT: RateLimitError,
    ErrorCategory.NOT_FOUND: NotFoundError,
    ErrorCategory.INVALID_REQUEST: InvalidRequestError,
    ErrorCategory.SERVER: ServerError,
    ErrorCategory.TIMEOUT: ProviderTimeoutError,
    ErrorCategory.NETWORK: ProviderConnectionError,
    ErrorCategory.INVALID_RESPONSE: InvalidResponseError,
    ErrorCategory.UNKNOWN: ProviderError,
}
