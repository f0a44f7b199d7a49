"""Selecting checks by clause (-k, -m), rerunning failures (--lf), pasting printed ids back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.plugin.progress import provider_of
from conformance.report.plan import parse_test_id
from conformance.vocabulary.check_ids import strip_clauses, with_clauses

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"
BAD = "tests.known_bad.providers:StripsContent"
ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _collected(output: str) -> list[str]:
    return [line for line in output.splitlines() if "::TestProviderConformance::" in line]


def test_ids_name_the_clauses_and_reports_still_read_them() -> None:
    base = "::TestProviderConformance::test_scenario["
    nodeid = base + with_clauses("acme:text_plain-chat", ["CH-1", "RQ-1"]) + "]"
    assert nodeid.endswith("[acme:text_plain-chat@CH-1+RQ-1]")
    assert parse_test_id(nodeid) == ("acme", "text_plain", "chat")
    assert parse_test_id("::T::test_identity[acme@ID-1+SE-1]") == ("acme", "identity", "none")
    assert provider_of("::T::test_identity[acme@ID-1+SE-1]") == "acme"
    assert strip_clauses("odd@name") == "odd@name"  # not clauses: part of the name


def test_k_and_m_select_the_checks_that_judge_a_clause(tmp_path: Path) -> None:
    by_k = _pytest("--provider", REFERENCE, "--collect-only", "-q", "-k", "ST-3", cwd=tmp_path)
    by_m = _pytest("--provider", REFERENCE, "--collect-only", "-q", "-m", "ST_3", cwd=tmp_path)
    assert by_k.returncode == 0, by_k.stdout + by_k.stderr
    chosen = _collected(by_k.stdout)
    assert chosen and all("ST-3" in line for line in chosen)
    assert any("tool_call_null_continuations-chat" in line for line in chosen)
    assert any("test_property[" in line for line in chosen)
    assert sorted(_collected(by_m.stdout)) == sorted(chosen)


@pytest.fixture(scope="module")
def printed_ids(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The ids `pytest --provider REFERENCE --collect-only -q` prints, listed once per module:
    the tests that paste one back each need only one id of the same listing."""
    listed = _pytest(
        "--provider", REFERENCE, "--collect-only", "-q", cwd=tmp_path_factory.mktemp("listed")
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return _collected(listed.stdout)


def test_a_printed_id_can_be_pasted_back(tmp_path: Path, printed_ids: list[str]) -> None:
    nodeid = next(i for i in printed_ids if "text_plain-chat" in i)
    assert nodeid.startswith("::TestProviderConformance::test_scenario[")
    again = _pytest("--provider", REFERENCE, "-q", nodeid, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 passed" in again.stdout


def test_cli_k_lf_and_pytest_options_passed_on(tmp_path: Path) -> None:
    common = ["run", "--provider", BAD, "-n", "0", "--no-provider-coverage", "--no-properties"]
    first = _cli(
        *common, "-k", "text_unicode_long or text_plain", "--show-capture=no", cwd=tmp_path
    )
    assert first.returncode == 1, first.stdout + first.stderr
    ran = re.search(r"(\d+) failed, (\d+) passed", first.stdout)
    assert ran is not None, first.stdout
    assert "deselected" in first.stdout
    assert not (tmp_path / ".pytest_cache").exists()  # the record of failures: under reports/
    assert (tmp_path / "reports" / ".pytest-cache").is_dir()
    junit = (tmp_path / "reports" / "junit.xml").read_text()
    assert 'classname="TestProviderConformance"' in junit
    assert 'classname=".' not in junit

    rerun = _cli(*common, "--lf", "-x", cwd=tmp_path)
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr
    assert "1 failed" in rerun.stdout  # -x: stops at the first of the failures it reruns
    assert " passed" not in rerun.stdout.splitlines()[-1]


def test_cli_accepts_a_pasted_test_id(tmp_path: Path, printed_ids: list[str]) -> None:
    nodeid = next(i for i in printed_ids if "error_401-chat" in i)
    result = _cli("run", "--provider", REFERENCE, "-n", "0", nodeid, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_other_commands_still_reject_unknown_options(tmp_path: Path) -> None:
    result = _cli("list", "clauses", "--bogus", cwd=tmp_path)
    assert result.returncode == 2
    assert "--bogus" in result.stderr


def test_a_reader_that_stops_early_gets_no_broken_pipe_traceback(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line: `| head -0`
    try:
        result = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "show", "scenario", "text_plain"],
            cwd=tmp_path,
            env=_env(),
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_run_help_documents_every_option() -> None:
    from conformance.cli import _parser

    parser = _parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    run = commands.choices["run"]  # type: ignore[index]
    undocumented = [
        action.option_strings[0]
        for action in run._actions
        if action.option_strings and not action.help
    ]
    assert undocumented == []
