"""pydantic-ai's message history and stream events (the parts the profile reads and writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class SystemPromptPart:
    content: str
    part_kind: Literal["system-prompt"] = "system-prompt"


@dataclass
class UserPromptPart:
    content: str
    part_kind: Literal["user-prompt"] = "user-prompt"


@dataclass
class ToolReturnPart:
    tool_name: str
    content: Any
    tool_call_id: str
    part_kind: Literal["tool-return"] = "tool-return"


@dataclass
class TextPart:
    content: str
    part_kind: Literal["text"] = "text"


@dataclass
class ToolCallPart:
    tool_name: str
    args: str | dict[str, Any] | None = None
    tool_call_id: str = ""
    part_kind: Literal["tool-call"] = "tool-call"


@dataclass
class RequestUsage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass
class ModelRequest:
    parts: list[Any]


@dataclass
class ModelResponse:
    parts: list[Any]
    usage: RequestUsage = field(default_factory=RequestUsage)
    finish_reason: str | None = None


@dataclass
class TextPartDelta:
    content_delta: str
    part_delta_kind: Literal["text"] = "text"


@dataclass
class ToolCallPartDelta:
    args_delta: str
    part_delta_kind: Literal["tool_call"] = "tool_call"


@dataclass
class PartStartEvent:
    index: int
    part: Any
    event_kind: Literal["part_start"] = "part_start"


@dataclass
class PartDeltaEvent:
    index: int
    delta: Any
    event_kind: Literal["part_delta"] = "part_delta"
