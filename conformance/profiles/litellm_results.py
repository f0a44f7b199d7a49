"""Reading OpenAI-shaped results (dicts or objects), as callers of OpenAI-compatible interfaces do.

LiteLLM returns OpenAI's shapes for every API it speaks: `choices[0].message` for a chat, and
for a stream, deltas that the caller folds: text concatenated, tool-call fragments joined by their
`index` (id and name in the first fragment, arguments spread over the rest), `finish_reason` on
one chunk and `usage` on a chunk of its own. That fold is the caller's job in this interface, so
the profile does it the way OpenAI documents it; a package whose deltas cannot be folded that way
(two calls under one index, a call whose id changes) shows up in the tool calls it yields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.vocabulary.canonical import ToolCall, Usage


def field_of(raw: Any, name: str) -> Any:
    """A field of a result given as a mapping or as an object (LiteLLM's are both)."""
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        return raw.get(name)
    return getattr(raw, name, None)


def first_choice(response: Any) -> Any:
    choices = field_of(response, "choices")
    if not choices:
        return None
    return choices[0]


def parsed_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as the caller gets them: JSON text parsed, unparsable text kept."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if raw is None:
        return {}
    text = str(raw)
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"<unparsed arguments>": text}
    return dict(value) if isinstance(value, Mapping) else {"<arguments>": value}


def message_tool_calls(message: Any) -> tuple[ToolCall, ...]:
    """`message.tool_calls` of a chat answer: `[{id, function: {name, arguments}}]`."""
    calls = []
    for call in field_of(message, "tool_calls") or ():
        function = field_of(call, "function")
        calls.append(
            ToolCall(
                str(field_of(call, "id") or ""),
                str(field_of(function, "name") or ""),
                parsed_arguments(field_of(function, "arguments")),
            )
        )
    return tuple(calls)


def usage_of(raw: Any) -> Usage | None:
    usage = field_of(raw, "usage")
    if usage is None:
        return None

    def read(key: str) -> int:
        value = field_of(usage, key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    return Usage(read("prompt_tokens"), read("completion_tokens"), read("total_tokens"))


@dataclass
class _Partial:
    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class DeltaFold:
    """What a stream of OpenAI-shaped chunks adds up to, folded as OpenAI's streaming guide does."""

    calls: dict[int, _Partial] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None

    def add(self, chunk: Any) -> str:
        """Fold one chunk in; return the text it carries."""
        usage = usage_of(chunk)
        if usage is not None:
            self.usage = usage
        choice = first_choice(chunk)
        if choice is None:
            return ""
        reason = field_of(choice, "finish_reason")
        if reason is not None:
            self.finish_reason = str(getattr(reason, "value", reason))
        delta = field_of(choice, "delta")
        for fragment in field_of(delta, "tool_calls") or ():
            self._add_fragment(fragment)
        text = field_of(delta, "content")
        return text if isinstance(text, str) else ""

    def _add_fragment(self, fragment: Any) -> None:
        index = field_of(fragment, "index")
        call_id = field_of(fragment, "id")
        if isinstance(index, int) and not isinstance(index, bool):
            key = index
        else:
            # No index (some servers send none): a fragment with a new id opens a new call, the
            # others continue the last one.
            last = self.order[-1] if self.order else None
            opens = last is None or (bool(call_id) and str(call_id) != self.calls[last].id)
            key = (max(self.order) + 1 if self.order else 0) if opens else last  # type: ignore[assignment]
        partial = self.calls.get(key)
        if partial is None:
            partial = self.calls[key] = _Partial()
            self.order.append(key)
        if call_id:
            partial.id = str(call_id)
        function = field_of(fragment, "function")
        name = field_of(function, "name")
        if name:
            partial.name = str(name)
        arguments = field_of(function, "arguments")
        if isinstance(arguments, str):
            partial.arguments += arguments
        elif isinstance(arguments, Mapping):
            partial.arguments += json.dumps(arguments)

    def tool_calls(self) -> tuple[ToolCall, ...]:
        """The calls in `index` order: the position OpenAI's `index` gives each call, whatever
        order their fragments arrived in."""
        return tuple(
            ToolCall(p.id, p.name, parsed_arguments(p.arguments))
            for p in (self.calls[k] for k in sorted(self.order))
        )
