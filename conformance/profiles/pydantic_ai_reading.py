"""What a pydantic-ai caller reads off a `ModelResponse` and its stream events, as canonical values.

Kept apart from the profile (which builds models and maps errors) because this is the one part
that follows pydantic-ai's response types: when they change, only this module does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from conformance.vocabulary.canonical import ToolCall, Usage

FINISH_REASONS = {"tool_call": "tool_calls"}


def event_text(event: Any) -> str | None:
    """The text a stream event adds, or None for events that carry none (tool calls, ends)."""
    kind = getattr(event, "event_kind", None)
    if kind == "part_start":
        part = getattr(event, "part", None)
        if getattr(part, "part_kind", None) == "text":
            return str(getattr(part, "content", "") or "")
        return None
    if kind == "part_delta":
        delta = getattr(event, "delta", None)
        if getattr(delta, "part_delta_kind", None) == "text":
            return str(getattr(delta, "content_delta", "") or "")
    return None


def text(response: Any) -> str:
    return "".join(
        str(getattr(p, "content", "") or "")
        for p in getattr(response, "parts", ())
        if getattr(p, "part_kind", None) == "text"
    )


def tool_calls(response: Any) -> tuple[ToolCall, ...]:
    calls = []
    for part in getattr(response, "parts", ()):
        if getattr(part, "part_kind", None) != "tool-call":
            continue
        args = getattr(part, "args", None)
        if isinstance(args, str):
            try:
                args = json.loads(args) if args.strip() else {}
            except ValueError:
                args = {"<unparsed arguments>": args}
        if not isinstance(args, Mapping):
            args = {} if args is None else {"<arguments>": args}
        calls.append(
            ToolCall(
                str(getattr(part, "tool_call_id", "") or ""),
                str(getattr(part, "tool_name", "") or ""),
                dict(args),
            )
        )
    return tuple(calls)


def finish(response: Any) -> str | None:
    raw = getattr(response, "finish_reason", None)
    return None if raw is None else FINISH_REASONS.get(str(raw), str(raw))


def usage(response: Any) -> Usage | None:
    usage = getattr(response, "usage", None)
    if usage is None:
        return None
    prompt = int(getattr(usage, "input_tokens", 0) or 0)
    completion = int(getattr(usage, "output_tokens", 0) or 0)
    total = getattr(usage, "total_tokens", None)
    return Usage(prompt, completion, int(total) if isinstance(total, int) else prompt + completion)
