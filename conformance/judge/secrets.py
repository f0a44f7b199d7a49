"""SE-1: the API key must not leak into anything a person or a log collector reads.

Any readable form counts (conformance.vocabulary.redaction.mentions): a key logged upper-cased or
inside a
base64 Basic header is as leaked as a plain one.
"""

from __future__ import annotations

from conformance.judge.case import CaseRecord
from conformance.judge.verdict import Verdict, check
from conformance.vocabulary.redaction import mentions


def judge_secrets(case: CaseRecord) -> list[Verdict]:
    key = case.api_key
    observation = case.observation
    problems: list[str] = []
    if mentions(observation.provider_repr, key):
        problems.append("the provider's repr() contains the API key")
    for index, turn in enumerate(observation.turns):
        error = turn.error
        if error is None:
            continue
        if mentions(error.message, key):
            problems.append(f"turn {index}: the message of {error.type_name} contains the API key")
        if mentions(error.representation, key):
            problems.append(f"turn {index}: repr() of {error.type_name} contains the API key")
    leaking = sum(1 for line in observation.log_lines if mentions(line, key))
    if leaking:
        problems.append(f"{leaking} log line(s) contain the API key")
    return [check("SE-1", problems)]


def judge_identity(name: object) -> list[Verdict]:
    if isinstance(name, str) and name.strip():
        return [check("ID-1", [])]
    return [check("ID-1", [f"name is {name!r}, expected a non-empty string"])]
