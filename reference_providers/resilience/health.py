"""Provider health: what a chain or router knows about each provider, and bounded health checks.

Health is derived from a running error count (seed 003's ProviderStatus): each failure adds one,
each success takes one away, and the count's thresholds say healthy, degraded or unhealthy. A
success takes away only one failure so that a provider that fails every other call does not look
healthy; a successful health check clears the count, because it proves the provider answers now.

A health check answers True or False within its own timeout and never raises (RE-4): a monitor
that asks a dozen providers must not be stalled by one that hangs, nor crash on one that refuses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from reference_providers.contract import ChatProvider, Message
from reference_providers.errors import ProviderError

logger = logging.getLogger(__name__)


class HealthStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


@dataclass(frozen=True)
class HealthThresholds:
    """Error counts at which a provider becomes degraded, then unhealthy."""

    degraded_after: int = 2
    unhealthy_after: int = 5

    def __post_init__(self) -> None:
        if not 1 <= self.degraded_after <= self.unhealthy_after:
            raise ValueError(
                "thresholds need 1 <= degraded_after <= unhealthy_after, got "
                f"{self.degraded_after} and {self.unhealthy_after}"
            )

    def status_for(self, error_count: int) -> HealthStatus:
        if error_count >= self.unhealthy_after:
            return HealthStatus.UNHEALTHY
        if error_count >= self.degraded_after:
            return HealthStatus.DEGRADED
        return HealthStatus.HEALTHY


class ProviderHealth:
    """One provider's health as its callers have seen it."""

    def __init__(self, name: str, thresholds: HealthThresholds | None = None) -> None:
        self.name = name
        self.thresholds = thresholds if thresholds is not None else HealthThresholds()
        self.error_count = 0
        self.successes = 0
        self.failures = 0
        self.last_error: str | None = None

    @property
    def status(self) -> HealthStatus:
        return self.thresholds.status_for(self.error_count)

    def record_success(self) -> None:
        self.successes += 1
        self.error_count = max(0, self.error_count - 1)

    def record_failure(self, error: BaseException | None = None) -> None:
        self.failures += 1
        self.error_count += 1
        if error is not None:
            self.last_error = describe_failure(error)

    def record_probe(self, healthy: bool) -> None:
        """A health check's answer: True proves the provider answers now."""
        if healthy:
            self.error_count = 0
        else:
            self.record_failure()

    def as_dict(self) -> dict[str, Any]:
        return {
            "health": self.status.value,
            "errors": self.error_count,
            "successes": self.successes,
            "failures": self.failures,
            "last_error": self.last_error,
        }


def describe_failure(error: BaseException) -> str:
    """One line naming a failure, for the error that lists every provider's failure."""
    text = str(error).strip()
    return text if text else type(error).__name__


async def bounded_health_check(check: Callable[[], Awaitable[object]], timeout: float) -> bool:
    """Run `check` for at most `timeout` seconds: True only if it answered True in time.

    Everything that goes wrong (an exception, a stall, an answer that is not a bool) is False:
    the caller asked a yes/no question and gets a yes or a no.
    """
    try:
        async with asyncio.timeout(timeout):
            answer = await check()
    except TimeoutError:
        logger.info("health check gave no answer within %.3g s", timeout)
        return False
    except Exception as exc:
        logger.info("health check failed: %s", type(exc).__name__)
        return False
    return answer is True


class ChatHealthProbe:
    """Healthy when a one-token chat request succeeds: works on every API, costs one token."""

    def __init__(self, provider: ChatProvider, *, model: str) -> None:
        self._provider = provider
        self._model = model

    async def __call__(self) -> bool:
        try:
            await self._provider.chat(
                [Message(role="user", content="ping")], model=self._model, max_tokens=1
            )
        except ProviderError:
            return False
        return True


class HttpHealthProbe:
    """Healthy when GET `url` answers 2xx (OpenAI's `GET /models`, Ollama's `GET /api/tags`)."""

    def __init__(
        self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 5.0
    ) -> None:
        self._url = url
        self._headers = dict(headers or {})
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"HttpHealthProbe(url={self._url!r})"  # never the headers: they hold the key

    async def __call__(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=httpx.Timeout(self._timeout)) as client:
                response = await client.get(self._url, headers=self._headers)
        except httpx.HTTPError:
            return False
        return response.is_success
