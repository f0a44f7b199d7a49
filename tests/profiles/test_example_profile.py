"""The documented way to add a profile works: docs/examples/profile_ask.py, through `module:Class`.

docs/profiles.md promises that a profile written outside the harness (a Profile subclass, no
registry line) drives its interface through every bundled scenario, that its provider passes, and
that what its interface cannot express (ER-2 here) is reported not applicable with its reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    get_dialect,
    run_case,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SPEC = ProviderSpec("profile_ask_client:AskClient", "openai-chat", "profile_ask:AskProfile")
SCENARIOS = bundled_scenarios()
#: Every scenario openai-chat's wire can carry (OpenAI Responses' stream variants it cannot).
CASES = [
    (name, mode)
    for name, s in sorted(SCENARIOS.items())
    for mode in s.modes
    if get_dialect(SPEC.dialect).cannot_express(s, mode) is None
]


@pytest.fixture(autouse=True)
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """What PYTHONPATH=docs/examples does for the command line."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize(("scenario", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_the_example_profile_drives_every_scenario(
    server: FakeServer, scenario: str, mode: str
) -> None:
    outcome = run_case(server, ProviderUnderTest.load(SPEC), Case(SCENARIOS[scenario], mode))  # type: ignore[arg-type]
    assert outcome.error is None and not outcome.failures, outcome.failure_text()
    assert outcome.not_applicable is None
    for verdict in outcome.verdicts:
        if verdict.clause == "ER-2":
            assert verdict.outcome == "not-applicable"
            assert verdict.message == "the ask interface's AskError carries no retry time"


def test_the_example_profile_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES), str(ROOT)])}
    command = [sys.executable, "-m", "conformance.cli", "run", "--provider", SPEC.target]
    command += ["--profile", SPEC.profile, "--scenario", "error_429", "--scenario", "text_plain"]
    command += ["--report-dir", str(tmp_path / "report"), "--no-provider-coverage"]
    command += ["--progress", "off"]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "report" / "compatibility.json").read_text(encoding="utf-8"))
    (row,) = report["providers"]
    assert row["profile"] == "ask" and row["conforms"]
    assert row["clauses"]["ER-2"] == "not-applicable"
    assert row["clause_details"]["ER-2"]["reasons"] == [
        "the ask interface's AskError carries no retry time"
    ]
