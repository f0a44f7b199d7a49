"""docs/architecture.md's "where to add what", done once from outside the package.

A dialect, a profile and a clause are added from files of a user's own (written here into a
temporary folder, never into `conformance/`) and run through the suite with plain pytest: the
recipes must work without touching the harness, and the new clause must catch a bad provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.vocabulary.clauses import CLAUSES, Clause, register_clause

ROOT = Path(__file__).resolve().parents[1]

TINY_DIALECT = '''
from typing import ClassVar

from conformance.dialects.openai_chat import OpenAIChatDialect


class TinyDialect(OpenAIChatDialect):
    """The recipe's dialect: a name of its own over a wire the harness knows."""

    name: ClassVar[str] = "tiny-chat"
    title: ClassVar[str] = "Tiny chat (a test's own dialect)"
'''

TINY_PROFILE = '''
from typing import Any, ClassVar

from conformance.profiles import NativeProfile


class TinyProfile(NativeProfile):
    """The recipe's profile: the native contract, under a name of its own."""

    name: ClassVar[str] = "tiny"

    def provider_name(self, provider: Any) -> object:
        return "tiny:" + str(super().provider_name(provider))
'''

CONFTEST = """
from conformance.vocabulary.clauses import Clause, register_clause

register_clause(Clause("XT-1", "XT", "the provider class says why it exists"), "house rules")
"""

TESTS = """
from conformance import ProviderConformanceSuite
from conformance.checks.lifecycle import PlannedCheck
from conformance.checks.outcome import CaseOutcome
from conformance.judge.verdict import failed, passed
from reference_providers.openai_compatible import OpenAICompatibleProvider


def judge_docstring(spec):
    if (spec.factory.__doc__ or "").strip():
        return passed("XT-1")
    return failed("XT-1", "the class has no docstring; say why it exists")


class _HouseRules(ProviderConformanceSuite):
    dialect = "tiny_dialect:TinyDialect"
    profile = "tiny_profile:TinyProfile"
    scenarios = ["text_plain"]
    properties = []

    def test_house_rule(self, conformance_spec, conformance):
        spec = conformance_spec
        conformance.run(
            PlannedCheck(
                spec,
                "house_rule",
                "none",
                ("XT-1",),
                lambda: CaseOutcome(
                    spec.id, "house_rule", "none", verdicts=[judge_docstring(spec)]
                ),
            )
        )


class Undocumented(OpenAICompatibleProvider):
    pass


class TestDocumented(_HouseRules):
    provider_class = OpenAICompatibleProvider
    provider_label = "documented"


class TestUndocumented(_HouseRules):
    provider_class = Undocumented
    provider_label = "undocumented"
"""


def test_a_dialect_profile_and_clause_of_ones_own_run_through_the_suite(tmp_path: Path) -> None:
    for name, text in {
        "tiny_dialect.py": TINY_DIALECT,
        "tiny_profile.py": TINY_PROFILE,
        "conftest.py": CONFTEST,
        "test_house.py": TESTS,
    }.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    outer = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_house.py",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "--report-dir",
            "out",
            "--no-provider-coverage",
        ],
        cwd=tmp_path,
        env={**outer, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # the bad provider fails XT-1
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    providers = {p["id"]: p for p in report["providers"]}
    good, bad = providers["documented"], providers["undocumented"]
    assert good["dialect"] == "tiny-chat"  # the dialect's own name, as the report shows it
    assert good["profile"] == "tiny"
    assert good["clauses"]["XT-1"] == "pass", good["clauses"]
    assert bad["clauses"]["XT-1"] == "fail", bad["clauses"]
    for provider in (good, bad):  # the scenario ran through the tiny dialect and profile
        assert provider["clauses"]["CH-1"] == "pass", provider["clauses"]
    assert "XT-1" in result.stdout


def test_a_clause_of_ones_own_cannot_take_a_contract_id_or_an_unnamed_group() -> None:
    with pytest.raises(ValueError, match="ST-3 exists already"):
        register_clause(Clause("ST-3", "ST", "something else"))
    with pytest.raises(ValueError, match="group 'ZZ' is new; give its group_title"):
        register_clause(Clause("ZZ-1", "ZZ", "a rule"))
    assert "ZZ-1" not in CLAUSES
