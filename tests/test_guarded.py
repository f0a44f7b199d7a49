"""Provider code under a check's clock reads alike in every kind of check
(conformance/checks/guarded.py): one function says how it ended, one builds, uses and closes the
provider, and the four runners go through them instead of each catching the deadline's exceptions
its own way."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from conformance.checks import deadline, watchdog
from conformance.checks.guarded import Ended, as_profile_allows, run_guarded, with_provider
from conformance.checks.runner import CaseOutcome, _run_case_once, run_identity
from conformance.judge import failed
from conformance.properties.run import declared_capabilities
from conformance.resilience.driver import run_resilience_check

Body = Callable[[], Coroutine[Any, Any, None]]


async def _returns() -> None:
    return None


async def _waits_forever() -> None:
    await asyncio.Event().wait()


async def _exits() -> None:
    raise SystemExit(3)


async def _stops_its_loop() -> None:
    asyncio.get_running_loop().stop()
    await asyncio.Event().wait()


async def _raises() -> None:
    raise ValueError("no such model")


@pytest.mark.parametrize(
    ("body", "how"),
    [
        (_returns, "finished"),
        (_waits_forever, "timed-out"),
        (_exits, "escaped"),
        (_stops_its_loop, "loop-stopped"),
        (_raises, "raised"),
    ],
)
def test_every_ending_is_named_and_none_is_raised(
    body: Body, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deadline, "_CANCEL_GRACE", 0.05)
    ended = run_guarded(body, 0.05)
    watchdog.forget()
    assert ended.how == how
    assert (ended.exc is None) == (how == "finished")
    assert ended.timed_out == (how == "timed-out")


def test_an_error_is_recorded_without_the_key() -> None:
    outcome = CaseOutcome("acme", "identity", "none")
    try:
        raise RuntimeError("bad key sk-guarded-0042")
    except RuntimeError as exc:
        Ended("raised", exc).record_error(outcome, ("sk-guarded-0042",), prefix="cannot build: ")
    assert outcome.error is not None and outcome.error.startswith("cannot build: RuntimeError")
    assert "sk-guarded-0042" not in outcome.error + "".join(outcome.tracebacks)


class _Profile:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def build(self, target: Any, spec: Any, connection: Any) -> str:
        self.log.append("build")
        return "provider"

    async def close(self, provider: str) -> None:
        self.log.append(f"close {provider}")


class _Put:
    def __init__(self, log: list[str]) -> None:
        self.profile, self.target, self.spec = _Profile(log), None, None


def test_the_provider_is_closed_whatever_its_use_did() -> None:
    log: list[str] = []

    async def use(provider: str) -> None:
        log.append(f"use {provider}")
        raise ValueError("the turn broke")

    async def again(provider: str) -> None:
        log.append("closed twice")

    with pytest.raises(ValueError, match="the turn broke"):
        asyncio.run(with_provider(_Put(log), None, use, after_close=again))  # type: ignore[arg-type]
    assert log == ["build", "use provider", "close provider", "closed twice"]


@pytest.mark.parametrize(
    "runner", [_run_case_once, run_identity, declared_capabilities, run_resilience_check]
)
def test_the_runners_share_the_guard_instead_of_their_own(runner: Callable[..., Any]) -> None:
    source = inspect.getsource(runner)
    assert "run_guarded(" in source
    assert "run_with_deadline(" not in source
    assert "except TimeoutError" not in source and "except ProviderEscape" not in source


def test_a_verdict_is_shown_as_the_profile_allows_it() -> None:
    allowed = {"ER-3": "the interface's errors have no provider name"}
    shown = as_profile_allows(allowed, failed("ER-3", "no name"), ())
    assert (shown.outcome, shown.message) == ("not-applicable", allowed["ER-3"])
    scrubbed = as_profile_allows(
        allowed, failed("SE-1", "leaked sk-guarded-0042"), ("sk-guarded-0042",)
    )
    assert scrubbed.failed and "sk-guarded-0042" not in scrubbed.message


@pytest.mark.parametrize("runner", [_run_case_once, run_resilience_check])
def test_the_judged_runners_show_verdicts_through_one_filter(runner: Callable[..., Any]) -> None:
    assert "as_profile_allows(" in inspect.getsource(runner)
