"""When a timing clause cannot be judged: the harness itself ran late (issue #11.12).

The measuring (tickers on the server's loop and a harness thread) lives in
conformance/checks/starvation.py; this is only the rule the judge applies to what was
measured, so the judge needs nothing from the layers above it.
"""

from __future__ import annotations

#: A harness lag (seconds) from which a timing failure is not blamed on the provider.
STARVED_AFTER = 0.25


def starved(lag: float) -> bool:
    return lag >= STARVED_AFTER


def describe(lag: float) -> str:
    return (
        f"the harness itself was starved by {lag * 1000:.0f} ms during the check (machine load), "
        "so the timing cannot be blamed on the provider"
    )
