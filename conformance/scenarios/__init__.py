"""Dialect-neutral scenarios: the model, and loading with schema validation."""

from conformance.scenarios.loader import bundled_scenarios, load_file, load_scenarios
from conformance.scenarios.model import (
    ErrorReply,
    Fault,
    Reply,
    RequestSpec,
    Scenario,
    ToolResult,
    Turn,
    WireOptions,
)

__all__ = [
    "ErrorReply",
    "Fault",
    "Reply",
    "RequestSpec",
    "Scenario",
    "ToolResult",
    "Turn",
    "WireOptions",
    "bundled_scenarios",
    "load_file",
    "load_scenarios",
]
