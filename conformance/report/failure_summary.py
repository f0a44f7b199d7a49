"""The first thing printed after a run: one line per failing clause, then the details.

pytest prints failures in the order the checks ran, each with a long transcript; the reader had
to scroll to learn which clauses failed at all. These lines come first: the clause, the provider,
the check that shows it best, what was expected against what came, and what to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from conformance.vocabulary.clause_hints import fix_hint
from conformance.vocabulary.clauses import clause_sort_key

#: How much of a verdict's message the one line keeps (the details follow below it).
MESSAGE_WIDTH = 120
DECLARED_BUT_BROKEN = (
    "declared-but-broken: the provider declares the capability this clause exercises "
    "(capabilities()), and it does not work; without the declaration the check is not applicable"
)


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


def _telling(failure: tuple[Mapping[str, Any], str]) -> tuple[int, int]:
    """Example scenarios before generated properties; then the shortest message."""
    outcome, message = failure
    return (1 if str(outcome["scenario"]).startswith("property-") else 0, len(message))


def failure_lines(
    outcomes: Iterable[Mapping[str, Any]], report: Mapping[str, Any] | None = None
) -> list[str]:
    failing: dict[tuple[str, str], list[tuple[Mapping[str, Any], str]]] = {}
    errors: list[str] = []
    for outcome in outcomes:
        if outcome.get("incomplete"):
            continue
        failed = [v for v in outcome["verdicts"] if v["outcome"] == "fail"]
        for verdict in failed:
            key = (outcome["provider"], verdict["clause"])
            failing.setdefault(key, []).append((outcome, verdict["message"]))
        if outcome.get("error") and not failed:
            errors.append(
                f"✗ {outcome['provider']} · {outcome['scenario']}[{outcome['mode']}]: "
                f"{_short(str(outcome['error']))}"
            )
    verdicts: dict[tuple[str, str], str] = {}
    for provider in (report or {}).get("providers", []):
        for clause, verdict in provider.get("clauses", {}).items():
            verdicts[(provider["id"], clause)] = verdict
    lines: list[str] = []
    broken = False
    ordered = sorted(failing, key=lambda key: (clause_sort_key(key[1]), key[0]))
    for provider, clause in ordered:
        found = sorted(failing[(provider, clause)], key=_telling)
        outcome, message = found[0]
        label = clause
        if verdicts.get((provider, clause)) == "declared-but-broken":
            label += " (declared-but-broken)"
            broken = True
        more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
        lines.append(
            f"✗ {label} {provider} · {outcome['scenario']}[{outcome['mode']}]{more}: "
            f"{_short(message)}"
        )
        lines.append(f"    fix: {fix_hint(clause)}")
    lines += errors
    if broken:
        lines.append(DECLARED_BUT_BROKEN)
    return lines
