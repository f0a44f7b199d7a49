"""ER-4, ER-5, ER-7 (faults that must become errors), ST-4 and ST-7 (holds), RS-1 and RS-2.

Each fault the server injected says which error a conforming provider raises (Fault.expected_error);
timing clauses compare the provider's chunk times with the server's write times, both taken from
the same monotonic clock.
"""

from __future__ import annotations

from conformance.judge import starvation
from conformance.judge.case import CaseRecord
from conformance.judge.verdict import (
    Verdict,
    check,
    failed,
    inconclusive,
    not_applicable,
    passed,
)
from conformance.scenarios.model import Fault
from conformance.scenarios.tool_arguments import keeps_raw_arguments
from conformance.server.session import Exchange
from conformance.vocabulary.observation import ObservedError

#: How much longer than its configured timeout a provider may take to report a stall (ER-4).
TIMEOUT_SLACK = 1.0

_WHAT = {
    "ER-4": "the transport failure",
    "ER-5": "the malformed body",
    "ER-7": "the stream cut before its terminal event",
}


def judge_faults(case: CaseRecord) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for index, turn in enumerate(case.scenario.turns):
        fault = turn.reply.fault
        if index >= len(case.observation.turns):
            break
        observed = case.observation.turns[index]
        expected = fault.expected_error
        reported = [
            *observed.tool_calls,
            *(c for chunk in observed.chunks for c in chunk.tool_calls),
        ]
        if (
            fault.unparsable_tool_arguments
            and observed.error is None
            and keeps_raw_arguments(turn.reply.tool_calls, reported)
        ):
            verdicts.append(passed("ER-5"))  # the raw text kept and flagged: no data lost
        elif expected is not None:
            verdicts.append(
                _expected_error(case, index, expected, observed.error, observed.elapsed)
            )
            error = observed.error
            if _underlying_exception(fault) and error is not None and error.is_profile_error:
                verdicts.append(_cause(case, index, error))
        elif fault.hold_after_first_text and case.mode == "stream":
            verdicts += _hold(case, index)
    return verdicts


def _expected_error(
    case: CaseRecord,
    index: int,
    expected: tuple[str, str | None],
    error: object,
    elapsed: float,
) -> Verdict:
    clause, category = expected
    what = _WHAT[clause]
    if case.scenario.turns[index].reply.fault.unparsable_tool_arguments:
        what = (
            "the tool-call arguments that are not valid JSON (expected an invalid-response "
            "error, or the raw text kept as an argument value)"
        )
    observed = case.observation.turns[index].error
    if observed is None:
        return failed(
            clause,
            f"turn {index} ({case.mode}): {what} was reported as a success; the caller cannot tell "
            "the answer is missing or incomplete",
        )
    if not observed.is_profile_error:
        return failed(
            clause,
            f"turn {index} ({case.mode}): {what} escaped as {observed.type_name}, not as one of "
            "the profile's errors",
        )
    problems = []
    if category is not None and observed.category != category:
        problems.append(
            f"turn {index} ({case.mode}): {what} became category {observed.category!r}, "
            f"expected {category!r}"
        )
    if category == "timeout" and elapsed > case.provider_timeout + TIMEOUT_SLACK:
        late = (
            f"turn {index} ({case.mode}): the stall was reported after {elapsed:.2f} s; the "
            f"provider was built with timeout={case.provider_timeout:g} s"
        )
        lag = case.observation.harness_lag
        if not problems and starvation.starved(lag):
            return inconclusive(clause, f"{late}; but {starvation.describe(lag)}")
        problems.append(late)
    return check(clause, problems)


def _underlying_exception(fault: Fault) -> bool:
    """Whether the fault reaches the provider as an exception of its transport or decoder:
    a stall (timeout), a reset or refused connection, a body that is not JSON. A body of the
    wrong shape or a cut stream may be noticed by the provider's own checks, with no exception."""
    return bool(
        fault.stall_before_headers
        or fault.stall_after_pieces is not None
        or fault.reset_after_pieces is not None
        or fault.refuse_connection
        or fault.malformed
    )


def _cause(case: CaseRecord, index: int, observed: ObservedError) -> Verdict:
    """ER-3: where an underlying exception existed, the error keeps it as its cause."""
    if observed.cause_type is not None:
        return check("ER-3", [])
    return failed(
        "ER-3",
        f"turn {index} ({case.mode}): {observed.type_name} carries no cause, although the "
        "transport or decoder raised an exception: attach it (raise ... from exc), so that "
        "callers and logs keep what really failed",
    )


def _exchange(case: CaseRecord, turn: int) -> Exchange | None:
    return next((e for e in case.chat_exchanges if e.turn == turn), None)


def _hold(case: CaseRecord, index: int) -> list[Verdict]:
    exchange = _exchange(case, index)
    observed = case.observation.turns[index]
    if exchange is None or exchange.held_after_piece is None:
        return [failed("ST-4", f"turn {index}: the server never reached the text to hold after")]
    held = exchange.held_after_piece
    texts = [chunk for chunk in observed.chunks if chunk.text]
    verdicts: list[Verdict] = []
    # Why the early exit cannot be judged: no text reached the caller while the server held.
    unheld: str | None = None
    if not texts:
        what = (
            f"none of the {len(observed.chunks)} chunk(s) yielded carried text"
            if observed.chunks
            else "no chunk was yielded at all"
        )
        verdicts.append(failed("ST-4", f"turn {index}: {what}"))
        unheld = f"turn {index}: no text reached the caller, so it had nothing to stop after"
    elif exchange.client_closed_early or len(exchange.written_at) <= held + 1:
        verdicts.append(check("ST-4", []))
    else:
        resumed = exchange.written_at[held + 1]
        late = texts[0].at - resumed
        lag = case.observation.harness_lag
        buffered = (
            f"turn {index}: the first text chunk was yielded {late:.3f} s after the server "
            "wrote the rest of the stream; the server had held the stream after the first "
            "text, so the provider buffered the answer instead of streaming it"
        )
        if late >= 0 and starvation.starved(lag):
            verdicts.append(inconclusive("ST-4", f"{buffered}; but {starvation.describe(lag)}"))
        else:
            verdicts.append(check("ST-4", [] if late < 0 else [buffered]))
        if late >= 0:
            unheld = (
                f"turn {index}: the first text reached the caller only after the server had "
                "written the whole stream (ST-4), so there was nothing left to stop early"
            )
    if case.scenario.stop_after_chunks and unheld is not None:
        # The early exit is judged while the server holds the stream; a provider that buffers
        # the answer (ST-4 says so) never lets the caller leave during the hold. Failing ST-7
        # too would blame one bug twice, under a clause whose code may be right.
        verdicts.append(not_applicable("ST-7", unheld))
    elif case.scenario.stop_after_chunks:
        verdicts.append(
            check(
                "ST-7",
                []
                if exchange.client_closed_early
                else [
                    f"turn {index}: the caller stopped after {case.scenario.stop_after_chunks} "
                    "chunk(s), but the connection stayed open while the server held the stream "
                    "(the response was not closed)"
                ],
            )
        )
    return verdicts


def judge_resources(case: CaseRecord) -> list[Verdict]:
    observation = case.observation
    problems = [
        f"close() called a second time raised {error}" for error in observation.close_errors
    ]
    if observation.open_connections:
        problems.append(
            f"{observation.open_connections} connection(s) to the server were still open after "
            "close()"
        )
    warnings = observation.resource_warnings
    return [
        check("RS-1", problems),
        check(
            "RS-2",
            [f"{len(warnings)} resource warning(s): {'; '.join(warnings[:3])}"] if warnings else [],
        ),
    ]
