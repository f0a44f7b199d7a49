"""The wire-shape scenarios (issue #11.10) catch the bug each was written for, accept both honest
readings of unparsable arguments, and are not applicable (never passed) where a wire cannot
carry the shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from known_bad import harness
from known_bad import wire_shapes as bad
from known_bad.harness import Row, assert_caught

from conformance import FakeServer, bundled_scenarios
from conformance.dialects import get_dialect
from conformance.scenarios.tool_arguments import unparsable_arguments
from reference_providers.anthropic_messages import AnthropicProvider
from reference_providers.gemini import GeminiProvider
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.tool_call_accumulator import ToolCallAccumulator, _PartialCall


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


ROWS: tuple[Row, ...] = (
    Row(
        bad.SilentEmptyArguments,
        "ER-5",
        "tool_call_unparsable_arguments",
        "chat",
        ("reported as a success", "not valid JSON"),
    ),
    Row(
        bad.SilentEmptyArguments,
        "ER-5",
        "tool_call_unparsable_arguments",
        "stream",
        ("reported as a success",),
    ),
    # The TypeError fails the whole answer: no text or stop reason to judge either.
    Row(
        bad.LoadsNullArguments,
        "CH-2",
        "tool_call_null_arguments",
        "chat",
        ("must be str, bytes or bytearray, not NoneType",),
        frozenset({"CH-1", "CH-3"}),
    ),
    # Both calls' arguments run together under index 0: the provider cannot parse them.
    Row(
        bad.IndexDefaultsToZero,
        "ST-3",
        "tool_calls_without_index",
        "stream",
        ('\'{"city":"Paris"}{"city":"Kyiv"}\'',),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    # The empty call in front has no name: the provider reports an invalid response instead.
    Row(
        bad.CallsInAList,
        "ST-3",
        "tool_call_index_from_one",
        "stream",
        ("never received a function name",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    Row(
        bad.CopiesEmptyName,
        "ST-3",
        "tool_call_empty_continuation_names",
        "stream",
        ("never received a function name",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    Row(bad.StringContentOnly, "ST-1", "text_content_parts", "stream", ("texts differ",)),
    Row(
        bad.JoinsThinkingParts,
        "CH-1",
        "text_content_parts",
        "chat",
        ("texts differ at character 0", "The user wan"),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_wire_shape_bug_is_caught(server: FakeServer, row: Row) -> None:
    run = harness.run_check(server, row.provider, "openai-chat", row.scenario, row.mode)
    assert_caught(row, run)


class _KeepsRawText(ToolCallAccumulator):
    def _parse_arguments(self, call: _PartialCall) -> dict[str, Any]:
        try:
            return super()._parse_arguments(call)
        except Exception:
            return {"_raw_arguments": "".join(call.arguments)}


class KeepsRawArguments(OpenAICompatibleProvider):
    """Unparsable arguments kept verbatim under a flag key: honest, no data lost."""

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _KeepsRawText(provider=self._name)


def test_unparsable_arguments_kept_raw_and_flagged_pass(server: FakeServer) -> None:
    run = harness.run_check(
        server, KeepsRawArguments, "openai-chat", "tool_call_unparsable_arguments", "stream"
    )
    er5 = [v for v in run.outcome.verdicts if v.clause == "ER-5"]
    assert [v.outcome for v in er5] == ["pass"], run.outcome.failure_text()


def test_the_unparsable_text_is_cut_json() -> None:
    call = bundled_scenarios()["tool_call_unparsable_arguments"].final_reply.tool_calls[0]
    text = unparsable_arguments(call)
    assert text.startswith('{"city":"Paris"') and not text.endswith("}")


@pytest.mark.parametrize(
    ("provider", "dialect", "scenario", "mode"),
    [
        (GeminiProvider, "gemini", "tool_call_unparsable_arguments", "chat"),
        (AnthropicProvider, "anthropic-messages", "tool_call_unparsable_arguments", "chat"),
        (AnthropicProvider, "anthropic-messages", "tool_calls_without_index", "stream"),
        (GeminiProvider, "gemini", "text_content_parts", "stream"),
    ],
)
def test_a_shape_the_wire_cannot_carry_is_not_applicable(
    server: FakeServer, provider: type[Any], dialect: str, scenario: str, mode: str
) -> None:
    outcome = harness.run_check(server, provider, dialect, scenario, mode).outcome
    assert outcome.not_applicable is not None
    assert f"dialect {dialect} cannot express" in outcome.not_applicable
    assert {v.outcome for v in outcome.verdicts if v.clause not in ("SE-1", "SE-2")} == {
        "not-applicable"
    }


def test_anthropic_streams_unparsable_input_and_the_reference_rejects_it(
    server: FakeServer,
) -> None:
    outcome = harness.run_check(
        server, AnthropicProvider, "anthropic-messages", "tool_call_unparsable_arguments", "stream"
    ).outcome
    assert outcome.not_applicable is None
    assert [v.outcome for v in outcome.verdicts if v.clause == "ER-5"] == ["pass"]
    assert (
        get_dialect("openai-responses").cannot_express(
            bundled_scenarios()["tool_call_unparsable_arguments"], "chat"
        )
        is None
    )
