"""The `pydantic-ai` profile, on a stand-in with pydantic-ai's module layout
(tests/standins/pydantic_ai_standin): pydantic-ai itself is not needed
(docs/profile-pydantic-ai.md).

The stand-in's OpenAIChatModel answers as pydantic-ai documents it and must pass; each known-bad
class (tests/known_bad/pydantic_ai_style.py) must fail its clause.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("openai", reason="the stand-in talks through the official openai package")

from conformance import (
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from conformance.profiles import available_profiles, get_profile
from conformance.vocabulary.errors import UsageError

SCENARIOS = bundled_scenarios()
STANDIN = "pydantic_ai_standin.models.openai:OpenAIChatModel"
PACKAGE = {"package": "pydantic_ai_standin"}

GOOD_SCENARIOS = (
    "text_plain",
    "tool_calls_parallel",
    "regression_interleaved_calls",
    "tool_conversation",
    "stop_length",
    "error_401",
    "error_429",
    "error_in_stream",
    "fault_connection_refused",
    "fault_stream_cut",
    "stream_early_exit",
    "request_top_p_and_stop",
    "variant_usage_every_chunk",
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run(server: FakeServer, target: str, scenario: str, mode: str) -> CaseOutcome:
    spec = ProviderSpec(
        target=target, dialect="openai-chat", profile="pydantic-ai", options=PACKAGE
    )
    return run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS[scenario], mode))  # type: ignore[arg-type]


GOOD_CASES = [
    (name, mode) for name in GOOD_SCENARIOS if name in SCENARIOS for mode in SCENARIOS[name].modes
]


@pytest.mark.parametrize(("scenario", "mode"), GOOD_CASES, ids=[f"{n}-{m}" for n, m in GOOD_CASES])
def test_correct_stand_in_passes(server: FakeServer, scenario: str, mode: str) -> None:
    outcome = run(server, STANDIN, scenario, mode)
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    assert any(v.outcome == "pass" for v in outcome.verdicts)


KNOWN_BAD = (
    ("UncategorizedHTTPErrors", "error_429", "chat", "ER-1", "expected 'rate_limit'"),
    ("UncategorizedHTTPErrors", "error_401", "stream", "ER-1", "expected 'auth'"),
    ("CutStreamAsSuccess", "fault_stream_cut", "stream", "ER-7", "reported as a success"),
    (
        "ArrivalOrderToolCalls",
        "regression_interleaved_calls",
        "stream",
        "ST-3",
        "expected 'call_0'",
    ),
    ("ClosedToolSchemas", "tool_calls_parallel", "chat", "RQ-4", "additionalProperties"),
    ("SummedChunkUsage", "variant_usage_every_chunk", "stream", "ST-5", "'prompt_tokens': 90"),
)


def test_an_empty_properties_map_is_the_same_tool_schema(server: FakeServer) -> None:
    """`{"type": "object"}` and `{"type": "object", "properties": {}}` accept the same arguments;
    SDKs add or strip the empty map, and RQ-4 must not call that a changed tool."""
    target = "known_bad.pydantic_ai_style:EmptyPropertiesDropped"
    outcome = run(server, target, "tool_call_no_arguments", "chat")
    assert not outcome.failures, outcome.failure_text()
    assert ("RQ-4", "pass") in [(v.clause, v.outcome) for v in outcome.verdicts]


@pytest.mark.parametrize(("cls", "scenario", "mode", "clause", "evidence"), KNOWN_BAD)
def test_known_bad_is_caught(
    server: FakeServer, cls: str, scenario: str, mode: str, clause: str, evidence: str
) -> None:
    outcome = run(server, f"known_bad.pydantic_ai_style:{cls}", scenario, mode)
    failed = {v.clause for v in outcome.failures}
    assert failed == {clause}, outcome.failure_text()
    assert evidence in " ".join(v.message for v in outcome.failures), outcome.failure_text()


def test_the_finish_reason_is_read_in_canonical_words(server: FakeServer) -> None:
    """pydantic-ai says `tool_call`; CH-3 judges the canonical `tool_calls`."""
    outcome = run(server, STANDIN, "tool_calls_parallel", "chat")
    assert ("CH-3", "pass") in [(v.clause, v.outcome) for v in outcome.verdicts]


def test_a_missing_package_says_what_to_install() -> None:
    profile = get_profile("pydantic-ai", {"package": "not_an_installed_pydantic_ai"})
    spec = ProviderSpec(target="x:Y", dialect="openai-chat", profile="pydantic-ai")
    with pytest.raises(UsageError, match=r"pip install \"pydantic-ai-slim\[openai"):
        profile.check_target(dict, spec)


def test_a_dialect_without_a_provider_class_names_the_option() -> None:
    profile = get_profile("pydantic-ai", PACKAGE)
    spec = ProviderSpec(target="x:Y", dialect="yandexgpt", profile="pydantic-ai")
    with pytest.raises(UsageError, match="--profile-option provider="):
        profile.check_target(dict, spec)


def test_the_profile_loads_without_pydantic_ai() -> None:
    assert "pydantic-ai" in available_profiles()
    code = (
        "import sys; import conformance.profiles as p; p.get_profile('pydantic-ai');"
        "print('pydantic_ai' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
