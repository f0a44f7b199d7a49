"""The misbehaving-provider catalogue (issue #12): each provider that exits, crashes, hangs,
spins, hogs memory, floods the output or leaves threads behind gets its expected outcome, none is
ever reported as conforming, and none takes the run down.

The first part runs checks in this process through `run_case` (fast); the second runs
`provider-conformance run` in a subprocess with worker processes, as a user does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import misbehaving as bad

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, bundled_scenarios, runner
from conformance.isolation import starvation, watchdog
from conformance.runner import CaseOutcome, run_case

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture
def released() -> Iterator[None]:
    """Blocking providers are released after the test, so no thread outlives it."""
    bad.RELEASE.clear()
    yield
    bad.RELEASE.set()
    watchdog.forget()


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_CANCEL_GRACE", 0.05)


def _put(cls: type) -> ProviderUnderTest:
    return ProviderUnderTest.load(
        ProviderSpec(target="x:y", dialect="openai-chat", label=cls.__name__, factory=cls)
    )


def _check(server: FakeServer, cls: type, mode: str = "chat", **options: Any) -> CaseOutcome:
    case = Case(bundled_scenarios()["text_plain"], mode)  # type: ignore[arg-type]
    return run_case(server, _put(cls), case, **options)


def _failing(outcome: CaseOutcome) -> dict[str, str]:
    return {v.clause: v.message for v in outcome.failures}


# -- in this process: process-ending exceptions and hangs


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (bad.RaisesSystemExit, "SystemExit"),
        (bad.RaisesKeyboardInterrupt, "KeyboardInterrupt"),
        (bad.RaisesGeneratorExit, "GeneratorExit"),
    ],
)
@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_a_process_ending_exception_fails_er8_and_the_run_goes_on(
    server: FakeServer, cls: type, name: str, mode: str
) -> None:
    outcome = _check(server, cls, mode)
    assert not outcome.ok
    assert name in _failing(outcome)["ER-8"]


@pytest.mark.parametrize("cls", [bad.SystemExitInATask, bad.ExitsInConstructor])
def test_a_process_ending_exception_outside_the_turn_fails_er8(
    server: FakeServer, cls: type
) -> None:
    outcome = _check(server, cls)
    assert "SystemExit" in _failing(outcome)["ER-8"]
    assert outcome.incomplete is None


def test_a_hang_is_blamed_on_er4_and_the_scenario_clause_is_not_passed(
    server: FakeServer, short_grace: None, released: None
) -> None:
    outcome = _check(server, bad.BlocksForever, check_timeout=0.2)
    failing = _failing(outcome)
    assert "did not finish within 0.2 s" in failing["ER-4"]
    judged = {v.clause: v.outcome for v in outcome.verdicts}
    assert judged.get("CH-1") != "pass"
    assert "ER-1" not in failing
    assert watchdog.poisoned()  # the worker would be recycled after this check


def test_a_spinning_provider_is_stopped_at_its_deadline(
    server: FakeServer, short_grace: None, released: None
) -> None:
    outcome = _check(server, bad.Spins, "stream", check_timeout=0.2)
    assert "ER-4" in _failing(outcome)
    judged = {v.clause: v.outcome for v in outcome.verdicts}
    assert judged.get("ST-1") != "pass"


# -- verdicts independent of machine load (simulated harness lag)


def test_a_hang_while_the_harness_is_starved_is_tried_again_then_inconclusive(
    server: FakeServer, short_grace: None
) -> None:
    with starvation.simulated([0.8]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 2  # tried once more
    assert not outcome.failures
    (verdict,) = outcome.inconclusive
    assert verdict.clause == "ER-4"
    assert "starved by 800 ms" in verdict.message


def test_a_hang_confirmed_with_the_harness_on_time_is_the_providers(
    server: FakeServer, short_grace: None
) -> None:
    with starvation.simulated([0.8, 0.0]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 2
    assert "ER-4" in _failing(outcome)
    assert not outcome.inconclusive


def test_a_slow_first_try_under_load_is_not_the_providers_failure(
    server: FakeServer, short_grace: None
) -> None:
    bad.SlowOnlyOnce.calls = 0
    with starvation.simulated([0.8, 0.0]):
        outcome = _check(server, bad.SlowOnlyOnce, check_timeout=0.5)
    assert outcome.ok, outcome.failure_text()
    assert any("Tried twice" in note for note in outcome.notes)


def test_without_lag_a_hang_is_never_retried(server: FakeServer, short_grace: None) -> None:
    with starvation.simulated([0.0]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 1
    assert "ER-4" in _failing(outcome)


def test_the_lag_measure_sees_a_blocked_server_loop(server: FakeServer) -> None:
    """The real probe: a callback that blocks the server's loop shows up as lag."""
    import asyncio
    import time

    window = starvation.open_window(server)
    loop = server._loop
    assert loop is not None
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(timeout=5)
    loop.call_soon_threadsafe(time.sleep, 0.3)  # the harness's own loop, starved
    deadline = time.monotonic() + 5
    while window.worst() < 0.25 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert window.worst() >= 0.25
