"""The RE checks end to end: hooks, not-applicable reasons, fake time, and every dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from resilience_support import run

from conformance import FakeServer, ProviderSpec, ProviderUnderTest
from conformance.profiles import NativeProfile
from conformance.resilience import (
    CHECKS_BY_NAME,
    RESILIENCE_CHECKS,
    FakeClock,
    NativeResilienceHooks,
    SleepBudgetExceeded,
    hooks_for,
    run_resilience_check,
)
from conformance.resilience.checks import closed_port_url
from conformance.resilience.clock import Timing
from reference_providers import (
    AnthropicProvider,
    GeminiProvider,
    OllamaProvider,
    OpenAICompatibleProvider,
    OpenAIResponsesProvider,
)
from reference_providers.resilience import CircuitBreaker, RetryPolicy
from reference_providers.resilient_provider import ResilientOpenAIProvider, ResilientProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def load(target: Callable[..., Any], dialect: str = "openai-chat") -> ProviderUnderTest:
    name = getattr(target, "__qualname__", "factory")
    spec = ProviderSpec(target=f"tests:{name}", dialect=dialect, label=name, factory=target)
    return ProviderUnderTest.load(spec)


def test_a_provider_without_resilience_is_not_applicable_with_reasons(server: FakeServer) -> None:
    put = load(OpenAICompatibleProvider)
    reasons = {}
    for check in RESILIENCE_CHECKS:
        outcome = run_resilience_check(server, put, check, check.modes[0])
        assert [v.outcome for v in outcome.verdicts] == ["not-applicable"], outcome.failure_text()
        assert outcome.not_applicable
        reasons[check.clause] = outcome.not_applicable
    assert reasons == {
        "RE-1": "the provider offers no retries (no retry_policy)",
        "RE-2": "the provider has no circuit breaker (no circuit_breaker)",
        "RE-3": "the provider offers no fallback chain or router (no fallback_chain_class / "
        "router_class); this check needs a router",
        "RE-4": "the provider has no health_check()",
    }


class RetriesWithRealSleep(OpenAICompatibleProvider):
    """Retries, but sleeps with asyncio.sleep: the suite cannot measure it without waiting."""

    retry_policy = RetryPolicy()


def test_retries_without_injectable_sleep_are_not_applicable(server: FakeServer) -> None:
    outcome = run_resilience_check(
        server, load(RetriesWithRealSleep), CHECKS_BY_NAME["re1_retry_after"], "chat"
    )
    assert outcome.not_applicable is not None and "takes no sleep=" in outcome.not_applicable


def test_native_targets_inject_only_what_the_constructor_takes() -> None:
    profile = NativeProfile()
    hooks = hooks_for(profile)
    assert isinstance(hooks, NativeResilienceHooks)
    seen: dict[str, Any] = {}

    def factory(*, api_key: str, base_url: str, timeout: float, sleep: Any = None) -> Any:
        seen.update(api_key=api_key, base_url=base_url, timeout=timeout, sleep=sleep)
        return OpenAICompatibleProvider(api_key=api_key, base_url=base_url, timeout=timeout)

    spec = ProviderSpec("x:y", "openai-chat", factory=factory)
    from conformance.profiles import Connection

    clock = FakeClock()
    built = hooks.build(
        factory, spec, Connection("http://h/v1", "k", 1.0), Timing.fake(clock), max_retries=3
    )
    assert built.injected == frozenset({"sleep"})
    assert seen["sleep"] == clock.sleep and seen["timeout"] == 1.0
    run(built.provider.close())


def test_a_profile_can_offer_its_own_targets() -> None:
    marker = NativeResilienceHooks(NativeProfile())

    class Custom(NativeProfile):
        def resilience_hooks(self) -> NativeResilienceHooks:
            return marker

    assert hooks_for(Custom()) is marker


def test_fake_clock_times_requests_and_stops_endless_retries() -> None:
    count = 0
    clock = FakeClock(max_sleeps=3, requests=lambda: count)
    count = 1
    run(clock.sleep(0.5))
    count = 2
    run(clock.sleep(1.0))
    count = 3
    assert clock.request_times(3) == [1000.0, 1000.5, 1001.5]
    run(clock.sleep(0))
    with pytest.raises(SleepBudgetExceeded):
        run(clock.sleep(1))


def test_closed_port_refuses() -> None:
    import httpx

    with pytest.raises(httpx.ConnectError):
        httpx.get(closed_port_url("http://127.0.0.1:1/v1") + "/models", timeout=1.0)


def resilient(cls: type[Any]) -> Callable[..., ResilientProvider]:
    """Any reference provider, built the native way and wrapped like ResilientOpenAIProvider."""

    def build(
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int = 3,
        clock: Any = None,
        sleep: Any = None,
        random: Any = None,
    ) -> ResilientProvider:
        inner = cls(api_key=api_key, base_url=base_url, timeout=timeout)
        return ResilientProvider(
            inner,
            retry_policy=RetryPolicy(max_retries=max_retries),
            circuit_breaker=CircuitBreaker(3, 20.0, clock=clock, name=inner.name),
            health_timeout=min(timeout, 5.0),
            health_model="conformance-model-1",
            sleep=sleep,
            random=random,
        )

    build.__qualname__ = f"Resilient{cls.__name__}"
    return build


DIALECTS = [
    ("anthropic-messages", AnthropicProvider),
    ("gemini", GeminiProvider),
    ("ollama-chat", OllamaProvider),
    ("openai-responses", OpenAIResponsesProvider),
    ("openai-gateway", OpenAICompatibleProvider),
]
#: Streams are where the dialects differ; chat mode is covered on openai-chat elsewhere.
CASES = [
    (check.name, mode)
    for check in RESILIENCE_CHECKS
    for mode in check.modes
    if mode != "chat" or check.modes == ("chat",)
]


@pytest.mark.parametrize(("dialect", "cls"), DIALECTS, ids=[d for d, _ in DIALECTS])
def test_every_check_passes_in_every_dialect(
    server: FakeServer, dialect: str, cls: type[Any]
) -> None:
    put = load(resilient(cls), dialect)
    failures = []
    for name, mode in CASES:
        outcome = run_resilience_check(server, put, CHECKS_BY_NAME[name], mode)  # type: ignore[arg-type]
        if [v.outcome for v in outcome.verdicts] != ["pass"] or outcome.error:
            failures.append(outcome.failure_text())
    assert not failures, "\n\n".join(failures)


# -- profiles that answer resilience_targets(provider) (conformance/profiles/resilience.py) ----


class _Targets:
    def __init__(self, provider: Any) -> None:
        self.health_check = getattr(provider, "health_check", None)
        self.retry = None
        self.circuit_breaker = None


class _ChainTarget:
    """A chain driven as one provider, as those profiles hand it out."""

    def __init__(self, profile: NativeProfile, members: list[tuple[str, Any]]) -> None:
        from reference_providers.resilience import FallbackChain

        self._profile = profile
        self._chain = FallbackChain(members)

    async def run_turn(self, scenario: Any, turn: int, mode: Any) -> Any:
        return await self._profile.run_turn(self._chain, scenario, turn, mode)

    async def health(self) -> dict[str, str]:
        return self._chain.health()

    async def close(self) -> None:
        await self._chain.close()


class PerProviderTargetsProfile(NativeProfile):
    """A profile in the per-provider style, reached through the bridge."""

    name = "per-provider"

    def resilience_targets(self, provider: Any) -> _Targets:
        return _Targets(provider)

    def fallback_chain(self, members: list[tuple[str, Any]]) -> _ChainTarget:
        return _ChainTarget(self, members)

    def resilience_hooks(self) -> Any:
        from conformance.resilience import ProfileTargetsBridge

        return ProfileTargetsBridge(self)


@pytest.mark.parametrize(
    ("check", "mode", "outcome"),
    [
        ("re4_health_up", "none", "pass"),
        ("re4_health_stalled", "none", "pass"),
        ("re3_moves_on", "chat", "pass"),
        ("re3_all_failures_named", "stream", "pass"),
        ("re3_health_moves", "chat", "pass"),
        ("re3_round_robin", "chat", "not-applicable"),
        ("re1_retry_after", "chat", "not-applicable"),
        ("re2_opens_and_recovers", "chat", "not-applicable"),
    ],
)
def test_the_bridge_reaches_per_provider_profiles(
    server: FakeServer, check: str, mode: str, outcome: str
) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = PerProviderTargetsProfile()
    result = run_resilience_check(server, put, CHECKS_BY_NAME[check], mode)  # type: ignore[arg-type]
    assert [v.outcome for v in result.verdicts] == [outcome], result.failure_text()
    if outcome == "not-applicable":
        assert result.not_applicable is not None and "per-provider" in result.not_applicable


# -- a router that asks each member's health check before choosing (orchestrator's Router) ----


class _HealthFirstRouter(_ChainTarget):
    """Asks each member's health_check() in order and sends the call to the first that answers
    True; its health() reports only the calls it routed (none failed), as orchestrator's
    metrics-based health does. `blind` skips straight to the last member without asking."""

    def __init__(
        self, profile: NativeProfile, members: list[tuple[str, Any]], *, blind: bool = False
    ) -> None:
        super().__init__(profile, members)
        self._members = members
        self._blind = blind

    async def run_turn(self, scenario: Any, turn: int, mode: Any) -> Any:
        chosen = self._members[-1][1]
        for _, member in [] if self._blind else self._members:
            if await self._healthy(member):
                chosen = member
                break
        return await self._profile.run_turn(chosen, scenario, turn, mode)

    @staticmethod
    async def _healthy(member: Any) -> bool:
        # The model list as the health endpoint, as Ollama-based providers ask /api/tags.
        async with httpx.AsyncClient() as client:
            response = await client.get(
                f"{member.base_url}/models", headers={"Authorization": f"Bearer {member.key}"}
            )
        return bool(response.is_success)


class _KnowsItsURL(ResilientOpenAIProvider):
    def __init__(self, *, api_key: str, base_url: str, **options: Any) -> None:
        super().__init__(api_key=api_key, base_url=base_url, **options)
        self.base_url, self.key = base_url, api_key

    async def health(self) -> dict[str, str]:
        return {name: "healthy" for name, _ in self._members}


class _AsksHealthCheck(_HealthFirstRouter):
    """Asks the members' own health_check(): this one sends a small chat completion (as
    YandexGPT's does), on the chat endpoint itself."""

    @staticmethod
    async def _healthy(member: Any) -> bool:
        return bool(await member.health_check())


