"""FallbackChain and Router: unit behaviour and the RE-3 state machines."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from resilience_support import (
    PING,
    ChainDriverFor,
    RouterDriverFor,
    ScriptedProvider,
    collect,
    run,
)

from conformance.resilience.clock import FakeClock
from conformance.resilience.machines import ChainMachine, RouterMachine
from reference_providers import Capabilities, ErrorCategory, ProviderError
from reference_providers.resilience import (
    CircuitBreaker,
    CircuitBreakerProvider,
    FallbackChain,
    FallbackExhaustedError,
    HealthThresholds,
    NoProviderAvailableError,
    Router,
)
from reference_providers.resilience.members import MemberGroup

MACHINE_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def members(*scripts: list[str]) -> list[tuple[str, ScriptedProvider]]:
    names = ["alpha", "beta", "gamma", "delta"]
    return [
        (names[i], ScriptedProvider(script, name=names[i], answer=f"from {names[i]}"))
        for i, script in enumerate(scripts)
    ]


def ask(target: FallbackChain | Router) -> str:
    return run(target.chat(PING, model="m")).content


def test_a_retryable_failure_moves_on_and_the_first_success_wins() -> None:
    pairs = members(["server"], ["rate_limit"], ["ok"], ["ok"])
    chain = FallbackChain(pairs)
    assert ask(chain) == "from gamma"
    assert [p.calls for _, p in pairs] == [1, 1, 1, 0]
    assert chain.health() == dict.fromkeys(("alpha", "beta", "gamma", "delta"), "healthy")
    assert chain.status()["alpha"]["failures"] == 1


def test_all_failures_are_named_in_one_error() -> None:
    chain = FallbackChain(members(["server"], ["timeout"], ["auth"]), name="llm")
    with pytest.raises(FallbackExhaustedError) as caught:
        ask(chain)
    error = caught.value
    text = str(error)
    for name in ("alpha", "beta", "gamma"):
        assert f"{name}: {name}: HTTP" in text
    assert [name for name, _ in error.failures] == ["alpha", "beta", "gamma"]
    assert error.provider == "llm" and error.category is ErrorCategory.UNKNOWN
    assert not error.retryable  # the auth failure will not go away by waiting
    assert error.__cause__ is error.failures[-1][1]


def test_exhausted_error_summarises_retryable_failures() -> None:
    chain = FallbackChain(members(["server"], ["rate_limit"]))
    with pytest.raises(FallbackExhaustedError) as caught:
        ask(chain)
    assert caught.value.retryable and caught.value.retry_after == 2.0


def test_an_invalid_request_stops_the_chain() -> None:
    pairs = members(["invalid"], ["ok"])
    with pytest.raises(ProviderError) as caught:
        ask(FallbackChain(pairs))
    assert caught.value.category is ErrorCategory.INVALID_REQUEST
    assert pairs[1][1].calls == 0


def test_health_moves_healthy_degraded_unhealthy_and_unhealthy_goes_last() -> None:
    pairs = members(["server"], ["ok"])
    chain = FallbackChain(pairs, thresholds=HealthThresholds(degraded_after=2, unhealthy_after=3))
    seen = []
    for _ in range(4):
        ask(chain)
        seen.append(chain.health()["alpha"])
    assert seen == ["healthy", "degraded", "unhealthy", "unhealthy"]
    assert pairs[0][1].calls == 3  # unhealthy: tried after beta, who answers
    assert [name for name, _ in chain.order()] == ["beta", "alpha"]


def test_stream_falls_back_only_before_the_first_chunk() -> None:
    chain = FallbackChain(members(["server"], ["ok"]))
    assert run(collect(chain.stream(PING, model="m"))) == "from beta"
    cut = members(["server"], ["ok"])
    cut[0][1].chunks_before_failure = 1
    with pytest.raises(ProviderError):
        run(collect(FallbackChain(cut).stream(PING, model="m")))
    assert cut[1][1].calls == 0


def test_capabilities_close_and_validation() -> None:
    pairs = members(["ok"], ["ok"])
    pairs[1][1].capabilities = lambda: Capabilities(tools=False)  # type: ignore[method-assign]
    chain = FallbackChain(pairs)
    assert chain.capabilities().tools is False and chain.capabilities().streaming
    run(chain.close())
    assert [p.closed for _, p in pairs] == [1, 1]
    with pytest.raises(ValueError):
        FallbackChain([])
    with pytest.raises(ValueError):
        FallbackChain([pairs[0], pairs[0]])


def test_chain_health_check_records_probes() -> None:
    class Probed(ScriptedProvider):
        def __init__(self, healthy: bool) -> None:
            super().__init__()
            self.healthy = healthy

        async def health_check(self) -> bool:
            return self.healthy

    chain = FallbackChain([("up", Probed(True)), ("down", Probed(False))])
    assert run(chain.health_check()) is True
    assert chain.status()["down"]["errors"] == 1 and chain.status()["up"]["errors"] == 0


# -- what a chain and a router share (reference_providers/resilience/members.py) ---------------


@pytest.mark.parametrize("group", [FallbackChain, Router])
def test_chain_and_router_share_the_member_bookkeeping(group: type[MemberGroup]) -> None:
    class Probed(ScriptedProvider):
        def __init__(self, name: str, healthy: bool, *, streams: bool = True) -> None:
            super().__init__(name=name)
            self.healthy, self.streams = healthy, streams

        def capabilities(self) -> Capabilities:
            return Capabilities(streaming=self.streams)

        async def health_check(self) -> bool:
            return self.healthy

        async def close(self) -> None:
            await super().close()
            if self.name == "down":
                raise RuntimeError("down does not close cleanly")

    up, down = Probed("up", True), Probed("down", False, streams=False)
    built = group([("up", up), ("down", down)], thresholds=HealthThresholds(1, 2))
    assert isinstance(built, MemberGroup)
    assert [name for name, _ in built.members] == ["up", "down"]
    assert built.capabilities().streaming is False  # what every member can do
    assert run(built.check_health()) == {"up": True, "down": False}
    assert built.health() == {"up": "healthy", "down": "degraded"}
    assert run(built.health_check()) is True
    with pytest.raises(RuntimeError, match="does not close cleanly"):
        run(built.close())
    assert (up.closed, down.closed) == (1, 1)  # every member closed despite the failure
    with pytest.raises(ValueError, match="must be unique"):
        group([("up", up), ("up", down)])
    with pytest.raises(ValueError, match="needs at least one provider"):
        group([])


# -- router -----------------------------------------------------------------------------------


def test_round_robin_visits_each_in_turn_and_skips_the_unhealthy() -> None:
    router = Router(members(["ok"], ["ok"], ["ok"]))
    assert [ask(router) for _ in range(4)] == [
        "from alpha",
        "from beta",
        "from gamma",
        "from alpha",
    ]
    pairs = members(["ok"], ["server"], ["ok"])
    router = Router(pairs, thresholds=HealthThresholds(1, 1))
    answers = []
    for _ in range(5):
        try:
            answers.append(ask(router))
        except ProviderError:
            answers.append("failed")
    assert answers == ["from alpha", "failed", "from gamma", "from alpha", "from gamma"]


def test_first_available_skips_unhealthy_and_open_breakers() -> None:
    clock = FakeClock()
    flaky = ScriptedProvider(["server"], name="alpha")
    guarded = CircuitBreakerProvider(flaky, CircuitBreaker(1, 30.0, clock=clock.monotonic))
    backup = ScriptedProvider(["ok"], name="beta", answer="from beta")
    router = Router([("alpha", guarded), ("beta", backup)], strategy="first-available")
    with pytest.raises(ProviderError):
        ask(router)
    assert router.health()["alpha"] == "healthy"  # one failure: not even degraded
    assert ask(router) == "from beta"  # the breaker is open: skipped without a request
    assert flaky.calls == 1


def test_no_provider_available_names_the_reasons() -> None:
    router = Router(members(["server"]), thresholds=HealthThresholds(1, 1))
    with pytest.raises(ProviderError):
        ask(router)
    with pytest.raises(NoProviderAvailableError, match="alpha: unhealthy"):
        ask(router)


def test_router_check_health_and_route_alias() -> None:
    class Probed(ScriptedProvider):
        async def health_check(self) -> bool:
            raise RuntimeError("probe exploded")

    router = Router([("alpha", Probed()), ("beta", ScriptedProvider(answer="b"))])
    assert run(router.check_health()) == {"alpha": False}
    assert run(router.route(PING, model="m")).content == "pong"


class ReferenceChainMachine(ChainMachine):
    make_driver = staticmethod(lambda: ChainDriverFor(FallbackChain))


TestReferenceChainMachine = ReferenceChainMachine.TestCase
TestReferenceChainMachine.settings = MACHINE_SETTINGS


class RoundRobinMachine(RouterMachine):
    make_driver = staticmethod(lambda: RouterDriverFor("round-robin"))


class FirstAvailableMachine(RouterMachine):
    make_driver = staticmethod(lambda: RouterDriverFor("first-available"))


TestRoundRobinMachine = RoundRobinMachine.TestCase
TestRoundRobinMachine.settings = MACHINE_SETTINGS
TestFirstAvailableMachine = FirstAvailableMachine.TestCase
TestFirstAvailableMachine.settings = MACHINE_SETTINGS
