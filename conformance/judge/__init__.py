"""The judge: pure functions from what a check produced to verdicts per clause. No I/O."""

from __future__ import annotations

from conformance.judge.answers import judge_answers
from conformance.judge.case import CaseRecord
from conformance.judge.errors import judge_errors, judge_unexpected_raw_errors
from conformance.judge.faults import judge_faults, judge_resources
from conformance.judge.requests import judge_requests
from conformance.judge.secrets import judge_identity, judge_secrets
from conformance.judge.verdict import (
    Outcome,
    Verdict,
    check,
    failed,
    inconclusive,
    not_applicable,
    passed,
)


def judge_case(case: CaseRecord) -> list[Verdict]:
    """Every clause this check can speak to."""
    return [
        *judge_requests(case),
        *judge_answers(case),
        *judge_errors(case),
        *judge_unexpected_raw_errors(case),
        *judge_faults(case),
        *judge_resources(case),
        *judge_secrets(case),
    ]


__all__ = [
    "CaseRecord",
    "Outcome",
    "Verdict",
    "check",
    "failed",
    "inconclusive",
    "judge_answers",
    "judge_case",
    "judge_errors",
    "judge_faults",
    "judge_identity",
    "judge_requests",
    "judge_resources",
    "judge_secrets",
    "not_applicable",
    "passed",
]
