"""A report never lies about what ran: incomplete checks, inconclusive verdicts, the plan.

A check without verdicts of its own (the harness broke on it, its worker crashed, the run was
interrupted or ran out of time, or it simply never reported) is counted and shown in every format;
its clauses never read "pass" because of it, and its provider does not conform.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import run_exit_code
from conformance.report import ProviderInfo, build_report, render_markdown, validate_report
from conformance.report.exit_codes import report_exit_code
from conformance.report.html import render_html
from conformance.report.plan import Plan, PlannedCheck, parse_test_id
from conformance.report.writers import verdict_lines

INFO = ProviderInfo("p", "pkg:P", "openai-chat", "native", "p", ())
REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"


def _outcome(scenario: str, verdicts: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "provider": "p",
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [{"clause": c, "outcome": o, "message": f"{c} {o}"} for c, o in verdicts],
        "transcript": "",
        **extra,
    }


def _harness_error(scenario: str = "b") -> dict[str, Any]:
    return _outcome(
        scenario,
        [],
        incomplete={"kind": "harness-error", "reason": "KeyError: 'x' (at conformance/j.py:3)"},
        clauses=["CH-1"],
    )


def test_a_harness_error_is_counted_and_the_clause_never_reads_pass() -> None:
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")]), _harness_error()])
    validate_report(report)
    provider = report["providers"][0]
    assert provider["clauses"]["CH-1"] == "incomplete"
    assert provider["clause_details"]["CH-1"]["incomplete"] == 1
    reason = "KeyError: 'x' (at conformance/j.py:3)"
    assert provider["incomplete"] == [
        {"check": "b[chat]", "kind": "harness-error", "reason": reason}
    ]
    assert provider["conforms"] is False
    assert (provider["planned"], provider["judged"]) == (2, 1)
    assert report["run"]["status"] == "incomplete"
    assert report_exit_code(report) == 3
    # Not judged completely is not failing: the summary keeps the two apart.
    assert (report["summary"]["failing"], report["summary"]["incomplete"]) == (0, 1)
    assert "0 failing, 1 not completely judged" in render_markdown(report)


def test_every_format_shows_the_harness_error() -> None:
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")]), _harness_error()])
    markdown = render_markdown(report)
    assert "harness error (not a provider failure)" in markdown
    assert "⚠️ incomplete" in markdown
    assert "✅ conforms" not in markdown
    assert "1 of 2" in markdown  # checks judged of planned
    page = render_html(report)
    assert "harness error (not a provider failure)" in page
    assert "m-icp" in page
    (line,) = [line for line in verdict_lines(report) if line.startswith("p ")]
    assert "DOES NOT CONFORM" in line
    assert "1 incomplete" in line
    assert "harness-error" in line


def test_an_inconclusive_verdict_is_neither_pass_nor_failure() -> None:
    report = build_report(
        [INFO], [_outcome("a", [("ER-4", "pass")]), _outcome("b", [("ER-4", "inconclusive")])]
    )
    validate_report(report)
    provider = report["providers"][0]
    assert provider["clauses"]["ER-4"] == "inconclusive"
    assert provider["clause_details"]["ER-4"]["inconclusive"] == 1
    assert provider["conforms"] is False
    assert report["run"]["status"] == "complete"
    assert report_exit_code(report) == 3
    assert "❔ inconclusive" in render_markdown(report)


def test_a_failure_outranks_incomplete_checks() -> None:
    report = build_report([INFO], [_outcome("a", [("CH-1", "fail")]), _harness_error()])
    assert report["providers"][0]["clauses"]["CH-1"] == "fail"
    assert report_exit_code(report) == 1
    assert (report["summary"]["failing"], report["summary"]["incomplete"]) == (1, 0)


def _plan(*checks: tuple[str, str]) -> Plan:
    plan = Plan(fingerprint="f" * 32)
    for scenario, mode in checks:
        plan.add(PlannedCheck("p", scenario, mode, ("CH-1",)))
    return plan


def test_a_planned_check_that_never_reported_is_not_run_and_never_a_pass() -> None:
    plan = _plan(("a", "chat"), ("b", "chat"))
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")])], plan=plan)
    validate_report(report)
    provider = report["providers"][0]
    assert provider["incomplete"][0]["check"] == "b[chat]"
    assert provider["incomplete"][0]["kind"] == "not-run"
    assert provider["clauses"]["CH-1"] == "incomplete"
    assert provider["conforms"] is False
    assert report["run"] == {
        "status": "incomplete",
        "planned": 2,
        "judged": 1,
        "fingerprint": "f" * 32,
    }


@pytest.mark.parametrize("reason", ["interrupted", "deadline"])
def test_a_session_that_ended_early_says_why(reason: str) -> None:
    plan = _plan(("a", "chat"), ("b", "chat"))
    report = build_report(
        [INFO], [_outcome("a", [("CH-1", "pass")])], plan=plan, stop_reason=reason
    )
    assert report["run"]["status"] == reason
    assert report["providers"][0]["incomplete"][0]["kind"] == reason
    assert "Run incomplete" in render_markdown(report)
    assert "Run incomplete" in render_html(report)
    assert verdict_lines(report)[0].startswith(f"RUN INCOMPLETE ({reason})")
    assert report_exit_code(report) == 3


def test_a_crash_outcome_that_arrived_is_kept() -> None:
    crashed = _outcome(
        "b", [], incomplete={"kind": "crashed", "reason": "the worker died with SIGSEGV"}
    )
    plan = _plan(("a", "chat"), ("b", "chat"))
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")]), crashed], plan=plan)
    assert report["providers"][0]["incomplete"][0]["kind"] == "crashed"
    assert report["run"]["status"] == "crashed"


def test_a_complete_plan_conforms() -> None:
    plan = _plan(("a", "chat"))
    report = build_report([INFO], [_outcome("a", [("CH-1", "pass")])], plan=plan)
    assert report["providers"][0]["conforms"] is True
    assert report["run"]["status"] == "complete"
    assert report_exit_code(report) == 0


def test_test_ids_name_their_checks() -> None:
    base = "x/configured_tests.py::TestProviderConformance::"
    assert parse_test_id(base + "test_identity[my:prov]") == ("my:prov", "identity", "none")
    assert parse_test_id(base + "test_scenario[p:text_plain-stream]") == (
        "p",
        "text_plain",
        "stream",
    )
    assert parse_test_id(base + "test_property[p:property-answers-chat]") == (
        "p",
        "property-answers",
        "chat",
    )
    assert parse_test_id(base + "test_resilience[p:retry-none]") == ("p", "retry", "none")
    assert parse_test_id("tests/test_x.py::test_scenario[oops]") is None
    assert parse_test_id("tests/test_x.py::test_other[p:a-chat]") is None


@pytest.mark.parametrize(
    ("pytest_code", "report_code", "expected"),
    [
        (pytest.ExitCode.OK, 0, 0),
        (pytest.ExitCode.TESTS_FAILED, 1, 1),
        (pytest.ExitCode.TESTS_FAILED, 3, 3),  # a harness error fails its test, not the provider
        (pytest.ExitCode.INTERRUPTED, 3, 3),
        (pytest.ExitCode.INTERRUPTED, 1, 1),  # a clause had already failed
        (pytest.ExitCode.INTERRUPTED, None, 3),
        (pytest.ExitCode.USAGE_ERROR, None, 2),
        (pytest.ExitCode.NO_TESTS_COLLECTED, None, 2),
    ],
)
def test_exit_codes_of_run(pytest_code: int, report_code: int | None, expected: int) -> None:
    assert run_exit_code(pytest_code, report_code) == expected


# -- end to end: the harness itself raising inside a check ------------------------------------

_BREAK_THE_JUDGE = """
import sys
import conformance.checks.runner

