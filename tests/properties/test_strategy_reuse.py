"""Strategies drawn inside `flatmap` are built once, not per example.

Hypothesis validates every strategy object it has not seen before; a strategy built afresh for
each example (as a `flatmap` callback does) paid that validation per example, which cost more
than the example's exchange and made shrinking a failing property take a minute.
"""

from __future__ import annotations

from conformance.scenarios.model import Reply
from conformance.strategies import errors, replies, text, tools, wire
from conformance.vocabulary.canonical import ToolCall


def test_building_a_strategy_twice_gives_the_same_object() -> None:
    assert text.unicode_text(max_size=8) is text.unicode_text(max_size=8)
    assert text.text_parts() is text.text_parts()
    assert tools.json_values() is tools.json_values()
    assert tools.tool_arguments() is tools.tool_arguments()
    assert wire.cuts(crlf=True) is wire.cuts(crlf=True)
    assert wire.argument_cuts(2) is wire.argument_cuts(2)


def test_what_flatmap_builds_per_draw_is_reused() -> None:
    one = Reply(tool_calls=(ToolCall("call_a", "f", {}),))
    other = Reply(tool_calls=(ToolCall("call_b", "g", {"x": 1}),))
    assert wire.wire_options(one) is wire.wire_options(other)
    assert wire._wire_options(1, "crlf") is wire._wire_options(1, "crlf")
    assert tools._calls_of(2) is tools._calls_of(2)
    assert replies._answer(True, max_calls=3, usage=True) is replies._answer(
        True, max_calls=3, usage=True
    )
    assert errors._error_reply(429, large_body=10) is errors._error_reply(429, large_body=10)
