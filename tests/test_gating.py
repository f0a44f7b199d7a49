"""Baseline gating: regressions fail, improvements are listed, known failures stay honest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import main
from conformance.report import ProviderInfo, build_report, validate_report
from conformance.report.baseline import evaluate_gate, load_baseline
from conformance.vocabulary.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"
STRIPS = "known_bad.providers:StripsContent"
INFO = ProviderInfo("p", "pkg:P", "openai-chat", "native", "p", ("tools",))


def _outcome(scenario: str, verdicts: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "provider": "p",
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [
            {"clause": c, "outcome": o, "message": f"{c} broke" if o == "fail" else ""}
            for c, o in verdicts
        ],
        "transcript": "t",
        **extra,
    }


def _report(*verdicts: tuple[str, str], error: str | None = None) -> dict[str, Any]:
    outcomes = [_outcome("s", list(verdicts))]
    if error:
        outcomes.append(_outcome("broken", [], error=error))
    return build_report([INFO], outcomes)


def _known(tmp_path: Path, *entries: tuple[str, str, str], suffix: str = ".yaml") -> Path:
    path = tmp_path / f"known{suffix}"
    document = {
        "known_failures": [{"provider": p, "clause": c, "reason": r} for p, c, r in entries]
    }
    text = json.dumps(document) if suffix == ".json" else yaml.safe_dump(document)
    path.write_text(text, encoding="utf-8")
    return path


def _saved(tmp_path: Path, report: dict[str, Any], name: str = "old.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


# -- the gate itself -------------------------------------------------------------------------------


def test_an_unlisted_failure_is_a_regression_naming_provider_clause_and_reproduction(
    tmp_path: Path,
) -> None:
    baseline = load_baseline(_known(tmp_path, ("p", "CH-1", "strips whitespace, #12")))
    gate = evaluate_gate(_report(("CH-1", "fail"), ("CH-3", "fail")), baseline)
    assert gate["passed"] is False
    (regression,) = gate["regressions"]
    assert (regression["provider"], regression["clause"]) == ("p", "CH-3")
    assert regression["was"] == "not listed" and regression["now"] == "fail"
    assert regression["messages"] == ["CH-3: CH-3 broke"]
    assert regression["reproduce"].endswith("--scenario s")
    (known,) = gate["known_failures"]
    assert known["reason"] == "strips whitespace, #12"


def test_a_known_failure_that_passes_fails_the_gate_until_it_is_removed(tmp_path: Path) -> None:
    baseline = load_baseline(_known(tmp_path, ("p", "CH-1", "flaky"), suffix=".json"))
    gate = evaluate_gate(_report(("CH-1", "pass")), baseline)
    assert gate["passed"] is False
    assert [(e["clause"], e["now"]) for e in gate["improvements"]] == [("CH-1", "pass")]
    # ...but in one shard's report it may still fail in another shard: the merge decides.
    assert evaluate_gate(_report(("CH-1", "pass")), baseline, partial=True)["passed"] is True


def test_a_known_failure_the_run_did_not_judge_is_unconfirmed_not_passed(tmp_path: Path) -> None:
    baseline = load_baseline(
        _known(tmp_path, ("p", "CH-2", "no tools"), ("p", "ST-3", "x"), ("gone", "CH-1", "y"))
    )
    gate = evaluate_gate(_report(("CH-2", "not-applicable")), baseline)
    assert gate["passed"] is True
    assert [(e["provider"], e["clause"], e["now"]) for e in gate["unconfirmed"]] == [
        ("p", "CH-2", "not-applicable"),
        ("p", "ST-3", "not-run"),
        ("gone", "CH-1", "absent"),
    ]


def test_against_a_previous_report_only_what_was_not_failing_counts(tmp_path: Path) -> None:
    old = _report(("CH-1", "pass"), ("CH-2", "fail"), ("CH-3", "fail"))
    baseline = load_baseline(_saved(tmp_path, old))
    new = _report(("CH-1", "fail"), ("CH-2", "fail"), ("CH-3", "pass"), ("CH-4", "fail"))
    gate = evaluate_gate(new, baseline)
    assert gate["kind"] == "report"
    assert [(e["clause"], e["was"], e["now"]) for e in gate["regressions"]] == [
        ("CH-1", "pass", "fail"),
        ("CH-4", "not-run", "fail"),
    ]
    # CH-2 fails in both: declared-but-broken now that the provider declares tools.
    assert [(e["clause"], e["now"]) for e in gate["known_failures"]] == [
        ("CH-2", "declared-but-broken")
    ]
    assert [(e["clause"], e["was"], e["now"]) for e in gate["improvements"]] == [
        ("CH-3", "fail", "pass")
    ]
    assert gate["passed"] is False
    # Only improving, against the same baseline, passes.
    better = _report(("CH-1", "pass"), ("CH-2", "fail"), ("CH-3", "pass"))
    assert evaluate_gate(better, baseline)["passed"] is True


def test_a_check_that_cannot_run_is_a_regression_unless_it_already_could_not(
    tmp_path: Path,
) -> None:
    broken = _report(("CH-1", "pass"), error="TypeError: boom")
    gate = evaluate_gate(broken, load_baseline(_known(tmp_path)))
    assert [(e["clause"], e["check"], e["now"]) for e in gate["regressions"]] == [
        (None, "broken[chat]", "error")
    ]
    assert evaluate_gate(broken, load_baseline(_saved(tmp_path, broken)))["passed"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("known_failures:\n  - {provider: p, clause: CH-1}\n", "invalid at /known_failures/0"),
        ("known_failures:\n  - {provider: p, clause: CH-1, reason: ' '}\n", "/known_failures/0"),
        ("known_failures:\n  - {provider: p, clause: XX-9, reason: r}\n", "unknown clause 'XX-9'"),
        (
            "known_failures:\n  - {provider: p, clause: CH-1, reason: r}\n"
            "  - {provider: p, clause: CH-1, reason: s}\n",
            "p CH-1 is listed twice",
        ),
        ("providers: []\n", "neither a compatibility.json nor a known-failures file"),
        ("known_failures: [\n", "not valid JSON or YAML"),
    ],
)
def test_a_bad_baseline_file_is_one_clear_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_baseline(path)


def test_known_failures_command_starts_a_baseline_the_report_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(("CH-1", "fail"), ("CH-3", "pass"))
    path = _saved(tmp_path, report)
    assert main(["known-failures", str(path)]) == 0
    document = capsys.readouterr().out
    (tmp_path / "known.yaml").write_text(document, encoding="utf-8")
    baseline = load_baseline(tmp_path / "known.yaml")
    assert list(baseline.known) == [("p", "CH-1")]
    assert baseline.known[("p", "CH-1")].startswith("TODO: ")
    assert evaluate_gate(report, baseline)["passed"] is True


def test_diff_exits_1_on_a_regression_and_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _saved(tmp_path, _report(("CH-1", "pass"), ("CH-3", "fail")), "old.json")
    new = _saved(tmp_path, _report(("CH-1", "fail"), ("CH-3", "pass")), "new.json")
    assert main(["diff", str(old), str(new)]) == 1
    output = capsys.readouterr().out
    assert "REGRESSION p CH-1: pass -> fail" in output
    assert "improved   p CH-3: fail -> pass" in output
    assert "1 regression(s), 1 improvement(s)" in output
    better = _saved(tmp_path, _report(("CH-1", "pass"), ("CH-3", "pass")), "better.json")
    assert main(["diff", str(old), str(better)]) == 0
    assert main(["diff", str(old), str(old)]) == 0
    assert "no change in any failing clause" in capsys.readouterr().out


def test_the_gate_is_part_of_the_report_and_its_views(tmp_path: Path) -> None:
    from conformance.report import render_markdown
    from conformance.report.html import render_html

    report = _report(("CH-1", "fail"), ("CH-3", "fail"))
    report["gate"] = evaluate_gate(report, load_baseline(_known(tmp_path, ("p", "CH-1", "why"))))
    validate_report(report)
    markdown = render_markdown(report)
    assert "## Gate ❌ failed" in markdown
    assert "❌ **regression** `p` **CH-3**: not listed → fail — CH-3: CH-3 broke" in markdown
    assert "Gate failed" in render_html(report)


# -- end to end: the command line ------------------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("CI", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _providers(tmp_path: Path, name: str, target: str) -> Path:
    path = tmp_path / name
    path.write_text(
        yaml.safe_dump({"providers": [{"id": "acme", "target": target, "dialect": "openai-chat"}]}),
        encoding="utf-8",
    )
    return path


SCENARIOS = ("--scenario", "text_unicode_long", "--scenario", "text_plain")


def test_a_planted_regression_fails_the_gate_naming_provider_and_clause(tmp_path: Path) -> None:
    """main's report says acme passes CH-1; a change makes it strip the answer's whitespace."""
    good = _providers(tmp_path, "good.yaml", REFERENCE)
    bad = _providers(tmp_path, "bad.yaml", STRIPS)
    before = _cli(
        "run", "--providers-file", str(good), *SCENARIOS, "--report-dir", "main", cwd=tmp_path
    )
    assert before.returncode == 0, before.stdout + before.stderr

    after = _cli(
        "run", "--providers-file", str(bad), *SCENARIOS, "--report-dir", "pr",
        "--baseline", "main/compatibility.json", cwd=tmp_path,
    )  # fmt: skip
    output = after.stdout + after.stderr
    assert after.returncode == 1, output
    assert "gate FAILED against main/compatibility.json (report): 1 regression(s)" in output
    assert "REGRESSION acme CH-1: pass -> fail" in output
    # The run needed PYTHONPATH to import the provider: so does its reproduce command.
    reproduce = next(line for line in output.splitlines() if "reproduce: " in line)
    assert "PYTHONPATH=" in reproduce
    assert "provider-conformance run --providers-file " in reproduce  # as the run built it
    assert "bad.yaml -k '[acme'" in reproduce
    assert "--report-dir reports/reproduce-acme" in reproduce
    report = json.loads((tmp_path / "pr" / "compatibility.json").read_text(encoding="utf-8"))
    assert report["gate"]["regressions"][0]["clause"] == "CH-1"
    assert "**regression** `acme` **CH-1**" in (tmp_path / "pr" / "compatibility.md").read_text(
        encoding="utf-8"
    )

    # Fixed again: the report baseline lists the improvement and passes.
    again = _cli(
        "run", "--providers-file", str(good), *SCENARIOS, "--report-dir", "fixed",
        "--baseline", "pr/compatibility.json", cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "improved   acme CH-1: fail -> pass" in again.stdout


def test_a_known_failure_is_xfail_and_turns_stale_once_it_passes(tmp_path: Path) -> None:
    bad = _providers(tmp_path, "bad.yaml", STRIPS)
    known = _known(tmp_path, ("acme", "CH-1", "strips the answer; fix in #42"))
    run = _cli(
        "run", "--providers-file", str(bad), *SCENARIOS, "--report-dir", "out",
        "--baseline", str(known), cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 xfailed" in run.stdout
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    # Other skips are checks that do not apply; the known failure is the one xfail.
    (skipped,) = [s for s in junit.iter("skipped") if s.get("type") == "pytest.xfail"]
    assert "known failure: CH-1 (strips the answer; fix in #42)" in (skipped.get("message") or "")

    good = _providers(tmp_path, "good.yaml", REFERENCE)
    stale = _cli(
        "run", "--providers-file", str(good), *SCENARIOS, "--report-dir", "out2",
        "--baseline", str(known), cwd=tmp_path,
    )  # fmt: skip
    assert stale.returncode == 1, stale.stdout + stale.stderr
    expected = "improved   acme CH-1: listed as a known failure -> pass; now passes: remove it"
    assert f"{expected} from {known}" in stale.stdout
