"""The exit status of `provider-conformance run`, read from the run's report.

pytest's own status cannot tell "a clause failed" from "the harness could not finish judging": a
harness error, a crashed worker and an interrupt all end as failed tests or INTERRUPTED. The report
knows which checks ran to verdicts, so the CLI asks it:

- 0: every provider conforms (every planned check judged, no clause failed or open);
- 1: a clause failed (with a baseline: the gate failed);
- 3: no clause failed, but the run is incomplete: a check without a verdict (harness error,
  crash, interrupt, deadline, not run), an inconclusive verdict, or a provider not built.

2 (usage error) never comes from a report: it is decided before any check runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
_FAILING = ("fail", "declared-but-broken")


def clause_failed(report: Mapping[str, Any]) -> bool:
    gate = report.get("gate")
    if gate is not None:
        return not gate["passed"]
    return any(
        verdict in _FAILING or provider["errors"]
        for provider in report["providers"]
        for verdict in [*provider["clauses"].values(), ""]
    )


def report_exit_code(report: Mapping[str, Any]) -> int:
    if clause_failed(report):
        return EXIT_FAIL
    run = report.get("run", {"status": "complete"})
    if run["status"] != "complete":
        return EXIT_INCOMPLETE
    gated = report.get("gate") is not None
    for provider in report["providers"]:
        if provider.get("build_error") or provider.get("incomplete"):
            return EXIT_INCOMPLETE
        open_clauses = {"inconclusive", "incomplete"} & set(provider["clauses"].values())
        if open_clauses or (not gated and not provider["conforms"]):
            return EXIT_INCOMPLETE
    return EXIT_OK


def run_exit_code(pytest_code: int, report_code: int | None) -> int:
    """0 conforms, 1 a clause failed, 2 usage error, 3 the run is incomplete (no clause failed).

    A run that produced a report is judged by it: an interrupt or a crash after some checks is an
    incomplete run (3) unless a clause already failed (1). Without a report the run never began.
    """
    import pytest  # only when a run ends: the report package does not need it otherwise

    if pytest_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    if report_code is not None:
        return report_code
    if pytest_code == pytest.ExitCode.OK:
        return EXIT_OK
    if pytest_code == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAIL
    return EXIT_INCOMPLETE
