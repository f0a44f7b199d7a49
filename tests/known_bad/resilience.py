"""One realistic resilience bug per class, each planted in the reference resilient provider.

Every class is `ResilientOpenAIProvider` (or one of its parts) with one seam overridden to make a
mistake that real retry loops, breakers, chains and health checks make; the docstring says which
and which RE check must catch it (tests/test_known_bad_resilience.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, ClassVar

import httpx

from reference_providers.contract import Message, StreamChunk, ToolDefinition
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.resilience import (
    BreakerState,
    CircuitBreaker,
    FallbackChain,
    RetryPolicy,
    Router,
)
from reference_providers.resilience.fallback import Member
from reference_providers.resilient_provider import ResilientOpenAIProvider

# -- RE-1 ------------------------------------------------------------------------------------


class _RetriesEveryError(RetryPolicy):
    def should_retry(self, error: BaseException, retries_done: int) -> bool:
        return isinstance(error, ProviderError) and retries_done < self.max_retries


class RetriesOnAuth(ResilientOpenAIProvider):
    """RE-1: `except ProviderError: retry`: a 401 is retried, with the same rejected key."""

    retry_policy_class: ClassVar[type[RetryPolicy]] = _RetriesEveryError


class _IgnoresRetryAfter(RetryPolicy):
    def delay(self, retry: int, error: ProviderError, draw: float) -> float:
        return self.backoff(retry, draw)


class IgnoresRetryAfter(ResilientOpenAIProvider):
    """RE-1: Retry-After is parsed into the error but the loop waits its own backoff (0.5 s)."""

    retry_policy_class: ClassVar[type[RetryPolicy]] = _IgnoresRetryAfter


class _RetriesForever(RetryPolicy):
    def should_retry(self, error: BaseException, retries_done: int) -> bool:
        return isinstance(error, ProviderError) and error.retryable


class RetriesForever(ResilientOpenAIProvider):
    """RE-1: `while True` around a retryable error: max_retries is never consulted."""

    retry_policy_class: ClassVar[type[RetryPolicy]] = _RetriesForever


class _ConstantBackoff(RetryPolicy):
    def backoff(self, retry: int, draw: float) -> float:
        return self.base_delay


class ConstantBackoff(ResilientOpenAIProvider):
    """RE-1: `sleep(base_delay)` between tries: the delay never grows."""

    retry_policy_class: ClassVar[type[RetryPolicy]] = _ConstantBackoff


class RetriesAfterFirstChunk(ResilientOpenAIProvider):
    """RE-1: the whole stream is retried on a retryable error, even after text was yielded, so
    the caller sees the beginning of the answer twice."""

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        return self._restarting(messages, model, temperature, max_tokens, tools)

    async def _restarting(
        self,
        messages: Sequence[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
    ) -> AsyncGenerator[StreamChunk, None]:
        tries = (self.retry_policy.max_retries if self.retry_policy else 0) + 1
        for attempt in range(tries):
            try:
                async for chunk in self._inner.stream(
                    messages,
                    model=model,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    tools=tools,
                ):
                    yield chunk
                return
            except ProviderError as error:
                if not error.retryable or attempt == tries - 1:
                    raise


# -- RE-2 ------------------------------------------------------------------------------------


class CountsAuthBreaker(CircuitBreaker):
    def counts(self, error: BaseException) -> bool:
        return True


class BreakerCountsAuth(ResilientOpenAIProvider):
    """RE-2: every exception trips the breaker, so one bad key opens it for everyone."""

    breaker_class: ClassVar[type[CircuitBreaker]] = CountsAuthBreaker


class NeverHalfOpensBreaker(CircuitBreaker):
    @property
    def state(self) -> BreakerState:
        return self._state  # the recovery time is never looked at


class BreakerNeverHalfOpens(ResilientOpenAIProvider):
    """RE-2: once open, the breaker stays open: the provider is lost until a restart."""

    breaker_class: ClassVar[type[CircuitBreaker]] = NeverHalfOpensBreaker


# -- RE-3 ------------------------------------------------------------------------------------


class _OnlyOnConnectionErrors(FallbackChain):
    def moves_on(self, error: BaseException) -> bool:
        return isinstance(error, ProviderError) and error.category is ErrorCategory.NETWORK


class ChainStopsOnRetryable(ResilientOpenAIProvider):
    """RE-3: the chain falls back only when a provider is unreachable; a 503 or 429 is final."""

    fallback_chain_class: ClassVar[type[FallbackChain]] = _OnlyOnConnectionErrors


class _SwallowsFailures(FallbackChain):
    def exhausted(self, failures: Sequence[tuple[str, BaseException]]) -> ProviderError:
        return ProviderError("All providers failed", category=ErrorCategory.SERVER)


class ChainSwallowsFailures(ResilientOpenAIProvider):
    """RE-3: when all fail, "All providers failed" (seed 003's words) and not one cause."""

    fallback_chain_class: ClassVar[type[FallbackChain]] = _SwallowsFailures


class _IgnoresHealth(Router):
    def unavailable_reason(self, member: Member) -> str | None:
        return None


class RouterIgnoresHealth(ResilientOpenAIProvider):
    """RE-3: first-available always picks the first member, unhealthy or not."""

    router_class: ClassVar[type[Router]] = _IgnoresHealth


# -- RE-4 ------------------------------------------------------------------------------------


class HealthCheckRaises(ResilientOpenAIProvider):
    """RE-4: the probe's error escapes health_check() instead of becoming False."""

    async def health_check(self) -> bool:
        await self._inner.chat([Message(role="user", content="ping")], model="m", max_tokens=1)
        return True


class HealthCheckHangs(ResilientOpenAIProvider):
    """RE-4: the health request has no timeout (httpx `timeout=None`): a stalled server hangs it."""

    def __init__(self, *, api_key: str, base_url: str, **kwargs: Any) -> None:
        super().__init__(api_key=api_key, base_url=base_url, **kwargs)
        self._health_url = f"{base_url.rstrip('/')}/chat/completions"
        self._health_key = api_key

    async def health_check(self) -> bool:
        body = {"model": "health", "messages": [{"role": "user", "content": "ping"}]}
        headers = {"Authorization": f"Bearer {self._health_key}"}
        try:
            async with httpx.AsyncClient(timeout=None) as client:
                response = await client.post(self._health_url, json=body, headers=headers)
        except httpx.HTTPError:
            return False
        return response.is_success


__all__ = [
    "BreakerCountsAuth",
    "BreakerNeverHalfOpens",
    "ChainStopsOnRetryable",
    "ChainSwallowsFailures",
    "ConstantBackoff",
    "CountsAuthBreaker",
    "HealthCheckHangs",
    "HealthCheckRaises",
    "IgnoresRetryAfter",
    "NeverHalfOpensBreaker",
    "RetriesAfterFirstChunk",
    "RetriesForever",
    "RetriesOnAuth",
    "RouterIgnoresHealth",
]
