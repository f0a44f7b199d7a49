"""The bundled run's time spent waiting on a clock (issue #14: every bundled provider in 30 s).

A stall check lasts as long as the provider's timeout, and the bundled run has one per provider
and mode; while checks wait, a worker more than CPUs keeps the cores busy. No timing is asserted
here: only the configured values and the worker count the CLI hands to pytest.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import cli
from conformance.judge.starvation import STARVED_AFTER
from conformance.scenarios import bundled_scenarios


def _stall_scenarios() -> dict[str, float | None]:
    return {
        name: scenario.timeout
        for name, scenario in bundled_scenarios().items()
        if any(
            r.fault.stall_before_headers or r.fault.stall_after_pieces is not None
            for turn in scenario.turns
            for r in turn.replies
        )
    }


def test_stall_scenarios_wait_only_as_long_as_the_starvation_threshold() -> None:
    """Shorter would be unsound (a mid-stream stall's first pieces could miss the deadline on a
    loaded machine without the harness calling itself starved); longer is waited 33 times."""
    stalls = _stall_scenarios()
    assert {"fault_stall_before_headers", "fault_stall_mid_stream"} <= set(stalls)
    for name, timeout in stalls.items():
        assert timeout == pytest.approx(STARVED_AFTER), name


@pytest.mark.parametrize(
    ("cpus", "bundled", "workers"),
    [
        (2, True, "3"),
        (2, False, "2"),
        (1, True, "1"),
        (1, False, "1"),
        (8, True, "5"),
        (8, False, "4"),
    ],
)
def test_default_workers_add_one_for_the_bundled_run(
    monkeypatch: pytest.MonkeyPatch, cpus: int, bundled: bool, workers: str
) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: cpus)
    assert cli._default_workers(bundled) == workers


def _workers_passed(monkeypatch: pytest.MonkeyPatch, *argv: str) -> str | None:
    """The `-n` value `provider-conformance run argv...` hands to pytest (pytest not run)."""
    seen: list[list[str]] = []

    def fake_main(args: list[str], plugins: Any = None) -> int:
        seen.append(list(args))
        return 0

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr("pytest.main", fake_main)
    assert cli.main(["run", *argv]) == 0
    (args,) = seen
    return args[args.index("-n") + 1] if "-n" in args else None


def test_the_bundled_run_gets_one_worker_more_than_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _workers_passed(monkeypatch) == "3"


def test_one_provider_keeps_one_worker_per_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = "reference_providers.openai_compatible:OpenAICompatibleProvider"
    assert _workers_passed(monkeypatch, "--provider", provider) == "2"


def test_a_worker_count_given_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _workers_passed(monkeypatch, "-n", "2") == "2"
    assert _workers_passed(monkeypatch, "-n", "0") is None
