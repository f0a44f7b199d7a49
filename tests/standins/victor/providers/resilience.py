"""Stand-in for `victor.providers.resilience`: the retry strategy BaseProvider wraps its calls in.

Like victor 0.9's `ProviderRetryStrategy`, it sleeps with `asyncio.sleep` looked up in this module
(the suite's RE checks replace it with their fake clock), backs off exponentially, waits at least
a rate limit's `retry_after`, and retries only what is worth retrying: rate limits, timeouts,
connection failures and 5xx answers, never an auth error or a bad request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from victor.providers.base import (
    ProviderConnectionError,
    ProviderError,
    ProviderRateLimitError,
    ProviderTimeoutError,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ProviderRetryConfig:
    max_retries: int = 3
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0
    exponential_base: float = 2.0


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, ProviderRateLimitError | ProviderTimeoutError | ProviderConnectionError):
        return True
    if type(error) is ProviderError:
        status = error.status_code
        return isinstance(status, int) and status >= 500
    return False


class ProviderRetryStrategy:
    def __init__(self, config: ProviderRetryConfig | None = None) -> None:
        self.config = config or ProviderRetryConfig()

    def delay(self, attempt: int, error: BaseException) -> float:
        backoff = self.config.base_delay_seconds * self.config.exponential_base**attempt
        wanted = getattr(error, "retry_after", None)
        if isinstance(wanted, int | float) and wanted > backoff:
            backoff = float(wanted)
        return min(backoff, self.config.max_delay_seconds)

    async def execute(self, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        attempt = 0
        while True:
            try:
                return await func(*args, **kwargs)
            except Exception as error:
                if attempt >= self.config.max_retries or not is_retryable(error):
                    raise
                await asyncio.sleep(self.delay(attempt, error))
                attempt += 1
