"""The dialect-neutral scenario: what the harness asks, and what the server answers, turn by turn.

A scenario never mentions a wire format. Dialects render its replies to bytes; the judge compares
a provider's observation with `expected_*`, which come from the scenario alone, never from the
provider under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance.canonical import (
    ChatMessage,
    ExpectedError,
    Mode,
    ToolCall,
    ToolSpec,
    Usage,
)
from conformance.status_table import expected_error

DEFAULT_MODEL = "conformance-model-1"
# Deliberately not anyone's default, so a provider that drops them is seen on the wire (RQ-3).
DEFAULT_TEMPERATURE = 0.25
DEFAULT_MAX_TOKENS = 321


@dataclass(frozen=True)
class ErrorReply:
    status: int
    message: str
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Sent inside a 200 stream (`event: error`, `data: {"error": ...}`), judged by ER-6.
    in_stream: bool = False


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


@dataclass(frozen=True)
class RequestSpec:
    messages: tuple[ChatMessage, ...]
    system: str | None = None
    tools: tuple[ToolSpec, ...] = ()
    model: str = DEFAULT_MODEL
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS


LineEnding = Literal["lf", "crlf", "cr"]
ContinuationIds = Literal["omit", "null", "repeat"]


@dataclass(frozen=True)
class WireOptions:
    data_space: bool = True
    line_ending: LineEnding = "lf"
    split_bytes: int = 0
    continuation_ids: ContinuationIds = "omit"
    argument_fragments: int = 3
    comments: bool = False

    @property
    def eol(self) -> str:
        return {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[self.line_ending]


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
    wire: WireOptions = WireOptions()
    source: Path | None = None

    @property
    def final_reply(self) -> Reply:
        return self.turns[-1].reply

    @property
    def is_error(self) -> bool:
        return any(turn.reply.error is not None for turn in self.turns)

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
        return expected_error(error.status, error.headers, error.message)

    def expected_result(self) -> dict[str, Any]:
        """The canonical result a conforming provider reports for the final turn."""
        reply = self.final_reply
        if reply.error is not None:
            expected = self.expected_error()
            assert expected is not None
            return {"error": expected.as_json()}
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
                "system": self.request.system,
                "messages": [{"role": m.role, "content": m.content} for m in self.request.messages],
                "tools": [tool.as_json() for tool in self.request.tools],
            },
            "turns": [_turn_json(turn) for turn in self.turns],
            "wire": {
                "data_space": self.wire.data_space,
                "line_ending": self.wire.line_ending,
                "split_bytes": self.wire.split_bytes,
                "continuation_ids": self.wire.continuation_ids,
                "argument_fragments": self.wire.argument_fragments,
                "comments": self.wire.comments,
            },
            "expected": self.expected_result(),
        }


def _turn_json(turn: Turn) -> dict[str, Any]:
    reply = turn.reply
    out: dict[str, Any] = {}
    if turn.tool_results:
        out["tool_results"] = [
            {"tool_call_id": r.tool_call_id, "content": r.content} for r in turn.tool_results
        ]
    if reply.error is not None:
        out["reply"] = {
            "error": {
                "status": reply.error.status,
                "message": reply.error.message,
                "code": reply.error.code,
                "headers": dict(reply.error.headers),
            }
        }
    else:
        out["reply"] = {
            "text": list(reply.text_parts),
            "tool_calls": [call.as_json() for call in reply.tool_calls],
            "stop_reason": reply.effective_stop_reason,
            "usage": reply.usage.as_json() if reply.usage else None,
        }
    return out
