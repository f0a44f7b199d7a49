"""The baseline gate inside pytest: known failures show as xfail, the gate sets the exit status.

The baseline itself (reading it, comparing a report with it) is the report's business
(`conformance.report.baseline`); this is only the pytest face of it.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

import pytest
from pytest import ExitCode

from conformance.report.baseline import Baseline, gate_lines
from conformance.vocabulary.clauses import clause_sort_key

if TYPE_CHECKING:
    from conformance.plugin.state import ConformanceState


class GatePlugin:
    """Known failures show as xfail in pytest's output and JUnit; the gate sets the exit status."""

    def __init__(self, baseline: Baseline, state: ConformanceState) -> None:
        self.baseline = baseline
        self._state = state

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        # tryfirst makes this the outermost wrapper: the plugin's own has attached the outcome.
        report = yield
        outcome = getattr(report, "conformance", None)
        if report.when != "call" or not report.failed or outcome is None or outcome.get("error"):
            return report
        failing = sorted(
            {v["clause"] for v in outcome["verdicts"] if v["outcome"] == "fail"},
            key=clause_sort_key,
        )
        reasons = [self.baseline.reason(outcome["provider"], c) for c in failing]
        if failing and all(r is not None for r in reasons):
            report.outcome = "skipped"
            report.wasxfail = "known failure: " + "; ".join(
                f"{c} ({r})" for c, r in zip(failing, reasons, strict=True)
            )
        return report

    @property
    def _gate(self) -> Mapping[str, Any] | None:
        report = self._state.report
        return report.get("gate") if report else None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Runs after the conformance plugin's own (tryfirst) hook has built the report.
        gate = self._gate
        if gate is None or session.exitstatus not in (ExitCode.OK, ExitCode.TESTS_FAILED):
            return
        session.exitstatus = ExitCode.OK if gate["passed"] else ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        gate = self._gate
        if gate is None:
            return
        terminalreporter.write_sep("-", "provider-conformance gate")
        for line in gate_lines(gate):
            terminalreporter.write_line(line)
