"""The canonical, dialect-neutral vocabulary every scenario, observation and verdict speaks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["chat", "stream"]
MODES: tuple[Mode, ...] = ("chat", "stream")

#: Canonical stop reasons (CH-3); dialects map their own words onto these.
STOP_REASONS = ("stop", "length", "tool_calls", "content_filter")

#: Canonical error categories. `timeout` is distinct from `network` (connection refused/reset).
ERROR_CATEGORIES = (
    "auth",
    "rate_limit",
    "not_found",
    "invalid_request",
    "server",
    "timeout",
    "network",
    "invalid_response",
    "unknown",
)

#: Capabilities a provider may declare (ID-2) and scenarios may require.
CAPABILITIES = ("tools", "streaming", "parallel_tool_calls", "streaming_tool_calls", "usage")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "arguments": dict(self.arguments)}


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    def as_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters": dict(self.parameters),
        }


@dataclass(frozen=True)
class ChatMessage:
    """A message of the conversation the harness asks the provider to send."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class ExpectedError:
    status: int | None
    category: str
    retryable: bool
    retry_after: float | None
    message: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "category": self.category,
            "retryable": self.retryable,
            "retry_after": self.retry_after,
            "message": self.message,
        }
