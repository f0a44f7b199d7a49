"""From check outcomes to one verdict per clause and provider: the compatibility report's model.

A clause's verdict for a provider is `fail` if any check of it failed (`declared-but-broken` when
the clause exercises a capability the provider declares); else `incomplete` if a check of it never
completed (harness error, crash, interrupt, deadline, not run), `inconclusive` if a verdict of it
could not be confirmed; else `pass` if at least one check passed, and `not-applicable` if every
check of it was. A provider conforms only when every planned check was judged and no clause is
failing, incomplete or inconclusive. A clause with no check at all is not in
the map: it is listed under `not_checked`, so "passed" never hides "not run".

Verdicts are always derived from the counts, never stored as facts of their own: that is what lets
shard reports be merged (conformance/report/merge.py) into exactly the report one run would have
written. For the same reason every list is sorted, and the values that differ from run to run
without meaning anything (the loopback port, the session token, object addresses) are replaced by
placeholders.

A run with a capability file adds, per provider, the declared-against-observed block
(conformance/report/capabilities.py).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.report.capabilities import CapabilityBlock
from conformance.vocabulary.clauses import CLAUSES, clause_sort_key
from conformance.vocabulary.errors import UsageError

#: Where a failure's reproduce command writes its reports: a folder of its own per provider under
#: reports/, so it never writes over the run's reports nor adds a folder to the working directory.
RERUN_REPORT_DIR = "reports/reproduce-{provider}"

VERDICTS = (
    "pass",
    "fail",
    "not-applicable",
    "declared-but-broken",
    "inconclusive",
    "incomplete",
)
FAILING = frozenset({"fail", "declared-but-broken"})
#: Neither pass nor failure: a provider with a clause in one of these does not conform.
UNSETTLED = frozenset({"inconclusive", "incomplete"})
#: Not a verdict: how reports show a clause a provider had no check for.
NOT_RUN = "not-run"

#: The identity check runs in every run, but is no scenario `--scenario` accepts: a reproducing
#: command for it runs the cheapest scenario beside it.
_IDENTITY_COMPANION = "text_plain"

_RUN_SPECIFIC = (
    (re.compile(r"\b(127\.0\.0\.1|localhost):\d+"), r"\1:<port>"),
    (re.compile(r"/c/[0-9a-f]{16}(?=[/?#\s\"']|$)"), "/c/<session>"),
    (re.compile(r"\bat 0x[0-9a-fA-F]{4,}"), "at 0x…"),
)


def normalise(text: str) -> str:
    """Replace what only this run had (port, session token, addresses) by placeholders.

    Two runs of the same providers, or a run and its merged shards, then write equal reports, and a
    diff of two reports shows only what changed in the providers.
    """
    for pattern, replacement in _RUN_SPECIFIC:
        text = pattern.sub(replacement, text)
    return text


def clause_verdict(
    clause_id: str,
    failed: int,
    passed: int,
    declared: Iterable[str],
    *,
    inconclusive: int = 0,
    incomplete: int = 0,
) -> str:
    """Failure first; then a check that never completed or could not be confirmed, which keeps
    the clause from reading `pass` however many other checks passed it."""
    if failed:
        capability = CLAUSES[clause_id].capability if clause_id in CLAUSES else None
        return "declared-but-broken" if capability and capability in declared else "fail"
    if incomplete:
        return "incomplete"
    if inconclusive:
        return "inconclusive"
    return "pass" if passed else "not-applicable"


@dataclass
class ClauseSummary:
    checks: int = 0
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    #: Judged, but a timing failure could not be confirmed while the harness was starved.
    inconclusive: int = 0
    #: Checks of this clause that never completed (harness error, crash, interrupt, not run).
    incomplete: int = 0
    reasons: set[str] = field(default_factory=set)

    def count(self, outcome: str, message: str) -> None:
        self.checks += 1
        if outcome == "pass":
            self.passed += 1
        elif outcome == "fail":
            self.failed += 1
        elif outcome == "inconclusive":
            self.inconclusive += 1
        else:
            self.not_applicable += 1
            if message:
                self.reasons.add(normalise(message))

    def add(self, other: ClauseSummary) -> None:
        self.checks += other.checks
        self.passed += other.passed
        self.failed += other.failed
        self.not_applicable += other.not_applicable
        self.inconclusive += other.inconclusive
        self.incomplete += other.incomplete
        self.reasons |= other.reasons

    def as_json(self, verdict: str) -> dict[str, Any]:
        return {
            "verdict": verdict,
            "checks": self.checks,
            "passed": self.passed,
            "failed": self.failed,
            "not_applicable": self.not_applicable,
            "inconclusive": self.inconclusive,
            "incomplete": self.incomplete,
            "reasons": sorted(self.reasons),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClauseSummary:
        return cls(
            checks=data["checks"],
            passed=data["passed"],
            failed=data["failed"],
            not_applicable=data["not_applicable"],
            inconclusive=data.get("inconclusive", 0),
            incomplete=data.get("incomplete", 0),
            reasons=set(data.get("reasons", ())),
        )


@dataclass
class ProviderReport:
    id: str
    target: str
    dialect: str
    profile: str
    name: str | None = None
    declared_capabilities: set[str] = field(default_factory=set)
    clauses: dict[str, ClauseSummary] = field(default_factory=dict)
    #: Keyed by check id ("scenario[mode]"), so the order of arrival never shows in the report.
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    #: Checks without verdicts of their own (INCOMPLETE_KINDS): check id -> {kind, reason}.
    incomplete: dict[str, dict[str, str]] = field(default_factory=dict)
    checks: int = 0
    #: How many checks the run planned for this provider; None: as many as arrived.
    planned: int | None = None
    #: Why the provider could not be built at all; it then has no checks and no verdicts.
    build_error: str | None = None
    capabilities: CapabilityBlock = field(default_factory=CapabilityBlock)
    #: The arguments after `provider-conformance run` that rebuild the provider as the run did
    #: (the outcomes' `facts["reproduce"]`); empty when no outcome recorded them.
    reproduce_arguments: tuple[str, ...] = ()
    #: `NAME=value` the run's environment needed to import the provider (PYTHONPATH).
    reproduce_env: tuple[str, ...] = ()

    def verdict(self, clause_id: str) -> str:
        summary = self.clauses.get(clause_id)
        if summary is None:
            return NOT_RUN
        return clause_verdict(
            clause_id,
            summary.failed,
            summary.passed,
            self.declared_capabilities,
            inconclusive=summary.inconclusive,
            incomplete=summary.incomplete,
        )

    @property
    def planned_checks(self) -> int:
        return self.checks if self.planned is None else self.planned

    @property
    def judged(self) -> int:
        """Checks that ran to verdicts of their own."""
        return self.checks - len(self.incomplete)

    @property
    def conforms(self) -> bool:
        """Only when every planned check ran, was judged, and no clause failed or stayed open."""
        return (
            self.build_error is None
            and self.planned_checks > 0
            and not self.errors
            and not self.incomplete
            and self.judged >= self.planned_checks
            and all(self.verdict(c) not in FAILING | UNSETTLED for c in self.clauses)
        )

    @property
    def not_checked(self) -> list[str]:
        return [cid for cid in CLAUSES if cid not in self.clauses]

    def add_outcome(self, outcome: Mapping[str, Any]) -> None:
        self.checks += 1
        check_id = f"{outcome['scenario']}[{outcome['mode']}]"
        incomplete = outcome.get("incomplete")
        if incomplete:
            # Its verdicts (if any) count for nothing; the clauses it was planned to judge, if
            # known, count it, so none of them reads "pass" for want of this check.
            self.incomplete[check_id] = {
                "kind": incomplete["kind"],
                "reason": normalise(incomplete["reason"]),
            }
            for clause_id in outcome.get("clauses", ()):
                summary = self.clauses.setdefault(clause_id, ClauseSummary())
                summary.checks += 1
                summary.incomplete += 1
            return
        if outcome.get("error"):
            self.errors[check_id] = normalise(outcome["error"])
        if outcome.get("not_applicable"):
            self.skipped[check_id] = normalise(outcome["not_applicable"])
        self.capabilities.add_facts(outcome.get("facts", {}))
        failing = []
        for verdict in outcome["verdicts"]:
            summary = self.clauses.setdefault(verdict["clause"], ClauseSummary())
            summary.count(verdict["outcome"], verdict.get("message", ""))
            if verdict["outcome"] == "fail":
                failing.append(verdict)
        if failing:
            self.failures[check_id] = {
                "check": check_id,
                "scenario": outcome["scenario"],
                "mode": outcome["mode"],
                "clauses": sorted({v["clause"] for v in failing}, key=clause_sort_key),
                "messages": [normalise(f"{v['clause']}: {v['message']}") for v in failing],
                "transcript": normalise(outcome.get("transcript", "")),
                "reproduce": self.reproduce(outcome["scenario"]),
            }

    def reproduce(self, scenario: str) -> str:
        """The command that runs the failing check again, with the options that shaped it."""
        arguments = list(self.reproduce_arguments) or [
            *("--provider", self.target, "--dialect", self.dialect, "--profile", self.profile)
        ]
        if scenario == "identity":
            scenario = _IDENTITY_COMPANION
        # Its own report folder: rerunning one check must not overwrite the whole run's reports.
        return shlex.join(
            [
                *self.reproduce_env,
                "provider-conformance",
                "run",
                *arguments,
                "--report-dir",
                RERUN_REPORT_DIR.format(provider=re.sub(r"[^A-Za-z0-9_.-]+", "-", self.id)),
                "--scenario",
                scenario,
            ]
        )

    def absorb(self, other: ProviderReport, where: str) -> None:
        """Add another part of this provider's run (a shard's); `where` names it in errors."""
        for attribute in ("target", "dialect", "profile"):
            mine, theirs = getattr(self, attribute), getattr(other, attribute)
            if mine != theirs:
                raise UsageError(
                    f"{where}: provider {self.id!r} has {attribute} {theirs!r} there but "
                    f"{mine!r} in an earlier report; these are not parts of one run"
                )
        twice = sorted(
            (set(self.failures) & set(other.failures))
            | (set(self.skipped) & set(other.skipped))
            | (set(self.errors) & set(other.errors))
            | (set(self.incomplete) & set(other.incomplete))
        )
        if twice:
            raise UsageError(
                f"{where}: check {twice[0]} of provider {self.id!r} is also in an earlier "
                "report; merge each shard once"
            )
        self.name = self.name or other.name
        self.declared_capabilities |= other.declared_capabilities
        self.checks += other.checks
        if self.planned is not None or other.planned is not None:
            self.planned = self.planned_checks + other.planned_checks
        self.build_error = self.build_error or other.build_error
        self.incomplete.update(other.incomplete)
        for clause_id, summary in other.clauses.items():
            self.clauses.setdefault(clause_id, ClauseSummary()).add(summary)
        self.failures.update(other.failures)
        self.skipped.update(other.skipped)
        self.errors.update(other.errors)
        self.capabilities.absorb(other.capabilities)

    def clause_counts(self) -> dict[str, int]:
        verdicts = [self.verdict(c) for c in self.clauses]
        counts = {v: verdicts.count(v) for v in VERDICTS}
        counts[NOT_RUN] = len(self.not_checked)
        return counts

    def as_json(self) -> dict[str, Any]:
        ordered = sorted(self.clauses, key=clause_sort_key)
        data = {
            "id": self.id,
            "target": self.target,
            "dialect": self.dialect,
            "profile": self.profile,
            "name": self.name,
            "declared_capabilities": sorted(self.declared_capabilities),
            "conforms": self.conforms,
            "checks": self.checks,
            "planned": self.planned_checks,
            "judged": self.judged,
            "build_error": self.build_error,
            "clauses": {cid: self.verdict(cid) for cid in ordered},
            "clause_details": {
                cid: self.clauses[cid].as_json(self.verdict(cid)) for cid in ordered
            },
            "clause_counts": self.clause_counts(),
            "not_checked": self.not_checked,
            "failures": [self.failures[k] for k in sorted(self.failures)],
            "skipped": [{"check": k, "reason": self.skipped[k]} for k in sorted(self.skipped)],
            "errors": [{"check": k, "error": self.errors[k]} for k in sorted(self.errors)],
            "incomplete": [{"check": k, **self.incomplete[k]} for k in sorted(self.incomplete)],
        }
        if not self.capabilities.empty:
            data["capabilities"] = self.capabilities.as_json(self.declared_capabilities)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProviderReport:
        """Read a provider back from a report, counts and all, to merge it with another part."""
        return cls(
            id=data["id"],
            target=data["target"],
            dialect=data["dialect"],
            profile=data["profile"],
            name=data.get("name"),
            declared_capabilities=set(data.get("declared_capabilities", ())),
            clauses={
                cid: ClauseSummary.from_json(detail)
                for cid, detail in data.get("clause_details", {}).items()
            },
            failures={f["check"]: dict(f) for f in data["failures"]},
            skipped={s["check"]: s["reason"] for s in data["skipped"]},
            errors={e["check"]: e["error"] for e in data["errors"]},
            incomplete={
                i["check"]: {"kind": i["kind"], "reason": i["reason"]}
                for i in data.get("incomplete", ())
            },
            checks=data["checks"],
            planned=data.get("planned"),
            build_error=data.get("build_error"),
            capabilities=CapabilityBlock.from_json(data.get("capabilities")),
        )
