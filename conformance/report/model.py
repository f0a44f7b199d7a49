"""From check outcomes to one verdict per clause and provider: the compatibility report's model.

A clause's verdict for a provider is `fail` if any check of it failed (`declared-but-broken` when
the clause exercises a capability the provider declares), `pass` if at least one check passed and
none failed, and `not-applicable` if every check of it was. A clause with no check at all is not in
the map: it is listed under `not_checked`, so "passed" never hides "not run".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.clauses import CLAUSES, clause_sort_key

VERDICTS = ("pass", "fail", "not-applicable", "declared-but-broken")


@dataclass
class ClauseSummary:
    verdict: str
    checks: int = 0
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    reasons: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "checks": self.checks,
            "passed": self.passed,
            "failed": self.failed,
            "not_applicable": self.not_applicable,
            "reasons": self.reasons,
        }


@dataclass
class ProviderReport:
    id: str
    target: str
    dialect: str
    profile: str
    name: str | None = None
    declared_capabilities: list[str] = field(default_factory=list)
    clauses: dict[str, ClauseSummary] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    checks: int = 0

    @property
    def conforms(self) -> bool:
        return not self.errors and all(
            c.verdict in ("pass", "not-applicable") for c in self.clauses.values()
        )

    @property
    def not_checked(self) -> list[str]:
        return [cid for cid in CLAUSES if cid not in self.clauses]

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.clauses, key=clause_sort_key)
        return {
            "id": self.id,
            "target": self.target,
            "dialect": self.dialect,
            "profile": self.profile,
            "name": self.name,
            "declared_capabilities": self.declared_capabilities,
            "conforms": self.conforms,
            "checks": self.checks,
            "clauses": {cid: self.clauses[cid].verdict for cid in ordered},
            "clause_details": {cid: self.clauses[cid].as_json() for cid in ordered},
            "not_checked": self.not_checked,
            "failures": self.failures,
            "skipped": self.skipped,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    target: str
    dialect: str
    profile: str
    name: str | None = None
    declared_capabilities: tuple[str, ...] = ()


def build_report(
    providers: Sequence[ProviderInfo],
    outcomes: Iterable[Mapping[str, Any]],
    *,
    command: str = "",
    started: datetime | None = None,
) -> dict[str, Any]:
    """The compatibility report as JSON-ready data (the shape of schemas/report.schema.json)."""
    reports = {
        info.id: ProviderReport(
            id=info.id,
            target=info.target,
            dialect=info.dialect,
            profile=info.profile,
            name=info.name,
            declared_capabilities=list(info.declared_capabilities),
        )
        for info in providers
    }
    tallies: dict[str, dict[str, list[Mapping[str, Any]]]] = {pid: {} for pid in reports}
    for outcome in outcomes:
        report = reports.get(outcome["provider"])
        if report is None:
            continue
        report.checks += 1
        check_id = f"{outcome['scenario']}[{outcome['mode']}]"
        if outcome.get("error"):
            report.errors.append({"check": check_id, "error": outcome["error"]})
        if outcome.get("not_applicable"):
            report.skipped.append({"check": check_id, "reason": outcome["not_applicable"]})
        failed_clauses = []
        for verdict in outcome["verdicts"]:
            tallies[report.id].setdefault(verdict["clause"], []).append(verdict)
            if verdict["outcome"] == "fail":
                failed_clauses.append(verdict)
        if failed_clauses:
            report.failures.append(
                {
                    "check": check_id,
                    "scenario": outcome["scenario"],
                    "mode": outcome["mode"],
                    "clauses": sorted({v["clause"] for v in failed_clauses}, key=clause_sort_key),
                    "messages": [f"{v['clause']}: {v['message']}" for v in failed_clauses],
                    "transcript": outcome.get("transcript", ""),
                    "reproduce": (
                        f"provider-conformance run --provider {report.target} "
                        f"--dialect {report.dialect} --profile {report.profile} "
                        f"--scenario {outcome['scenario']}"
                    ),
                }
            )
    for pid, by_clause in tallies.items():
        report = reports[pid]
        for clause_id, verdicts in by_clause.items():
            report.clauses[clause_id] = _summarise(
                clause_id, verdicts, report.declared_capabilities
            )
    all_reports = [reports[info.id] for info in providers]
    return {
        "schema_version": "1",
        "tool": "provider-conformance",
        "generated_at": (started or datetime.now(UTC)).isoformat(timespec="seconds"),
        "command": command,
        "clauses": {
            cid: {"group": c.group, "title": c.title, "capability": c.capability}
            for cid, c in CLAUSES.items()
        },
        "providers": [r.as_json() for r in all_reports],
        "summary": {
            "providers": len(all_reports),
            "conforming": sum(1 for r in all_reports if r.conforms),
            "failing": sum(1 for r in all_reports if not r.conforms),
        },
    }


def _summarise(
    clause_id: str, verdicts: Sequence[Mapping[str, Any]], declared: Sequence[str]
) -> ClauseSummary:
    summary = ClauseSummary(verdict="not-applicable", checks=len(verdicts))
    for verdict in verdicts:
        if verdict["outcome"] == "pass":
            summary.passed += 1
        elif verdict["outcome"] == "fail":
            summary.failed += 1
        else:
            summary.not_applicable += 1
            if verdict.get("message") and verdict["message"] not in summary.reasons:
                summary.reasons.append(verdict["message"])
    if summary.failed:
        capability = CLAUSES[clause_id].capability
        summary.verdict = "declared-but-broken" if capability in declared else "fail"
    elif summary.passed:
        summary.verdict = "pass"
    return summary
