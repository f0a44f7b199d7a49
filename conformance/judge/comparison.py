"""Describing differences so that a failure message shows exactly where two values part."""

from __future__ import annotations

import json
from collections.abc import Sequence

from conformance.vocabulary.canonical import ToolCall

#: Each canonical stop reason with the words dialects use for the same meaning (CH-3).
STOP_REASON_WORDS: dict[str, frozenset[str]] = {
    "stop": frozenset({"stop", "end_turn", "stop_sequence", "eos", "completed"}),
    "length": frozenset({"length", "max_tokens", "max_output_tokens", "incomplete"}),
    "tool_calls": frozenset({"tool_calls", "tool_use", "function_call", "tool_call"}),
    "content_filter": frozenset({"content_filter", "safety", "refusal", "recitation"}),
}


def same_stop_reason(expected: str, observed: str | None) -> bool:
    if observed is None:
        return False
    return observed.strip().lower() in STOP_REASON_WORDS.get(expected, frozenset({expected}))


def text_difference(expected: str, observed: str) -> str:
    """Where two texts first differ, with a little context, both shown escaped."""
    if expected == observed:
        return ""
    index = next(
        (i for i, (a, b) in enumerate(zip(expected, observed, strict=False)) if a != b),
        min(len(expected), len(observed)),
    )
    start = max(0, index - 12)
    return (
        f"texts differ at character {index} (expected {len(expected)} characters, got "
        f"{len(observed)}): expected …{expected[start : index + 12]!r}…, got "
        f"…{observed[start : index + 12]!r}…"
    )


def show_calls(calls: Sequence[ToolCall]) -> str:
    return json.dumps([call.as_json() for call in calls], ensure_ascii=False)


def tool_call_problems(
    expected: Sequence[ToolCall], observed: Sequence[ToolCall], *, compare_ids: bool = True
) -> list[str]:
    """Differences in count, order, ids (where the wire carries them), names and arguments."""
    problems: list[str] = []
    if len(expected) != len(observed):
        problems.append(f"expected {len(expected)} tool call(s), got {len(observed)}")
    for position, (want, got) in enumerate(zip(expected, observed, strict=False)):
        if compare_ids and want.id != got.id:
            problems.append(f"call {position}: id {got.id!r}, expected {want.id!r}")
        if want.name != got.name:
            problems.append(f"call {position}: name {got.name!r}, expected {want.name!r}")
        if dict(want.arguments) != dict(got.arguments):
            problems.append(
                f"call {position} ({want.name}): arguments "
                f"{json.dumps(dict(got.arguments), ensure_ascii=False)}, expected "
                f"{json.dumps(dict(want.arguments), ensure_ascii=False)}"
            )
    if problems:
        problems.append(f"expected {show_calls(expected)}; got {show_calls(observed)}")
    return problems
