"""A check's lag window sees only the ticks since it opened, however long the run before it."""

from __future__ import annotations

import time

from conformance.checks.starvation import _Ticker


def test_worst_lag_counts_only_ticks_since_the_window_opened() -> None:
    ticker = _Ticker()
    now = time.perf_counter()
    # A long run's history, with a starved moment long before this check's window.
    for n in range(5000):
        ticker._samples.append((now - 100 + n * 0.01, 2.0 if n == 10 else 0.001))
    opened = now - 1.0
    ticker._samples.append((now - 0.5, 0.3))
    ticker._samples.append((now - 0.2, 0.05))
    ticker._expected = time.perf_counter() + 60  # nothing overdue
    assert ticker.worst_since(opened) == 0.3
    assert ticker.worst_since(now + 1) == 0.0
