"""CH and ST clauses: what the provider reported, against what the scenario's server sent."""

from __future__ import annotations

from dataclasses import replace

from conformance.judge.case import CaseRecord
from conformance.judge.comparison import (
    same_stop_reason,
    show_calls,
    text_difference,
    tool_call_problems,
)
from conformance.judge.verdict import Verdict, check, failed, passed
from conformance.scenarios.model import Reply
from conformance.vocabulary.canonical import Usage
from conformance.vocabulary.observation import TurnObservation


def judge_answers(case: CaseRecord) -> list[Verdict]:
    if case.scenario.stop_after_chunks:
        return []  # the caller left early on purpose: there is no whole answer to judge
    verdicts: list[Verdict] = []
    for index, turn in enumerate(case.scenario.turns):
        reply = turn.reply
        if reply.error is not None or reply.fault.expected_error is not None:
            continue
        if index >= len(case.observation.turns):
            break
        observed = case.observation.turns[index]
        if case.mode == "chat":
            verdicts += _chat(case, index, reply, observed)
        else:
            verdicts += _stream(case, index, reply, observed)
    return verdicts


def _unexpected_error(clauses: list[str], index: int, observed: TurnObservation) -> list[Verdict]:
    error = observed.error
    assert error is not None
    message = (
        f"turn {index}: no answer to judge, the provider raised {error.type_name}: {error.message}"
    )
    return [failed(clause, message) for clause in clauses]


def expected_usage(case: CaseRecord, usage: Usage) -> Usage:
    """The usage a caller can read: what the wire tells, with the total the interface defines.

    An interface whose total is prompt + completion by definition (pydantic-ai's
    `RequestUsage.total_tokens`) cannot carry a server total that counts more; that part of
    CH-4 / ST-5 is not judged, the counts themselves still are.
    """
    want = case.dialect.wire_usage(usage)
    if case.usage_total_is_sum:
        return replace(want, total_tokens=want.prompt_tokens + want.completion_tokens)
    return want


def unstated_stop(reply: Reply) -> str:
    """Why `stop` is expected of an answer whose wire never stated a stop reason.

    Some OpenAI-compatible APIs (Snowflake Cortex) end a stream with its terminal marker and never
    send a `finish_reason`. The answer ended normally, so its canonical stop reason is `stop`
    (`tool_calls` when it called tools): a provider that reports none leaves its callers unable
    to tell a finished answer from an unfinished one.
    """
    if reply.recorded is None or reply.stop_reason is not None:
        return ""
    return (
        ": the answer ended with its terminal marker without stating a stop reason, which is a "
        f"normal end: its canonical stop reason is {reply.effective_stop_reason!r}"
    )


def _chat(case: CaseRecord, index: int, reply: Reply, observed: TurnObservation) -> list[Verdict]:
    clauses = ["CH-1", "CH-3"]
    if reply.tool_calls:
        clauses.append("CH-2")
    if reply.usage is not None:
        clauses.append("CH-4")
    if observed.error is not None:
        return _unexpected_error(clauses, index, observed)
    verdicts = [
        check(
            "CH-1",
            [f"turn {index}: {d}"]
            if (d := text_difference(reply.text, observed.text or ""))
            else [],
        ),
        check(
            "CH-3",
            []
            if same_stop_reason(reply.effective_stop_reason, observed.stop_reason)
            else [
                f"turn {index}: stop reason {observed.stop_reason!r}, expected "
                f"{reply.effective_stop_reason!r} or the dialect's word for it"
                f"{unstated_stop(reply)}"
            ],
        ),
    ]
    if "CH-2" in clauses or observed.tool_calls:
        verdicts.append(
            check(
                "CH-2",
                [
                    f"turn {index}: {p}"
                    for p in tool_call_problems(
                        reply.tool_calls,
                        observed.tool_calls,
                        compare_ids=case.dialect.tool_call_ids,
                    )
                ],
            )
        )
    if reply.usage is not None:
        got, want = observed.usage, expected_usage(case, reply.usage)
        verdicts.append(
            check(
                "CH-4",
                []
                if got == want
                else [
                    f"turn {index}: usage {got.as_json() if got else None}, expected "
                    f"{want.as_json()}"
                ],
            )
        )
    return verdicts


