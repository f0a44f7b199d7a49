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
from conformance.profiles import available_profiles, get_profile
from conformance.profiles.litellm_results import DeltaFold
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
