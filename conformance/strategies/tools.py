"""Tool calls: names and ids as APIs issue them, arguments as arbitrary JSON objects.

Every strategy here is built once (per arguments): they are drawn inside `flatmap`, and
hypothesis validates each strategy object it has not seen before, a cost per example otherwise.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

from conformance.strategies.text import unicode_text
from conformance.vocabulary.canonical import ToolCall, ToolSpec


@functools.cache
def json_values(*, max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value: nested arrays and objects, Unicode keys and strings, any numbers."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        unicode_text(max_size=16),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(unicode_text(max_size=8), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


@functools.cache
def tool_arguments() -> st.SearchStrategy[dict[str, Any]]:
    """A call's arguments: always an object (maybe `{}`), with anything inside."""
    return st.dictionaries(unicode_text(max_size=10), json_values(), max_size=5)


@functools.cache
def tool_names() -> st.SearchStrategy[str]:
    """Names every API accepts: `^[A-Za-z0-9_-]{1,64}$`."""
    return st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True)


@functools.cache
def tool_call_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"call_[A-Za-z0-9]{1,24}", fullmatch=True)


def tool_calls(
    *, min_calls: int = 1, max_calls: int = 3
) -> st.SearchStrategy[tuple[ToolCall, ...]]:
    """One to several parallel calls with distinct ids and distinct names.

    Names are distinct because one API (Gemini) pairs calls and results by name alone.
    """
    return st.integers(min_calls, max_calls).flatmap(_calls_of)


@functools.cache
def _calls_of(count: int) -> st.SearchStrategy[tuple[ToolCall, ...]]:
    return st.tuples(
        st.lists(tool_call_ids(), min_size=count, max_size=count, unique=True),
        st.lists(tool_names(), min_size=count, max_size=count, unique=True),
        st.lists(tool_arguments(), min_size=count, max_size=count),
    ).map(
        lambda drawn: tuple(
            ToolCall(call_id, name, arguments)
            for call_id, name, arguments in zip(*drawn, strict=True)
        )
    )


def tool_specs_for(calls: tuple[ToolCall, ...]) -> tuple[ToolSpec, ...]:
    """The request's tool definitions a reply's calls need (each call names a defined tool)."""
    return tuple(
        ToolSpec(call.name, f"Generated tool {call.name}.", {"type": "object"}) for call in calls
    )
