"""RE-3 checks: members built against their own sessions, composed into a fallback chain or a
router by the offer of the first, and the composite driven as one provider."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from conformance.judge.verdict import Verdict, check, not_applicable
from conformance.profiles.resilience import Composite, ResilienceOffer, Strategy
from conformance.resilience import scripts
from conformance.resilience.driver import (
    CheckContext,
    ResilienceCheck,
    answer_text,
    read_safely,
)
from conformance.resilience.judge import (
    judge_exhausted_error,
    judge_health_monotone,
    judge_health_readings,
)
from conformance.resilience.model import HealthModel, normalise_state
from conformance.scenarios.model import Reply
from conformance.server import Session
from conformance.server.session import Exchange

#: How many calls a check makes to see health worsen when the provider declares no thresholds.
UNDECLARED_UNHEALTHY_AFTER = 8


@dataclass
class Member:
    name: str
    offer: ResilienceOffer
    session: Session
    #: What this member answers when it succeeds.
    answer: str | None

    @property
    def requests(self) -> int:
        """The calls the chain sent this member: chat-endpoint requests carrying the check's
        prompt. A health check that sends a small completion of its own (YandexGPT's) reaches the
        chat endpoint too, but it is a probe, not the call."""
        return sum(1 for e in scripts.chat_exchanges(self.session.snapshot()) if _is_call(e))

    @property
    def health_probes(self) -> int:
        """Requests its health check sent: to the dialect's other endpoints (Ollama's /api/tags,
        which share the scenario's errors) or completions without the check's prompt."""
        return len(self.session.snapshot()) - self.requests


def _is_call(exchange: Exchange) -> bool:
    return scripts.PROMPT.encode("utf-8") in exchange.request.body


def _answer_of(replies: Sequence[Reply]) -> str | None:
    last = replies[-1]
    return last.text if last.error is None else None


def _members(ctx: CheckContext, check: str, plan: Mapping[str, Sequence[Reply]]) -> list[Member]:
    members = []
    for name, replies in plan.items():
        scenario = scripts.scripted(f"{check}_{name}", replies, clause="RE-3")
        session = ctx.session(name, scenario)
        built = ctx.build(session.base_url, max_retries=0)
        members.append(Member(name, built.offer, session, _answer_of(replies)))
    return members


CALL = scripts.scripted("re3_call", [scripts.text("unused")], clause="RE-3")

Composer = Callable[[list[Member]], Composite | None]


def as_chain(members: list[Member]) -> Composite | None:
    """A fallback chain, composed by the first member's offer (members share one family)."""
    compose = members[0].offer.chain
    return None if compose is None else compose([(m.name, m.offer.provider) for m in members])


def as_router(strategy: Strategy) -> Composer:
    def compose(members: list[Member]) -> Composite | None:
        route = members[0].offer.router
        pairs = [(m.name, m.offer.provider) for m in members]
        return None if route is None else route(pairs, strategy)

    return compose


#: The problems found, or a verdict of its own (a check whose premise the composite never met).
CompositeJudge = Callable[[CheckContext, Composite, list[Member]], Awaitable[list[str] | Verdict]]


def composite_check(
    name: str,
    title: str,
    what: str,
    plan: Mapping[str, Sequence[Reply]],
    compose: Composer,
    judge: CompositeJudge,
) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        members = _members(ctx, name, plan)
        composed = compose(members)
        if composed is None:
            reason = f"{members[0].offer.why_missing('RE-3')}; this check needs a {what}"
            return [not_applicable("RE-3", reason)]
        ctx.adopt(composed)
        unsupported = ctx.stream_unsupported(composed, "RE-3")
        if unsupported is not None:
            return [unsupported]
        judged = await judge(ctx, composed, members)
        return [judged if isinstance(judged, Verdict) else check("RE-3", judged, title)]

    return ResilienceCheck(name, "RE-3", title, ("chat", "stream"), run)


def _request_counts(members: Sequence[Member], expected: Mapping[str, int]) -> list[str]:
    problems = []
    for member in members:
        want = expected.get(member.name, 0)
        if member.requests != want:
            problems.append(f"{member.name} received {member.requests} request(s), expected {want}")
    return problems


def _passed_over(members: Sequence[Member]) -> list[str]:
    """Each failing member was moved past: tried once, or found down by its health check.

    A router that consults each member's health before choosing (orchestrator's first-available
    Router asks `health_check()`) moves on without sending the chat request to a member whose
    health endpoint already answers the failure: that is moving on too. A member neither tried
    nor probed was skipped blindly; one asked twice was retried, which a chain must not do.
    """
    problems = []
    for member in members:
        if member.requests == 1 or (member.requests == 0 and member.health_probes):
            continue
        if member.requests == 0:
            problems.append(
                f"{member.name} received no request at all (neither the call nor a health "
                "check): the chain skipped it without finding out that it fails"
            )
        else:
            problems.append(f"{member.name} received {member.requests} request(s), expected 1")
    return problems


async def moves_on(ctx: CheckContext, composed: Composite, members: list[Member]) -> list[str]:
    observed = await ctx.call(composed, CALL)
    last = members[-1]
    problems = []
    if observed.error is not None:
        problems.append(
            f"the chain failed although {last.name} answers: {observed.error.message[:300]!r}"
        )
    elif answer_text(observed) != last.answer:
        problems.append(f"the chain answered {answer_text(observed)!r}, expected {last.answer!r}")
    return problems + _passed_over(members[:-1]) + _request_counts([last], {last.name: 1})


async def first_wins(ctx: CheckContext, composed: Composite, members: list[Member]) -> list[str]:
    observed = await ctx.call(composed, CALL)
    first = members[0]
    problems = []
    if observed.error is not None:
        problems.append(f"the chain failed: {observed.error.message[:300]!r}")
    elif answer_text(observed) != first.answer:
        problems.append(f"the chain answered {answer_text(observed)!r}, expected {first.answer!r}")
    return problems + _request_counts(members, {first.name: 1})


FAILURES: dict[str, tuple[int, str]] = {
    "alpha": (503, "alpha is overloaded"),
    "beta": (500, "beta crashed"),
    "gamma": (502, "gamma bad gateway"),
}


async def all_named(ctx: CheckContext, composed: Composite, members: list[Member]) -> list[str]:
    observed = await ctx.call(composed, CALL)
    error = observed.error
    if error is None:
        return [
            f"the chain reported success ({answer_text(observed)!r}) though every member failed"
        ]
    problems = []
    if not error.is_profile_error:
        problems.append(f"the chain raised {error.type_name}, not one of the profile's errors")
    words = {name: [str(status), message] for name, (status, message) in FAILURES.items()}
    problems += judge_exhausted_error(error.message, words)
    return problems + _passed_over(members)


async def _health_of(composed: Composite, name: str) -> str | None:
    readings: object = read_safely(composed.health)
    if inspect.isawaitable(readings):
        try:
            readings = await readings
        except Exception:
            return None
    if not isinstance(readings, Mapping) or name not in readings:
        return None
    return normalise_state(readings[name])


async def health_moves(
    ctx: CheckContext, composed: Composite, members: list[Member]
) -> list[str] | Verdict:
    if composed.health is None:
        return ["the chain reports no health (no health() -> {name: status})"]
    failing, healthy = members[0], members[1]
    calls = composed.unhealthy_after or UNDECLARED_UNHEALTHY_AFTER
    readings: list[str | None] = []
    others: list[str | None] = []
    problems: list[str] = []
    for number in range(1, calls + 1):
        observed = await ctx.call(composed, CALL)
        if observed.error is not None or answer_text(observed) != healthy.answer:
            problems.append(f"call {number} did not move on to {healthy.name}")
        readings.append(await _health_of(composed, failing.name))
        others.append(await _health_of(composed, healthy.name))
    if failing.requests == 0 and failing.health_probes and not problems:
        # The health model counts the calls a member failed. A router that asks each member's
        # health check before choosing never sent this one a call: whatever health it reports,
        # there were no failed calls to move it.
        return not_applicable(
            "RE-3",
            f"the chain never sent {failing.name} a call: it asked its health check "
            f"({failing.health_probes} time(s)) and moved on to {healthy.name}; the health "
            "model counts failed calls, and there were none to judge its health by",
        )
    if composed.degraded_after is not None and composed.unhealthy_after is not None:
        model = HealthModel(composed.degraded_after, composed.unhealthy_after)
        expected = []
        for _ in range(calls):
            model.failure()
            expected.append(model.status)
        events = [f"{n} failure(s)" for n in range(1, calls + 1)]
        problems += judge_health_readings(readings, expected, failing.name, events)
    else:
        problems += judge_health_monotone(readings, failing.name)
    if any(reading != "healthy" for reading in others):
        problems.append(f"{healthy.name}, which answered every call, became {others}")
    return problems


async def round_robin(ctx: CheckContext, composed: Composite, members: list[Member]) -> list[str]:
    by_answer = {m.answer: m.name for m in members}
    picked: list[str] = []
    for _ in range(len(members) + 1):
        observed = await ctx.call(composed, CALL)
        if observed.error is not None:
            return [f"a routed call failed: {observed.error.message[:300]!r}"]
        picked.append(by_answer.get(answer_text(observed), "?"))
    names = [m.name for m in members]
    cycle = picked[: len(members)]
    if sorted(cycle) != sorted(names) or picked[-1] != picked[0]:
        return [f"calls went to {', '.join(picked)}; round-robin visits each of {names} in turn"]
    return []


async def first_available(
    ctx: CheckContext, composed: Composite, members: list[Member]
) -> list[str]:
    failing, healthy = members[0], members[1]
    limit = composed.unhealthy_after or UNDECLARED_UNHEALTHY_AFTER
    results = [await ctx.call(composed, CALL) for _ in range(limit + 2)]
    problems = []
    if failing.requests == 0:
        problems.append(f"{failing.name}, the first member, was never tried")
    if failing.requests > limit:
        problems.append(
            f"{failing.name} received {failing.requests} requests; once unhealthy (after {limit} "
            "failures) first-available must skip it"
        )
    for number, observed in enumerate(results[-2:], start=limit + 1):
        if answer_text(observed) != healthy.answer:
            got = observed.error.message[:200] if observed.error else answer_text(observed)
            problems.append(f"call {number} was not answered by {healthy.name}: {got!r}")
    return problems
