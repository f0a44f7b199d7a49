"""The suite must catch every known-bad provider, on the right clause, with a usable message.

A check that cannot fail is a defect. Each row below plants one realistic bug in the reference
provider (tests/known_bad/providers.py) and demands that running one scenario flags the clause the
bug breaks, names that clause in the failure text, shows the wire transcript, and flags nothing
unrelated (so the bug is caught for the right reason, not by accident). The reference provider
itself must pass everything, or a failing row would prove nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import harness
from known_bad import providers as bad
from known_bad.harness import (
    IDENTITY,
    SCENARIOS,
    Row,
    Run,
    assert_caught,
    assert_passes,
    reference_cases,
    transcript_section,
)

from conformance import FakeServer, Scenario
from reference_providers.openai_compatible import OpenAICompatibleProvider

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One fake server for the whole module: starting one per check would dominate the run time."""
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against this file's dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, "openai-chat", scenario, mode)


ROWS: tuple[Row, ...] = (
    Row(bad.EmptyName, "ID-1", IDENTITY, "none", ("name is ''",)),
    # An unreadable body also hides model, temperature and the system prompt from the server.
    Row(
        bad.FormEncodedBody,
        "RQ-1",
        "text_plain",
        "chat",
        ("application/x-www-form-urlencoded", "the body is not JSON"),
        frozenset({"RQ-3", "RQ-6"}),
    ),
    # Without the header the server answers 401, so there is no answer to judge (CH-*); httpx
    # logs the request URL, query and key included, at INFO: a genuine SE-1 leak as well.
    Row(
        bad.KeyInQueryString,
        "RQ-2",
        "text_plain",
        "chat",
        ("the API key is in the URL", "credentials are not in the header"),
        frozenset({"CH-1", "CH-3", "CH-4", "SE-1"}),
    ),
    Row(bad.DropsTemperature, "RQ-3", "text_plain", "chat", ("temperature None",)),
    Row(bad.DropsTemperature, "RQ-3", "text_plain", "stream", ("temperature None",)),
    Row(bad.DropsToolDescription, "RQ-4", "tool_call_single", "chat", ("description ''",)),
    Row(
        bad.ForgetsAssistantToolCalls,
        "RQ-5",
        "tool_conversation",
        "chat",
        ("'call_conv_1'", "which no earlier assistant message called"),
    ),
    Row(bad.TopLevelSystemField, "RQ-6", "text_plain", "chat", ("top-level 'system' field",)),
    Row(bad.StripsContent, "CH-1", "text_unicode_long", "chat", ("texts differ at character 0",)),
    Row(bad.FirstToolCallOnly, "CH-2", "tool_calls_parallel", "chat", ("expected 3 tool call(s)",)),
    Row(bad.AlwaysStop, "CH-3", "stop_length", "chat", ("stop reason 'stop'", "'length'")),
    Row(bad.AnthropicUsageNames, "CH-4", "usage_reporting", "chat", ("'prompt_tokens': 0",)),
    # Every event is lost, so the stream ends without a terminal event: an ER-7 error, and with
    # it no final chunk to judge for ST-2 and ST-5.
    Row(
        bad.RequiresDataSpace,
        "ST-1",
        "text_compact_framing",
        "stream",
        ("stream ended before its terminal event",),
        frozenset({"ST-2", "ST-5"}),
    ),
    Row(bad.TwoFinalChunks, "ST-2", "text_plain", "stream", ("2 final chunks",)),
    Row(
        bad.LosesToolCallIdOnNull,
        "ST-3",
        "tool_call_null_continuations",
        "stream",
        ("id 'call_0', expected 'call_n1'",),
    ),
    Row(bad.ToolCallsReportedTwice, "ST-3", "tool_call_single", "stream", ("more than once",)),
    Row(bad.IgnoresUsageOnlyChunk, "ST-5", "usage_reporting", "stream", ("usage None",)),
    Row(
        bad.IncompleteStatusTable,
        "ER-1",
        "error_403",
        "chat",
        ("category 'unknown', expected 'auth'",),
    ),
    Row(
        bad.IncompleteStatusTable,
        "ER-1",
        "error_529",
        "stream",
        ("category 'unknown', expected 'server'", "retryable=False"),
    ),
    Row(
        bad.GenericErrorMessage,
        "ER-3",
        "error_400",
        "chat",
        ("request failed with status 400", "does not carry the API's own message"),
    ),
    Row(bad.RetryAfterConstant, "ER-2", "error_429", "chat", ("retry-after 60.0, expected 7",)),
    Row(bad.RetryAfterIgnored, "ER-2", "error_429", "chat", ("retry-after None, expected 7",)),
    Row(bad.UnreadStreamedErrorBody, "ER-8", "error_401", "stream", ("httpx.ResponseNotRead",)),
    Row(bad.KeyInErrorMessage, "SE-1", "error_401", "chat", ("contains the API key",)),
    Row(bad.LogsEncodedKey, "SE-1", "text_plain", "chat", ("log line(s) contain the API key",)),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, run_check(server, row.provider, row.scenario, row.mode))


