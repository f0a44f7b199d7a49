"""Fallback chain management with health tracking (seed 003's `fallback_manager.py`, fixed).

Fixed against the seed: `Generator` is imported (the seed's module failed at import with a
NameError), only the package's ProviderError moves on to the next provider (a bug in a provider is
not a reason to try the next one), a stream falls back only before its first text (the seed went
on to the next provider after part of an answer had reached the caller, mixing two answers), and
when all fail the error is a ProviderError naming each failure (the seed raised RuntimeError).
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from enum import Enum
from typing import Any

from .error_handling import ErrorCategory, ProviderError

logger = logging.getLogger(__name__)


class ProviderHealth(Enum):
    """Health status"""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class ProviderStatus:
    """Track provider health"""

    def __init__(self, name: str) -> None:
        self.name = name
        self.health = ProviderHealth.HEALTHY
        self.error_count = 0
        self.success_count = 0

    def mark_success(self) -> None:
        self.success_count += 1
        self.error_count = max(0, self.error_count - 1)
        if self.error_count == 0:
            self.health = ProviderHealth.HEALTHY

    def mark_failure(self) -> None:
        self.error_count += 1
        if self.error_count >= 5:
            self.health = ProviderHealth.UNHEALTHY
        elif self.error_count >= 2:
            self.health = ProviderHealth.DEGRADED


class AllProvidersFailedError(ProviderError):
    """Every provider of the chain failed; the message names each failure."""


class FallbackChain:
    """Execute with fallback through multiple providers"""

    def __init__(self, providers: list[tuple[str, Any]]) -> None:
        self.providers = providers
        self.status = {name: ProviderStatus(name) for name, _ in providers}

    def _all_failed(self, errors: list[tuple[str, ProviderError]]) -> AllProvidersFailedError:
        last = errors[-1][1] if errors else None
        return AllProvidersFailedError(
            "All providers failed: " + "; ".join(f"{name}: {err}" for name, err in errors),
            category=last.category if last else ErrorCategory.UNKNOWN,
            status_code=last.status_code if last else None,
            provider="fallback-chain",
            retryable=bool(last and last.retryable),
            retry_after=last.retry_after if last else None,
        )

    def execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        errors: list[tuple[str, ProviderError]] = []
        for provider_name, provider in self.providers:
            try:
                response: str = provider.execute(model, prompt, system_prompt, parameters)
            except ProviderError as e:
                self.status[provider_name].mark_failure()
                errors.append((provider_name, e))
                logger.warning("Failed: %s: %s", provider_name, e)
                continue
            self.status[provider_name].mark_success()
            return response
        raise self._all_failed(errors)

    def stream_execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Generator[str, None, None]:
        errors: list[tuple[str, ProviderError]] = []
        for provider_name, provider in self.providers:
            started = False
            try:
                for text in provider.stream_execute(model, prompt, system_prompt, parameters):
                    started = True
                    yield text
            except ProviderError as e:
                self.status[provider_name].mark_failure()
                if started:
                    raise
                errors.append((provider_name, e))
                continue
            self.status[provider_name].mark_success()
            return
        raise self._all_failed(errors)

    def get_status(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "health": status.health.value,
                "errors": status.error_count,
                "successes": status.success_count,
            }
            for name, status in self.status.items()
        }
