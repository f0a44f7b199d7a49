"""The documented way to add a dialect works: docs/examples/ runs through `--dialect module:Class`.

docs/dialects.md promises that a dialect written outside the harness (a subclass of
conformance.Dialect, its own request schema, no registry line) plays every bundled scenario, and
that a provider declaring no tools gets honest not-applicable verdicts for the tool scenarios
rather than passes. These tests hold the example to that, through run_case and through the CLI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance import (
    Case,
    CaseOutcome,
    Dialect,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    RecordedRequest,
    bundled_scenarios,
    get_dialect,
    run_case,
)
from conformance.scenarios.model import ErrorReply, WireOptions
from conformance.vocabulary.canonical import Mode

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
PROVIDER = "completion_provider:CompletionProvider"
DIALECT = "completion_dialect:CompletionDialect"
SCENARIOS = bundled_scenarios()
CASES = [(name, mode) for name, s in sorted(SCENARIOS.items()) for mode in s.modes]
TOOL_CLAUSES = {"RQ-4", "RQ-5", "CH-2", "ST-3"}


@pytest.fixture(autouse=True)
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """What PYTHONPATH=docs/examples does for the command line."""
    monkeypatch.syspath_prepend(str(EXAMPLES))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _run(server: FakeServer, name: str, mode: Mode, factory: Any = None) -> CaseOutcome:
    spec = ProviderSpec(target=PROVIDER, dialect=DIALECT, factory=factory)
    return run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS[name], mode))


def _request(body: Any, **headers: str) -> RecordedRequest:
    path = "/foundationModels/v1/completion"
    raw = json.dumps(body).encode()
    return RecordedRequest("POST", path, path, tuple(headers.items()), raw, 1, 1)


def test_the_example_loads_by_module_and_class() -> None:
    dialect = get_dialect(DIALECT)
    assert isinstance(dialect, Dialect)
    assert dialect.name == "example-completion"
    assert Path(dialect.request_schema).name == "completion.request.schema.json"


@pytest.mark.parametrize(("name", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_every_bundled_scenario_passes_or_is_honestly_not_applicable(
    server: FakeServer, name: str, mode: Mode
) -> None:
    scenario = SCENARIOS[name]
    outcome = _run(server, name, mode)
    if scenario.wire_features(mode) and "tools" not in scenario.requires:
        # A shape only OpenAI-compatible wires carry: honestly not applicable, never passed.
        assert outcome.not_applicable is not None, outcome.failure_text()
        assert "cannot express" in outcome.not_applicable
        assert not outcome.failures
        return
    if "tools" in scenario.requires:
        assert outcome.not_applicable is not None, outcome.failure_text()
        assert "tools" in outcome.not_applicable
        assert not outcome.failures
        outcomes = {v.clause: v.outcome for v in outcome.verdicts}
        assert {c: o for c, o in outcomes.items() if c != "SE-1"} == dict.fromkeys(
            scenario.focus, "not-applicable"
        )
        return
    assert outcome.not_applicable is None
    assert outcome.ok, outcome.failure_text()
    judged = {v.clause for v in outcome.verdicts if v.outcome == "pass"}
    refused = any(r.fault.refuse_connection for t in scenario.turns for r in t.replies)
    if not refused:  # with the connection refused no request exists to judge
        assert judged >= {"RQ-1", "RQ-2", "RQ-3"}
    assert judged & ({"CH-1", "ST-1", "ER-1"} | set(scenario.focus)), outcome.verdicts


def test_the_example_schema_is_the_one_rq1_applies(server: FakeServer) -> None:
    """An OpenAI habit (`content` for `text`) breaks the example's own schema, nothing else's."""
    from completion_provider import CompletionProvider

    class OpenAIHabits(CompletionProvider):
        def _body(self, *args: Any, **kwargs: Any) -> bytes:
            payload = json.loads(super()._body(*args, **kwargs))
            for message in payload["messages"]:
                message["content"] = message.pop("text")
            return json.dumps(payload).encode()

    outcome = _run(server, "usage_reporting", "chat", factory=OpenAIHabits)
    rq1 = [v.message for v in outcome.failures if v.clause == "RQ-1"]
    assert rq1, outcome.failure_text()
    assert "completion.request.schema.json" in rq1[0]


def test_a_stream_repeats_the_text_so_far_on_every_line() -> None:
    dialect = get_dialect(DIALECT)
    scenario = replace(SCENARIOS["text_plain"], wire=WireOptions(split_bytes=9))
    body = {"completionOptions": {"stream": True}}
    response = dialect.render_reply(scenario, 0, _request(body), stream=True)
    lines = [json.loads(line) for line in response.body.decode().splitlines()]
    texts = [line["result"]["alternatives"][0]["message"]["text"] for line in lines]
    parts = scenario.final_reply.text_parts
    assert texts == ["".join(parts[: i + 1]) for i in range(len(parts))] + ["".join(parts)]
    statuses = [line["result"]["alternatives"][0]["status"] for line in lines]
    assert set(statuses[:-1]) == {"ALTERNATIVE_STATUS_PARTIAL"}
    assert statuses[-1] == "ALTERNATIVE_STATUS_FINAL"
    assert all(len(piece) <= 9 for piece in response.pieces)


def test_the_request_is_read_back_from_the_vendor_shape() -> None:
    dialect = get_dialect(DIALECT)
    body = {
        "modelUri": "gpt://b1gfolder/conformance-model-1",
        "completionOptions": {"stream": False, "temperature": 0.25, "maxTokens": "321"},
        "messages": [{"role": "system", "text": "Be brief."}, {"role": "user", "text": "Hi"}],
    }
    parsed = dialect.parse_request(_request(body))
    assert (parsed.model, parsed.temperature, parsed.max_tokens) == (
        "conformance-model-1",
        0.25,
        321,
    )
    assert parsed.system == "Be brief." and parsed.stream is False and parsed.problems == ()
    assert dialect.credentials_ok(_request(body, Authorization="Api-Key k"), "k")
    assert not dialect.credentials_ok(_request(body, Authorization="Bearer k"), "k")


def test_errors_have_the_vendor_shape() -> None:
    response = get_dialect(DIALECT).render_error(ErrorReply(429, "slow down", headers={"A": "b"}))
    error = json.loads(response.body)["error"]
    assert error == {
        "grpcCode": 8,
        "httpCode": 429,
        "message": "slow down",
        "httpStatus": "Too Many Requests",
        "details": [],
    }
    assert ("A", "b") in response.headers


def test_the_command_line_runs_the_example(tmp_path: Path) -> None:
    """`provider-conformance run --dialect module:Class` with PYTHONPATH, as the docs say."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXAMPLES), env.get("PYTHONPATH")]))
    report_dir = tmp_path / "report"
    command = [sys.executable, "-m", "conformance.cli", "run", "--provider", PROVIDER]
    command += ["--dialect", DIALECT, "--report-dir", str(report_dir), "--no-provider-coverage"]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((report_dir / "compatibility.json").read_text(encoding="utf-8"))
    (provider,) = report["providers"]
    assert provider["dialect"] == "example-completion"
    assert provider["conforms"] is True, provider["failures"]
    clauses = provider["clauses"]
    assert {c: clauses[c] for c in TOOL_CLAUSES} == dict.fromkeys(TOOL_CLAUSES, "not-applicable")
    for clause in ("RQ-1", "RQ-2", "RQ-3", "RQ-6", "CH-1", "CH-3", "CH-4", "ST-1", "ST-2"):
        assert clauses[clause] == "pass", (clause, clauses)
    for clause in ("ST-5", "ER-1", "ER-2", "ER-3", "ER-8", "SE-1"):
        assert clauses[clause] == "pass", (clause, clauses)
    tool_checks = {
        f"{name}[{mode}]"
        for name, mode in CASES
        if "tools" in SCENARIOS[name].requires or SCENARIOS[name].wire_features(mode)
    }
    # The example offers no retries, breaker or health check: the RE checks are skipped too.
    skipped = {skip["check"] for skip in provider["skipped"]}
    resilience = re.compile(r"re\d")
    assert {check for check in skipped if not resilience.match(check)} == tool_checks
    assert {clauses[c] for c in ("RE-1", "RE-2", "RE-3", "RE-4")} == {"not-applicable"}
    assert "Not applicable (skipped, not passed)" in (report_dir / "compatibility.md").read_text(
        encoding="utf-8"
    )