def test_key_leak_is_caught_but_redacted_from_the_report(server: FakeServer) -> None:
    """SE-1 fails for a provider that puts the key in its error, yet the report shows no key."""
    run = run_check(server, bad.KeyInErrorMessage, "error_401", "chat")
    outcome = run.outcome
    verdicts = [v for v in outcome.verdicts if v.clause == "SE-1"]
    assert [v.outcome for v in verdicts] == ["fail"], outcome.failure_text()
    text = outcome.failure_text()
    (key,) = run.keys
    assert key not in text
    assert "<redacted-api-key>" in transcript_section(text)
    assert "the message of reference_providers.errors.AuthError contains the API key" in (
        verdicts[0].message
    )


def test_retry_after_in_seconds_only_is_caught(server: FakeServer) -> None:
    """A provider that understands only `Retry-After: <seconds>` must fail ER-2 somewhere."""
    failed: set[str] = set()
    for name, scenario in SCENARIOS.items():
        if not scenario.is_error:
            continue
        for mode in scenario.modes:
            outcome = run_check(server, bad.RetryAfterSecondsOnly, name, mode).outcome
            failed |= {verdict.clause for verdict in outcome.failures}
    assert "ER-2" in failed


REFERENCE_CASES = reference_cases()


@pytest.mark.parametrize(
    ("scenario", "mode"), REFERENCE_CASES, ids=[f"{n}-{m}" for n, m in REFERENCE_CASES]
)
def test_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing row could be the suite's fault rather than the planted bug's."""
    outcome = run_check(server, OpenAICompatibleProvider, scenario, mode).outcome
    assert_passes(outcome)


def test_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_check(server, OpenAICompatibleProvider, IDENTITY, "none").outcome
    assert outcome.ok, outcome.failure_text()
    assert [v.clause for v in outcome.verdicts] == ["ID-1"]


# -- end to end, through pytest -----------------------------------------------------------------

BAD_PROVIDER_SOURCE = '''
"""RQ-3: temperature is never sent."""

from typing import Any

from reference_providers.openai_compatible import OpenAICompatibleProvider


class DropsTemperature(OpenAICompatibleProvider):
    def _build_payload(self, messages: Any, **kwargs: Any) -> dict[str, Any]:
        payload = super()._build_payload(messages, **kwargs)
        payload.pop("temperature", None)
        return payload
'''

SUITE_SOURCE = """
from bad_provider import DropsTemperature

from conformance import ProviderConformanceSuite


class TestDropsTemperature(ProviderConformanceSuite):
    provider_class = DropsTemperature
    scenarios = ["text_plain"]
"""


def _run_pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A subprocess, so the inner session's plugin state and server are its own."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_subclassed_suite_reports_the_clause_and_transcript(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(bad_provider=BAD_PROVIDER_SOURCE, test_bad_suite=SUITE_SOURCE)
    result = _run_pytest(pytester)
    outcomes = result.parseoutcomes()
    output = result.stdout.str()
    assert outcomes.get("failed", 0) == 2, output  # text_plain in chat and in stream
    # identity, and the four property checks (which judge other clauses than RQ-3)
    assert outcomes.get("passed", 0) == 5, output
    assert "RQ-3" in output
    assert "temperature None, expected 0.25" in output
    assert "Wire transcript" in output
    assert "--- request 1 ---" in output


def test_command_line_provider_writes_failing_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(bad_provider=BAD_PROVIDER_SOURCE)
    report_dir: Path = pytester.path / "report"
    result = _run_pytest(
        pytester,
        "--provider",
        "bad_provider:DropsTemperature",
        "--scenario",
        "text_plain",
        "--report-dir",
        str(report_dir),
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output
    assert "RQ-3" in output and "Wire transcript" in output, output
    assert (report_dir / "junit.xml").is_file(), output
    report = json.loads((report_dir / "compatibility.json").read_text(encoding="utf-8"))
    (provider,) = report["providers"]
    assert provider["clauses"]["RQ-3"] == "fail", provider
    assert provider["conforms"] is False
    assert any("RQ-3" in failure["clauses"] for failure in provider["failures"])
