"""How the fake server frames and fragments an answer: every split and interleaving allowed."""

from __future__ import annotations

import functools

from hypothesis import strategies as st

from conformance.scenarios.model import Reply, WireOptions
from conformance.vocabulary.fragmentation import CUT_KINDS


@functools.cache
def cuts(*, max_cuts: int = 6, crlf: bool = True) -> st.SearchStrategy[tuple[str, ...]]:
    """Cuts of the body into separate writes, named by the place they fall (`utf8:3`).

    The places decoders get wrong (inside a character; inside a CRLF, when the body has CRLF
    line ends) are drawn more often than the others.
    """
    kinds = st.sampled_from(
        [*CUT_KINDS, "utf8", "crlf", "crlf"] if crlf else [k for k in CUT_KINDS if k != "crlf"]
    )
    cut = st.builds(lambda kind, n: f"{kind}:{n}", kinds, st.integers(0, 400))
    return st.lists(cut, max_size=max_cuts, unique=True).map(tuple)


@functools.cache
def argument_cuts(calls: int) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Per call, offsets cutting its arguments into fragments; equal offsets give empty ones."""
    # At least one cut each, so parallel calls have fragments to interleave.
    offsets = st.lists(st.integers(0, 120), min_size=1, max_size=6).map(lambda o: tuple(sorted(o)))
    return st.lists(offsets, min_size=calls, max_size=calls).map(tuple)


@functools.cache
def interleavings(calls: int) -> st.SearchStrategy[tuple[int, ...]]:
    """An order for parallel calls' fragments (empty: one call after the other)."""
    if calls < 2:
        return st.just(())
    return st.lists(st.integers(0, calls - 1), min_size=1, max_size=24).map(tuple)


@functools.cache
def inserts(*, sse: bool = True) -> st.SearchStrategy[tuple[str, ...]]:
    """Comment lines and unknown events between events."""
    if not sse:
        return st.just(())
    insert = st.builds(
        lambda kind, n: f"{kind}:{n}", st.sampled_from(["comment", "unknown"]), st.integers(0, 40)
    )
    return st.lists(insert, max_size=3, unique=True).map(tuple)


def wire_options(reply: Reply) -> st.SearchStrategy[WireOptions]:
    """Any framing the SSE standard allows, and any fragmentation, for this reply."""
    return _wire_options_for(len(reply.tool_calls))


@functools.cache
def _wire_options_for(calls: int) -> st.SearchStrategy[WireOptions]:
    """Built once per call count: drawn inside `flatmap`, where hypothesis validates every
    strategy object it has not seen before."""
    return st.sampled_from(["lf", "crlf", "cr"]).flatmap(functools.partial(_wire_options, calls))


@functools.cache
def _wire_options(calls: int, line_ending: str) -> st.SearchStrategy[WireOptions]:
    return st.builds(
        WireOptions,
        data_space=st.sampled_from([True, False]),
        line_ending=st.just(line_ending),
        continuation_ids=st.sampled_from(["omit", "null", "repeat"]),
        multiline_data=st.booleans(),
        extra_fields=st.booleans(),
        comments=st.booleans(),
        cuts=cuts(crlf=line_ending == "crlf"),
        argument_cuts=argument_cuts(calls),
        interleave=interleavings(calls),
        inserts=inserts(),
    )
