"""The bundled run's time spent waiting on a clock (issue #14: every bundled provider in 30 s).

A stall check lasts as long as the provider's timeout, and the bundled run has one per provider
and mode. No timing is asserted here: only the configured values.
"""

from __future__ import annotations

import pytest

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
