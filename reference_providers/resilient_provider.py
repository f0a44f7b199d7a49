"""A native provider with retries, a circuit breaker and a health check, as the suite sees them.

`ResilientProvider` wraps any native provider: each attempt goes through the circuit breaker and
the retry loop goes around it, so an open breaker is one more retryable failure whose retry-after
is the time left until it half-opens. `ResilientOpenAIProvider` is the OpenAI-compatible reference
provider wrapped that way, built from the same keyword arguments the harness passes to any native
provider (plus `clock=`, `sleep=` and `random=`, which the resilience checks inject).

What the conformance harness reads (docs/resilience.md): `retry_policy` (RE-1), `circuit_breaker`
(RE-2), `fallback_chain_class` and `router_class` (RE-3), `health_check()` (RE-4).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import ClassVar, Literal

from reference_providers.contract import (
    Capabilities,
    ChatProvider,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.resilience.circuit_breaker import BreakerState, CircuitBreaker
from reference_providers.resilience.clock import Clock, Random, Sleep
from reference_providers.resilience.fallback import FallbackChain
from reference_providers.resilience.health import (
    ChatHealthProbe,
    HttpHealthProbe,
    bounded_health_check,
)
from reference_providers.resilience.retry import Retrier, RetryPolicy
from reference_providers.resilience.router import Router
from reference_providers.resilience.wrapper import DelegatingProvider

HealthProbe = Callable[[], Awaitable[bool]]


class ResilientProvider(DelegatingProvider):
    """`inner` with retries around a circuit breaker, and a bounded health check."""

    #: What the harness composes members into for RE-3 (see docs/resilience.md).
    fallback_chain_class: ClassVar[type[FallbackChain]] = FallbackChain
    router_class: ClassVar[type[Router]] = Router

    def __init__(
        self,
        inner: ChatProvider,
        *,
        retry_policy: RetryPolicy | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        health_probe: HealthProbe | None = None,
        health_timeout: float = 5.0,
        health_model: str = "gpt-4o-mini",
        sleep: Sleep | None = None,
        random: Random | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(inner, name=name)
        self.retry_policy = retry_policy
        self.circuit_breaker = circuit_breaker
        self.health_timeout = health_timeout
        self._retrier = Retrier(
            retry_policy or RetryPolicy(max_retries=0), sleep=sleep, random=random
        )
        own_check = getattr(inner, "health_check", None)
        if health_probe is not None:
            self._probe: HealthProbe = health_probe
        elif callable(own_check):
            self._probe = own_check
        else:
            self._probe = ChatHealthProbe(inner, model=health_model)

    async def health_check(self) -> bool:
        """True when the API answers now; False otherwise, within `health_timeout`, never raising.

        An open breaker answers False without a request: the breaker already knows, and the
        point of it is to leave the server alone. Probes bypass the breaker and the retries so
        that they neither count as calls nor wait out a backoff.
        """
        breaker = self.circuit_breaker
        if breaker is not None and breaker.state is BreakerState.OPEN:
            return False
        return await bounded_health_check(self._probe, self.health_timeout)

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        def once() -> Awaitable[CompletionResponse]:
            return self._inner.chat(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )

        def attempt() -> Awaitable[CompletionResponse]:
            breaker = self.circuit_breaker
            return once() if breaker is None else breaker.call(once)

        return await self._retrier.call(attempt)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        def open_stream() -> AsyncIterator[StreamChunk]:
            return self._inner.stream(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )

        def attempt() -> AsyncIterator[StreamChunk]:
            breaker = self.circuit_breaker
            return open_stream() if breaker is None else breaker.stream(open_stream)

        return self._retrier.stream(attempt)


class ResilientOpenAIProvider(ResilientProvider):
    """The OpenAI-compatible reference provider with retries, a breaker and a health check.

    Built like every native provider (`api_key=`, `base_url=`, `timeout=`, `max_retries=`), plus
    the resilience settings and the `clock=`, `sleep=`, `random=` the harness injects.
    """

    retry_policy_class: ClassVar[type[RetryPolicy]] = RetryPolicy
    breaker_class: ClassVar[type[CircuitBreaker]] = CircuitBreaker

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.openai.com/v1",
        timeout: float = 60.0,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        failure_threshold: int = 5,
        recovery_time: float = 30.0,
        health_probe: Literal["chat", "models"] = "chat",
        health_timeout: float | None = None,
        health_model: str = "gpt-4o-mini",
        name: str = "openai",
        capabilities: Capabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        random: Random | None = None,
    ) -> None:
        inner = OpenAICompatibleProvider(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            name=name,
            capabilities=capabilities,
            default_headers=default_headers,
        )
        bounded = min(timeout, 5.0) if health_timeout is None else health_timeout
        probe: HealthProbe | None = None
        if health_probe == "models":
            headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
            probe = HttpHealthProbe(
                f"{base_url.rstrip('/')}/models", headers=headers, timeout=bounded
            )
        super().__init__(
            inner,
            retry_policy=self.retry_policy_class(
                max_retries=max_retries, base_delay=base_delay, max_delay=max_delay
            ),
            circuit_breaker=self.breaker_class(
                failure_threshold, recovery_time, clock=clock, name=name
            ),
            health_probe=probe,
            health_timeout=bounded,
            health_model=health_model,
            sleep=sleep,
            random=random,
        )
