"""ER clauses: the error a provider raises for an API error, judged against the ER-1 table."""

from __future__ import annotations

import math

from conformance.judge.case import CaseRecord
from conformance.judge.verdict import Verdict, check, failed

#: Why an `unknown` category fails even when the error carries the right status code.
_CATCH_ALL = (
    ": {type} is the interface's catch-all, and its callers (its own retry and error "
    "classification among them) tell failures apart by the interface's types, not by a status "
    "attribute, so they cannot tell this one apart from any other failure"
)


def judge_errors(case: CaseRecord) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for index, turn in enumerate(case.scenario.turns):
        if turn.reply.error is None or index >= len(case.observation.turns):
            continue
        expected = case.scenario.expected_error(index)
        assert expected is not None
        observed = case.observation.turns[index].error
        status = expected.status
        if observed is None:
            message = (
                f"HTTP {status} was answered with a result instead of an error "
                f"({case.mode}): the caller cannot tell it failed"
            )
            clause = "ER-6" if turn.reply.error.in_stream else "ER-1"
            verdicts += [failed(clause, message), failed("ER-3", message)]
            continue
        if not observed.is_profile_error:
            verdicts.append(
                failed(
                    "ER-8",
                    f"HTTP {status} ({case.mode}) escaped as {observed.type_name}: "
                    f"{observed.message[:300]!r}; only the profile's own error types may escape",
                )
            )
            continue
        verdicts.append(check("ER-8", []))
        in_stream = turn.reply.error.in_stream
        where = f"{case.mode}, inside the stream" if in_stream else case.mode

        problems: list[str] = []
        if observed.category != expected.category:
            why = ""
            if observed.category == "unknown":
                why = _CATCH_ALL.format(type=observed.type_name)
            problems.append(
                f"HTTP {status} ({where}) became category "
                f"{observed.category!r}, expected {expected.category!r}{why}"
            )
        if observed.retryable is not None and observed.retryable != expected.retryable:
            problems.append(
                f"HTTP {status} ({where}) has retryable={observed.retryable}, "
                f"expected {expected.retryable}"
            )
        verdicts.append(check("ER-6" if in_stream else "ER-1", problems))

        problems = []
        # Inside a 200 stream some wires state no status (Ollama's {"error": "..."}), and some
        # interfaces' errors have no place for one (orchestrator's): none is acceptable there, a
        # wrong one never is.
        unstated = observed.status_code is None and (in_stream or not observed.states_status)
        if observed.status_code != status and not unstated:
            problems.append(f"status code {observed.status_code!r}, expected {status}")
        name = case.observation.provider_name
        if not observed.provider:
            if observed.names_provider:
                problems.append("the error does not name the provider")
        elif isinstance(name, str) and observed.provider != name:
            problems.append(
                f"the error names provider {observed.provider!r}, "
                f"but the provider's name is {name!r}"
            )
        if expected.message and expected.message not in observed.message:
            problems.append(
                f"the message {observed.message[:200]!r} does not carry the API's "
                f"own message {expected.message!r}"
            )
        # No cause is asked of an HTTP status error: the status, the API's message and the name
        # are the facts, and the official openai client raises its status errors `from None`.
        verdicts.append(check("ER-3", [f"HTTP {status} ({where}): {p}" for p in problems]))

        if expected.retry_after is not None:
            got = observed.retry_after
            verdicts.append(
                check(
                    "ER-2",
                    []
                    if got is not None
                    and math.isclose(float(got), expected.retry_after, abs_tol=1.0)
                    else [
                        f"HTTP {status} ({where}): retry-after {got!r}, expected "
                        f"{expected.retry_after:g} from the response headers"
                    ],
                )
            )
    return verdicts


def judge_unexpected_raw_errors(case: CaseRecord) -> list[Verdict]:
    """ER-8 outside error scenarios: any raw exception escaping an ordinary exchange."""
    verdicts: list[Verdict] = []
    for index, turn in enumerate(case.observation.turns):
        if index < len(case.scenario.turns) and case.scenario.turns[index].reply.error is not None:
            continue
        if turn.error is not None and not turn.error.is_profile_error:
            verdicts.append(
                failed(
                    "ER-8",
                    f"turn {index} ({case.mode}): {turn.error.type_name} "
                    f"escaped: {turn.error.message[:300]!r}",
                )
            )
    return verdicts
