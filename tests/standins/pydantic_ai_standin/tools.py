"""pydantic-ai's ToolDefinition (the fields the profile fills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolDefinition:
    name: str
    parameters_json_schema: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
