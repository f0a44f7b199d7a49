"""pydantic-ai's ModelRequestParameters (the fields the profile fills)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ModelRequestParameters:
    function_tools: list[Any] = field(default_factory=list)
    allow_text_output: bool = True
