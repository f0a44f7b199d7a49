"""Hypothesis strategies for dialect-neutral scenarios, for the suite's properties and yours.

Build your own properties from them::

    from hypothesis import given
    from conformance.strategies import answer_scenarios

    @given(answer_scenarios("stream"))
    def test_my_provider_streams_anything(scenario): ...

Every strategy draws plain data (`Scenario`, `Reply`, `WireOptions`, `ErrorReply`), so an example
runs through the same server, judge and reports as a written scenario.
"""

from conformance.strategies.errors import GARBAGE_RETRY_AFTER, error_replies, error_statuses
from conformance.strategies.replies import answer_replies, stop_reasons, usages
from conformance.strategies.scenarios import (
    answer_scenario,
    answer_scenarios,
    error_scenario,
    error_scenarios,
)
from conformance.strategies.sse import (
    SSEBlock,
    SSEStream,
    byte_splits,
    risky_cuts,
    sse_byte_soup,
    sse_events,
    sse_streams,
)
from conformance.strategies.text import TRICKY_CHARACTERS, text_parts, unicode_text
from conformance.strategies.tools import (
    json_values,
    tool_arguments,
    tool_call_ids,
    tool_calls,
    tool_names,
    tool_specs_for,
)
from conformance.strategies.wire import (
    argument_cuts,
    cuts,
    inserts,
    interleavings,
    wire_options,
)

__all__ = [
    "GARBAGE_RETRY_AFTER",
    "TRICKY_CHARACTERS",
    "SSEBlock",
    "SSEStream",
    "answer_replies",
    "answer_scenario",
    "answer_scenarios",
    "argument_cuts",
    "byte_splits",
    "cuts",
    "error_replies",
    "error_scenario",
    "error_scenarios",
    "error_statuses",
    "inserts",
    "interleavings",
    "json_values",
    "risky_cuts",
    "sse_byte_soup",
    "sse_events",
    "sse_streams",
    "stop_reasons",
    "text_parts",
    "tool_arguments",
    "tool_call_ids",
    "tool_calls",
    "tool_names",
    "tool_specs_for",
    "unicode_text",
    "usages",
    "wire_options",
]
