"""Stand-in for `orchestrator.Router`: providers tried in order, health tracked per provider.

Enough of the published Router for the resilience checks to reach it through the orchestrator
profile's offered chain: `add_provider`, `route(prompt, params)` falling back to the next
provider on a ProviderError, `route_stream` (fallback only before the first text), and
`get_metrics()` with each provider's `ProviderMetrics` (health in `health_status`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from orchestrator.providers.base import BaseProvider, GenerationParams, ProviderError


class ProviderMetrics:
    """Shaped like the published `orchestrator.metrics.ProviderMetrics`: counts, and the health
    as the `health_status` property (the published one judges an error rate over a window)."""

    def __init__(self) -> None:
        self.successes = 0
        self.failures = 0
        self.consecutive_failures = 0

    @property
    def total_requests(self) -> int:
        return self.successes + self.failures

    @property
    def health_status(self) -> str:
        if self.consecutive_failures >= 5:
            return "unhealthy"
        if self.consecutive_failures >= 2:
            return "degraded"
        return "healthy"


class AllProvidersFailedError(ProviderError):
    """Every provider failed; the message names each failure."""


class Router:
    def __init__(self, strategy: str = "first-available") -> None:
        self.strategy = strategy
        self.providers: list[BaseProvider] = []
        self.metrics: dict[str, ProviderMetrics] = {}
        self._next = 0

    def add_provider(self, provider: BaseProvider) -> None:
        self.providers.append(provider)
        self.metrics[provider.config.name] = ProviderMetrics()

    def _order(self) -> list[BaseProvider]:
        if self.strategy == "round-robin" and self.providers:
            start = self._next % len(self.providers)
            self._next += 1
            return self.providers[start:] + self.providers[:start]
        return list(self.providers)

    def _record(self, provider: BaseProvider, ok: bool) -> None:
        health = self.metrics[provider.config.name]
        if ok:
            health.successes += 1
            health.consecutive_failures = 0
        else:
            health.failures += 1
            health.consecutive_failures += 1

    async def route(self, prompt: str, params: GenerationParams | None = None) -> str:
        failures: list[str] = []
        for provider in self._order():
            try:
                result = await provider.generate(prompt, params)
            except ProviderError as exc:
                self._record(provider, ok=False)
                failures.append(f"{provider.config.name}: {type(exc).__name__}: {exc}")
                continue
            self._record(provider, ok=True)
            return result
        raise AllProvidersFailedError("all providers failed: " + "; ".join(failures))

    async def route_stream(
        self, prompt: str, params: GenerationParams | None = None
    ) -> AsyncIterator[str]:
        failures: list[str] = []
        for provider in self._order():
            started = False
            try:
                async for text in provider.generate_stream(prompt, params):
                    started = True
                    yield text
            except ProviderError as exc:
                self._record(provider, ok=False)
                if started:  # the caller already has part of this answer: no mixing
                    raise
                failures.append(f"{provider.config.name}: {type(exc).__name__}: {exc}")
                continue
            self._record(provider, ok=True)
            return
        raise AllProvidersFailedError("all providers failed: " + "; ".join(failures))

    def get_metrics(self) -> dict[str, ProviderMetrics]:
        """A shallow copy, as the published Router's: name -> ProviderMetrics."""
        return dict(self.metrics)
