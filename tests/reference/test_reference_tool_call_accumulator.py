"""Reassembly of streamed OpenAI tool-call fragments (ST-3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from reference_providers.contract import ToolCall
from reference_providers.errors import ErrorCategory, InvalidResponseError
from reference_providers.tool_call_accumulator import ToolCallAccumulator


def header(index: int, call_id: str | None, name: str | None, args: str = "") -> dict[str, Any]:
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": args},
    }


def args(index: int, fragment: str | None, **extra: Any) -> dict[str, Any]:
    return {"index": index, "function": {"arguments": fragment}, **extra}


def accumulate(deltas: Iterable[Mapping[str, Any]]) -> list[ToolCall]:
    accumulator = ToolCallAccumulator(provider="test")
    for delta in deltas:
        accumulator.add(delta)
    return accumulator.finish()


def test_single_call_in_many_fragments() -> None:
    calls = accumulate(
        [header(0, "call_1", "get_weather"), args(0, '{"ci'), args(0, 'ty": "Pa'), args(0, 'ris"}')]
    )
    assert calls == [ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})]


def test_interleaved_parallel_calls_are_grouped_by_index() -> None:
    calls = accumulate(
        [
            header(0, "call_a", "get_weather"),
            header(1, "call_b", "get_time"),
            args(1, '{"tz": '),
            args(0, '{"city": '),
            args(0, '"Oslo"}'),
            args(1, '"UTC"}'),
        ]
    )
    assert calls == [
        ToolCall(id="call_a", name="get_weather", arguments={"city": "Oslo"}),
        ToolCall(id="call_b", name="get_time", arguments={"tz": "UTC"}),
    ]


def test_calls_come_out_in_index_order_whatever_order_they_start_in() -> None:
    calls = accumulate([header(1, "second", "b", "{}"), header(0, "first", "a", "{}")])
    assert [call.id for call in calls] == ["first", "second"]


def test_null_and_empty_header_fields_in_continuations_keep_the_first_values() -> None:
    calls = accumulate(
        [
            header(0, "call_1", "lookup", '{"q":'),
            {"index": 0, "id": None, "type": None, "function": {"name": None, "arguments": ' "x'}},
            {"index": 0, "id": "", "function": {"name": "", "arguments": '"}'}},
            {"index": 0, "function": None},
            {"index": 0},
        ]
    )
    assert calls == [ToolCall(id="call_1", name="lookup", arguments={"q": "x"})]


def test_id_and_name_may_arrive_only_in_a_later_fragment() -> None:
    calls = accumulate(
        [args(0, '{"a"'), {"index": 0, "id": "late", "function": {"name": "f", "arguments": ":1}"}}]
    )
    assert calls == [ToolCall(id="late", name="f", arguments={"a": 1})]


def test_a_repeated_id_and_name_are_harmless_and_the_first_name_wins() -> None:
    calls = accumulate([header(0, "c", "first", "{"), header(0, "c", "other", "}")])
    assert calls == [ToolCall(id="c", name="first", arguments={})]


def test_fragments_are_not_grouped_by_id() -> None:
    # Same id on two indexes: still two calls, because the index is the key.
    calls = accumulate([header(0, "same", "a", "{}"), header(1, "same", "b", "{}")])
    assert [call.name for call in calls] == ["a", "b"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_or_blank_arguments_mean_no_arguments(text: str) -> None:
    assert accumulate([header(0, "c", "noop", text)])[0].arguments == {}


def test_null_and_missing_argument_fragments_are_ignored() -> None:
    calls = accumulate([header(0, "c", "f", "{}"), args(0, None), {"index": 0, "function": {}}])
    assert calls[0].arguments == {}


def test_unicode_arguments_survive() -> None:
    calls = accumulate([header(0, "c", "say", '{"text": "'), args(0, "日本 ✓"), args(0, '"}')])
    assert calls[0].arguments == {"text": "日本 ✓"}


def test_arguments_sent_as_an_object_are_accepted() -> None:
    assert accumulate([header(0, "c", "f") | {"function": {"name": "f", "arguments": {"a": 1}}}])[
        0
    ].arguments == {"a": 1}


@pytest.mark.parametrize("text", ['{"city": "Par', "not json", "{'a': 1}"])
def test_unparsable_arguments_raise_naming_the_call(text: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        accumulate([header(0, "call_9", "get_weather", text)])
    assert caught.value.category is ErrorCategory.INVALID_RESPONSE
    assert "get_weather" in caught.value.message
    assert "call_9" in caught.value.message
    assert caught.value.provider == "test"
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "42", "null"])
def test_arguments_that_are_not_an_object_raise(text: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        accumulate([header(0, "c", "f", text)])
    assert caught.value.category is ErrorCategory.INVALID_RESPONSE


def test_a_call_that_never_got_a_name_raises() -> None:
    with pytest.raises(InvalidResponseError, match="never received a function name"):
        accumulate([header(0, "c", None, "{}")])


def test_a_call_without_an_id_gets_a_stable_one() -> None:
    assert accumulate([header(0, None, "f", "{}")])[0].id == "call_0"


@pytest.mark.parametrize("index", ["0", 1.0, True])
def test_a_non_integer_index_is_an_invalid_response(index: object) -> None:
    with pytest.raises(InvalidResponseError):
        accumulate([{"index": index, "id": "c", "function": {"name": "f"}}])


def test_a_fragment_that_is_not_an_object_is_an_invalid_response() -> None:
    accumulator = ToolCallAccumulator()
    with pytest.raises(InvalidResponseError):
        accumulator.add("nope")  # type: ignore[arg-type]


def test_missing_index_falls_back_to_id_then_to_the_latest_call() -> None:
    calls = accumulate(
        [
            {"id": "a", "function": {"name": "f", "arguments": "{"}},
            {"function": {"arguments": "}"}},
            {"id": "b", "function": {"name": "g", "arguments": "{}"}},
        ]
    )
    assert [(call.id, call.name, call.arguments) for call in calls] == [
        ("a", "f", {}),
        ("b", "g", {}),
    ]


def test_no_fragments_means_no_calls() -> None:
    assert accumulate([]) == []
