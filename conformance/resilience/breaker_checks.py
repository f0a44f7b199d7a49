"""RE-2 checks: scripts of calls and waits, replayed through `BreakerModel` to know which calls
reach the server, then each call compared with the model by `judge_breaker_trace`."""

from __future__ import annotations

from collections.abc import Callable

from conformance.judge.verdict import Verdict, failed, not_applicable
from conformance.resilience import scripts
from conformance.resilience.driver import (
    CheckContext,
    ResilienceCheck,
    read_safely,
    requests_to,
)
from conformance.resilience.judge import (
    Advance,
    Call,
    CallSeen,
    Step,
    judge_breaker_trace,
    predicted_requests,
)
from conformance.resilience.model import normalise_state


def _past(recovery: float) -> float:
    """A little past the recovery time: 'after the recovery time', away from the boundary."""
    return recovery + max(recovery * 0.01, 1e-3)


def opens_and_recovers(threshold: int, recovery: float) -> list[Step]:
    return [
        *[Call("server")] * threshold,
        Call("server"),
        Advance(recovery / 2),
        Call("server"),
        Advance(_past(recovery) - recovery / 2),
        Call("ok"),
        Call("ok"),
    ]


def failed_probe_reopens(threshold: int, recovery: float) -> list[Step]:
    return [
        *[Call("server")] * threshold,
        Advance(_past(recovery)),
        Call("server"),
        Call("server"),
        Advance(_past(recovery)),
        Call("ok"),
        Call("ok"),
    ]


def auth_not_counted(threshold: int, recovery: float) -> list[Step]:
    return [*[Call("auth")] * (threshold + 2), Call("ok")]


def breaker_check(
    name: str, title: str, script: Callable[[int, float], list[Step]]
) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        inspected = ctx.build(ctx.nowhere_url(), max_retries=0)
        facts = inspected.offer.breaker
        if facts is None:
            return [not_applicable("RE-2", inspected.offer.why_missing("RE-2"))]
        if "clock" not in inspected.injected:
            return [
                not_applicable(
                    "RE-2",
                    "the provider's constructor takes no clock=: the recovery time is judged "
                    "only by the suite's fake clock, never by waiting",
                )
            ]
        threshold, recovery = facts.failure_threshold, facts.recovery_time
        steps = script(threshold, recovery)
        outcomes = predicted_requests(steps, threshold, recovery)
        replies = [scripts.BREAKER_REPLIES[o] for o in outcomes]
        scenario = scripts.scripted(name, replies, clause="RE-2")
        session = ctx.session("provider", scenario)
        built = ctx.build(session.base_url, max_retries=0)
        facts = built.offer.breaker or facts
        unsupported = ctx.stream_unsupported(built.provider, "RE-2")
        if unsupported is not None:
            return [unsupported]
        seen: list[CallSeen] = []
        for step in steps:
            if isinstance(step, Advance):
                ctx.clock.advance(step.seconds)
                continue
            before = requests_to(session)
            observed = await ctx.call(built.provider, scenario)
            sent = requests_to(session) - before
            if sent > 1:
                return [
                    failed(
                        "RE-2",
                        f"call {len(seen) + 1} sent {sent} requests: the breaker checks build the "
                        "provider with max_retries=0 and expect at most one request per call",
                    )
                ]
            error = observed.error
            seen.append(
                CallSeen(
                    requested=sent == 1,
                    ok=error is None,
                    message=error.message if error is not None else "",
                    state=normalise_state(read_safely(facts.state)),
                    own_error=error is None or error.is_profile_error,
                )
            )
        return [judge_breaker_trace(steps, seen, threshold=threshold, recovery=recovery)]

    return ResilienceCheck(name, "RE-2", title, ("chat", "stream"), run)
