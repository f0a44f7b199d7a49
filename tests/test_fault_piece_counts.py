"""A fault placed past the end of the reply is the scenario's mistake, never the provider's.

`stall_after_pieces: 40` on a reply the dialect renders in a dozen pieces never fires: the server
plays the whole answer and the provider used to be failed on ER-4 for not reporting the stall.
The number of pieces depends on the dialect and the mode, so the server finds it when it renders
the reply; the check is then incomplete ("harness-error") and names the file, scenario and field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, run_case
from conformance.scenarios import load_file
from conformance.scenarios.model import Fault, Reply, RequestSpec, Scenario, Turn
from conformance.vocabulary.canonical import ChatMessage
from reference_providers.openai_compatible import OpenAICompatibleProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _reference() -> ProviderUnderTest:
    return ProviderUnderTest.load(
        ProviderSpec(
            target="x:y", dialect="openai-chat", label="ref", factory=OpenAICompatibleProvider
        )
    )


def _scenario_file(tmp_path: Path, fault: str) -> Scenario:
    path = tmp_path / "faults.yaml"
    path.write_text(
        "name: late_fault\ntitle: A fault past the end\nmodes: [stream]\ntimeout: 0.3\n"
        f"turns:\n  - reply: {{text: [One, ' two'], fault: {{{fault}}}}}\n",
        encoding="utf-8",
    )
    [scenario] = load_file(path)
    return scenario


@pytest.mark.parametrize("field", ["stall_after_pieces", "reset_after_pieces", "cut_after_pieces"])
def test_a_piece_count_past_the_reply_is_a_harness_error_naming_the_field(
    server: FakeServer, tmp_path: Path, field: str
) -> None:
    scenario = _scenario_file(tmp_path, f"{field}: 40")
    outcome = run_case(server, _reference(), Case(scenario, "stream"), check_timeout=5)
    assert outcome.incomplete is not None, outcome.verdicts
    assert outcome.incomplete.kind == "harness-error"
    reason = outcome.incomplete.reason
    assert str(tmp_path / "faults.yaml") in reason
    assert "'late_fault'" in reason and f"fault.{field} is 40" in reason
    assert outcome.failures == []


def test_a_piece_count_inside_the_reply_still_plays_the_fault(
    server: FakeServer, tmp_path: Path
) -> None:
    scenario = _scenario_file(tmp_path, "reset_after_pieces: 1")
    outcome = run_case(server, _reference(), Case(scenario, "stream"), check_timeout=5)
    assert outcome.incomplete is None
    assert any(v.clause == "ER-4" and v.outcome == "pass" for v in outcome.verdicts)


def test_unreachable_counts_are_those_at_or_past_the_last_piece() -> None:
    assert Fault(cut_after_pieces=2).unreachable(3) is None
    assert Fault(cut_after_pieces=3).unreachable(3) is not None
    assert Fault(stall_after_pieces=0).unreachable(1) is None
    assert Fault(reset_after_pieces=9).unreachable(2, "gemini") == (
        "fault.reset_after_pieces is 9, but gemini renders this reply as 2 piece(s), so the "
        "fault would never happen; give a count below 2"
    )
    assert Fault(drip_seconds=1).unreachable(1) is None


def test_a_scenario_built_in_code_is_named_without_a_file(server: FakeServer) -> None:
    scenario = Scenario(
        name="in_code",
        title="Built in code",
        modes=("chat",),
        timeout=0.3,
        turns=(Turn(Reply(text_parts=("hi",), fault=Fault(stall_after_pieces=5))),),
        request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
    )
    outcome = run_case(server, _reference(), Case(scenario, "chat"), check_timeout=5)
    assert outcome.incomplete is not None
    assert outcome.incomplete.reason.startswith("scenario 'in_code' turn 0: fault.stall_after")
