"""SE-1: the API key must not leak into anything a person or a log collector reads."""

from __future__ import annotations

from conformance.judge.case import CaseRecord
from conformance.judge.verdict import Verdict, check


def judge_secrets(case: CaseRecord) -> list[Verdict]:
    key = case.api_key
    observation = case.observation
    problems: list[str] = []
    if key in observation.provider_repr:
        problems.append("the provider's repr() contains the API key")
    for index, turn in enumerate(observation.turns):
        error = turn.error
        if error is None:
            continue
        if key in error.message:
            problems.append(f"turn {index}: the message of {error.type_name} contains the API key")
        if key in error.representation:
            problems.append(f"turn {index}: repr() of {error.type_name} contains the API key")
    leaking = sum(1 for line in observation.log_lines if key in line)
    if leaking:
        problems.append(f"{leaking} log line(s) contain the API key")
    return [check("SE-1", problems)]


def judge_identity(name: object) -> list[Verdict]:
    if isinstance(name, str) and name.strip():
        return [check("ID-1", [])]
    return [check("ID-1", [f"name is {name!r}, expected a non-empty string"])]
