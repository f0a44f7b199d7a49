"""What one check is (`Case`) and what it ends with (`CaseOutcome`; `Incomplete` if unjudged).

Shared by every kind of check and read by the plugin and the reports, so it depends on nothing
that runs a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.judge import (
    Verdict,
)
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.clause_hints import fix_hint
from conformance.vocabulary.transcript_excerpt import excerpt


@dataclass(frozen=True)
class Case:
    scenario: Scenario
    mode: Mode

    @property
    def id(self) -> str:
        return f"{self.scenario.name}-{self.mode}"


#: Why a planned check has no verdicts of its own. None of these is a provider failure and none is
#: a pass: a provider conforms only when every planned check ran and was judged.
INCOMPLETE_KINDS = (
    "harness-error",  # the harness itself raised while running or judging the check
    "crashed",  # the process running the check died (segfault, os._exit, out of memory)
    "interrupted",  # the run was interrupted (Ctrl-C, SIGTERM) before the check finished
    "deadline",  # the run's overall deadline (--run-timeout) ended it before the check finished
    "not-run",  # planned, but no result arrived, for no reason the harness could name
)


@dataclass(frozen=True)
class Incomplete:
    """A check the harness could not complete: its kind (INCOMPLETE_KINDS) and why."""

    kind: str
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in INCOMPLETE_KINDS:
            raise ValueError(f"unknown incomplete kind {self.kind!r}")

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "reason": self.reason}


@dataclass
class CaseOutcome:
    provider: str
    scenario: str
    mode: str
    verdicts: list[Verdict] = field(default_factory=list)
    transcript: str = ""
    not_applicable: str | None = None
    error: str | None = None
    duration: float = 0.0
    #: What the report needs to know of the provider (target, dialect, profile, name ...).
    facts: dict[str, Any] = field(default_factory=dict)
    #: Lines a failure message shows before the transcript (a property's seed and replay).
    notes: list[str] = field(default_factory=list)
    #: Set when the harness could not complete the check; its verdicts then count for nothing.
    incomplete: Incomplete | None = None
    #: The provider's own tracebacks (harness frames hidden) of the exceptions it raised.
    tracebacks: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.failed]

    @property
    def ok(self) -> bool:
        return not self.failures and self.error is None and self.incomplete is None

    @property
    def inconclusive(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome == "inconclusive"]

    def failure_text(self, full_transcript_at: str | None = None) -> str:
        """The failure as pytest shows it; given where the whole transcript is, an excerpt of it."""
        lines = [f"{self.provider}: scenario {self.scenario} [{self.mode}]"]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += [f"  {v.headline()}" for v in self.failures]
        for clause in dict.fromkeys(v.clause for v in self.failures):
            lines.append(f"  fix {clause}: {fix_hint(clause, self.facts.get('profile'))}")
        if self.notes:
            lines += ["", *self.notes]
        for text in self.tracebacks:
            lines += ["", "The provider raised (harness frames hidden):", text]
        transcript = self.transcript
        if full_transcript_at is not None:
            failing = self.failures
            transcript = excerpt(
                transcript,
                [v.message for v in failing],
                full_at=full_transcript_at,
                clauses=[v.clause for v in failing],
            )
        lines += ["", "Wire transcript:", transcript]
        if self.scenario in bundled_scenarios():
            lines += [
                "",
                f"Expected result: provider-conformance show scenario {self.scenario} --json",
            ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "scenario": self.scenario,
            "mode": self.mode,
            "verdicts": [
                {"clause": v.clause, "outcome": v.outcome, "message": v.message}
                for v in self.verdicts
            ],
            "transcript": self.transcript if self.failures or self.error else "",
            "not_applicable": self.not_applicable,
            "error": self.error,
            "duration": round(self.duration, 4),
            "facts": self.facts,
            "incomplete": self.incomplete.as_json() if self.incomplete else None,
        }