def broken_judge(record):
    raise RuntimeError("the judge broke on sk-conformance-fake-0123456789abcdef01234567")

conformance.checks.runner.judge_case = broken_judge
from conformance.cli import main
sys.exit(main(sys.argv[1:]))
"""


_ARGS = ["--provider", REFERENCE, "--scenario", "text_plain", "--no-properties", "-n", "0"]
_ARGS += ["--report-dir", "out", "--no-provider-coverage"]


def test_a_judge_that_raises_leaves_a_visible_counted_check_and_exit_3(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text(_BREAK_THE_JUDGE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "run", *_ARGS],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "harness error (not a provider failure)" in result.stdout
    assert "sk-conformance-fake-0123" not in output
    out = tmp_path / "out"
    report = json.loads((out / "compatibility.json").read_text(encoding="utf-8"))
    provider = report["providers"][0]
    kinds = {(e["check"], e["kind"]) for e in provider["incomplete"]}
    assert kinds == {("text_plain[chat]", "harness-error"), ("text_plain[stream]", "harness-error")}
    reason = provider["incomplete"][0]["reason"]
    assert reason.startswith("RuntimeError: the judge broke on <redacted-api-key>")
    assert "(at " in reason and "broken.py:" in reason
    assert provider["clauses"]["CH-1"] == "incomplete"
    assert provider["conforms"] is False
    assert report["run"]["status"] == "incomplete"
    assert "harness error (not a provider failure)" in (out / "compatibility.md").read_text()
    assert "harness error (not a provider failure)" in (out / "compatibility.html").read_text()
    junit = ET.parse(out / "junit.xml").getroot()
    failures = [f.get("message", "") + (f.text or "") for f in junit.iter("failure")]
    assert len(failures) == 2
    assert all("harness error (not a provider failure)" in f for f in failures)


# -- end to end: an interrupted run, a crashed worker under pytest-xdist -----------------------

_INTERRUPT_AFTER_ONE_CHECK = """
import sys
import conformance.checks.runner

judge = conformance.checks.runner.judge_case
judged = []

def judge_then_interrupt(record):
    if judged:
        raise KeyboardInterrupt  # as Ctrl-C would, in the harness's own thread
    judged.append(record)
    return judge(record)

