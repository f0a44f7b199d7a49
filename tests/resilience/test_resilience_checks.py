"""The RE checks end to end: hooks, not-applicable reasons, fake time, and every dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from resilience_support import run

from conformance import FakeServer, ProviderSpec, ProviderUnderTest
from conformance.profiles import Connection, NativeProfile, Profile
from conformance.profiles.resilience import (
    Composite,
    ResilienceBuild,
    ResilienceOffer,
    RetryOffer,
    breaker_offer,
    missing_by_profile,
)
from conformance.resilience import (
    CHECKS_BY_NAME,
    RESILIENCE_CHECKS,
    FakeClock,
    SleepBudgetExceeded,
    run_resilience_check,
)
from conformance.resilience.clock import Timing
from conformance.resilience.health_checks import closed_port_url
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


def test_native_offer_injects_only_what_the_constructor_takes() -> None:
    seen: dict[str, Any] = {}

    def factory(*, api_key: str, base_url: str, timeout: float, sleep: Any = None) -> Any:
        seen.update(api_key=api_key, base_url=base_url, timeout=timeout, sleep=sleep)
        return OpenAICompatibleProvider(api_key=api_key, base_url=base_url, timeout=timeout)

    spec = ProviderSpec("x:y", "openai-chat", factory=factory)
    clock = FakeClock()
    build = ResilienceBuild(
        factory, spec, Connection("http://h/v1", "k", 1.0), Timing.fake(clock).kwargs(), 3
    )
    offer = NativeProfile().resilience(build)
    assert offer.took_time == frozenset({"sleep"})
    assert seen["sleep"] == clock.sleep and seen["timeout"] == 1.0
    assert offer.retry is None and offer.breaker is None and offer.health_check is None
    run(offer.provider.close())


class OwnOfferProfile(NativeProfile):
    """Overrides the one seam: its offer is all the checks see (a health check that answers)."""

    name = "own-offer"

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        provider = self.build(build.target, build.spec, build.connection)

        async def always_up() -> bool:
            return True

        return ResilienceOffer(provider, health_check=always_up, missing={"RE-1": "no retries"})


class NoOfferProfile(Profile):
    """A profile that does not override `resilience()`: the base offers nothing."""

    name = "no-offer"
    description = "native driving, no resilience"

    def __init__(self) -> None:
        super().__init__()
        self._native = NativeProfile()

    def build(self, target: Any, spec: ProviderSpec, connection: Connection) -> Any:
        return self._native.build(target, spec, connection)

    def check_target(self, target: Any, spec: ProviderSpec) -> None:
        self._native.check_target(target, spec)

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        return self._native.declared_capabilities(provider)

    def provider_name(self, provider: Any) -> object:
        return self._native.provider_name(provider)

    async def run_turn(self, provider: Any, scenario: Any, turn: int, mode: Any) -> Any:
        return await self._native.run_turn(provider, scenario, turn, mode)

    async def close(self, provider: Any) -> None:
        await self._native.close(provider)

    def classify(self, exc: BaseException) -> Any:
        return self._native.classify(exc)


def test_the_checks_use_the_profiles_own_offer(server: FakeServer) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = OwnOfferProfile()
    health = run_resilience_check(server, put, CHECKS_BY_NAME["re4_health_refused"], "none")
    # The provider's own health check would answer False on a refused connection: the offer's
    # answer (always True) is what was judged.
    assert [v.outcome for v in health.verdicts] == ["fail"], health.failure_text()
    retry = run_resilience_check(server, put, CHECKS_BY_NAME["re1_gives_up"], "chat")
    assert retry.not_applicable == "no retries"


class RetiredShapeProfile(NoOfferProfile):
    """Written for the earlier resilience shapes: the reason says what to do instead."""

    name = "retired"

    def resilience_targets(self, provider: Any) -> None:
        return None


def test_a_profile_written_for_the_retired_shape_is_told_what_to_do(server: FakeServer) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = RetiredShapeProfile()
    outcome = run_resilience_check(server, put, CHECKS_BY_NAME["re4_health_up"], "none")
    assert outcome.not_applicable is not None
    assert "defines resilience_targets(), which the RE checks no longer read" in (
        outcome.not_applicable
    )
    assert "answer resilience(build) instead" in outcome.not_applicable


def test_a_profile_that_offers_nothing_is_not_applicable_everywhere(server: FakeServer) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = NoOfferProfile()
    for check in RESILIENCE_CHECKS:
        outcome = run_resilience_check(server, put, check, check.modes[0])
        assert [v.outcome for v in outcome.verdicts] == ["not-applicable"], outcome.failure_text()
        assert outcome.not_applicable is not None
        assert "profile no-offer offers no resilience" in outcome.not_applicable


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


# -- a profile that offers a health check and a chain driven by its own run_turn ---------------


class _ChainTarget:
    """A chain driven as one provider, as third-party profiles hand theirs out."""

    def __init__(self, profile: NativeProfile, members: Sequence[tuple[str, Any]]) -> None:
        from reference_providers.resilience import FallbackChain

        self._profile = profile
        self._chain = FallbackChain(members)

    async def run_turn(self, scenario: Any, turn: int, mode: Any) -> Any:
        return await self._profile.run_turn(self._chain, scenario, turn, mode)

    async def health(self) -> dict[str, str]:
        return self._chain.health()

    async def close(self) -> None:
        await self._chain.close()

    def composite(self) -> Composite:
        return Composite(self.run_turn, self.close, self.health)


class PerProviderProfile(NativeProfile):
    """Offers the provider's health check and a chain it drives itself; nothing else."""

    name = "per-provider"

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        provider = self.build(build.target, build.spec, build.connection)
        return ResilienceOffer(
            provider,
            chain=lambda members: self.fallback(members).composite(),
            health_check=provider.health_check,
            missing=missing_by_profile(self.name),
        )

    def fallback(self, members: Sequence[tuple[str, Any]]) -> _ChainTarget:
        return _ChainTarget(self, members)


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
def test_a_profiles_own_chain_and_health_check_are_judged(
    server: FakeServer, check: str, mode: str, outcome: str
) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = PerProviderProfile()
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
        self, profile: NativeProfile, members: Sequence[tuple[str, Any]], *, blind: bool = False
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


