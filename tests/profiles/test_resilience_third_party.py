"""RE-1 and RE-2 judged on third-party shapes (issue #11.9): victor's `max_retries` and per-class
circuit breaker, orchestrator's `_retry_with_backoff`. Their classes take no `clock=` or `sleep=`;
the checks replace the sleep and clocks their own modules look up with the fake clock, so nothing
waits for real, and known-bad variants are caught on RE-1."""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import Iterator

import pytest

from conformance import CaseOutcome, FakeServer, ProviderSpec, ProviderUnderTest
from conformance.resilience import CHECKS_BY_NAME, RESILIENCE_CHECKS, run_resilience_check
from conformance.resilience.clock import FakeClock
from conformance.resilience.patched_time import patched_time, reaches_time

VICTOR = "victor.providers.openai_compat_provider:OpenAICompatProvider"
ORCHESTRATOR = "orchestrator.providers.openai_like:OpenAILikeProvider"
RE12 = [(c.name, m) for c in RESILIENCE_CHECKS if c.clause in ("RE-1", "RE-2") for m in c.modes]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run(server: FakeServer, target: str, profile: str, check: str, mode: str) -> CaseOutcome:
    spec = ProviderSpec(target=target, dialect="openai-chat", profile=profile)
    put = ProviderUnderTest.load(spec)
    return run_resilience_check(server, put, CHECKS_BY_NAME[check], mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(("check", "mode"), RE12, ids=[f"{c}-{m}" for c, m in RE12])
def test_victor_retries_and_breaker_are_judged_and_the_stand_in_passes(
    server: FakeServer, check: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: RE-1 and RE-2 were not applicable for every victor class ("constructor takes no
    clock="). The stand-in sleeps with asyncio.sleep and times its breaker with time.monotonic,
    as victor 0.9 does; the check must take no real time for 30 s recovery and 7 s backoff: no
    sleep of a second or more ever reaches the real asyncio.sleep (no timing assertion)."""
    real_sleep = asyncio.sleep
    long_sleeps: list[float] = []

    async def recording_sleep(delay: float, result: object = None) -> object:
        if delay >= 1.0:
            long_sleeps.append(delay)
        return await real_sleep(min(delay, 0.01), result)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    outcome = run(server, VICTOR, "victor", check, mode)
    assert outcome.error is None, outcome.error
    assert [v.outcome for v in outcome.verdicts] == ["pass"], outcome.verdicts
    assert not long_sleeps, f"real sleeps of {long_sleeps} s: the fake clock was not used"


@pytest.mark.parametrize(
    ("target", "profile", "check", "evidence"),
    [
        (
            "known_bad.victor_style:RetriesAuthErrors",
            "victor",
            "re1_no_retry_on_auth",
            "retried after 401",
        ),
        (
            "known_bad.victor_style:IgnoresMaxRetries",
            "victor",
            "re1_gives_up",
            "5 retries, more than max_retries=3",
        ),
        (
            "known_bad.orchestrator_style:RetriesEveryError",
            "orchestrator",
            "re1_no_retry_on_auth",
            "retried after 401",
        ),
    ],
)
def test_known_bad_retries_are_caught(
    server: FakeServer, target: str, profile: str, check: str, evidence: str
) -> None:
    for mode in ("chat", "stream"):
        outcome = run(server, target, profile, check, mode)
        failed = [v for v in outcome.verdicts if v.failed]
        assert outcome.error is None, outcome.error
        assert [v.clause for v in failed] == ["RE-1"], outcome.verdicts
        assert evidence in failed[0].message, failed[0].message


def test_orchestrators_retry_wrapper_is_judged(server: FakeServer) -> None:
    """Its `_retry_with_backoff` with config.max_retries: judged, not 'not applicable'."""
    outcome = run(server, ORCHESTRATOR, "orchestrator", "re1_no_retry_on_auth", "chat")
    assert [v.outcome for v in outcome.verdicts] == ["pass"], outcome.verdicts
    outcome = run(server, ORCHESTRATOR, "orchestrator", "re1_retry_after", "chat")
    assert "retried 1 s after 429 that asked for Retry-After 2 s" in outcome.verdicts[0].message


def test_time_is_patched_as_the_module_looks_it_up_and_restored() -> None:
    module = types.ModuleType("fake_provider_module")
    module.asyncio = asyncio  # type: ignore[attr-defined]
    module.time = time  # type: ignore[attr-defined]
    module.monotonic = time.monotonic  # type: ignore[attr-defined]
    clock = FakeClock()
    assert reaches_time([module])

    async def nap() -> float:
        await module.asyncio.sleep(7)  # type: ignore[attr-defined]
        await module.asyncio.sleep(0)  # a bare yield: not a wait
        return float(module.time.monotonic())  # type: ignore[attr-defined]

    with patched_time([module], clock) as patched:
        assert asyncio.run(nap()) == clock.start + 7
        assert module.monotonic() == clock.start + 7  # type: ignore[attr-defined]
    assert clock.sleeps == [7.0]
    assert sorted(patched) == [
        f"fake_provider_module.{n}" for n in ("asyncio", "monotonic", "time")
    ]
    assert module.asyncio is asyncio and module.time is time  # type: ignore[attr-defined]
    assert module.monotonic is time.monotonic  # type: ignore[attr-defined]


def test_one_retry_with_a_fresh_token_after_401_is_not_a_retried_auth_error(
    server: FakeServer,
) -> None:
    """GigaChat-style providers renew their OAuth token once on a 401 and ask again: the token
    request between the two chat requests shows it; RE-1 must not call that retrying auth."""
    spec = ProviderSpec(
        target="orchestrator.providers.gigachat_like:GigaChatLikeProvider",
        dialect="conformance.dialects.oauth_token:OAuthOpenAIChat",
        profile="orchestrator",
        options={"set.OAUTH_URL": "{base_url}/oauth"},
    )
    put = ProviderUnderTest.load(spec)
    for mode in ("chat", "stream"):
        check = CHECKS_BY_NAME["re1_no_retry_on_auth"]
        outcome = run_resilience_check(server, put, check, mode)  # type: ignore[arg-type]
        assert [v.outcome for v in outcome.verdicts] == ["pass"], outcome.verdicts
        if mode == "chat":  # the stand-in renews its token on a 401 of chat() only
            assert outcome.transcript.count("/chat/completions HTTP/1.1") == 2


def test_reauthentication_is_allowed_once() -> None:
    from types import SimpleNamespace

    from conformance.resilience.judge import Attempt
    from conformance.resilience.retry_checks import reauthenticated

    def exchange(turn: int | None, at: float) -> object:
        return SimpleNamespace(turn=turn, received_at=at)

    attempts = [Attempt(0, 401, "error"), Attempt(0, 401, "error"), Attempt(0, 401, "error")]
    with_tokens = [exchange(0, 1), exchange(None, 2), exchange(0, 3), exchange(None, 4)]
    with_tokens.append(exchange(0, 5))
    marked = reauthenticated(attempts, with_tokens)  # type: ignore[arg-type]
    assert [a.kind for a in marked] == ["reauth", "error", "error"]
    plain = [exchange(0, 1), exchange(0, 3), exchange(0, 5)]
    assert reauthenticated(attempts, plain) == attempts  # type: ignore[arg-type]


def test_an_orchestrator_timeout_rounded_up_is_the_one_judged() -> None:
    """ProviderConfig takes whole seconds >= 1: asked for 0.4 s, the provider is built with 1 s,
    and ER-4 must compare with that (it said 'built with timeout=0.4 s')."""
    from conformance.profiles import Connection
    from conformance.profiles.orchestrator import OrchestratorProfile

    profile = OrchestratorProfile()
    spec = ProviderSpec(ORCHESTRATOR, "openai-chat", "orchestrator")
    config = profile.config(spec, Connection("http://127.0.0.1:9/v1", "k", 0.4))
    assert config.timeout == 1
    assert profile.built_timeout(0.4) == 1.0 and profile.built_timeout(3.0) == 3.0
