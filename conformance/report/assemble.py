"""The report around its provider rows: build it from outcomes (and the plan), or assemble it
from rows (a merge's).

Kept apart from the row model (conformance/report/model.py) so that what one provider's verdicts
are and what a run's report holds each read in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from conformance.report.model import FAILING, ProviderReport
from conformance.report.plan import MISSING_REASONS, Plan, check_id, missing_outcome
from conformance.vocabulary.clauses import CLAUSES


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    target: str
    dialect: str
    profile: str
    name: str | None = None
    declared_capabilities: tuple[str, ...] = ()
    reproduce_arguments: tuple[str, ...] = ()
    reproduce_env: tuple[str, ...] = ()


#: Run statuses, most telling first: a run is reported by the first that applies.
RUN_STATUSES = ("interrupted", "deadline", "crashed", "incomplete", "complete")


def build_report(
    providers: Sequence[ProviderInfo],
    outcomes: Iterable[Mapping[str, Any]],
    *,
    command: str = "",
    started: datetime | None = None,
    shard: tuple[int, int] | None = None,
    plan: Plan | None = None,
    stop_reason: str | None = None,
    build_errors: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The compatibility report as JSON-ready data (the shape of schemas/report.schema.json).

    With a `plan`, every planned check that has no outcome is reported incomplete: of kind
    `stop_reason` (interrupted, deadline) when the session ended early, else "not-run".
    `build_errors` (provider id -> error) are providers that could not be built: no checks.
    """
    reports = {
        info.id: ProviderReport(
            id=info.id,
            target=info.target,
            dialect=info.dialect,
            profile=info.profile,
            name=info.name,
            declared_capabilities=set(info.declared_capabilities),
            reproduce_arguments=info.reproduce_arguments,
            reproduce_env=info.reproduce_env,
            build_error=(build_errors or {}).get(info.id),
        )
        for info in providers
    }
    arrived: set[tuple[str, str]] = set()
    for outcome in outcomes:
        arrived.add((outcome["provider"], check_id(outcome["scenario"], outcome["mode"])))
        report = reports.get(outcome["provider"])
        if report is not None:
            report.add_outcome(outcome)
    if plan is not None:
        kind = stop_reason if stop_reason in MISSING_REASONS else "not-run"
        for (pid, check), planned in sorted(plan.checks.items()):
            report = reports.setdefault(pid, ProviderReport(pid, "", "", ""))
            report.planned = (report.planned or 0) + 1
            if (pid, check) not in arrived:
                report.add_outcome(missing_outcome(planned, kind, MISSING_REASONS[kind]))
    return assemble_report(
        reports.values(),
        command=command,
        started=started,
        shard=shard,
        stop_reason=stop_reason,
        fingerprint=plan.fingerprint if plan is not None else "",
    )


def run_status(rows: Iterable[ProviderReport], stop_reason: str | None = None) -> str:
    kinds = {entry["kind"] for row in rows for entry in row.incomplete.values()}
    if stop_reason in RUN_STATUSES:
        kinds.add(stop_reason)
    for status in RUN_STATUSES[:3]:
        if status in kinds:
            return status
    return "incomplete" if kinds else "complete"


def assemble_report(
    providers: Iterable[ProviderReport],
    *,
    command: str = "",
    started: datetime | None = None,
    shard: tuple[int, int] | None = None,
    stop_reason: str | None = None,
    fingerprint: str = "",
) -> dict[str, Any]:
    """The report around provider rows: catalogue, summary, run, providers ordered by id."""
    rows = sorted(providers, key=lambda p: p.id)
    report: dict[str, Any] = {
        "schema_version": "1",
        "tool": "provider-conformance",
        "generated_at": (started or datetime.now(UTC)).isoformat(timespec="seconds"),
        "command": command,
        "clauses": {
            cid: {"group": c.group, "title": c.title, "capability": c.capability}
            for cid, c in CLAUSES.items()
        },
        "providers": [r.as_json() for r in rows],
        "summary": {
            "providers": len(rows),
            "conforming": sum(1 for r in rows if r.conforms),
            # A provider that does not conform either failed a clause or was not completely
            # judged (a check incomplete, a verdict inconclusive, never built): never both counts.
            "failing": sum(1 for r in rows if _fails_a_clause(r)),
            "incomplete": sum(1 for r in rows if not r.conforms and not _fails_a_clause(r)),
            "checks": sum(r.checks for r in rows),
        },
        "run": {
            "status": run_status(rows, stop_reason),
            "planned": sum(r.planned_checks for r in rows),
            "judged": sum(r.judged for r in rows),
            "fingerprint": fingerprint,
        },
    }
    if shard is not None:
        report["shard"] = {"index": shard[0], "count": shard[1]}
    return report


def _fails_a_clause(row: ProviderReport) -> bool:
    return any(row.verdict(c) in FAILING for c in row.clauses)


__all__ = ["RUN_STATUSES", "ProviderInfo", "assemble_report", "build_report", "run_status"]