conformance.checks.runner.judge_case = judge_then_interrupt
from conformance.cli import main
sys.exit(main(sys.argv[1:]))
"""

_CRASHING_PROVIDER = """
import os
from reference_providers.openai_compatible import OpenAICompatibleProvider


class CrashingProvider(OpenAICompatibleProvider):
    async def stream(self, *args, **kwargs):
        os._exit(13)
        yield  # an async generator, as stream() is
"""


def _run_script(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(source, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), str(tmp_path)])},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_an_interrupted_run_writes_reports_that_say_so_and_exits_3(tmp_path: Path) -> None:
    result = _run_script(tmp_path, _INTERRUPT_AFTER_ONE_CHECK, "run", *_ARGS)
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "RUN INCOMPLETE (interrupted)" in result.stdout
    out = tmp_path / "out"
    report = json.loads((out / "compatibility.json").read_text(encoding="utf-8"))
    assert report["run"]["status"] == "interrupted"
    assert report["run"]["planned"] == 3  # identity and text_plain in both modes
    assert report["run"]["judged"] == 2  # identity (no judge_case) and the first scenario
    provider = report["providers"][0]
    assert provider["conforms"] is False
    assert {e["kind"] for e in provider["incomplete"]} == {"interrupted"}
    assert "ST-1" in provider["clauses"] and provider["clauses"]["ST-1"] == "incomplete"
    assert "was interrupted" in (out / "compatibility.md").read_text(encoding="utf-8")
    assert "interrupted" in (out / "compatibility.html").read_text(encoding="utf-8")
    junit = ET.parse(out / "junit.xml").getroot()
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert properties["conformance_run_status"] == "interrupted"
    missing = [c for c in junit.iter("testcase") if c.find("failure") is not None]
    assert len(missing) == 1
    assert all("interrupted" in (c.find("failure").get("message") or "") for c in missing)  # type: ignore[union-attr]


def test_a_crashed_worker_leaves_a_crashed_check_and_the_plan_is_known_under_xdist(
    tmp_path: Path,
) -> None:
    (tmp_path / "crashing.py").write_text(_CRASHING_PROVIDER, encoding="utf-8")
    args = ["--provider", "crashing:CrashingProvider", "--scenario", "text_plain"]
    args += ["--no-properties", "-n", "2", "--report-dir", "out", "--no-provider-coverage"]
    result = _run_script(
        tmp_path,
        "import sys\nfrom conformance.cli import main\nsys.exit(main(sys.argv[1:]))\n",
        "run",
        *args,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    provider = report["providers"][0]
    assert provider["planned"] == 3
    assert [(e["check"], e["kind"]) for e in provider["incomplete"]] == [
        ("text_plain[stream]", "crashed")
    ]
    assert report["run"]["status"] == "crashed"
    assert provider["conforms"] is False


def test_the_progress_line_counts_a_check_without_a_verdict_never_as_a_pass() -> None:
    from conformance.plugin.progress import Tally

    tally = Tally(expected=2)
    tally.add(_outcome("a", [("CH-1", "pass")]))
    tally.add(_harness_error())
    line = tally.line("p")
    assert line.startswith("⚠ p: 2/2 checks")
    assert "incomplete: 1 check(s) without a verdict" in line


_INCONCLUSIVE_JUDGE = """
import sys
import conformance.checks.runner
from conformance.judge.verdict import inconclusive

judge = conformance.checks.runner.judge_case

def unsure_judge(record):
    return [*judge(record), inconclusive("ER-4", "the harness was starved; not confirmed")]

conformance.checks.runner.judge_case = unsure_judge
from conformance.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_an_inconclusive_verdict_fails_its_test_as_no_provider_failure_and_exits_3(
    tmp_path: Path,
) -> None:
    result = _run_script(tmp_path, _INCONCLUSIVE_JUDGE, "run", *_ARGS)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "inconclusive (not a provider failure)" in result.stdout
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    provider = report["providers"][0]
    assert provider["clauses"]["ER-4"] == "inconclusive"
    assert provider["conforms"] is False
    assert report["run"]["status"] == "complete"


_DEADLINE_AFTER_ONE_CHECK = """
import sys
import pytest
from conformance.plugin.hooks import stop_run


class Deadline:
    def pytest_sessionstart(self, session):
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            stop_run(self.session.config, "deadline")
            self.session.shouldstop = "the run's deadline"


sys.exit(pytest.main(sys.argv[1:], plugins=[Deadline()]))
"""


def test_a_deadline_named_by_stop_run_is_the_kind_of_every_check_left(tmp_path: Path) -> None:
    args = [a for a in _ARGS if a not in ("-n", "0")]
    result = _run_script(tmp_path, _DEADLINE_AFTER_ONE_CHECK, "-p", "no:cacheprovider", *args)
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    assert report["run"]["status"] == "deadline", result.stdout + result.stderr
    assert report["run"]["judged"] == 1
    kinds = [entry["kind"] for entry in report["providers"][0]["incomplete"]]
    assert kinds == ["deadline", "deadline"]
