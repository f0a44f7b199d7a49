"""The public strategies draw what they promise, and the property profiles are what they say.

Users build their own properties from `conformance.strategies`, so its promises are API: a
generated scenario only calls tools its request defines, with distinct ids and names, its wire
options are ones the server understands, and an error's expected outcome is the ER-1 table's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from conformance.properties.settings import DEFAULT_PROFILE, PROFILES, property_profile
from conformance.scenarios.model import Scenario, WireOptions
from conformance.strategies import (
    GARBAGE_RETRY_AFTER,
    TRICKY_CHARACTERS,
    answer_scenarios,
    cuts,
    error_replies,
    error_scenarios,
    inserts,
    interleavings,
    text_parts,
    tool_calls,
    tool_specs_for,
    unicode_text,
)
from conformance.vocabulary.canonical import CAPABILITIES, Mode, ToolCall
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.fragmentation import CUT_KINDS, parse_cut
from conformance.vocabulary.status_table import category_for_status, status_table

# A whole generated scenario costs tens of milliseconds to draw: few examples, many checks each.
PROPERTY = settings(max_examples=50, deadline=None)
SCENARIOS = settings(max_examples=30, deadline=None)
# Reachability searches: enough to find what the strategy draws often, without shrinking.
FIND = settings(max_examples=300, deadline=None, phases=(Phase.generate,), database=None)

TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
INSERT = re.compile(r"(?:comment|unknown):[0-9]+")


def _calls(scenario: Scenario) -> int:
    return sum(len(turn.reply.tool_calls) for turn in scenario.turns)


def check_answer(scenario: Scenario, mode: Mode) -> None:
    """What every generated answer promises, whatever the capabilities it was drawn for."""
    assert scenario.modes == (mode,)
    assert len(scenario.turns) == 1
    reply = scenario.final_reply
    assert reply.error is None
    assert not reply.fault.any
    assert scenario.is_plain_answer or scenario.wire.extra_fields
    calls = reply.tool_calls
    defined = {tool.name for tool in scenario.request.tools}
    assert {call.name for call in calls} == defined
    assert len({call.id for call in calls}) == len(calls)
    assert len({call.name for call in calls}) == len(calls)
    assert all(TOOL_NAME.fullmatch(call.name) for call in calls)
    assert all(call.id.startswith("call_") for call in calls)
    for call in calls:
        # Arguments are a JSON object that survives the wire unchanged (no NaN, no infinity).
        assert isinstance(call.arguments, dict)
        assert json.loads(json.dumps(call.arguments, allow_nan=False)) == call.arguments
    assert ("tools" in scenario.requires) == bool(calls)
    assert ("parallel_tool_calls" in scenario.requires) == (len(calls) > 1)
    assert scenario.requires <= set(CAPABILITIES)
    if calls:
        assert reply.stop_reason == "tool_calls"
    else:
        assert reply.stop_reason in ("stop", "length")
        assert reply.text_parts  # an answer without calls says something (maybe "")
    "".join(reply.text_parts).encode("utf-8")  # no surrogates: every text can be sent
    if reply.usage is not None:
        usage = reply.usage
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        assert min(usage.prompt_tokens, usage.completion_tokens) >= 0


def check_stream_wire(wire: WireOptions, calls: int) -> None:
    assert len(set(wire.cuts)) == len(wire.cuts)
    for spec in wire.cuts:
        kind, _ = parse_cut(spec)
        assert kind in CUT_KINDS
    assert len(wire.argument_cuts) == calls
    assert all(
        list(offsets) == sorted(offsets) and min(offsets, default=0) >= 0
        for offsets in wire.argument_cuts
    )
    if calls < 2:
        assert wire.interleave == ()
    assert all(0 <= entry < calls for entry in wire.interleave)
    assert all(INSERT.fullmatch(spec) for spec in wire.inserts)
    assert len(set(wire.inserts)) == len(wire.inserts)
    assert wire.line_ending in ("lf", "crlf", "cr")
    assert wire.split_bytes == 0  # cuts say where the body is cut, not a fixed size


# --- answers ----------------------------------------------------------------------------------


@SCENARIOS
@given(answer_scenarios("stream"))
def test_stream_answers_keep_their_promises(scenario: Scenario) -> None:
    check_answer(scenario, "stream")
    check_stream_wire(scenario.wire, _calls(scenario))
    assert scenario.requirements("stream") <= set(CAPABILITIES)


@settings(max_examples=20, deadline=None)
@given(answer_scenarios("chat"))
def test_chat_answers_keep_their_promises(scenario: Scenario) -> None:
    check_answer(scenario, "chat")
    assert scenario.wire == WireOptions()


@pytest.mark.parametrize(
    ("mode", "capabilities", "max_calls"),
    [
        ("stream", (), 0),
        ("chat", (), 0),
        ("stream", {"tools"}, 0),  # tools, but not streamed ones
        ("stream", {"tools", "parallel_tool_calls"}, 0),
        ("stream", {"tools", "streaming_tool_calls"}, 1),
        ("chat", {"tools"}, 1),
        ("chat", {"parallel_tool_calls"}, 0),
    ],
)
def test_capabilities_bound_the_tool_calls(
    mode: Mode, capabilities: Collection[str], max_calls: int
) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answer_scenarios(mode, capabilities=capabilities))
    def check(scenario: Scenario) -> None:
        check_answer(scenario, mode)
        assert _calls(scenario) <= max_calls
        if max_calls == 0:
            assert scenario.request.tools == ()
            assert scenario.requires == frozenset()
            assert scenario.wire.argument_cuts == ()

    check()


@pytest.mark.parametrize(
    ("mode", "capabilities", "calls"),
    [
        ("stream", CAPABILITIES, 3),
        ("chat", ("tools", "parallel_tool_calls"), 3),
        ("stream", ("tools", "streaming_tool_calls"), 1),
        ("chat", ("tools",), 1),
    ],
)
def test_tool_calls_are_drawn_when_the_capabilities_allow(
    mode: Mode, capabilities: Collection[str], calls: int
) -> None:
    found = find(
        answer_scenarios(mode, capabilities=capabilities),
        lambda s: _calls(s) == calls,
        settings=FIND,
    )
    assert _calls(found) == calls


def test_wire_strategies_reach_every_cut_kind_and_interleaving() -> None:
    def has_kind(kind: str) -> Callable[[tuple[str, ...]], bool]:
        return lambda specs: any(spec.startswith(f"{kind}:") for spec in specs)

    for kind in CUT_KINDS:
        find(cuts(), has_kind(kind), settings=FIND)
    find(interleavings(3), lambda order: len(set(order)) == 3, settings=FIND)
    assert find(interleavings(1), lambda _: True, settings=FIND) == ()
    find(inserts(), lambda i: {s.split(":")[0] for s in i} == {"comment", "unknown"}, settings=FIND)
    assert find(inserts(sse=False), lambda _: True, settings=FIND) == ()


def test_the_name_is_the_callers() -> None:
    found = find(answer_scenarios("chat", name="mine"), lambda s: True, settings=FIND)
    assert found.name == "mine"
    found = find(error_scenarios("stream", name="theirs"), lambda s: True, settings=FIND)
    assert found.name == "theirs"
    assert found.modes == ("stream",)


# --- errors -----------------------------------------------------------------------------------


@SCENARIOS
@given(error_scenarios("chat"))
def test_error_scenarios_expect_the_status_table(scenario: Scenario) -> None:
    assert scenario.modes == ("chat",)
    assert scenario.is_error
    error = scenario.final_reply.error
    assert error is not None
    assert 400 <= error.status <= 599
    assert not error.in_stream
    assert error.message is not None or error.body is not None
    if error.message is not None:
        assert error.message.strip()
    assert scenario.is_http_error == (error.body is None)

    expected = scenario.expected_error()
    assert expected is not None
    assert expected.status == error.status
    assert (expected.category, expected.retryable) == category_for_status(error.status)
    if error.status in status_table():
        assert expected.category == status_table()[error.status][0]
    elif error.status < 500:
        assert expected.category == "invalid_request"
    else:
        assert expected.category == "server"
    assert expected.message == error.message

    if error.retry_after is not None:
        assert error.status in (429, 503)  # only where servers state a delay
        assert expected.retry_after == error.retry_after
        assert error.retry_after >= 0
    else:
        # A garbage Retry-After header is no delay at all: a provider must report none.
        assert set(error.headers) <= {"Retry-After"}
        assert all(value in GARBAGE_RETRY_AFTER for value in error.headers.values())
        assert expected.retry_after is None


def test_error_replies_reach_delays_proxy_pages_and_statuses_outside_the_table() -> None:
    # error_scenarios is error_replies mapped to a scenario; small "large" bodies keep this quick.
    replies = error_replies(large_body=16)
    # A stated delay needs 429 or 503 and one branch of three: rarer, so search longer.
    rare = settings(FIND, max_examples=3000)
    found = find(replies, lambda e: e.retry_after is not None, settings=rare)
    assert found.status in (429, 503)
    find(
        replies, lambda e: e.body is not None and e.content_type.startswith("text/"), settings=FIND
    )
    find(replies, lambda e: e.status not in status_table(), settings=FIND)
    find(replies, lambda e: e.headers.get("Retry-After") in GARBAGE_RETRY_AFTER, settings=FIND)


# --- building blocks --------------------------------------------------------------------------


@PROPERTY
@given(unicode_text(min_size=1, max_size=20))
def test_unicode_text_can_always_be_sent(text: str) -> None:
    assert 1 <= len(text) <= 20
    assert text.encode("utf-8").decode("utf-8") == text


def test_unicode_text_draws_tricky_characters() -> None:
    find(unicode_text(), lambda t: any(c in TRICKY_CHARACTERS for c in t), settings=FIND)
    find(unicode_text(), lambda t: any(ord(c) > 0xFFFF for c in t), settings=FIND)


@PROPERTY
@given(text_parts(max_parts=3, allow_empty=False))
def test_text_parts_without_empty_ones(parts: tuple[str, ...]) -> None:
    assert 1 <= len(parts) <= 3
    assert all(parts)


@settings(max_examples=15, deadline=None)
@given(tool_calls(min_calls=2, max_calls=3))
def test_tool_calls_have_distinct_ids_and_names(calls: tuple[ToolCall, ...]) -> None:
    assert 2 <= len(calls) <= 3
    assert len({call.id for call in calls}) == len(calls)
    assert len({call.name for call in calls}) == len(calls)
    specs = tool_specs_for(calls)
    assert [spec.name for spec in specs] == [call.name for call in calls]
    assert all(spec.parameters == {"type": "object"} for spec in specs)


# --- property profiles ------------------------------------------------------------------------


def test_unknown_profile_is_a_usage_error_naming_option_and_choices() -> None:
    with pytest.raises(UsageError) as caught:
        property_profile("nope")
    message = str(caught.value)
    assert "--property-profile" in message
    assert "nope" in message
    for name in ("dev", "ci", "thorough"):
        assert name in message


def test_profiles() -> None:
    assert set(PROFILES) == {"dev", "ci", "thorough"}
    assert DEFAULT_PROFILE == "ci"
    dev, ci, thorough = (property_profile(n) for n in ("dev", "ci", "thorough"))
    assert thorough.max_examples > ci.max_examples > dev.max_examples
    assert ci.derandomize
    assert not dev.derandomize
    assert not thorough.derandomize
    for profile in (dev, ci, thorough):
        assert profile is PROFILES[profile.name]
        assert profile.description


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_settings(name: str) -> None:
    profile = property_profile(name)
    built = profile.settings()
    assert built.max_examples == profile.max_examples
    assert built.derandomize == profile.derandomize
    assert built.deadline is None
    assert built.database is None
    assert Phase.shrink in built.phases


def test_ci_profile_draws_the_same_examples_every_run() -> None:
    def draw() -> list[tuple[tuple[str, ...], str]]:
        drawn: list[tuple[tuple[str, ...], str]] = []

        @property_profile("ci").settings()
        @given(cuts(), unicode_text())
        def collect(specs: tuple[str, ...], text: str) -> None:
            drawn.append((specs, text))

        collect()
        return drawn

    first = draw()
    assert first == draw()
    assert len(first) >= 2
