"""The streamed tool calls' schedule: every call opened once, its arguments in order, closed once.

`call_schedule` is what lets one scenario's `argument_cuts` and `interleave` mean the same in
each dialect, so these properties hold for any arguments and any wire options, and the expected
order of fragments is computed here from the documented meaning of `interleave`.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.dialects.call_schedule import CallStep, argument_pieces, call_schedule
from conformance.dialects.sse_writer import fragments
from conformance.scenarios.model import WireOptions

PROPERTY = settings(max_examples=60, deadline=None)

json_objects = st.dictionaries(
    st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=3
)
arguments_texts = st.one_of(
    st.text(max_size=30),
    json_objects.map(lambda a: json.dumps(a, ensure_ascii=False, separators=(",", ":"))),
)
arguments_lists = st.lists(arguments_texts, max_size=4)


@st.composite
def wires(draw: st.DrawFn) -> WireOptions:
    """Any argument options, including more or fewer cut lists than calls, offsets past the end,
    negative offsets and interleave entries beyond the number of calls."""
    return WireOptions(
        argument_fragments=draw(st.integers(1, 6)),
        argument_cuts=tuple(
            draw(st.lists(st.lists(st.integers(-3, 40), max_size=5).map(tuple), max_size=5))
        ),
        interleave=tuple(draw(st.lists(st.integers(0, 9), max_size=30))),
    )


def old_schedule(arguments: list[str], argument_fragments: int) -> list[CallStep]:
    """How calls went out before `call_schedule`: each whole, one after the other."""
    steps: list[CallStep] = []
    for index, text in enumerate(arguments):
        steps.append(CallStep("open", index))
        steps += [CallStep("delta", index, piece) for piece in fragments(text, argument_fragments)]
        steps.append(CallStep("close", index))
    return steps


def sequential(arguments: list[str], wire: WireOptions) -> list[CallStep]:
    steps: list[CallStep] = []
    for index, text in enumerate(arguments):
        steps.append(CallStep("open", index))
        pieces = argument_pieces(text, wire, index)
        steps += [CallStep("delta", index, piece) for piece in pieces]
        steps.append(CallStep("close", index))
    return steps


def expected_delta_order(arguments: list[str], wire: WireOptions) -> list[int]:
    """Each interleave entry sends the next fragment of call `entry % calls` (if it has one left);
    the rest follow in call order."""
    if not arguments:
        return []
    left = [len(argument_pieces(text, wire, i)) for i, text in enumerate(arguments)]
    order = []
    for entry in wire.interleave:
        call = entry % len(arguments)
        if left[call]:
            order.append(call)
            left[call] -= 1
    for call, count in enumerate(left):
        order += [call] * count
    return order


# --- argument_pieces --------------------------------------------------------------------------


def test_argument_cuts_cut_at_character_offsets() -> None:
    wire = WireOptions(argument_cuts=((2, 5), (0, 0)))
    assert argument_pieces('{"a":1}', wire, 0) == ['{"', 'a":', "1}"]
    # Repeated offsets give empty fragments, as the empty_argument_fragment regression needs.
    assert argument_pieces('{"b":2}', wire, 1) == ["", "", '{"b":2}']
    # A call past the cut lists falls back to argument_fragments.
    assert argument_pieces('{"c":3}', wire, 2) == fragments('{"c":3}', 3)


def test_argument_cuts_clamp_out_of_range_offsets() -> None:
    wire = WireOptions(argument_cuts=((99, -4, 3),))
    assert argument_pieces("{}", wire, 0) == ["", "{}", "", ""]


def test_argument_cuts_count_characters_not_bytes() -> None:
    wire = WireOptions(argument_cuts=((8,),))
    assert argument_pieces('{"k":"日本"}', wire, 0) == ['{"k":"日本', '"}']


@PROPERTY
@given(arguments_texts, wires(), st.integers(0, 6))
def test_argument_pieces_join_back(arguments: str, wire: WireOptions, call: int) -> None:
    pieces = argument_pieces(arguments, wire, call)
    assert "".join(pieces) == arguments
    if call < len(wire.argument_cuts):
        assert len(pieces) == len(wire.argument_cuts[call]) + 1
    else:
        assert pieces == fragments(arguments, wire.argument_fragments)


# --- call_schedule: examples ------------------------------------------------------------------


def test_no_calls_no_steps() -> None:
    assert call_schedule([], WireOptions(interleave=(0, 1, 2))) == []


def test_interleaved_schedule_example() -> None:
    wire = WireOptions(argument_cuts=((3,), (2, 5)), interleave=(1, 0, 1, 3))
    steps = call_schedule(['{"a":1}', '{"b":2}'], wire)
    assert steps == [
        CallStep("open", 1),
        CallStep("delta", 1, '{"'),
        CallStep("open", 0),
        CallStep("delta", 0, '{"a'),
        CallStep("delta", 1, 'b":'),
        CallStep("delta", 1, "2}"),  # 3 % 2 == 1: call 1's last fragment
        CallStep("close", 1),
        CallStep("delta", 0, '":1}'),  # the rest, in call order
        CallStep("close", 0),
    ]


def test_interleave_entries_for_a_finished_call_are_skipped() -> None:
    wire = WireOptions(argument_fragments=1, interleave=(0, 0, 0, 1))
    steps = call_schedule(["{}", "[]"], wire)
    assert steps == old_schedule(["{}", "[]"], 1)


def test_empty_arguments_still_open_send_and_close() -> None:
    steps = call_schedule(["", ""], WireOptions(interleave=(1,)))
    assert steps == [
        CallStep("open", 1),
        CallStep("delta", 1, ""),
        CallStep("close", 1),
        CallStep("open", 0),
        CallStep("delta", 0, ""),
        CallStep("close", 0),
    ]


# --- call_schedule: properties ----------------------------------------------------------------


@PROPERTY
@given(arguments_lists, wires(), st.booleans())
@example(
    ["", '{"a":1}', "x"], WireOptions(argument_cuts=((0, 0), (), (5,)), interleave=(2, 2)), True
)
def test_each_call_is_opened_fed_and_closed_once(
    arguments: list[str], wire: WireOptions, interleave: bool
) -> None:
    steps = call_schedule(arguments, wire, interleave=interleave)
    assert {step.call for step in steps} == set(range(len(arguments)))
    assert all(step.piece == "" for step in steps if step.kind != "delta")
    for call, text in enumerate(arguments):
        at = [i for i, step in enumerate(steps) if step.call == call]
        mine = [steps[i] for i in at]
        kinds = [step.kind for step in mine]
        # open, then at least one delta, then close: nothing of this call before or after.
        assert kinds[0] == "open"
        assert kinds[-1] == "close"
        assert kinds[1:-1] == ["delta"] * (len(kinds) - 2)
        assert len(kinds) >= 3
        deltas = [step.piece for step in mine[1:-1]]
        assert deltas == argument_pieces(text, wire, call)
        assert "".join(deltas) == text
        # Opened right before its first fragment, closed right after its last one.
        assert at[1] == at[0] + 1
        assert at[-1] == at[-2] + 1


@PROPERTY
@given(arguments_lists, wires())
def test_fragments_go_out_in_the_interleave_order(arguments: list[str], wire: WireOptions) -> None:
    steps = call_schedule(arguments, wire)
    assert [step.call for step in steps if step.kind == "delta"] == expected_delta_order(
        arguments, wire
    )


@PROPERTY
@given(arguments_lists, wires())
def test_without_interleave_calls_go_one_after_the_other(
    arguments: list[str], wire: WireOptions
) -> None:
    expected = sequential(arguments, wire)
    assert call_schedule(arguments, replace(wire, interleave=())) == expected
    # A dialect whose API never interleaves passes interleave=False: the schedule is ignored.
    assert call_schedule(arguments, wire, interleave=False) == expected
    calls = [step.call for step in expected]
    assert calls == sorted(calls)


@PROPERTY
@given(arguments_lists, st.integers(1, 8))
@example(["", "x", '{"a":[1,2]}'], 3)
def test_default_wire_options_keep_the_old_behaviour(
    arguments: list[str], argument_fragments: int
) -> None:
    wire = WireOptions(argument_fragments=argument_fragments)
    assert call_schedule(arguments, wire) == old_schedule(arguments, argument_fragments)


@pytest.mark.parametrize("argument_fragments", [1, 2, 3, 7])
def test_default_options_fragment_a_typical_call(argument_fragments: int) -> None:
    arguments = ['{"city":"Zürich","units":"metric"}']
    steps = call_schedule(arguments, WireOptions(argument_fragments=argument_fragments))
    assert steps == old_schedule(arguments, argument_fragments)
    assert len(steps) == 2 + len(fragments(arguments[0], argument_fragments))
