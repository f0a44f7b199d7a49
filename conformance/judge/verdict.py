"""A verdict: one clause judged once, with the message a provider author needs to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.vocabulary.clauses import clause

#: "inconclusive": a timing clause missed its mark while the harness itself was starved (machine
#: load), and a second try could not confirm it. Never a pass, never a provider failure.
Outcome = Literal["pass", "fail", "not-applicable", "inconclusive"]


@dataclass(frozen=True)
class Verdict:
    clause: str
    outcome: Outcome
    message: str = ""

    def __post_init__(self) -> None:
        clause(self.clause)  # an unknown clause id is a bug in the check that made it

    @property
    def failed(self) -> bool:
        return self.outcome == "fail"

    def headline(self) -> str:
        title = clause(self.clause).title
        return (
            f"{self.clause} ({title}): {self.message}"
            if self.message
            else f"{self.clause} ({title})"
        )


def passed(clause_id: str, message: str = "") -> Verdict:
    return Verdict(clause_id, "pass", message)


def failed(clause_id: str, message: str) -> Verdict:
    return Verdict(clause_id, "fail", message)


def not_applicable(clause_id: str, reason: str) -> Verdict:
    return Verdict(clause_id, "not-applicable", reason)


def inconclusive(clause_id: str, message: str) -> Verdict:
    return Verdict(clause_id, "inconclusive", message)


def check(clause_id: str, problems: list[str], ok_message: str = "") -> Verdict:
    """Pass when no problem was found, else fail listing every problem."""
    if problems:
        return failed(clause_id, "; ".join(problems))
    return passed(clause_id, ok_message)
