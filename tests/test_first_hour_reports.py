"""Reports a new user reads: counts that agree, reproduce commands that work where they are run."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance.capabilities.run import ConfigurationChecks
from conformance.report import build_report
from conformance.report.html import render_html
from conformance.report.writers import providers_from_outcomes, verdict_lines
from conformance.vocabulary.spec import ProviderSpec

ROOT = Path(__file__).resolve().parents[1]


def _outcome(scenario: str, clause: str) -> dict[str, Any]:
    return {
        "provider": "acme",
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [
            {"clause": clause, "outcome": "fail", "message": "wrong"},
            {"clause": "CH-1", "outcome": "pass", "message": ""},
        ],
        "transcript": "",
        "error": None,
        "not_applicable": None,
        "facts": {
            "target": "pkg.llm:Acme",
            "reproduce": ["--provider", "pkg.llm:Acme"],
            "reproduce_env": ["PYTHONPATH=src"],
        },
    }


def _report() -> dict[str, Any]:
    """As the plugin builds it: provider rows from the facts the checks recorded."""
    outcomes = [_outcome("tool_call_single", "CH-2"), _outcome("tool_call_multi", "RQ-4")]
    for outcome in outcomes:
        outcome["facts"].update(dialect="openai-chat", profile="native", declared=["tools"])
    return build_report(providers_from_outcomes(outcomes), outcomes)


def test_the_html_header_counts_failing_clauses_as_the_cards_do() -> None:
    report = _report()
    counts = report["providers"][0]["clause_counts"]
    assert counts["fail"] == 0 and counts["declared-but-broken"] == 2
    page = render_html(report)
    header = page[page.index("<header>") : page.index("</header>")]
    assert re.search(r"2 failing clauses", header), header
    assert "1 failing" not in header


def test_reproduce_commands_carry_the_environment_and_a_report_dir_of_their_own() -> None:
    (failure, _) = _report()["providers"][0]["failures"]
    command = failure["reproduce"]
    assert command.startswith("PYTHONPATH=src provider-conformance run --provider pkg.llm:Acme")
    assert "--report-dir reports/reproduce-acme" in command  # never over the run's reports


def test_declared_but_broken_is_explained_in_the_verdict_lines() -> None:
    lines = verdict_lines(_report())
    assert any(line.startswith("declared-but-broken: the provider declares") for line in lines)


PROVIDERS_FILE = """
providers:
  - id: strips
    target: known_bad.providers:StripsContent
    dialect: openai-chat
  - id: good
    factory: reference_providers.openai_compatible:OpenAICompatibleProvider
    dialect: openai-chat
"""


def test_a_listed_provider_reproduces_from_its_file_and_only_it() -> None:
    listed = ConfigurationChecks(providers_file="p.yaml", listed=frozenset({"strips", "good"}))
    spec = ProviderSpec("known_bad.providers:StripsContent", "openai-chat", label="strips")
    assert listed.reproduce(spec) == ["--providers-file", "p.yaml", "-k", "[strips"]
    clash = ConfigurationChecks(providers_file="p.yaml", listed=frozenset({"strips", "strips2"}))
    assert clash.reproduce(spec)[:2] == ["--provider", "known_bad.providers:StripsContent"]
    odd = ProviderSpec("pkg:P", "openai-chat", label="a b")  # no -k word can name it
    assert ConfigurationChecks(providers_file="p.yaml", listed=frozenset({"a b"})).reproduce(odd)[
        :2
    ] == ["--provider", "pkg:P"]


def test_a_reproduce_command_runs_where_the_run_ran_and_keeps_the_run_reports(
    tmp_path: Path,
) -> None:
    (tmp_path / "providers.yaml").write_text(PROVIDERS_FILE, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    common = ["-n", "0", "--no-provider-coverage"]
    run = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--providers-file", "providers.yaml",
         "--scenario", "text_unicode_long", "--report-dir", "reports", *common],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    first = (tmp_path / "reports" / "compatibility.json").read_text(encoding="utf-8")
    (failure,) = json.loads(first)["providers"][1]["failures"]
    command = failure["reproduce"]
    assert command.startswith(f"PYTHONPATH={env['PYTHONPATH']} provider-conformance run ")
    assert "--providers-file providers.yaml -k '[strips'" in command
    assert "--report-dir reports/reproduce-strips" in command
    words = shlex.split(command)
    assert words[1] == "provider-conformance"
    again = subprocess.run(
        [sys.executable, "-m", "conformance.cli", *words[2:], *common],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert again.returncode == 1, again.stdout + again.stderr
    rerun = json.loads(
        (tmp_path / "reports" / "reproduce-strips" / "compatibility.json").read_text("utf-8")
    )
    assert [p["id"] for p in rerun["providers"]] == ["strips"]
    assert rerun["providers"][0]["clauses"]["CH-1"] == "fail"
    assert (tmp_path / "reports" / "compatibility.json").read_text(encoding="utf-8") == first