class HealthFirstProfile(PerProviderProfile):
    name = "health-first"
    blind = False

    def fallback(self, members: Sequence[tuple[str, Any]]) -> _ChainTarget:
        return _HealthFirstRouter(self, members, blind=self.blind)


class BlindSkipProfile(HealthFirstProfile):
    name = "blind-skip"
    blind = True


class ChatProbeProfile(HealthFirstProfile):
    name = "chat-probe"

    def fallback(self, members: Sequence[tuple[str, Any]]) -> _ChainTarget:
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


# -- the recipe of docs/resilience.md ("Offering resilience from a new profile"), done once -----


class RecipeProfile(NativeProfile):
    """Follows the recipe step by step for ResilientOpenAIProvider-like classes."""

    name = "recipe"

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        # 1. build as build() does, with the check's max_retries; 2. the time keywords it takes.
        time = {k: v for k, v in build.time.items() if k in ("clock", "sleep", "random")}
        target = build.target

        def factory(**kwargs: Any) -> Any:
            return target(**{**kwargs, **time, "max_retries": build.max_retries or 0})

        provider = self.build(factory, build.spec, build.connection)
        # 3. the parts it has, and the reasons for the rest.
        return ResilienceOffer(
            provider,
            took_time=frozenset(time),
            retry=RetryOffer(provider.retry_policy.max_retries, provider.retry_policy.max_delay),
            breaker=breaker_offer(provider.circuit_breaker),
            missing=missing_by_profile(self.name),
        )


@pytest.mark.parametrize(
    ("check", "outcome"),
    [
        ("re1_retry_until_success", "pass"),
        ("re1_no_retry_on_auth", "pass"),
        ("re2_opens_and_recovers", "pass"),
        ("re3_moves_on", "not-applicable"),
        ("re4_health_up", "not-applicable"),
    ],
)
def test_the_recipe_for_a_new_profile_works(server: FakeServer, check: str, outcome: str) -> None:
    put = load(ResilientOpenAIProvider)
    put.profile = RecipeProfile()
    mode = CHECKS_BY_NAME[check].modes[0]
    result = run_resilience_check(server, put, CHECKS_BY_NAME[check], mode)
    assert [v.outcome for v in result.verdicts] == [outcome], result.failure_text()
    if outcome == "not-applicable":
        assert result.not_applicable is not None and "profile recipe" in result.not_applicable
