"""The `litellm` profile, on a stand-in `acompletion` (tests/standins/litellm_standin): LiteLLM
itself is not needed (docs/profile-litellm.md).

The stand-in maps errors as a correct LiteLLM would and must pass; each known-bad function
(tests/known_bad/litellm_style.py, the mistakes LiteLLM 1.110.2 makes) must fail its clause.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

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
from conformance.checks.runner import BuildError
from conformance.profiles import available_profiles, get_profile, litellm_resilience
from conformance.profiles.litellm_results import DeltaFold
from conformance.resilience import CHECKS_BY_NAME, RESILIENCE_CHECKS, run_resilience_check
from conformance.vocabulary.errors import UsageError

SCENARIOS = bundled_scenarios()
STANDIN = "litellm_standin:acompletion"
STANDIN_ERRORS = {"errors_module": "litellm_standin.exceptions"}

#: A cross-section of the bundled scenarios: text, tools (parallel, interleaved, a conversation),
#: usage, errors by status and inside a stream, transport faults, a cut stream, an early exit.
GOOD_SCENARIOS = (
    "text_plain",
    "tool_calls_parallel",
    "regression_interleaved_calls",
    "tool_conversation",
    "usage_reporting",
    "error_403",
    "error_429",
    "error_in_stream",
    "fault_connection_refused",
    "fault_malformed_json",
    "fault_stream_cut",
    "stream_early_exit",
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run(
    server: FakeServer, target: str, scenario: str, mode: str, options: dict[str, Any] | None = None
) -> CaseOutcome:
    spec = ProviderSpec(
        target=target, dialect="openai-chat", profile="litellm", options=dict(options or {})
    )
    return run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS[scenario], mode))  # type: ignore[arg-type]


GOOD_CASES = [
    (name, mode) for name in GOOD_SCENARIOS if name in SCENARIOS for mode in SCENARIOS[name].modes
]


@pytest.mark.parametrize(("scenario", "mode"), GOOD_CASES, ids=[f"{n}-{m}" for n, m in GOOD_CASES])
def test_correct_stand_in_passes(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a known-bad row failing could be the profile's fault."""
    outcome = run(server, STANDIN, scenario, mode)
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    assert any(v.outcome == "pass" for v in outcome.verdicts)


KNOWN_BAD = (
    ("forbidden_as_api_error", "error_403", "chat", "ER-1", "category 'unknown', expected 'auth'"),
    ("forbidden_as_api_error", "error_403", "stream", "ER-1", "APIError is the interface's"),
    (
        "refused_as_server_error",
        "fault_connection_refused",
        "chat",
        "ER-4",
        "became category 'server', expected 'network'",
    ),
)


@pytest.mark.parametrize(("function", "scenario", "mode", "clause", "evidence"), KNOWN_BAD)
def test_known_bad_is_caught(
    server: FakeServer, function: str, scenario: str, mode: str, clause: str, evidence: str
) -> None:
    outcome = run(server, f"known_bad.litellm_style:{function}", scenario, mode, STANDIN_ERRORS)
    failed = {v.clause for v in outcome.failures}
    assert failed == {clause}, outcome.failure_text()
    assert evidence in " ".join(v.message for v in outcome.failures), outcome.failure_text()


def test_errors_name_the_litellm_provider(server: FakeServer) -> None:
    """ER-3 compares the errors' `llm_provider` with the prefix the profile routed to."""
    outcome = run(server, STANDIN, "error_429", "chat")
    assert ("ER-3", "pass") in [(v.clause, v.outcome) for v in outcome.verdicts]


def test_stream_fold_orders_calls_by_index_and_splits_calls_without_one() -> None:
    fold = DeltaFold()
    chunks: list[dict[str, Any]] = [
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 1, "id": "b", "function": {"name": "B", "arguments": "{"}}
                        ]
                    }
                }
            ]
        },
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {"index": 0, "id": "a", "function": {"name": "A", "arguments": "{}"}}
                        ]
                    }
                }
            ]
        },
        {
            "choices": [
                {
                    "delta": {"tool_calls": [{"index": 1, "function": {"arguments": "}"}}]},
                    "finish_reason": "tool_calls",
                }
            ]
        },
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 9}},
    ]
    for chunk in chunks:
        fold.add(chunk)
    assert [(c.id, c.name) for c in fold.tool_calls()] == [("a", "A"), ("b", "B")]
    assert fold.finish_reason == "tool_calls"
    assert fold.usage is not None and fold.usage.total_tokens == 9

    unindexed = DeltaFold()
    for call_id, name in (("x", "X"), ("y", "Y")):
        unindexed.add(
            {
                "choices": [
                    {
                        "delta": {
                            "tool_calls": [
                                {"id": call_id, "function": {"name": name, "arguments": "{}"}}
                            ]
                        }
                    }
                ]
            }
        )
    assert [c.id for c in unindexed.tool_calls()] == ["x", "y"]


def test_a_dialect_without_a_prefix_names_the_option() -> None:
    spec = ProviderSpec(target=STANDIN, dialect="yandexgpt", profile="litellm")
    with pytest.raises(BuildError, match="--profile-option prefix=NAME"):
        ProviderUnderTest.load(spec)


