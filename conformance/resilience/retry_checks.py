"""RE-1 checks: a scripted server (503s, a 429 with Retry-After, a 401, a cut stream) and the
attempts the provider made, timed by the fake clock, judged by `judge_retry_attempts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conformance.judge.verdict import Verdict, failed, not_applicable
from conformance.resilience import scripts
from conformance.resilience.driver import CheckContext, CheckMode, ResilienceCheck
from conformance.resilience.judge import Attempt, judge_retry_attempts
from conformance.scenarios.model import Reply
from conformance.server.session import Exchange

#: The max_retries the RE-1 checks build a provider with, when its constructor takes one.
RE1_MAX_RETRIES = 3


def retry_check(
    name: str, title: str, replies: Sequence[Reply], *, stream_only: bool = False
) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        scenario = scripts.scripted(name, replies, clause="RE-1", stream_only=stream_only)
        session = ctx.session("provider", scenario)
        built = ctx.build(session.base_url, max_retries=RE1_MAX_RETRIES)
        facts = built.offer.retry
        if facts is None:
            return [not_applicable("RE-1", built.offer.why_missing("RE-1"))]
        if "sleep" not in built.injected:
            return [
                not_applicable(
                    "RE-1",
                    "the provider retries but its constructor takes no sleep= (and clock=): the "
                    "suite judges backoff only by its own fake clock, never by waiting",
                )
            ]
        unsupported = ctx.stream_unsupported(built.provider, "RE-1")
        if unsupported is not None:
            return [unsupported]
        ctx.watch(session)
        observed = await ctx.call(built.provider, scenario, retry=facts)
        exchanges = session.snapshot()
        count = len(scripts.chat_exchanges(exchanges))
        times = ctx.clock.request_times(count)
        real_note = ""
        if count > 1 and not ctx.clock.sleeps:
            # It retried without a sleep the check replaced (a native transport's own retries, or
            # no wait at all): whatever it waited has happened, so the server's real arrival times
            # are the truth (load can only make them later, never earlier).
            received = [e.received_at for e in scripts.chat_exchanges(exchanges)]
            times = [ctx.clock.start + (at - received[0]) for at in received]
            real_note = (
                " (real times: the provider waits where the suite cannot replace its sleep"
                + (f"; replaced: {', '.join(ctx.patched)}" if ctx.patched else "")
                + ")"
            )
        attempts = reauthenticated(scripts.attempts_of(scenario, exchanges, times), exchanges)
        error = observed.error
        verdict = judge_retry_attempts(
            attempts,
            max_retries=facts.max_retries,
            max_delay=facts.max_delay,
            succeeded=error is None,
            stopped_by_breaker=error is not None and _says_circuit_open(error.message),
        )
        if ctx.budget_note is not None:
            verdict = failed("RE-1", f"{ctx.budget_note}; {verdict.message}")
        if real_note:
            verdict = replace(verdict, message=verdict.message + real_note)
        return [verdict]

    modes: tuple[CheckMode, ...] = ("stream",) if stream_only else ("chat", "stream")
    return ResilienceCheck(name, "RE-1", title, modes, run)


def reauthenticated(attempts: list[Attempt], exchanges: Sequence[Exchange]) -> list[Attempt]:
    """The first 401 that the provider answered by fetching a fresh credential (a request to
    another endpoint of the dialect, such as an OAuth token endpoint, between that 401 and the
    next chat request) marked "reauth": one retry with a new token is not a retried auth error."""
    chats = scripts.chat_exchanges(exchanges)
    others = [e.received_at for e in exchanges if e.turn is None]
    for index, (attempt, current, following) in enumerate(
        zip(attempts, chats, chats[1:], strict=False)
    ):
        if attempt.status == 401 and any(
            current.received_at < at < following.received_at for at in others
        ):
            marked = list(attempts)
            marked[index] = replace(attempt, kind="reauth", retryable=True)
            return marked
    return attempts


def _says_circuit_open(message: str) -> bool:
    lowered = message.lower()
    return "circuit" in lowered or "breaker" in lowered
