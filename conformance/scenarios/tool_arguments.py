"""Tool-call arguments that are not valid JSON, and what a provider may make of them.

Real servers sometimes send arguments a model wrote badly (cut short, unbalanced braces). A
provider that parses them to `{}` and carries on loses the call's data silently: the tool runs
with no city, no query. The contract (ER-5) accepts two honest readings and nothing else:

- an invalid-response error, or
- the call kept with its raw text, flagged: some value of the reported arguments is exactly the
  text the server sent (`{"_raw": "<text>"}`, `{"<unparsable arguments>": "<text>"}`, ...), so
  the caller can see the arguments were not parsed and still has every byte of them.

Every dialect that carries arguments as text renders the same broken text, so the judge knows
what to look for without reading the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from conformance.vocabulary.canonical import ToolCall


def unparsable_arguments(call: ToolCall) -> str:
    """The call's arguments as JSON text cut short before their closing brace."""
    text = json.dumps(dict(call.arguments), ensure_ascii=False, separators=(",", ":"))
    return text[: max(1, len(text) - 3)]


def keeps_raw_arguments(expected: Iterable[ToolCall], observed: Iterable[ToolCall]) -> bool:
    """Whether every expected call was reported with its unparsable text kept as a value."""
    reported = list(observed)
    for call in expected:
        raw = unparsable_arguments(call)
        if not any(raw in _string_values(got.arguments) for got in reported):
            return False
    return True


def _string_values(arguments: object) -> set[str]:
    if isinstance(arguments, str):
        return {arguments}
    if isinstance(arguments, dict):
        return {value for value in arguments.values() if isinstance(value, str)}
    return set()


__all__ = ["keeps_raw_arguments", "unparsable_arguments"]
