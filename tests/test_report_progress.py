"""Progress per provider and clause group: a live line on a terminal, plain lines in CI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.plugin.progress import Tally, provider_of, resolve_mode

REPO = Path(__file__).resolve().parents[1]


def test_the_provider_is_read_from_the_suite_test_ids() -> None:
    base = "conformance/plugin/configured_tests.py::TestProviderConformance"
    assert provider_of(f"{base}::test_scenario[acme:text_plain-chat]") == "acme"
    assert provider_of(f"{base}::test_identity[acme.v2]") == "acme.v2"
    assert provider_of(f"{base}::test_resilience[acme:retry_backoff-chat]") == "acme"
    assert provider_of("tests/test_x.py::test_something") is None


def test_ci_or_a_pipe_gets_lines_a_terminal_gets_the_live_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert resolve_mode("auto", isatty=True, verbose=0) == "live"
    assert resolve_mode("auto", isatty=False, verbose=0) == "lines"
    assert resolve_mode("auto", isatty=True, verbose=1) == "lines"
    assert resolve_mode("off", isatty=True, verbose=0) == "off"
    monkeypatch.setenv("CI", "true")
    assert resolve_mode("auto", isatty=True, verbose=0) == "lines"


def test_a_tally_counts_verdicts_per_clause_group() -> None:
    tally = Tally(expected=2)
    tally.add(
        {
            "verdicts": [
                {"clause": "CH-1", "outcome": "pass"},
                {"clause": "CH-2", "outcome": "fail"},
                {"clause": "ST-1", "outcome": "not-applicable"},
            ]
        }
    )
    assert not tally.finished
    tally.add({"verdicts": [{"clause": "CH-1", "outcome": "pass"}]})
    assert tally.finished
    assert tally.line("acme") == "✗ acme: 2/2 checks  CH 2✓ 1✗  ST 1–  failing: CH-2"


def _run(progress: str, tmp_path: Path) -> str:
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {
                        "id": "reference",
                        "target": "reference_providers.openai_compatible:OpenAICompatibleProvider",
                        "dialect": "openai-chat",
                    },
                    {
                        "id": "strips",
                        "target": "known_bad.providers:StripsContent",
                        "dialect": "openai-chat",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO)]))
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--providers-file", str(providers),
         "--scenario", "text_plain", "--scenario", "text_unicode_long", "--progress", progress,
         "--report-dir", "out", "--no-provider-coverage"],
        cwd=tmp_path, env=env, capture_output=True, timeout=180, check=False,
    )  # fmt: skip
    # Bytes, decoded by hand: text mode would turn the live line's carriage returns into newlines.
    output = result.stdout.decode("utf-8")
    assert result.returncode == 1, output + result.stderr.decode("utf-8")
    return output


def test_lines_mode_prints_a_line_per_finished_provider_and_a_summary(tmp_path: Path) -> None:
    output = _run("lines", tmp_path)
    lines = output.splitlines()
    finished = sorted(line for line in lines if line.startswith("[conformance] "))
    assert len(finished) == 2, output
    assert re.fullmatch(
        r"\[conformance\] ✓ reference: 5/5 checks  ID 1✓  RQ \d+✓ .*SE \d+✓", finished[0]
    )
    assert re.fullmatch(
        r"\[conformance\] ✗ strips: 5/5 checks  ID 1✓ .* CH \d+✓ 1✗ .*  failing: CH-1", finished[1]
    )
    assert "\r" not in output
    assert "provider-conformance progress" in output


def test_live_mode_replaces_the_dots_with_a_status_line(tmp_path: Path) -> None:
    output = _run("live", tmp_path)
    assert "\rconformance " in output
    assert "\r✗ strips: 5/5 checks" in output
    running = output.split("= FAILURES =")[0].replace("bringing up nodes...", "")  # xdist's banner
    assert not re.search(r"[.F]{2,}", running), running  # no pytest dots for the checks


def test_the_live_total_counts_only_checks_that_report(tmp_path: Path) -> None:
    """--scenario leaves no property or resilience check: pytest's empty-parameter placeholder
    tests (`[NOTSET]`) are not checks, so the total is the 10 checks, not 12."""
    output = _run("live", tmp_path)
    totals = set(re.findall(r"\rconformance \d+/(\d+)", output))
    assert totals == {"10"}, output
