"""Declared against observed (CF-2): the capabilities block of a provider in compatibility.json.

Without it, a capability that works although the capability file does not declare it shows only
as the reason of a not-applicable cell, and a declared capability that breaks only as clause
cells: a reader could not see, per capability, whether the file tells the truth. The block puts
the two side by side: what was declared and where (the file's JSON pointer, layer and model
pattern, or the provider class itself), what the checks observed, and a verdict word.

As for clauses, counts are kept, never verdicts: shard reports merge by adding counts
(conformance/report/merge.py), and the verdicts of the merged block are derived again. The
declaration comes from the identity check's `facts["capabilities"]`, the observations from each
check's `facts["capability_check"]` (a declared capability exercised) and
`facts["capability_probe"]` (an undeclared one probed), both written by
conformance/capabilities/checks.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.vocabulary.canonical import CAPABILITIES

OK = "ok"
DECLARED_BUT_BROKEN = "declared but broken"
WORKS_BUT_UNDECLARED = "works but undeclared"
NOT_PROBED = "not probed"
CAPABILITY_VERDICTS = (OK, DECLARED_BUT_BROKEN, WORKS_BUT_UNDECLARED, NOT_PROBED)

WORKS, BROKEN = "works", "broken"

#: The declaration's keys a report keeps (the rest of the identity facts is in the rows).
_DECLARATION_KEYS = ("file", "provider", "names_provider", "model", "patterns")
_LISTS = ("class_declares", "inexpressible", "not_judged")


def capability_verdict(declared: bool, observed: str) -> str:
    """The declaration judged against the observation: does the file (or class) tell the truth?

    A capability that is not declared and broken too is `ok`: not declaring it was right.
    """
    if observed == NOT_PROBED:
        return NOT_PROBED
    if declared and observed == BROKEN:
        return DECLARED_BUT_BROKEN
    if not declared and observed == WORKS:
        return WORKS_BUT_UNDECLARED
    return OK


def declared_text(row: Mapping[str, Any]) -> str:
    """A row's declaration for a person, the same words in every report format."""
    if not row.get("expressible", True):
        return "no: declared, but the profile's interface cannot express it"
    return "yes" if row["declared"] else "no"


def observed_text(row: Mapping[str, Any]) -> str:
    """A row's observation for a person: 'works (6 checks)', 'broken: ST-3 (2 of 6 checks
    failed)', 'not probed'; the counts say how much the word rests on."""
    if row["observed"] == NOT_PROBED:
        reason = "" if row.get("expressible", True) else " (the interface cannot express it)"
        return f"{NOT_PROBED}{reason}"
    kinds = (
        (row["broken_checks"], row["checks"], "check"),
        (row["broken_probes"], row["probes"], "probe"),
    )
    if row["observed"] == WORKS:
        counted = [f"{n} {word}{'s' if n != 1 else ''}" for _, n, word in kinds if n]
        return f"works ({', '.join(counted)})"
    counted = [f"{bad} of {n} {word}{'s' if n != 1 else ''}" for bad, n, word in kinds if n]
    return f"broken: {', '.join(row['failed_clauses'])} ({', '.join(counted)} failed)"


@dataclass
class Observation:
    """What the checks of a run saw of one capability."""

    #: Checks that exercised it as declared, and how many of them a verifying clause failed.
    checks: int = 0
    broken_checks: int = 0
    #: Checks that ran although it was not declared (probes), and how many of them failed.
    probes: int = 0
    broken_probes: int = 0
    failed_clauses: set[str] = field(default_factory=set)

    @property
    def observed(self) -> str:
        if self.broken_checks or self.broken_probes:
            return BROKEN
        return WORKS if self.checks or self.probes else NOT_PROBED

    def add(self, other: Observation) -> None:
        self.checks += other.checks
        self.broken_checks += other.broken_checks
        self.probes += other.probes
        self.broken_probes += other.broken_probes
        self.failed_clauses |= other.failed_clauses


