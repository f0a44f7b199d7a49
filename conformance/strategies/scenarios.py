"""Whole scenarios for properties: a generated answer or error, framed and fragmented anyhow.

Each is an ordinary `Scenario`, so a generated example runs, is judged and is saved (as a
regression file) exactly like a written one.
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st

from conformance.scenarios.model import ErrorReply, Reply, RequestSpec, Scenario, Turn, WireOptions
from conformance.strategies.errors import error_replies
from conformance.strategies.replies import answer_replies
from conformance.strategies.tools import tool_specs_for
from conformance.strategies.wire import wire_options
from conformance.vocabulary.canonical import ChatMessage, Mode

_QUESTION = (ChatMessage("user", "Answer with whatever the server says."),)


def _requires(reply: Reply) -> frozenset[str]:
    needed = set()
    if reply.tool_calls:
        needed.add("tools")
    if len(reply.tool_calls) > 1:
        needed.add("parallel_tool_calls")
    return frozenset(needed)


def answer_scenario(reply: Reply, wire: WireOptions, mode: Mode, name: str) -> Scenario:
    return Scenario(
        name=name,
        title="Generated answer",
        description="Drawn by a property; the wire options say how it was framed and cut.",
        tags=("property",),
        focus=("ST-1", "ST-2", "ST-3", "ST-5", "ST-6") if mode == "stream" else ("CH-1", "CH-2"),
        requires=_requires(reply),
        modes=(mode,),
        request=RequestSpec(messages=_QUESTION, tools=tool_specs_for(reply.tool_calls)),
        turns=(Turn(reply),),
        wire=wire,
    )


def answer_scenarios(
    mode: Mode = "stream",
    *,
    capabilities: Collection[str] = ("tools", "parallel_tool_calls", "streaming_tool_calls"),
    name: str = "property-answer",
) -> st.SearchStrategy[Scenario]:
    """Answers the provider says it can take, framed (in stream mode) in any way the SSE standard
    allows and cut into writes anywhere."""
    tools = "tools" in capabilities and (mode == "chat" or "streaming_tool_calls" in capabilities)
    replies = answer_replies(tools=tools, parallel_tool_calls="parallel_tool_calls" in capabilities)

    def frame(reply: Reply) -> st.SearchStrategy[Scenario]:
        wires = wire_options(reply) if mode == "stream" else st.just(WireOptions())
        return wires.map(lambda wire: answer_scenario(reply, wire, mode, name))

    return replies.flatmap(frame)


def error_scenario(error: ErrorReply, mode: Mode, name: str) -> Scenario:
    return Scenario(
        name=name,
        title="Generated API error",
        description="Drawn by a property: any status, Retry-After form and body shape.",
        tags=("property", "errors"),
        focus=("ER-1", "ER-2", "ER-8"),
        modes=(mode,),
        request=RequestSpec(messages=_QUESTION),
        turns=(Turn(Reply(error=error)),),
    )


def error_scenarios(
    mode: Mode = "chat", *, name: str = "property-error"
) -> st.SearchStrategy[Scenario]:
    """An HTTP error answered to the request, in chat or before a stream starts."""
    return error_replies().map(lambda error: error_scenario(error, mode, name))
