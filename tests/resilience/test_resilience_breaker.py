"""The circuit breaker: unit behaviour, and the RE-2 state machine against reference and bad."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from known_bad.resilience import CountsAuthBreaker, NeverHalfOpensBreaker
from resilience_support import PING, BreakerDriverFor, ScriptedProvider, collect, failure, run

from conformance.resilience.clock import FakeClock
from conformance.resilience.machines import BreakerMachine
from reference_providers import ProviderError
from reference_providers.resilience import (
    BreakerState,
    CircuitBreaker,
    CircuitBreakerProvider,
    CircuitOpenError,
)

MACHINE_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def guarded(
    outcomes: list[str], threshold: int = 2, recovery: float = 10.0
) -> tuple[CircuitBreakerProvider, ScriptedProvider, FakeClock]:
    clock = FakeClock()
    inner = ScriptedProvider(outcomes)
    breaker = CircuitBreaker(threshold, recovery, clock=clock.monotonic, name="svc")
    return CircuitBreakerProvider(inner, breaker), inner, clock


async def attempt(provider: CircuitBreakerProvider) -> str:
    try:
        return (await provider.chat(PING, model="m")).content
    except ProviderError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_opens_at_the_threshold_and_fails_fast_without_a_request() -> None:
    provider, inner, clock = guarded(["server"])
    run(attempt(provider))
    assert provider.circuit_breaker.state is BreakerState.CLOSED
    run(attempt(provider))
    assert provider.circuit_breaker.state is BreakerState.OPEN
    clock.advance(4)
    with pytest.raises(CircuitOpenError) as caught:
        run(provider.chat(PING, model="m"))
    error = caught.value
    assert inner.calls == 2
    assert "circuit breaker is open" in str(error) and "without a request" in str(error)
    assert error.retryable and error.retry_after == pytest.approx(6.0)
    assert provider.circuit_breaker.stats().rejected == 1


def test_half_opens_after_recovery_and_a_successful_probe_closes() -> None:
    provider, _inner, clock = guarded(["server", "server", "ok"])
    run(attempt(provider))
    run(attempt(provider))
    clock.advance(10)
    assert provider.circuit_breaker.state is BreakerState.HALF_OPEN
    assert run(attempt(provider)) == "pong"
    assert provider.circuit_breaker.state is BreakerState.CLOSED
    stats = provider.circuit_breaker.stats()
    assert (stats.opened, stats.failures, stats.successes) == (1, 2, 1)


def test_a_failed_probe_opens_again() -> None:
    provider, inner, clock = guarded(["server"])
    for _ in range(2):
        run(attempt(provider))
    clock.advance(10.5)
    run(attempt(provider))
    assert provider.circuit_breaker.state is BreakerState.OPEN
    assert inner.calls == 3
    run(attempt(provider))
    assert inner.calls == 3


def test_only_one_probe_at_a_time() -> None:
    breaker = CircuitBreaker(1, 5.0, clock=FakeClock().monotonic)
    breaker.record_failure(failure("server"))
    breaker._clock = lambda: 1e9  # far past the recovery time
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpenError, match="a probe is under way"):
        breaker.before_call()


@pytest.mark.parametrize("outcome", ["auth", "invalid", "not_found"])
def test_caller_errors_do_not_count(outcome: str) -> None:
    provider, inner, _ = guarded([outcome])
    for _ in range(5):
        run(attempt(provider))
    assert inner.calls == 5
    assert provider.circuit_breaker.state is BreakerState.CLOSED


def test_success_resets_the_consecutive_count() -> None:
    provider, _inner, _ = guarded(["server", "ok", "server", "ok"])
    for _ in range(4):
        run(attempt(provider))
    assert provider.circuit_breaker.state is BreakerState.CLOSED


def test_streams_count_failures_and_abandoned_streams_leave_no_verdict() -> None:
    provider, _, _ = guarded(["server"], threshold=1)
    with pytest.raises(ProviderError):
        run(collect(provider.stream(PING, model="m")))
    assert provider.circuit_breaker.state is BreakerState.OPEN

    provider, _inner, _ = guarded(["ok"], threshold=1)

    async def first_chunk_then_leave() -> None:
        stream = provider.stream(PING, model="m")
        await anext(stream)
        await stream.aclose()

    run(first_chunk_then_leave())
    assert provider.circuit_breaker.stats().successes == 1


def test_cancellation_is_not_a_failure() -> None:
    breaker = CircuitBreaker(1, 5.0)

    async def hang() -> None:
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.create_task(breaker.call(hang))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert breaker.state is BreakerState.CLOSED and breaker.stats().failures == 0


def test_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(0)
    with pytest.raises(ValueError):
        CircuitBreaker(1, -1.0)


class ReferenceBreakerMachine(BreakerMachine):
    make_driver = staticmethod(lambda: BreakerDriverFor(CircuitBreaker))


TestReferenceBreakerMachine = ReferenceBreakerMachine.TestCase
TestReferenceBreakerMachine.settings = MACHINE_SETTINGS


@pytest.mark.parametrize(
    ("breaker", "symptom"),
    [
        (CountsAuthBreaker, "breaker says 'open', model 'closed' after .*auth"),
        (NeverHalfOpensBreaker, "model 'half_open'"),
    ],
    ids=["counts-auth", "never-half-opens"],
)
def test_machine_catches_known_bad_breakers(breaker: type[CircuitBreaker], symptom: str) -> None:
    class Machine(BreakerMachine):
        make_driver = staticmethod(lambda: BreakerDriverFor(breaker))

    with pytest.raises(AssertionError, match=symptom):
        run_state_machine_as_test(Machine, settings=MACHINE_SETTINGS)
