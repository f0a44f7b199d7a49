"""Progress per provider and clause group while the checks run, and a table of them at the end.

On an interactive terminal one status line is rewritten in place as checks finish (pytest's own
dot for each conformance check is left out, the line says more), and a line per provider stays
once all of its checks are done. In CI, or when output is not a terminal, nothing is rewritten:
only the finished-provider lines are printed, so logs stay short and line-oriented.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance.vocabulary.clauses import GROUPS, clause_sort_key

MODES = ("auto", "live", "lines", "off")
#: The suite's test ids: `test_identity[<provider>]`, `test_scenario[<provider>:<case>]`, ...
_PARAMETRIZED = re.compile(r"::test_\w+\[(?P<provider>[^:@\]]+)([:@][^\]]*)?\]$")


def provider_of(nodeid: str) -> str | None:
    """The provider id a suite test id names, if it looks like one.

    Only ids: under pytest-xdist that is all the controller learns of the collection. A test that
    merely looks like a check is harmless: a provider counts only once an outcome names it.
    """
    match = _PARAMETRIZED.search(nodeid)
    return match["provider"] if match else None


@dataclass
class Tally:
    expected: int | None = None
    done: int = 0
    failed_checks: int = 0
    #: Clause group -> outcome ("pass", "fail", "not-applicable") -> verdict count.
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    #: Checks without verdicts of their own (harness error, crash ...): never a pass.
    incomplete: int = 0

    def add(self, outcome: Mapping[str, Any]) -> None:
        self.done += 1
        if outcome.get("incomplete"):
            self.incomplete += 1
            return
        if outcome.get("error") or any(v["outcome"] == "fail" for v in outcome["verdicts"]):
            self.failed_checks += 1
        for verdict in outcome["verdicts"]:
            group = verdict["clause"].split("-", 1)[0]
            counts = self.groups.setdefault(group, {})
            counts[verdict["outcome"]] = counts.get(verdict["outcome"], 0) + 1
            if verdict["outcome"] == "fail":
                self.failing.add(verdict["clause"])

    @property
    def finished(self) -> bool:
        return self.expected is not None and self.done >= self.expected

    def group_text(self) -> str:
        parts = []
        for group in GROUPS:
            counts = self.groups.get(group)
            if not counts:
                continue
            marks = (("pass", "✓"), ("fail", "✗"), ("inconclusive", "~"), ("not-applicable", "–"))
            shown = [f"{counts[key]}{mark}" for key, mark in marks if counts.get(key)]
            parts.append(" ".join([group, *shown]))
        return "  ".join(parts)

    def line(self, provider: str) -> str:
        total = f"/{self.expected}" if self.expected is not None else ""
        state = "✗" if self.failing or self.failed_checks else "⚠" if self.incomplete else "✓"
        line = f"{state} {provider}: {self.done}{total} checks  {self.group_text()}"
        if self.failing:
            line += "  failing: " + ", ".join(sorted(self.failing, key=clause_sort_key))
        if self.incomplete:
            line += f"  incomplete: {self.incomplete} check(s) without a verdict"
        return line


def resolve_mode(requested: str, *, isatty: bool, verbose: int) -> str:
    if requested != "auto":
        return requested
    if os.environ.get("CI") or not isatty or verbose > 0:
        return "lines"
    return "live"


class ProgressPlugin:
    """Counts each finished check's verdicts for its provider; lives on the controller only."""

    def __init__(self, config: pytest.Config, requested: str) -> None:
        self.config = config
        self.requested = requested
        self.mode = "off"
        self.tallies: dict[str, Tally] = {}
        #: Provider id -> how many collected tests name it.
        self.expected: dict[str, int] = {}
        self._announced: set[str] = set()
        self._expected_known = False
        #: Width of the status line on screen, to blank it out when a shorter one replaces it.
        self._drawn = 0

    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def _expect(self, nodeids: Iterable[str]) -> None:
        if self._expected_known:
            return
        self._expected_known = True
        for nodeid in nodeids:
            provider = provider_of(nodeid)
            # `test_property[NOTSET]`: pytest's placeholder for a test with no checks to run
            # (--no-properties, a --scenario filter); it never reports an outcome.
            if provider is not None and provider != "NOTSET":
                self.expected[provider] = self.expected.get(provider, 0) + 1

    def pytest_sessionstart(self) -> None:
        reporter = self._reporter()
        if reporter is not None:
            self.mode = resolve_mode(
                self.requested,
                isatty=bool(reporter.isatty()),
                verbose=self.config.option.verbose,
            )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(self.config, "workerinput") and session.items:
            self._expect(item.nodeid for item in session.items)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._expect(ids)  # every worker collects the same tests; the first one counts

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """In live mode the status line replaces the per-check dot; the counts stay pytest's."""
        if self.mode != "live" or getattr(report, "conformance", None) is None:
            return None
        if hasattr(report, "wasxfail"):
            return ("xfailed" if report.skipped else "xpassed"), "", ""
        return report.outcome, "", ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = getattr(report, "conformance", None)
        if outcome is None or self.mode == "off" or hasattr(self.config, "workerinput"):
            return
        provider = outcome["provider"]
        tally = self.tallies.setdefault(provider, Tally(expected=self.expected.get(provider)))
        tally.add(outcome)
        reporter = self._reporter()
        if reporter is None:
            return
        if tally.finished and provider not in self._announced:
            self._announced.add(provider)
            if self.mode == "live":
                reporter.rewrite(tally.line(provider).ljust(self._drawn))
                reporter.write("\n")
                self._drawn = 0
            else:
                if reporter._tw.width_of_current_line:  # pytest's dots have no line end yet
                    reporter.write("\n")
                reporter.write_line(f"[conformance] {tally.line(provider)}")
        if self.mode == "live" and not all(t.finished for t in self.tallies.values()):
            # Padded by hand, not erase=True: a full-width line makes pytest start a new one.
            status = self._status()
            reporter.rewrite(status.ljust(self._drawn))
            self._drawn = len(status)

    def _status(self) -> str:
        done = sum(t.done for t in self.tallies.values())
        expected = sum(self.expected.values())
        running = [
            f"{pid} {t.done}/{t.expected if t.expected is not None else '?'}"
            + (" ✗" if t.failing or t.failed_checks else "")
            for pid, t in sorted(self.tallies.items())
            if not t.finished
        ]
        # Room for pytest's " [ 50%]" at the end of the line.
        width = self._reporter()._tw.fullwidth - 10
        line = f"conformance {done}/{expected or '?'} · " + " · ".join(running)
        return line if len(line) <= width else line[: max(width - 1, 0)] + "…"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tallies = {pid: t for pid, t in self.tallies.items() if t.done}
        if self.mode == "off" or not tallies:
            return
        terminalreporter.write_sep("-", "provider-conformance progress")
        terminalreporter.write_line(
            "verdicts per clause group: ✓ pass, ✗ fail, ~ inconclusive, – not applicable "
            "(counted over checks; compatibility.md has the clause matrix)"
        )
        for pid in sorted(tallies):
            terminalreporter.write_line(tallies[pid].line(pid))
