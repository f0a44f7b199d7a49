"""The dialect-neutral scenario: what the harness asks, and what the server answers, turn by turn.

A scenario never mentions a wire format. Dialects render its replies to bytes; the judge compares
a provider's observation with `expected_*`, which come from the scenario alone, never from the
provider under test.

The server's faults (`faults.py`) and the wire layout options (`wire_options.py`) live in their own
modules; their names are importable from here as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from conformance.scenarios.faults import Fault
from conformance.scenarios.wire_options import (
    RESPONSES_VARIANTS,
    WIRE_FEATURES,
    ContinuationIds,
    LineEnding,
    ToolCallIndex,
    UsageIn,
    WireOptions,
)
from conformance.vocabulary.canonical import (
    ChatMessage,
    ExpectedError,
    Mode,
    ToolCall,
    ToolSpec,
    Usage,
)
from conformance.vocabulary.errors import ScenarioRenderError
from conformance.vocabulary.status_table import expected_error

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_MODEL",
    "DEFAULT_TEMPERATURE",
    "RESPONSES_VARIANTS",
    "WIRE_FEATURES",
    "ContinuationIds",
    "ErrorReply",
    "Fault",
    "LineEnding",
    "Reply",
    "RequestSpec",
    "RetryAfterForm",
    "Scenario",
    "ToolCallIndex",
    "ToolResult",
    "Turn",
    "UsageIn",
    "WireOptions",
    "check_fault_reachable",
    "turn_mapping",
]

DEFAULT_MODEL = "conformance-model-1"
# Deliberately not anyone's default, so a provider that drops them is seen on the wire (RQ-3).
DEFAULT_TEMPERATURE = 0.25
DEFAULT_MAX_TOKENS = 321


RetryAfterForm = Literal["seconds", "http-date", "ms"]


@dataclass(frozen=True)
class ErrorReply:
    status: int
    #: The API's own message; None for a body that carries none (an HTML page from a proxy).
    message: str | None
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Sent inside a 200 stream (`event: error`, `data: {"error": ...}`), judged by ER-6.
    in_stream: bool = False
    #: A body written as it is instead of the dialect's error shape (e.g. a proxy's HTML page).
    body: str | None = None
    content_type: str = "application/json"
    #: A retry delay the server states at response time in the given form (`Retry-After` in
    #: seconds or as an HTTP-date counted from the moment of the response, or `retry-after-ms`).
    retry_after: float | None = None
    retry_after_form: RetryAfterForm = "seconds"
    #: The category the body itself states where it overrides the status's (a recorded Gemini
    #: 400 whose google.rpc.ErrorInfo reason is API_KEY_INVALID is a bad key: `auth`).
    category: str | None = None


@dataclass(frozen=True)
class Reply:
    text_parts: tuple[str, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    stop_reason: str | None = None
    usage: Usage | None = None
    error: ErrorReply | None = None
    #: A recorded response body played verbatim (wire corpus replay); the fields above are then
    #: the dialect's reading of it, what a conforming provider must report.
    recorded: bytes | None = None
    #: Whether `recorded` is a stream (served to a streamed request only) or one JSON body
    #: (served to a plain request only); a request asking the other way gets a 400 naming it.
    recorded_stream: bool = True
    # Fault and WireOptions are frozen: one shared default is safe (ruff cannot tell).
    fault: Fault = Fault()  # noqa: RUF009

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    @property
    def effective_stop_reason(self) -> str:
        if self.stop_reason is not None:
            return self.stop_reason
        return "tool_calls" if self.tool_calls else "stop"


@dataclass(frozen=True)
class ToolResult:
    tool_call_id: str
    content: str


@dataclass(frozen=True)
class Turn:
    reply: Reply
    tool_results: tuple[ToolResult, ...] = ()
    #: Replies played to earlier requests of this same turn, before `reply`: what a provider
    #: that retries meets (503, 503, then the answer). Judged by the resilience clauses.
    attempts: tuple[Reply, ...] = ()

    @property
    def replies(self) -> tuple[Reply, ...]:
        return (*self.attempts, self.reply)


@dataclass(frozen=True)
class RequestSpec:
    messages: tuple[ChatMessage, ...]
    system: str | None = None
    tools: tuple[ToolSpec, ...] = ()
    model: str = DEFAULT_MODEL
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS
    #: Further sampling parameters, sent only when set; RQ-3 checks each reaches the wire where
    #: the profile's interface accepts it and the dialect's wire carries it.
    top_p: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    turns: tuple[Turn, ...]
    request: RequestSpec
    description: str = ""
    tags: tuple[str, ...] = ()
    focus: tuple[str, ...] = ()
    requires: frozenset[str] = frozenset()
    modes: tuple[Mode, ...] = ("chat", "stream")
    wire: WireOptions = WireOptions()  # noqa: RUF009 (frozen, like Reply.fault)
    source: Path | None = None
    #: The timeout the provider is built with for this scenario (stalls use a small one).
    timeout: float | None = None
    #: Stop iterating the stream after this many chunks and close it (ST-7).
    stop_after_chunks: int | None = None

    def wire_features(self, mode: Mode) -> frozenset[str]:
        """Wire shapes this scenario needs in `mode` that not every dialect can express
        (WIRE_FEATURES); a dialect without one reports the scenario not applicable."""
        wire = self.wire
        found: set[str] = set()
        if any(r.fault.unparsable_tool_arguments for t in self.turns for r in t.replies):
            found.add("unparsable_tool_arguments")
        if wire.null_arguments:
            found.add("null_tool_arguments")
        if wire.content_parts or wire.thinking:
            found.add("content_parts")
        if mode == "stream":
            if wire.tool_call_index != "zero":
                found.add(f"tool_call_index_{wire.tool_call_index}")
            if wire.continuation_ids == "empty":
                found.add("empty_continuation_names")
            if wire.usage_in != "chunk":
                found.add(f"usage_{wire.usage_in}")
            for variant in (
                "finish_reason_twice",
                "chunk_after_usage",
                "arguments_only_in_done",
                "response_id_changes",
            ):
                if getattr(wire, variant):
                    found.add(variant)
        return frozenset(found)

    @property
    def final_reply(self) -> Reply:
        return self.turns[-1].reply

    @property
    def is_error(self) -> bool:
        return any(
            turn.reply.error is not None or turn.reply.fault.expected_error is not None
            for turn in self.turns
        )

    @property
    def is_http_error(self) -> bool:
        """The final answer is a plain API error: an HTTP status with the dialect's error body.

        (Not an error inside a stream, a proxy's page, or an injected fault.)
        """
        error = self.final_reply.error
        return (
            error is not None
            and not error.in_stream
            and error.body is None
            and not any(reply.fault.any for turn in self.turns for reply in turn.replies)
        )

    @property
    def is_plain_answer(self) -> bool:
        """An answer any client reads the ordinary way: no error, no fault that breaks it, no
        early exit, no event types the API never sends (which real SDKs do not all ignore), no
        shape only some servers send (WIRE_FEATURES: official SDKs leave those to the caller)."""
        return (
            not self.is_error
            and self.stop_after_chunks is None
            and not self.wire.extra_fields
            and not any(self.wire_features(mode) for mode in self.modes)
        )

    def requirements(self, mode: Mode) -> frozenset[str]:
        """Capabilities needed in this mode: streaming a tool call needs more than chatting one."""
        needed = set(self.requires)
        if mode == "stream":
            needed.add("streaming")
            if any(turn.reply.tool_calls for turn in self.turns):
                needed.add("streaming_tool_calls")
        return frozenset(needed)

    def messages_for_turn(self, index: int) -> tuple[ChatMessage, ...]:
        """The conversation sent for turn `index`: earlier turns' tool calls, then their results."""
        messages: list[ChatMessage] = []
        if self.request.system is not None:
            messages.append(ChatMessage("system", self.request.system))
        messages.extend(self.request.messages)
        for earlier, turn in zip(self.turns[:index], self.turns[1 : index + 1], strict=True):
            reply = earlier.reply
            messages.append(ChatMessage("assistant", reply.text, tool_calls=reply.tool_calls))
            messages.extend(
                ChatMessage("tool", result.content, tool_call_id=result.tool_call_id)
                for result in turn.tool_results
            )
        return tuple(messages)

    def expected_error(self, turn_index: int = -1) -> ExpectedError | None:
        error = self.turns[turn_index].reply.error
        if error is None:
            return None
        expected = expected_error(error.status, error.headers, error.message)
        if error.retry_after is not None:
            expected = replace(expected, retry_after=error.retry_after)
        if error.category is not None:
            expected = replace(expected, category=error.category)
        return expected

    def expected_result(self) -> dict[str, Any]:
        """The canonical result a conforming provider reports for the final turn."""
        reply = self.final_reply
        if reply.error is not None:
            expected = self.expected_error()
            assert expected is not None
            return {"error": {**expected.as_json(), "in_stream": reply.error.in_stream}}
        if reply.fault.expected_error is not None:
            clause, category = reply.fault.expected_error
            return {"error": {"category": category or "any error", "clause": clause}}
        return {
            "text": reply.text,
            "tool_calls": [call.as_json() for call in reply.tool_calls],
            "usage": reply.usage.as_json() if reply.usage else None,
            "stop_reason": reply.effective_stop_reason,
        }

    def as_json(self) -> dict[str, Any]:
        """The scenario as `show scenario --json` prints it."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": str(self.source) if self.source else None,
            "tags": list(self.tags),
            "focus": list(self.focus),
            "requires": sorted(self.requires),
            "modes": list(self.modes),
            "request": {
                "model": self.request.model,
                "temperature": self.request.temperature,
                "max_tokens": self.request.max_tokens,
                "top_p": self.request.top_p,
                "stop": list(self.request.stop),
                "system": self.request.system,
                "messages": [{"role": m.role, "content": m.content} for m in self.request.messages],
                "tools": [tool.as_json() for tool in self.request.tools],
            },
            "turns": [turn_mapping(turn) for turn in self.turns],
            "wire": {
                "data_space": self.wire.data_space,
                "line_ending": self.wire.line_ending,
                "split_bytes": self.wire.split_bytes,
                "continuation_ids": self.wire.continuation_ids,
                "argument_fragments": self.wire.argument_fragments,
                "comments": self.wire.comments,
                "multiline_data": self.wire.multiline_data,
                "extra_fields": self.wire.extra_fields,
                "cuts": list(self.wire.cuts),
                "argument_cuts": [list(c) for c in self.wire.argument_cuts],
                "interleave": list(self.wire.interleave),
                "inserts": list(self.wire.inserts),
                "tool_call_index": self.wire.tool_call_index,
                "null_arguments": self.wire.null_arguments,
                "content_parts": self.wire.content_parts,
                "thinking": self.wire.thinking,
                "usage_in": self.wire.usage_in,
                "finish_reason_twice": self.wire.finish_reason_twice,
                "chunk_after_usage": self.wire.chunk_after_usage,
                "arguments_only_in_done": self.wire.arguments_only_in_done,
                "response_id_changes": self.wire.response_id_changes,
            },
            "timeout": self.timeout,
            "stop_after_chunks": self.stop_after_chunks,
            "expected": self.expected_result(),
        }


def _reply_json(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any]
    if reply.error is not None:
        error = reply.error
        out = {
            "error": {
                "status": error.status,
                "message": error.message,
                "code": error.code,
                "headers": dict(error.headers),
                "in_stream": error.in_stream,
                "body": error.body,
                "retry_after": error.retry_after,
                "retry_after_form": error.retry_after_form,
                "category": error.category,
            }
        }
        if reply.text_parts:
            out["text"] = list(reply.text_parts)
    else:
        out = {
            "text": list(reply.text_parts),
            "tool_calls": [call.as_json() for call in reply.tool_calls],
            "stop_reason": reply.effective_stop_reason,
            "usage": reply.usage.as_json() if reply.usage else None,
        }
    if reply.fault.any:
        out["fault"] = {
            name: value
            for name, value in vars(reply.fault).items()
            if value != getattr(Fault(), name)
        }
    return out


def turn_mapping(
    turn: Turn, reply_mapping: Callable[[Reply], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A turn as a mapping, its replies rendered by `reply_mapping` (`show`'s JSON by default;
    scenario files write theirs with conformance/scenarios/dump.py)."""
    render = reply_mapping or _reply_json
    out: dict[str, Any] = {}
    if turn.tool_results:
        out["tool_results"] = [
            {"tool_call_id": r.tool_call_id, "content": r.content} for r in turn.tool_results
        ]
    if turn.attempts:
        out["attempts"] = [render(reply) for reply in turn.attempts]
    out["reply"] = render(turn.reply)
    return out


def check_fault_reachable(
    scenario: Scenario, turn: int, fault: Fault, pieces: int, dialect: str
) -> None:
    """Raise ScenarioRenderError, naming the file, scenario, turn and field, for a fault that
    can never fire on the reply `dialect` rendered."""
    problem = fault.unreachable(pieces, dialect)
    if problem is not None:
        where = f"{scenario.source}: " if scenario.source is not None else ""
        raise ScenarioRenderError(f"{where}scenario {scenario.name!r} turn {turn}: {problem}")
