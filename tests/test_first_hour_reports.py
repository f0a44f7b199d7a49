"""Reports a new user reads: counts that agree, reproduce commands that work where they are run."""

from __future__ import annotations

import re
from typing import Any

from conformance.report import build_report
from conformance.report.html import render_html
from conformance.report.writers import providers_from_outcomes, verdict_lines


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
    assert "--report-dir reports-rerun" in command  # never over the run's ./reports


def test_declared_but_broken_is_explained_in_the_verdict_lines() -> None:
    lines = verdict_lines(_report())
    assert any(line.startswith("declared-but-broken: the provider declares") for line in lines)
