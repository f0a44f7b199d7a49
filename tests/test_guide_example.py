"""The guide's complete minimal provider (docs/examples/native_minimal.py) conforms, as promised.

docs/guide-native.md tells a new user to start from it; if it stopped conforming, the first hour
would begin with a failure the user did not cause.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
STANDINS = ROOT / "tests" / "standins"

STRIPPING = """
from native_minimal import MinimalProvider


class Stripping(MinimalProvider):
    async def chat(self, messages, **options):
        answer = await super().chat(messages, **options)
        return type(answer)(**{**answer.__dict__, "content": answer.content.strip()})
"""


def _run(*args: str, cwd: Path, standins: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    # victor's and orchestrator's examples import the real packages' modules: the stand-ins.
    extra = [str(STANDINS)] if standins else []
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(EXAMPLES), *extra, str(ROOT)])
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "-n",
            "0",
            "--no-provider-coverage",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_minimal_native_provider_of_the_guide_conforms(tmp_path: Path) -> None:
    result = _run("--provider", "native_minimal:MinimalProvider", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    report = json.loads((tmp_path / "reports" / "compatibility.json").read_text())
    (provider,) = report["providers"]
    assert provider["conforms"] is True
    assert not [c for c, v in provider["clauses"].items() if v not in ("pass", "not-applicable")]


def test_the_same_check_catches_a_change_that_breaks_it(tmp_path: Path) -> None:
    (tmp_path / "stripping.py").write_text(STRIPPING, encoding="utf-8")
    result = _run(
        "--provider", "stripping:Stripping", "--scenario", "text_unicode_long", cwd=tmp_path
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ CH-1 Stripping" in result.stdout


EXECUTE = ("--profile", "execute", "--profile-option", "errors_module=execute_minimal")
EXECUTE_STRIPPING = """
from execute_minimal import MinimalExecuteProvider


class Stripping(MinimalExecuteProvider):
    def execute(self, *args, **kwargs):
        return super().execute(*args, **kwargs).strip()
"""


def test_the_minimal_execute_provider_of_its_guide_conforms(tmp_path: Path) -> None:
    result = _run("--provider", "execute_minimal:MinimalExecuteProvider", *EXECUTE, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    report = json.loads((tmp_path / "reports" / "compatibility.json").read_text())
    (provider,) = report["providers"]
    assert provider["conforms"] is True and provider["profile"] == "execute"
    assert provider["clauses"]["ER-1"] == "pass" and provider["clauses"]["ST-1"] == "pass"


def test_the_execute_check_catches_a_change_that_breaks_it(tmp_path: Path) -> None:
    (tmp_path / "stripping.py").write_text(EXECUTE_STRIPPING, encoding="utf-8")
    result = _run(
        "--provider", "stripping:Stripping", *EXECUTE, "--scenario", "text_unicode_long",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ CH-1 Stripping" in result.stdout
    assert "docs/guide-execute.md#fix-ch-1" in result.stdout


VICTOR_DROPS_IDS = """
from victor_minimal import MinimalVictorProvider


class DropsIds(MinimalVictorProvider):
    async def stream(self, messages, **options):
        async for chunk in super().stream(messages, **options):
            if chunk.tool_calls:
                calls = [{**call, "id": ""} for call in chunk.tool_calls]
                chunk = chunk.model_copy(update={"tool_calls": calls})
            yield chunk
"""


def _conforming(tmp_path: Path, profile: str) -> dict[str, object]:
    report = json.loads((tmp_path / "reports" / "compatibility.json").read_text())
    (provider,) = report["providers"]
    assert provider["conforms"] is True and provider["profile"] == profile
    failing = [c for c, v in provider["clauses"].items() if v not in ("pass", "not-applicable")]
    assert not failing
    return dict(provider["clauses"])


def test_the_minimal_victor_provider_of_its_guide_conforms(tmp_path: Path) -> None:
    result = _run(
        "--provider", "victor_minimal:MinimalVictorProvider", "--profile", "victor",
        cwd=tmp_path, standins=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    clauses = _conforming(tmp_path, "victor")
    # Tools and streaming are declared: their clauses were judged, not skipped.
    assert clauses["ST-3"] == clauses["CH-2"] == clauses["RE-2"] == "pass"


def test_the_victor_check_catches_a_dropped_tool_call_id(tmp_path: Path) -> None:
    (tmp_path / "drops_ids.py").write_text(VICTOR_DROPS_IDS, encoding="utf-8")
    result = _run(
        "--provider", "drops_ids:DropsIds", "--profile", "victor",
        "--scenario", "tool_calls_parallel", cwd=tmp_path, standins=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ ST-3 (declared-but-broken) DropsIds" in result.stdout
    assert "docs/guide-victor.md#fix-st-3" in result.stdout


ORCHESTRATOR = ("--profile", "orchestrator")
ORCHESTRATOR_CATCH_ALL = """
import orchestrator_minimal


class CatchAll(orchestrator_minimal.MinimalOrchestratorProvider):
    def _raise_for_status(self, response):
        try:
            super()._raise_for_status(response)
        except orchestrator_minimal.RateLimitError as exc:
            raise orchestrator_minimal.ProviderError(str(exc)) from exc.__cause__
"""


def test_the_minimal_orchestrator_provider_of_its_guide_conforms(tmp_path: Path) -> None:
    result = _run(
        "--provider", "orchestrator_minimal:MinimalOrchestratorProvider", *ORCHESTRATOR,
        cwd=tmp_path, standins=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    clauses = _conforming(tmp_path, "orchestrator")
    assert clauses["ST-1"] == clauses["RE-1"] == clauses["RE-4"] == "pass"
    assert clauses["ST-3"] == "not-applicable"  # the interface has no tools


def test_the_orchestrator_check_catches_a_429_raised_as_the_catch_all(tmp_path: Path) -> None:
    (tmp_path / "catch_all.py").write_text(ORCHESTRATOR_CATCH_ALL, encoding="utf-8")
    result = _run(
        "--provider", "catch_all:CatchAll", *ORCHESTRATOR, "--scenario", "error_429",
        cwd=tmp_path, standins=True,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "✗ ER-1 CatchAll" in result.stdout
    assert "docs/guide-orchestrator.md#fix-er-1" in result.stdout