@dataclass
class CapabilityBlock:
    #: The identity check's `facts["capabilities"]`; None when no part of the run had it.
    declaration: dict[str, Any] | None = None
    observations: dict[str, Observation] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.declaration is None and not self.observations

    def add_facts(self, facts: Mapping[str, Any]) -> None:
        """Take what one check's outcome recorded about capabilities."""
        if self.declaration is None and isinstance(facts.get("capabilities"), Mapping):
            self.declaration = dict(facts["capabilities"])
        probe = facts.get("capability_probe")
        if isinstance(probe, Mapping):
            for capability in probe.get("capabilities", ()):
                seen = self.observations.setdefault(capability, Observation())
                seen.probes += 1
                if not probe.get("works", False):
                    seen.broken_probes += 1
                    seen.failed_clauses |= set(probe.get("failed_clauses", ()))
        exercised = facts.get("capability_check")
        if isinstance(exercised, Mapping):
            broken: Mapping[str, Iterable[str]] = exercised.get("broken", {})
            for capability in exercised.get("capabilities", ()):
                seen = self.observations.setdefault(capability, Observation())
                seen.checks += 1
                if broken.get(capability):
                    seen.broken_checks += 1
                    seen.failed_clauses |= set(broken[capability])

    def absorb(self, other: CapabilityBlock) -> None:
        """Add another part of the run (a shard's): one of them had the identity check."""
        self.declaration = self.declaration or other.declaration
        for capability, seen in other.observations.items():
            self.observations.setdefault(capability, Observation()).add(seen)

    # -- JSON ---------------------------------------------------------------------------------

    def rows(self, declared_capabilities: Iterable[str]) -> list[dict[str, Any]]:
        """One row per capability; `declared_capabilities` stand in when the declaration is not
        known (a shard without the identity check)."""
        declaration = self.declaration
        declared = set(
            declaration.get("declared", ()) if declaration is not None else declared_capabilities
        )
        sources: Mapping[str, Mapping[str, Any]] = (declaration or {}).get("sources", {})
        inexpressible = set((declaration or {}).get("inexpressible", ()))
        names = [
            *CAPABILITIES,
            *sorted((set(self.observations) | set(sources)) - set(CAPABILITIES)),
        ]
        rows = []
        for capability in names:
            seen = self.observations.get(capability, Observation())
            source = sources.get(capability)
            by = "unknown"  # a shard without the identity check
            if declaration is not None:
                by = "file" if source is not None else "provider"
            row: dict[str, Any] = {
                "capability": capability,
                "declared": capability in declared,
                "declared_by": by,
                "file_value": source.get("value") if source else None,
                "source": source.get("source") if source else None,
                "layer": source.get("layer") if source else None,
                "pattern": source.get("pattern") if source else None,
                "expressible": capability not in inexpressible,
                "observed": seen.observed,
                "checks": seen.checks,
                "broken_checks": seen.broken_checks,
                "probes": seen.probes,
                "broken_probes": seen.broken_probes,
                "failed_clauses": sorted(seen.failed_clauses),
                "verdict": capability_verdict(capability in declared, seen.observed),
            }
            rows.append(row)
        return rows

    def as_json(self, declared_capabilities: Iterable[str]) -> dict[str, Any]:
        declaration = self.declaration or {}
        rows = self.rows(declared_capabilities)
        block: dict[str, Any] = {key: declaration.get(key) for key in _DECLARATION_KEYS}
        block["patterns"] = list(declaration.get("patterns", ()))
        block.update({key: sorted(declaration.get(key, ())) for key in _LISTS})
        block["rows"] = rows
        block["works_but_undeclared"] = [
            r["capability"] for r in rows if r["verdict"] == WORKS_BUT_UNDECLARED
        ]
        block["declared_but_broken"] = {
            r["capability"]: r["failed_clauses"]
            for r in rows
            if r["verdict"] == DECLARED_BUT_BROKEN
        }
        return block

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> CapabilityBlock:
        """Read a block back from a report, counts and declaration, to merge it with another."""
        if not data:
            return cls()
        declaration: dict[str, Any] | None = None
        if data.get("file") is not None:
            rows = data.get("rows", ())
            declaration = {key: data.get(key) for key in _DECLARATION_KEYS}
            declaration.update({key: list(data.get(key, ())) for key in _LISTS})
            declaration["declared"] = [r["capability"] for r in rows if r["declared"]]
            declaration["sources"] = {
                r["capability"]: {
                    "value": r["file_value"],
                    "source": r["source"],
                    "layer": r.get("layer"),
                    "pattern": r.get("pattern"),
                }
                for r in rows
                if r["declared_by"] == "file"
            }
        observations = {
            r["capability"]: Observation(
                checks=r["checks"],
                broken_checks=r["broken_checks"],
                probes=r["probes"],
                broken_probes=r["broken_probes"],
                failed_clauses=set(r["failed_clauses"]),
            )
            for r in data.get("rows", ())
            if r["checks"] or r["probes"]
        }
        return cls(declaration, observations)
