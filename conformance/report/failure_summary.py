"""The first thing printed after a run: one line per failing clause, then the details.

pytest prints failures in the order the checks ran, each with a long transcript; the reader had
to scroll to learn which clauses failed at all, and the first failure shown was whichever ran
first. These lines come first, most telling first: the clause, the provider, the check that shows
it best, what was expected against what came, and what to change. The details below follow the
same order (`order_failed_reports`): each line's check first, then the rest.

Most telling: a failure of a hand-written scenario (small, named, with an expected result to show)
before one of a generated property, before a check that raised without a verdict; among those,
the check that fails fewest clauses (it points at one thing), then contract order (a request
clause before the response clauses that may fail because of it), then the shortest message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from conformance.report.plan import check_id
from conformance.vocabulary.clause_hints import fix_hint
from conformance.vocabulary.clauses import clause_sort_key
from conformance.vocabulary.transcript_excerpt import transcript_anchor

#: Where the whole transcript is when the run writes no report (the excerpt's last line says so).
NO_REPORT = "not kept: -vv prints it whole, --report-dir DIR keeps it in DIR/compatibility.html"
#: How much of a verdict's message the one line keeps (the details follow below it).
MESSAGE_WIDTH = 120
DECLARED_BUT_BROKEN = (
    "declared-but-broken: the provider declares the capability this clause exercises "
    "(capabilities()), and it does not work; without the declaration the check is not applicable"
)


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MESSAGE_WIDTH else text[: MESSAGE_WIDTH - 1] + "…"


def _failed_verdicts(outcome: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [v for v in outcome.get("verdicts", ()) if v["outcome"] == "fail"]


def telling_key(outcome: Mapping[str, Any]) -> tuple[Any, ...]:
    """How telling a failing check is, smallest first (see the module docstring)."""
    failed = _failed_verdicts(outcome)
    if outcome.get("incomplete"):
        kind = 3
    elif not failed:
        kind = 2
    else:
        kind = 1 if str(outcome["scenario"]).startswith("property-") else 0
    clauses = sorted((v["clause"] for v in failed), key=clause_sort_key)
    first = clause_sort_key(clauses[0]) if clauses else (99, 99)
    length = min((len(v.get("message", "")) for v in failed), default=0)
    return (kind, len(clauses) or 99, first, length, str(outcome["scenario"]))


def _telling(failure: tuple[Mapping[str, Any], str]) -> tuple[Any, ...]:
    """Of one clause's failing checks: kind, fewest failing clauses, then the shortest message."""
    outcome, message = failure
    kind, clauses, *_ = telling_key(outcome)
    return (kind, clauses, len(message), str(outcome["scenario"]))


def _failing_by_clause(
    outcomes: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str], list[tuple[Mapping[str, Any], str]]]:
    """(provider, clause) -> its failing checks with their messages, most telling first."""
    failing: dict[tuple[str, str], list[tuple[Mapping[str, Any], str]]] = {}
    for outcome in outcomes:
        if outcome.get("incomplete"):
            continue
        for verdict in _failed_verdicts(outcome):
            key = (outcome["provider"], verdict["clause"])
            failing.setdefault(key, []).append((outcome, verdict["message"]))
    for found in failing.values():
        found.sort(key=_telling)
    return failing


def _ordered(
    failing: Mapping[tuple[str, str], list[tuple[Mapping[str, Any], str]]],
) -> list[tuple[str, str]]:
    """The failing clauses, by how telling their best check is, then in contract order."""
    return sorted(
        failing,
        key=lambda key: (_telling(failing[key][0])[0], clause_sort_key(key[1]), key[0]),
    )


def failure_lines(
    outcomes: Iterable[Mapping[str, Any]], report: Mapping[str, Any] | None = None
) -> list[str]:
    outcomes = list(outcomes)
    failing = _failing_by_clause(outcomes)
    errors: list[str] = []
    for outcome in outcomes:
        if outcome.get("error") and not outcome.get("incomplete") and not _failed_verdicts(outcome):
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
    for provider, clause in _ordered(failing):
        found = failing[(provider, clause)]
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
        lines.append(f"    fix: {fix_hint(clause, outcome.get('facts', {}).get('profile'))}")
    lines += errors
    if broken:
        lines.append(DECLARED_BUT_BROKEN)
    return lines


def order_failed_reports(reports: list[Any]) -> list[Any]:
    """pytest's failure reports in the summary's order: each line's check first, then the rest.

    A report without a conformance outcome (a fixture that broke) keeps its place after them.
    """
    outcomes = [getattr(r, "conformance", None) for r in reports]
    failing = _failing_by_clause(o for o in outcomes if o is not None)
    first: dict[tuple[str, str, str], int] = {}
    for key in _ordered(failing):
        outcome = failing[key][0][0]
        first.setdefault((outcome["provider"], outcome["scenario"], outcome["mode"]), len(first))

    def position(index: int) -> tuple[Any, ...]:
        outcome = outcomes[index]
        if outcome is None:
            return (2, index)
        check = (outcome["provider"], outcome["scenario"], outcome["mode"])
        if check in first:
            return (0, first[check])
        return (1, telling_key(outcome), index)

    return [reports[i] for i in sorted(range(len(reports)), key=position)]


def transcript_link(
    report_dir: Path | None, verbosity: int, provider: str, scenario: str, mode: str
) -> str | None:
    """Where a failure message says the whole transcript is; None: show it whole (-vv)."""
    if verbosity >= 2:
        return None
    if report_dir is None:
        return NO_REPORT
    anchor = transcript_anchor(provider, check_id(scenario, mode))
    return f"{report_dir / 'compatibility.html'}#{anchor}"
