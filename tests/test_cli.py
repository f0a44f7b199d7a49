"""The command line as a user runs it: exit codes, one-line errors, serve, list and show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conformance.cli import main

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"

BAD_PROVIDER = '''
from reference_providers.openai_compatible import OpenAICompatibleProvider


class StrippingProvider(OpenAICompatibleProvider):
    """Strips the answer's whitespace: CH-1 must catch it."""

    def _parse_completion(self, data):
        response = super()._parse_completion(data)
        return type(response)(**{**response.__dict__, "content": response.content.strip()})
'''


def _cli(*args: str, cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_on_the_reference_provider_exits_0_and_writes_every_report(tmp_path: Path) -> None:
    result = _cli(
        "run",
        "--provider",
        REFERENCE,
        "--scenario",
        "text_plain",
        "--scenario",
        "error_401",
        "--report-dir",
        "out",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = tmp_path / "out"
    for name in (
        "compatibility.json",
        "compatibility.md",
        "junit.xml",
        "coverage/coverage.xml",
        "coverage/html/index.html",
    ):
        assert (out / name).exists(), name
    report = json.loads((out / "compatibility.json").read_text())
    provider = report["providers"][0]
    assert provider["conforms"] is True
    assert provider["clauses"]["CH-1"] == "pass"
    assert provider["clauses"]["ER-1"] == "pass"
    assert "ST-4" in provider["not_checked"]


def test_run_exits_1_and_names_the_clause_when_a_provider_fails(tmp_path: Path) -> None:
    (tmp_path / "badpkg.py").write_text(BAD_PROVIDER, encoding="utf-8")
    result = _cli(
        "run",
        "--provider",
        "badpkg:StrippingProvider",
        "--scenario",
        "text_unicode_long",
        "--report-dir",
        "out",
        cwd=tmp_path,
        extra_path=tmp_path,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CH-1" in result.stdout
    assert "Wire transcript" in result.stdout
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text())
    assert report["providers"][0]["clauses"]["CH-1"] == "fail"
    coverage_xml = (tmp_path / "out" / "coverage" / "coverage.xml").read_text()
    assert "badpkg.py" in coverage_xml


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--provider", "no_such_module:Provider"], "module 'no_such_module' does not import"),
        (["--provider", "json:loads"], "cannot be built with api_key, base_url, timeout"),
        (["--provider", "json"], "expected 'package.module:ClassName'"),
        (["--provider", REFERENCE, "--dialect", "klingon"], "unknown dialect"),
        (["--provider", REFERENCE, "--scenario", "no_such"], "unknown scenario"),
        (["--providers-file", "missing.yaml"], "cannot read it"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = _cli("run", *args, "--report-dir", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert expected in output
    assert "Traceback" not in output


def test_a_broken_scenario_file_names_file_and_pointer(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "mine.yaml").write_text("name: mine\ntitle: t\nturns: []\n", encoding="utf-8")
    result = _cli("run", "--provider", REFERENCE, "--scenarios-dir", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "mine.yaml: invalid scenario at /turns" in result.stdout + result.stderr


def test_list_prints_one_name_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "clauses"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[0] == "ID-1" and "SE-1" in lines
    assert main(["list", "dialects"]) == 0
    assert "openai-chat" in capsys.readouterr().out.split()
    assert main(["list", "profiles"]) == 0
    assert "native" in capsys.readouterr().out.split()
    assert main(["list", "scenarios"]) == 0
    assert "tool_calls_parallel" in capsys.readouterr().out.split()


def test_show_scenario_json_has_the_expected_canonical_result(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "scenario", "tool_calls_parallel", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    calls = data["expected"]["tool_calls"]
    assert [c["id"] for c in calls] == ["call_p1", "call_p2", "call_p3"]
    assert calls[2]["arguments"] == {"city": "東京"}
    assert data["expected"]["stop_reason"] == "tool_calls"
    assert main(["show", "scenario", "error_503", "--json"]) == 0
    error = json.loads(capsys.readouterr().out)["expected"]["error"]
    assert error == {
        "status": 503,
        "category": "server",
        "retryable": True,
        "retry_after": None,
        "message": "The engine is currently overloaded, please try again later.",
        "in_stream": False,
    }


def test_show_unknown_scenario_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "scenario", "nope"]) == 2
    assert "unknown scenario" in capsys.readouterr().err


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=10)
    assert process.returncode == 0


def _ask_openai(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": "Bearer sk-conformance-serve"},
        timeout=10,
    )
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def test_serve_prints_its_base_url_first_and_answers_any_client() -> None:
    process = _serve("--scenario", "text_plain", "--dialect", "openai-chat")
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert _ask_openai(base_url) == "Hello, conformance suite!"
    finally:
        _stop(process)


def test_serve_without_a_dialect_speaks_every_dialect_at_once() -> None:
    process = _serve("--scenario", "text_plain")
    try:
        assert process.stdout is not None
        root = process.stdout.readline().strip()
        assert _ask_openai(f"{root}/v1") == "Hello, conformance suite!"
        anthropic = httpx.post(
            f"{root}/v1/messages",
            json={"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
            headers={"x-api-key": "sk-conformance-serve", "anthropic-version": "2023-06-01"},
            timeout=10,
        ).json()
        assert anthropic["content"][0]["text"] == "Hello, conformance suite!"
        ollama = httpx.post(
            f"{root}/api/chat",
            json={"model": "m", "stream": False, "messages": [{"role": "user", "content": "hi"}]},
            timeout=10,
        ).json()
        assert ollama["message"]["content"] == "Hello, conformance suite!"
    finally:
        _stop(process)