def test_a_target_without_litellm_exceptions_says_what_to_install() -> None:
    profile = get_profile("litellm")
    spec = ProviderSpec(target="json:loads", dialect="openai-chat", profile="litellm")
    import json

    with pytest.raises(UsageError, match="pip install litellm"):
        profile.check_target(json.loads, spec)


def test_the_profile_loads_without_litellm() -> None:
    """Listing or choosing the profile never imports LiteLLM (it is imported for a check)."""
    assert "litellm" in available_profiles()
    code = (
        "import sys; import conformance.profiles as p; p.get_profile('litellm');"
        "print('litellm' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# -- resilience: num_retries (RE-1), fallbacks= (RE-3), ahealth_check (RE-4) ---------------------

RETRIES = {**STANDIN_ERRORS, "num_retries": "3"}
RE_CASES = [
    (c.name, m)
    for c in RESILIENCE_CHECKS
    if c.clause in ("RE-1", "RE-3", "RE-4") and c.name not in ("re3_health_moves",)
    for m in c.modes
]


def run_re(
    server: FakeServer, target: str, check: str, mode: str, options: dict[str, Any]
) -> CaseOutcome:
    spec = ProviderSpec(target=target, dialect="openai-chat", profile="litellm", options=options)
    put = ProviderUnderTest.load(spec)
    return run_resilience_check(server, put, CHECKS_BY_NAME[check], mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(("check", "mode"), RE_CASES, ids=[f"{c}-{m}" for c, m in RE_CASES])
def test_the_retrying_stand_in_passes_what_litellm_offers(
    server: FakeServer, check: str, mode: str
) -> None:
    """Before: every RE check was not applicable ("profile litellm offers no resilience"). The
    stand-in retries with asyncio.sleep, which the check replaces: no real waiting."""
    outcome = run_re(server, STANDIN, check, mode, RETRIES)
    assert outcome.error is None, outcome.error
    outcomes = {v.outcome for v in outcome.verdicts}
    if check in ("re3_round_robin", "re3_first_available"):
        assert outcomes == {"not-applicable"}, outcome.verdicts
        assert "round-robin" in outcome.verdicts[0].message
    else:
        assert outcomes == {"pass"}, outcome.verdicts


def test_a_fallback_chain_without_health_fails_the_health_check(server: FakeServer) -> None:
    """acompletion's fallbacks keep no health per entry; RE-3 asks for it (the contract)."""
    outcome = run_re(server, STANDIN, "re3_health_moves", "chat", RETRIES)
    assert [v.outcome for v in outcome.verdicts] == ["fail"], outcome.verdicts
    assert "reports no health" in outcome.verdicts[0].message


def test_retries_are_judged_only_when_configured(server: FakeServer) -> None:
    outcome = run_re(server, STANDIN, "re1_retry_until_success", "chat", STANDIN_ERRORS)
    assert [v.outcome for v in outcome.verdicts] == ["not-applicable"], outcome.verdicts
    assert "--profile-option num_retries=N" in outcome.verdicts[0].message


def test_litellm_has_no_breaker(server: FakeServer) -> None:
    outcome = run_re(server, STANDIN, "re2_opens_and_recovers", "chat", RETRIES)
    assert [v.outcome for v in outcome.verdicts] == ["not-applicable"], outcome.verdicts
    assert "no circuit breaker" in outcome.verdicts[0].message


def test_a_bad_num_retries_names_the_option() -> None:
    profile = get_profile("litellm", {"num_retries": "lots"})
    with pytest.raises(UsageError, match="--profile-option num_retries=lots"):
        profile.num_retries()  # type: ignore[attr-defined]


KNOWN_BAD_RESILIENCE = (
    ("ignores_num_retries", "re1_retry_until_success", "gave up after 503 with 0 of"),
    ("retries_bad_requests", "re1_no_retry_on_invalid_request", "retried after 400"),
    ("names_last_failure", "re3_all_failures_named", "does not name 'alpha'"),
)


@pytest.mark.parametrize(("function", "check", "evidence"), KNOWN_BAD_RESILIENCE)
def test_known_bad_resilience_is_caught(
    server: FakeServer, function: str, check: str, evidence: str
) -> None:
    for mode in ("chat", "stream"):
        outcome = run_re(server, f"known_bad.litellm_resilience:{function}", check, mode, RETRIES)
        assert outcome.error is None, outcome.error
        failed = [v for v in outcome.verdicts if v.failed]
        assert failed, outcome.verdicts
        assert evidence in failed[0].message, failed[0].message


def test_litellm_retry_modules_are_patched_only_for_litellm_itself() -> None:
    """LiteLLM's retries live in litellm.main (acompletion_with_retries); a stand-in's check must
    not import LiteLLM to patch it."""

    def acompletion() -> None: ...

    acompletion.__module__ = "litellm.chat_completions.dispatch"
    assert litellm_resilience._time_modules(acompletion) == (
        "litellm.chat_completions.dispatch",
        "litellm.main",
        "tenacity.asyncio",
    )
    acompletion.__module__ = "litellm_standin"
    assert litellm_resilience._time_modules(acompletion) == ("litellm_standin", "tenacity.asyncio")
