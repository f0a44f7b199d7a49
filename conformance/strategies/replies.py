"""A model's answer: text deltas, tool calls, a stop reason and usage numbers."""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from conformance.scenarios.model import Reply
from conformance.strategies.text import text_parts
from conformance.strategies.tools import tool_calls
from conformance.vocabulary.canonical import Usage


@functools.cache
def usages() -> st.SearchStrategy[Usage]:
    """Token counts with the total the sum, as every API that sends a total has it."""
    counts = st.integers(min_value=0, max_value=2_000_000)
    return st.builds(lambda p, c: Usage(p, c, p + c), counts, counts)


def stop_reasons(*, tool_calls: bool = False) -> st.SearchStrategy[str]:
    """Canonical stop reasons every dialect can state (a call-making answer stops for its calls)."""
    if tool_calls:
        return st.just("tool_calls")
    return st.sampled_from(["stop", "length"])


def answer_replies(
    *, tools: bool = True, parallel_tool_calls: bool = True, usage: bool = True
) -> st.SearchStrategy[Reply]:
    """A successful answer: text, or tool calls (with or without text), stop reason, usage."""
    max_calls = 3 if parallel_tool_calls else 1
    with_calls = st.booleans() if tools else st.just(False)
    return with_calls.flatmap(functools.partial(_answer, max_calls=max_calls, usage=usage))


@functools.cache
def _answer(has_calls: bool, *, max_calls: int, usage: bool) -> st.SearchStrategy[Reply]:
    """Built once per shape: drawn inside `flatmap`, where hypothesis validates every strategy
    object it has not seen before."""
    calls = tool_calls(max_calls=max_calls) if has_calls else st.just(())
    parts = st.one_of(st.just(()), text_parts()) if has_calls else text_parts()
    return st.builds(
        Reply,
        text_parts=parts,
        tool_calls=calls,
        stop_reason=stop_reasons(tool_calls=has_calls),
        usage=st.one_of(st.none(), usages()) if usage else st.none(),
    )