def _stream(case: CaseRecord, index: int, reply: Reply, observed: TurnObservation) -> list[Verdict]:
    clauses = ["ST-1", "ST-2", "ST-5"]
    if reply.tool_calls:
        clauses.append("ST-3")
    if "ST-6" in case.scenario.focus:
        clauses.append("ST-6")
    if observed.error is not None:
        return _unexpected_error(clauses, index, observed)
    chunks = observed.chunks
    verdicts: list[Verdict] = []

    difference = text_difference(reply.text, observed.streamed_text)
    verdicts.append(check("ST-1", [f"turn {index}: {difference}"] if difference else []))

    finals = [n for n, chunk in enumerate(chunks) if chunk.is_final]
    if not chunks:
        verdicts.append(failed("ST-2", f"turn {index}: the stream yielded no chunk at all"))
    elif len(finals) != 1:
        verdicts.append(
            failed(
                "ST-2",
                f"turn {index}: {len(finals)} final chunks "
                f"(at positions {finals} of {len(chunks)}), expected exactly one",
            )
        )
    elif finals[0] != len(chunks) - 1:
        verdicts.append(
            failed(
                "ST-2",
                f"turn {index}: the final chunk is chunk {finals[0]} but "
                f"{len(chunks) - 1 - finals[0]} chunk(s) followed it",
            )
        )
    else:
        verdicts.append(passed("ST-2"))

    reported = [call for chunk in chunks for call in chunk.tool_calls]
    if reply.tool_calls or reported:
        problems = tool_call_problems(
            reply.tool_calls, reported, compare_ids=case.dialect.tool_call_ids
        )
        ids = [call.id if case.dialect.tool_call_ids else show_calls([call]) for call in reported]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.insert(0, f"tool call(s) {duplicates} reported more than once")
        verdicts.append(check("ST-3", [f"turn {index}: {p}" for p in problems]))

    verdicts.append(_st5(case, index, reply, observed))
    if "ST-6" in case.scenario.focus:
        # The scenario's framing is unusual but standard: any loss it causes is an ST-6 failure.
        fed_by = {"ST-1", "ST-2", "ST-3", "ST-5"} - case.inexpressible
        broken = [v for v in verdicts if v.failed and v.clause in fed_by]
        verdicts.append(
            check(
                "ST-6",
                [f"with this framing {v.clause} broke: {v.message}" for v in broken],
            )
        )
    return verdicts


def _st5(case: CaseRecord, index: int, reply: Reply, observed: TurnObservation) -> Verdict:
    chunks = observed.chunks
    final = next((c for c in reversed(chunks) if c.is_final), None)
    problems: list[str] = []
    if final is None:
        return failed("ST-5", f"turn {index}: no final chunk to carry the stop reason and usage")
    if not same_stop_reason(reply.effective_stop_reason, final.stop_reason):
        problems.append(
            f"turn {index}: final chunk's stop reason {final.stop_reason!r}, "
            f"expected {reply.effective_stop_reason!r}{unstated_stop(reply)}"
        )
    exchange = next((e for e in case.chat_exchanges if e.turn == index), None)
    usage_sent = bool(exchange and exchange.response.meta.get("usage_sent"))
    if reply.usage is not None and usage_sent:
        want = expected_usage(case, reply.usage)
        if final.usage != want:
            early = [n for n, c in enumerate(chunks) if c.usage is not None and not c.is_final]
            where = f" (usage arrived on non-final chunk(s) {early})" if early else ""
            problems.append(
                f"turn {index}: final chunk's usage "
                f"{final.usage.as_json() if final.usage else None}, expected "
                f"{want.as_json()}{where}"
            )
    elif reply.usage is not None and "usage" in case.declared and exchange is not None:
        hint = exchange.response.meta.get("usage_hint") or "the server sent no usage"
        problems.append(f"turn {index}: the provider declares usage, but {hint}")
    return check("ST-5", problems)


__all__ = ["judge_answers", "show_calls"]
