"""Seed 000's tutorial provider, exactly as the tutorial prints it, through the `victor` profile.

The tutorial is what people copy when they add a provider to victor, so its bugs are everyone's
bugs. The suite must find them on their clauses, with the planted-by-accident cause in each
message, and must also pass it where it is right (a suite that fails everything proves nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
    run_identity,
)

SCENARIOS = bundled_scenarios()

#: clause -> (check, a substring of that clause's message there): the tutorial's bugs.
EXPECTED_FAILURES: dict[str, tuple[str, str]] = {
    # The finish-reason chunk is final, and so is the [DONE] chunk after it.
    "ST-2": ("text_plain[stream]", "2 final chunks"),
    # A null id in a continuation overwrites the id, and the calls come twice (finish and DONE).
    "ST-3": ("tool_call_null_continuations[stream]", "id '', expected 'call_n1'"),
    # `line.startswith("data: ")`: an unspaced `data:` is dropped, the whole answer with it.
    "ST-1": ("text_compact_framing[stream]", "texts differ at character 0"),
    # Usage is never asked for on a stream (no stream_options.include_usage).
    "ST-5": ("usage_reporting[stream]", "did not ask for usage"),
    # `_handle_http_error` reads `.text` of a streamed body it never read.
    "ER-8": ("error_401[stream]", "httpx.ResponseNotRead"),
    # ProviderAuthError is built without status_code.
    "ER-3": ("error_403[chat]", "status code None, expected 403"),
    # ProviderRateLimitError is built without retry_after.
    "ER-2": ("error_429[chat]", "retry-after None, expected 7"),
    # The assistant's tool calls are never serialised into the next request.
    "RQ-5": ("tool_conversation[chat]", "which no earlier assistant message called"),
    # Transport failures fall into `except Exception: raise ProviderError(...)`: unknown.
    "ER-4": ("fault_connection_refused[chat]", "expected 'network'"),
    # A stream cut before [DONE] ends quietly.
    "ER-7": ("fault_stream_cut[stream]", "reported as a success"),
    # A malformed stream event is logged and skipped.
    "ER-5": ("fault_malformed_json[stream]", "reported as a success"),
    # `content` as a list of parts (Mistral) goes straight into a `str` field: the answer is lost,
    # its usage with it.
    "CH-1": ("text_content_parts[chat]", "input_type=list"),
    "CH-4": ("text_content_parts[chat]", "input_type=list"),
}

#: What the tutorial gets right; the suite must say so.
EXPECTED_PASSES = ("ID-1", "RQ-1", "RQ-2", "RQ-3", "RQ-4", "CH-2", "SE-1")


@pytest.fixture(scope="module")
def verdicts() -> Iterator[dict[str, dict[str, list[tuple[str, str]]]]]:
    """clause -> outcome -> [(check, message)], over every bundled scenario and mode."""
    put = ProviderUnderTest.load(
        ProviderSpec(
            target="seed_custom_llm:CustomLLMProvider",
            dialect="openai-chat",
            profile="victor",
        )
    )
    found: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    with FakeServer() as server:
        outcomes = [run_identity(put, server)]
        outcomes += [
            run_case(server, put, Case(scenario, mode))
            for scenario in SCENARIOS.values()
            for mode in scenario.modes
        ]
    for outcome in outcomes:
        assert outcome.error is None, outcome.failure_text()
        for verdict in outcome.verdicts:
            check = f"{outcome.scenario}[{outcome.mode}]"
            found[verdict.clause][verdict.outcome].append((check, verdict.message))
    yield found


@pytest.mark.parametrize("clause", sorted(EXPECTED_FAILURES))
def test_the_tutorials_bug_is_found(
    verdicts: dict[str, dict[str, list[tuple[str, str]]]], clause: str
) -> None:
    check, evidence = EXPECTED_FAILURES[clause]
    failures = dict(verdicts[clause]["fail"])
    assert check in failures, f"{clause} did not fail in {check}; it failed in {sorted(failures)}"
    assert evidence in failures[check], failures[check]


@pytest.mark.parametrize("clause", EXPECTED_PASSES)
def test_what_the_tutorial_gets_right_passes(
    verdicts: dict[str, dict[str, list[tuple[str, str]]]], clause: str
) -> None:
    assert verdicts[clause]["pass"], f"{clause} never passed"
    assert not verdicts[clause]["fail"], verdicts[clause]["fail"]
