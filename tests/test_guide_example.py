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

STRIPPING = """
from native_minimal import MinimalProvider


class Stripping(MinimalProvider):
    async def chat(self, messages, **options):
        answer = await super().chat(messages, **options)
        return type(answer)(**{**answer.__dict__, "content": answer.content.strip()})
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(EXAMPLES), str(ROOT)])
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
