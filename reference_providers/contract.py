"""The native provider contract: the data a provider takes and gives back.

These are deliberately plain frozen dataclasses so that a provider author can read the whole
contract in one screen, and so that the conformance harness can build them by name (the harness
never imports this package; its `native` profile looks these names up in whatever module the user
points it at, this one by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Protocol, Self, runtime_checkable

Role = Literal["system", "user", "assistant", "tool"]

#: Canonical stop reasons. A provider maps its API's own words onto these.
StopReason = Literal["stop", "length", "tool_calls", "content_filter"]


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for; `arguments` is already parsed JSON."""

    id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class Message:
    """One conversation turn.

    An assistant turn that asked for tools carries them in `tool_calls`, and each following `tool`
    turn names the call it answers in `tool_call_id`: real APIs reject a tool result whose id does
    not refer to an earlier call.
    """

    role: Role
    content: str = ""
    tool_calls: Sequence[ToolCall] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ToolDefinition:
    name: str
    description: str
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class CompletionResponse:
    content: str
    tool_calls: Sequence[ToolCall] = ()
    stop_reason: StopReason | str | None = None
    usage: Usage | None = None
    model: str | None = None


@dataclass(frozen=True)
class StreamChunk:
    """One piece of a streamed answer.

    `tool_calls` carries each call once, complete, when its arguments are whole (never partial
    fragments). Exactly one chunk has `is_final=True`; it is the last one and carries the stop
    reason and the usage, when the API sent usage.
    """

    content: str = ""
    tool_calls: Sequence[ToolCall] = ()
    stop_reason: StopReason | str | None = None
    usage: Usage | None = None
    is_final: bool = False


def text_chunk(text: str) -> StreamChunk:
    """`StreamChunk(content=text)`, built at a fifth of the cost.

    A long stream builds one per event, and a frozen dataclass's `__init__` (one
    `object.__setattr__` a field) costs about half of what parsing the event's JSON does. Only
    `content` is stored on the chunk: every other field reads the default the class holds, so the
    chunk equals, hashes, prints and converts (`dataclasses.asdict`) as the constructor's does
    (tests/reference/test_reference_sse_speed.py holds them equal, and fails for a field added
    without a default).
    """
    chunk = _new(StreamChunk)
    chunk.__dict__["content"] = text
    return chunk


_new = object.__new__


@dataclass(frozen=True)
class Capabilities:
    """What a provider declares it can do; the suite verifies each declared capability (ID-2)."""

    tools: bool = True
    streaming: bool = True
    parallel_tool_calls: bool = True
    streaming_tool_calls: bool = True
    usage: bool = True


@runtime_checkable
class ChatProvider(Protocol):
    """The native interface, as a structural type: any class with these members conforms."""

    @property
    def name(self) -> str: ...

    def capabilities(self) -> Capabilities: ...

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse: ...

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncIterator[StreamChunk]: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
