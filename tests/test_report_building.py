"""A provider that cannot be built is said to be so: never 71 clause failures, never a pass.

With one provider the run stops with a usage error (exit 2, one line: the constructor's error and
what to do); in a run of many, that provider's entry says it could not be built, carries no clause
verdicts and does not conform, and the others are judged as usual. Every target is built once per
process before any check (`ProviderUnderTest.warm`), so a slow first import costs no check its
clock.
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

from conformance.checks.runner import BuildError, ProviderUnderTest
from conformance.vocabulary.spec import ProviderSpec

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"

NEEDY = '''
from reference_providers.openai_compatible import OpenAICompatibleProvider


class NeedsEndpoint(OpenAICompatibleProvider):
    """Like a client that needs an endpoint besides the base URL (AzureOpenAIProvider)."""

    def __init__(self, *args, endpoint=None, **kwargs):
        if endpoint is None:
            raise ValueError("endpoint is required")
        super().__init__(*args, **kwargs)
'''

PROVIDERS = f"""
providers:
  - id: good
    target: {REFERENCE}
    dialect: openai-chat
  - id: needy
    target: needy:NeedsEndpoint
    dialect: openai-chat
"""


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "needy.py").write_text(NEEDY, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])},
        capture_output=True,
        text=True,
        timeout=180,
    )


_FEW = ["--scenario", "text_plain", "--no-properties", "--no-provider-coverage", "-n", "1"]


def test_one_provider_that_cannot_be_built_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "--provider", "needy:NeedsEndpoint", *_FEW, "--report-dir", "out")
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "ValueError: endpoint is required" in lines[0]
    assert "--profile-option KEY=VALUE" in lines[0]
    assert "factory" in lines[0]
    assert "build_provider" not in lines[0]
    assert "RQ-1" not in result.stdout


def test_in_a_run_of_many_it_is_reported_as_not_built_and_the_others_are_judged(
    tmp_path: Path,
) -> None:
    (tmp_path / "providers.yaml").write_text(PROVIDERS, encoding="utf-8")
    result = _cli(tmp_path, "--providers-file", "providers.yaml", *_FEW, "--report-dir", "out")
    assert result.returncode == 3, result.stdout + result.stderr
    out = tmp_path / "out"
    report = json.loads((out / "compatibility.json").read_text(encoding="utf-8"))
    providers: dict[str, Any] = {p["id"]: p for p in report["providers"]}
    needy, good = providers["needy"], providers["good"]
    assert "endpoint is required" in needy["build_error"]
    assert needy["clauses"] == {} and needy["checks"] == 0 and needy["planned"] == 0
    assert needy["conforms"] is False
    assert good["conforms"] is True and good["build_error"] is None
    assert "needy" not in report["run"]["fingerprint"]
    assert "could not be built" in (out / "compatibility.md").read_text(encoding="utf-8")
    assert "could not be built" in (out / "compatibility.html").read_text(encoding="utf-8")
    junit = ET.parse(out / "junit.xml").getroot()
    names = {case.get("name") for case in junit.iter("testcase")}
    assert "build[needy]" in names
    assert "needy (openai-chat, native): COULD NOT BE BUILT" in result.stdout


class _Recording:
    def __init__(self) -> None:
        self.events: list[str] = []


def test_warm_builds_and_closes_once_before_any_check() -> None:
    built = _Recording()

    class Target:
        def __init__(self, **kwargs: Any) -> None:
            built.events.append("build")

        async def aclose(self) -> None:
            built.events.append("close")

        async def close(self) -> None:
            built.events.append("close")

    spec = ProviderSpec(target="x:Target", dialect="openai-chat", factory=Target)
    put = ProviderUnderTest.load(spec)
    put.warm("http://127.0.0.1:9/v1")
    assert built.events[0] == "build"
    assert "close" in built.events


def test_warm_names_the_constructor_error_and_what_to_do() -> None:
    def factory(**kwargs: Any) -> Any:
        raise TypeError("__init__() missing 1 required keyword-only argument: 'endpoint'")

    spec = ProviderSpec(target="x:factory", dialect="openai-chat", factory=factory)
    put = ProviderUnderTest.load(spec)
    with pytest.raises(BuildError, match=r"cannot be built \(TypeError: .*'endpoint'\).*--profile"):
        put.warm("http://127.0.0.1:9/v1")


SUITE = """
from pathlib import Path

from conformance import ProviderConformanceSuite


def failing_factory(**kwargs):
    with Path("builds.txt").open("a") as log:
        log.write("build\\n")
    raise ValueError("endpoint is required")


class TestUnbuildable(ProviderConformanceSuite):
    provider_class = failing_factory
    scenarios = ["text_plain"]
    properties = []
"""


_PYTEST_OPTIONS = [
    "-p",
    "no:cacheprovider",
    "-q",
    "-p",
    "no:randomly",
    "-k",
    "identity or scenario",
]


def test_a_suite_class_whose_provider_cannot_be_built_tries_once_per_process(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_unbuildable.py").write_text(SUITE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_unbuildable.py", *_PYTEST_OPTIONS],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "3 failed" in result.stdout
    assert "endpoint is required" in result.stdout
    assert (tmp_path / "builds.txt").read_text(encoding="utf-8").count("build") == 1
