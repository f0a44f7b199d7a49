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
    server: FakeServer, check: str, mode: str
) -> None:
    """Before: RE-1 and RE-2 were not applicable for every victor class ("constructor takes no
    clock="). The stand-in sleeps with asyncio.sleep and times its breaker with time.monotonic,
    as victor 0.9 does; the check must take no real time for 30 s recovery and 7 s backoff."""
    started = time.perf_counter()
    outcome = run(server, VICTOR, "victor", check, mode)
    assert outcome.error is None, outcome.error
    assert [v.outcome for v in outcome.verdicts] == ["pass"], outcome.verdicts
    assert time.perf_counter() - started < 5.0  # a generous bound: the scripts span 60 fake s


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
