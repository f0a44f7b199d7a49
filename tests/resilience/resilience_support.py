"""Shared helpers for the resilience tests: a scripted native provider and machine drivers.

The scripted provider answers each call with the next scripted outcome, with the exact errors the
reference providers raise for them, so the resilience parts are tested against realistic failures
without a server; the drivers put the reference parts (or a known-bad variant) under the
property-based machines of conformance.resilience.machines.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from conformance.resilience.clock import FakeClock
from conformance.resilience.machines import BreakerCall, ChainSeen
from conformance.resilience.model import BreakerOutcome, MemberOutcome
from reference_providers import (
    Capabilities,
    CompletionResponse,
    ErrorCategory,
    Message,
    ProviderError,
    StreamChunk,
    ToolDefinition,
    make_error,
)
from reference_providers.resilience import (
    CircuitBreaker,
    CircuitBreakerProvider,
    FallbackChain,
    HealthThresholds,
    NoProviderAvailableError,
    Router,
)

T = TypeVar("T")

PING = [Message(role="user", content="ping")]

#: Outcome name -> (category, status, retryable, retry_after); "ok" answers.
FAILURES: dict[str, tuple[ErrorCategory, int | None, bool, float | None]] = {
    "server": (ErrorCategory.SERVER, 503, True, None),
    "retryable": (ErrorCategory.SERVER, 503, True, None),
    "rate_limit": (ErrorCategory.RATE_LIMIT, 429, True, 2.0),
    "slow_down": (ErrorCategory.RATE_LIMIT, 429, True, 600.0),
    "timeout": (ErrorCategory.TIMEOUT, None, True, None),
    "network": (ErrorCategory.NETWORK, None, True, None),
    "auth": (ErrorCategory.AUTH, 401, False, None),
    "invalid": (ErrorCategory.INVALID_REQUEST, 400, False, None),
    "not_found": (ErrorCategory.NOT_FOUND, 404, False, None),
}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def failure(outcome: str, provider: str = "scripted") -> ProviderError:
    category, status, retryable, retry_after = FAILURES[outcome]
    return make_error(
        category,
        f"{provider}: HTTP {status} {category.value}: scripted {outcome}",
        provider=provider,
        retryable=retryable,
        status_code=status,
        retry_after=retry_after,
    )


class ScriptedProvider:
    """A native provider whose calls meet the scripted outcomes in turn (the last repeats).

    `chunks_before_failure` makes a failing stream yield that many chunks before it fails (a
    stream cut after it began).
    """

    def __init__(
        self,
        outcomes: Iterable[str] = ("ok",),
        *,
        name: str = "scripted",
        answer: str = "pong",
        chunks_before_failure: int = 0,
        log: list[str] | None = None,
    ) -> None:
        self._outcomes = deque(outcomes)
        self._log = log
        self._name = name
        self.answer = answer
        self.chunks_before_failure = chunks_before_failure
        self.calls = 0
        self.closed = 0

    @property
    def name(self) -> str:
        return self._name

    def capabilities(self) -> Capabilities:
        return Capabilities()

    def script(self, *outcomes: str) -> None:
        self._outcomes = deque(outcomes)

    def _next(self) -> str:
        self.calls += 1
        if self._log is not None:
            self._log.append(self._name)
        if len(self._outcomes) > 1:
            return self._outcomes.popleft()
        return self._outcomes[0]

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        outcome = self._next()
        await asyncio.sleep(0)
        if outcome != "ok":
            raise failure(outcome, self._name)
        return CompletionResponse(content=self.answer, stop_reason="stop")

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        outcome = self._next()
        if outcome != "ok":
            for index in range(self.chunks_before_failure):
                yield StreamChunk(content=f"part {index} ")
            raise failure(outcome, self._name)
        yield StreamChunk(content=self.answer)
        yield StreamChunk(is_final=True, stop_reason="stop")

    async def close(self) -> None:
        self.closed += 1

    async def __aenter__(self) -> ScriptedProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def collect(stream: AsyncGenerator[StreamChunk, None]) -> str:
    return "".join([chunk.content async for chunk in stream])


# -- machine drivers ------------------------------------------------------------------------


class BreakerDriverFor:
    """Drives a CircuitBreakerProvider (reference or known-bad breaker) over a scripted inner."""

    def __init__(
        self, breaker_class: type[CircuitBreaker], threshold: int = 3, recovery: float = 10.0
    ) -> None:
        self.failure_threshold = threshold
        self.recovery_time = recovery
        # Time starts at 0, as the model's does, so that sums of waits agree to the last bit
        # (the machine waits exactly the recovery time, among others).
        self.clock = FakeClock(start=0.0)
        self.inner = ScriptedProvider()
        self.breaker = breaker_class(threshold, recovery, clock=self.clock.monotonic)
        self.provider = CircuitBreakerProvider(self.inner, self.breaker)
        self.loop = asyncio.new_event_loop()

    def call(self, outcome: BreakerOutcome) -> BreakerCall:
        self.inner.script(outcome)
        before = self.inner.calls
        try:
            self.loop.run_until_complete(self.provider.chat(PING, model="m"))
        except ProviderError as exc:
            return BreakerCall(self.inner.calls > before, False, str(exc))
        return BreakerCall(self.inner.calls > before, True)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def state(self) -> object:
        return self.breaker.state

    def close(self) -> None:
        self.loop.close()


class ChainDriverFor:
    def __init__(
        self,
        chain_class: type[FallbackChain] = FallbackChain,
        names: Sequence[str] = ("alpha", "beta", "gamma"),
        thresholds: HealthThresholds | None = None,
    ) -> None:
        self.names = tuple(names)
        self.thresholds = thresholds or HealthThresholds(degraded_after=2, unhealthy_after=3)
        self.degraded_after = self.thresholds.degraded_after
        self.unhealthy_after = self.thresholds.unhealthy_after
        self.log: list[str] = []
        self.members = {
            name: ScriptedProvider(name=name, answer=f"from {name}", log=self.log) for name in names
        }
        self.chain = chain_class(list(self.members.items()), thresholds=self.thresholds)
        self.loop = asyncio.new_event_loop()

    def call(self, outcomes: Mapping[str, MemberOutcome]) -> ChainSeen:
        for name, outcome in outcomes.items():
            self.members[name].script(outcome)
        self.log.clear()
        try:
            response = self.loop.run_until_complete(self.chain.chat(PING, model="m"))
        except ProviderError as exc:
            return ChainSeen(tuple(self.log), False, None, str(exc))
        return ChainSeen(tuple(self.log), True, response.content.removeprefix("from "))

    def health(self) -> Mapping[str, object]:
        return self.chain.health()

    def close(self) -> None:
        self.loop.close()


class RouterDriverFor:
    def __init__(
        self,
        strategy: str,
        router_class: type[Router] = Router,
        names: Sequence[str] = ("alpha", "beta", "gamma"),
    ) -> None:
        self.names = tuple(names)
        self.strategy = strategy
        thresholds = HealthThresholds(degraded_after=1, unhealthy_after=2)
        self.degraded_after = thresholds.degraded_after
        self.unhealthy_after = thresholds.unhealthy_after
        self.members = {name: ScriptedProvider(name=name, answer=name) for name in names}
        self.router = router_class(
            list(self.members.items()), strategy=strategy, thresholds=thresholds
        )
        self.loop = asyncio.new_event_loop()

    def call(self, outcomes: Mapping[str, bool]) -> str | None:
        for name, ok in outcomes.items():
            self.members[name].script("ok" if ok else "server")
        before = {name: m.calls for name, m in self.members.items()}
        try:
            self.loop.run_until_complete(self.router.chat(PING, model="m"))
        except NoProviderAvailableError:
            return None
        except ProviderError:
            pass
        called = [name for name, m in self.members.items() if m.calls > before[name]]
        assert len(called) == 1, f"a router call reached {called}"
        return called[0]

    def health(self) -> Mapping[str, object]:
        return self.router.health()

    def close(self) -> None:
        self.loop.close()


def breaker_driver_factory(breaker_class: type[CircuitBreaker]) -> Callable[[], BreakerDriverFor]:
    return lambda: BreakerDriverFor(breaker_class)
