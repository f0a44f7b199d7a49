"""Reading a failure: failing clauses first, quiet libraries, the provider's own traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from conformance.report.failure_summary import (
    DECLARED_BUT_BROKEN,
    NO_REPORT,
    failure_lines,
    order_failed_reports,
    transcript_link,
)
from conformance.vocabulary.transcript_excerpt import transcript_anchor

ROOT = Path(__file__).resolve().parents[1]
STRIPS = "tests.known_bad.providers:StripsContent"
LOSES_IDS = "tests.known_bad.providers:LosesToolCallIdOnNull"

PROVIDERS = """
from reference_providers.openai_compatible import OpenAICompatibleProvider


class RawKeyError(OpenAICompatibleProvider):
    def _parse_completion(self, data):
        return dig_for_the_answer(data)


def dig_for_the_answer(data):
    return data["no_such_field"]


class SyncClose(OpenAICompatibleProvider):
    def close(self):
        return None


class NameRaises(OpenAICompatibleProvider):
    @property
    def name(self):
        return look_up_the_name()


def look_up_the_name():
    raise RuntimeError("no name configured")
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(ROOT), env.get("PYTHONPATH", "")])
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
        timeout=120,
    )


def test_failing_clauses_come_first_one_line_each_with_a_fix(tmp_path: Path) -> None:
    result = _cli("--provider", STRIPS, "--scenario", "text_unicode_long", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert out.index("failing clauses (details below)") < out.index("= FAILURES =")
    line = next(x for x in out.splitlines() if x.startswith("✗ CH-1 "))
    assert "StripsContent · text_unicode_long[chat]" in line
    assert "expected 245 characters, got 241" in line
    fix = out.splitlines()[out.splitlines().index(line) + 1]
    assert fix.strip().startswith("fix: return the server's text unchanged")
    assert "docs/guide-native.md#fix-ch-1" in fix
    details = out[out.index("= FAILURES =") :]
    assert "  fix CH-1: return the server's text unchanged" in details  # in the check's message


def test_library_debug_logs_are_left_out_unless_asked(tmp_path: Path) -> None:
    args = ("--provider", STRIPS, "--scenario", "text_unicode_long")
    quiet = _cli(*args, cwd=tmp_path)
    assert "httpcore" not in quiet.stdout and "httpx:" not in quiet.stdout
    assert "reference_providers.openai_compatible" in quiet.stdout  # the provider's own stays
    loud = _cli(*args, "--log-level", "DEBUG", cwd=tmp_path)
    assert "httpcore" in loud.stdout


def test_the_providers_own_traceback_is_shown_without_harness_frames(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    result = _cli("--provider", "mine:RawKeyError", "--scenario", "text_plain", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    block = out[out.index("The provider raised (harness frames hidden):") :]
    block = block[: block.index("Wire transcript:")]
    assert "in dig_for_the_answer" in block
    assert 'return data["no_such_field"]' in block
    assert "KeyError: 'no_such_field'" in block
    assert "/conformance/" not in block
    assert "asyncio" not in block


def test_a_synchronous_close_says_what_to_change(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    result = _cli("--provider", "mine:SyncClose", "--scenario", "text_plain", cwd=tmp_path)
    assert result.returncode == 2
    assert "close() is not a coroutine: the native profile awaits close(); make it async" in (
        result.stderr
    )
    assert "NoneType" not in result.stderr
    assert "give a factory" not in result.stderr  # it was built: the factory hint misleads


def test_declared_but_broken_is_explained_where_it_is_shown() -> None:
    outcome = {
        "provider": "p",
        "scenario": "tool_call_single",
        "mode": "chat",
        "verdicts": [{"clause": "CH-2", "outcome": "fail", "message": "2 calls, expected 1"}],
        "error": None,
        "incomplete": None,
    }
    report = {"providers": [{"id": "p", "clauses": {"CH-2": "declared-but-broken"}}]}
    lines = failure_lines([outcome, {**outcome, "scenario": "property-answers"}], report)
    assert lines[0].startswith("✗ CH-2 (declared-but-broken) p · tool_call_single[chat] (+1 more)")
    assert lines[-1] == DECLARED_BUT_BROKEN


def test_a_property_failure_shows_the_providers_traceback_too(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    result = _cli(
        "--provider", "mine:RawKeyError", "-k", "property-answers-chat",
        "--property-profile", "dev", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The provider raised (harness frames hidden):" in result.stdout
    assert "in dig_for_the_answer" in result.stdout


def test_an_exception_outside_a_turn_shows_the_providers_traceback(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(PROVIDERS, encoding="utf-8")
    result = _cli("--provider", "mine:NameRaises", "-k", "test_identity", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    block = result.stdout[result.stdout.index("The provider raised (harness frames hidden):") :]
    assert "in look_up_the_name" in block
    assert "RuntimeError: no name configured" in block


def _failing(
    scenario: str, *clauses: str, provider: str = "p", message: str = "x"
) -> dict[str, Any]:
    return {
        "provider": provider,
        "scenario": scenario,
        "mode": "stream",
        "verdicts": [{"clause": c, "outcome": "fail", "message": message} for c in clauses],
        "error": None,
        "incomplete": None,
    }


def test_the_most_telling_failure_comes_first_not_the_first_that_ran() -> None:
    ran = [
        _failing("property-answers", "CH-1"),  # ran first; a generated example
        _failing("text_plain", "ST-1", "ST-2", "ST-5", message="many"),
        _failing("tool_call_single", "ST-3", message="call 0: id 'a', expected 'b'"),
        _failing("text_unicode_long", "CH-1", message="texts differ"),
    ]
    lines = [line for line in failure_lines(ran) if line.startswith("✗")]
    assert [line.split()[1] for line in lines] == ["CH-1", "ST-1", "ST-2", "ST-3", "ST-5"]
    assert "text_unicode_long[stream] (+1 more)" in lines[0]  # the scenario, not the property
    properties_only = [_failing("property-errors", "ER-1"), _failing("errors_429", "ER-2")]
    lines = [line for line in failure_lines(properties_only) if line.startswith("✗")]
    assert [line.split()[1] for line in lines] == ["ER-2", "ER-1"]


def test_the_details_follow_the_summary_order() -> None:
    outcomes = [
        _failing("property-answers", "CH-1"),
        _failing("text_plain", "ST-1", "ST-2"),
        _failing("tool_call_single", "ST-3"),
        _failing("text_unicode_long", "CH-1"),
        _failing("text_plain", "RQ-3", provider="q"),
    ]
    reports = [SimpleNamespace(conformance=o) for o in outcomes]
    reports.insert(1, SimpleNamespace())  # a fixture error: no outcome
    ordered = order_failed_reports(reports)
    shown = [
        (r.conformance["provider"], r.conformance["scenario"])
        if hasattr(r, "conformance")
        else None
        for r in ordered
    ]
    assert shown == [
        ("q", "text_plain"),  # RQ-3: a request clause before the response clauses
        ("p", "text_unicode_long"),
        ("p", "text_plain"),
        ("p", "tool_call_single"),
        ("p", "property-answers"),  # CH-1 again: not the check its summary line names
        None,
    ]


def test_a_failure_shows_a_trimmed_transcript_that_links_to_the_whole_one(tmp_path: Path) -> None:
    args = ("--provider", LOSES_IDS, "--scenario", "tool_call_null_continuations")
    result = _cli(*args, "--report-dir", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    details = result.stdout[result.stdout.index("Wire transcript:") :]
    details = details[: details.index("Expected result:")]
    last = details.strip().splitlines()[-1]
    match = re.fullmatch(
        r"\[(\d+) of (\d+) lines left out; the whole transcript: out/compatibility.html#(\S+)\]",
        last,
    )
    assert match, last
    assert len(details.splitlines()) < int(match.group(2)) / 2
    assert '"id":"call_n1"' in details  # the event the verdict quotes
    page = (tmp_path / "out" / "compatibility.html").read_text(encoding="utf-8")
    assert f'<div class="check" id="{match.group(3)}">' in page
    whole = _cli(*args, "--report-dir", "out", "-vv", cwd=tmp_path)
    assert "lines left out" not in whole.stdout
    assert '"description": "Active weather alerts; takes no arguments."' in whole.stdout


def test_without_a_report_the_excerpt_says_how_to_see_the_whole_transcript() -> None:
    assert transcript_link(None, 0, "p", "s", "chat") == NO_REPORT
    assert transcript_link(None, 2, "p", "s", "chat") is None
    assert transcript_link(Path("r"), 1, "p", "s_1", "chat") == (
        "r/compatibility.html#" + transcript_anchor("p", "s_1[chat]")
    )