class HealthFirstProfile(PerProviderTargetsProfile):
    name = "health-first"
    blind = False

    def fallback_chain(self, members: list[tuple[str, Any]]) -> _ChainTarget:
        return _HealthFirstRouter(self, members, blind=self.blind)


class BlindSkipProfile(HealthFirstProfile):
    name = "blind-skip"
    blind = True


class ChatProbeProfile(HealthFirstProfile):
    name = "chat-probe"

    def fallback_chain(self, members: list[tuple[str, Any]]) -> _ChainTarget:
        return _AsksHealthCheck(self, members)


@pytest.mark.parametrize(
    ("profile", "check", "outcome", "evidence"),
    [
        (HealthFirstProfile, "re3_moves_on", "pass", ""),
        (HealthFirstProfile, "re3_first_success_wins", "pass", ""),
        (HealthFirstProfile, "re3_health_moves", "not-applicable", "never sent alpha a call"),
        (BlindSkipProfile, "re3_moves_on", "fail", "alpha received no request at all"),
        (ChatProbeProfile, "re3_moves_on", "pass", ""),
        (ChatProbeProfile, "re3_first_success_wins", "pass", ""),
    ],
)
def test_a_router_that_checks_health_first_moves_on_by_its_health_checks(
    server: FakeServer, profile: type[NativeProfile], check: str, outcome: str, evidence: str
) -> None:
    """Skipping a member whose health check already answers the failure is moving on; skipping
    one nobody asked is not (orchestrator's first-available Router, issue #11)."""
    put = load(_KnowsItsURL)
    put.profile = profile()
    result = run_resilience_check(server, put, CHECKS_BY_NAME[check], "chat")
    assert [v.outcome for v in result.verdicts] == [outcome], result.failure_text()
    assert evidence in result.verdicts[0].message
