"""The RE checks: scripted calls against the fake server, judged by the RE judges.

Each check opens one or more sessions (one per provider it builds), builds the provider under test
through the profile's resilience hooks with the harness's fake time, drives it through the profile
exactly as the other checks do (`run_turn`), and judges what the server saw and what the calls
returned. A provider that does not offer a feature gets "not applicable" with the reason.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from conformance.checks.runner import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    CaseOutcome,
    ProviderEscape,
    ProviderUnderTest,
    escaped_verdict,
    new_api_key,
    run_with_deadline,
)
from conformance.judge.verdict import Verdict, check, failed, not_applicable
from conformance.profiles.provider_traceback import provider_traceback
from conformance.resilience import scripts
from conformance.resilience.clock import FakeClock, SleepBudgetExceeded, Timing
from conformance.resilience.hooks import Built, ComposedFacts, ResilienceHooks, hooks_for
from conformance.resilience.judge import (
    Advance,
    Attempt,
    Call,
    CallSeen,
    HealthAnswer,
    Step,
    judge_breaker_trace,
    judge_exhausted_error,
    judge_health_answer,
    judge_health_monotone,
    judge_health_readings,
    judge_retry_attempts,
    predicted_requests,
)
from conformance.resilience.model import HealthModel, normalise_state
from conformance.scenarios.model import Reply, Scenario
from conformance.server import FakeServer, Session, redact
from conformance.server.session import Exchange
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection

#: The max_retries the RE-1 checks build a provider with, when its constructor takes one.
RE1_MAX_RETRIES = 3
#: The timeout the RE-4 checks build a provider with; the answer may take this plus the slack.
HEALTH_TIMEOUT = 0.5
HEALTH_SLACK = 1.0
#: How many calls a check makes to see health worsen when the provider declares no thresholds.
UNDECLARED_UNHEALTHY_AFTER = 8

CheckMode = Literal["chat", "stream", "none"]


@dataclass(frozen=True)
class ResilienceCheck:
    name: str
    clause: str
    title: str
    modes: tuple[CheckMode, ...]
    run: Callable[[CheckContext], Awaitable[list[Verdict]]]


@dataclass
class CheckContext:
    """What a check works with: sessions, building, calling, and the fake clock."""

    server: FakeServer
    put: ProviderUnderTest
    hooks: ResilienceHooks
    mode: CheckMode
    api_key: str
    provider_timeout: float
    clock: FakeClock = field(default_factory=FakeClock)
    sessions: list[tuple[str, Session]] = field(default_factory=list)
    budget_note: str | None = None
    #: The provider's module globals replaced by the fake clock (patched_time), for messages.
    patched: list[str] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _owned: list[Any] = field(default_factory=list)

    @property
    def timing(self) -> Timing:
        return Timing.fake(self.clock)

    @property
    def call_mode(self) -> Mode:
        return "stream" if self.mode == "stream" else "chat"

    def session(self, label: str, scenario: Scenario) -> Session:
        opened = self._stack.enter_context(
            self.server.session(scenario, self.put.dialect, self.api_key)
        )
        self.sessions.append((label, opened))
        return opened

    def nowhere_url(self) -> str:
        """A base URL no scenario plays at: for a provider built only to read its settings."""
        return f"{self.server.root_url}/c/resilience-inspection{self.put.dialect.base_path}"

    def build(
        self, base_url: str, *, max_retries: int | None, timeout: float | None = None
    ) -> Built:
        connection = Connection(base_url, self.api_key, timeout or self.provider_timeout)
        built = self.hooks.build(
            self.put.target, self.put.spec, connection, self.timing, max_retries=max_retries
        )
        self._owned.append(built.provider)
        fake_time = getattr(self.hooks, "fake_time", None)
        if callable(fake_time):
            # A class that takes no clock=: its own sleep and clocks, on this check's fake clock.
            self.patched += self._stack.enter_context(fake_time(built.provider, self.clock))
        return built

    def adopt(self, composite: ComposedFacts) -> None:
        """Close a chain or router (before its members) when the check ends."""
        self._owned.append(composite)

    def watch(self, session: Session) -> None:
        """Count `session`'s requests at every clock move (to time each request)."""
        self.clock.requests = lambda: len(scripts.chat_exchanges(session.snapshot()))

    def stream_unsupported(self, provider: Any, clause: str) -> Verdict | None:
        if self.mode != "stream":
            return None
        if isinstance(provider, ComposedFacts):
            if provider.run_turn is not None:
                return None  # the profile drives it; a stream it cannot do shows as an error
            provider = provider.target
        if "streaming" in self.put.profile.declared_capabilities(provider):
            return None
        return not_applicable(clause, "the provider does not declare streaming")

    async def call(
        self, provider: Any, scenario: Scenario, *, retrying: bool = False
    ) -> TurnObservation:
        """One call as a caller makes it; with `retrying`, through the provider's own retry
        wrapper when its hooks offer one (orchestrator's `_retry_with_backoff`)."""
        try:
            through_wrapper = getattr(self.hooks, "call_with_retry", None)
            if retrying and callable(through_wrapper):
                wrapped = await through_wrapper(provider, scenario, self.call_mode)
                if isinstance(wrapped, TurnObservation):
                    return wrapped
            if isinstance(provider, ComposedFacts):
                if provider.run_turn is not None:
                    return await provider.run_turn(scenario, 0, self.call_mode)
                provider = provider.target
            return await self.put.profile.run_turn(provider, scenario, 0, self.call_mode)
        except SleepBudgetExceeded as exc:
            self.budget_note = str(exc)
            observed = TurnObservation(mode=self.call_mode)
            observed.error = ObservedError(
                type_name="SleepBudgetExceeded",
                category=None,
                status_code=None,
                retryable=None,
                retry_after=None,
                provider=None,
                message=str(exc),
                cause_type=None,
                representation=repr(exc),
            )
            return observed

    async def close(self) -> None:
        for owned in reversed(self._owned):
            try:
                if isinstance(owned, ComposedFacts):
                    if owned.close is not None:
                        await owned.close()
                    else:
                        await self.put.profile.close(owned.target)
                else:
                    await self.put.profile.close(owned)
            except Exception:  # closing twice is RS-1's business, not RE's
                continue

    def end_sessions(self) -> None:
        self._stack.close()

    def transcript(self) -> str:
        parts = [f"=== session {label} ===\n{s.transcript()}" for label, s in self.sessions]
        return "\n".join(parts) if parts else "(this check opened no session)"


def requests_to(session: Session) -> int:
    return len(scripts.chat_exchanges(session.snapshot()))


def answer_text(observed: TurnObservation) -> str | None:
    if observed.error is not None:
        return None
    return observed.text if observed.mode == "chat" else observed.streamed_text


def _read(reader: Callable[[], object] | None) -> object:
    if reader is None:
        return None
    try:
        return reader()
    except Exception:
        return None


# -- RE-1 ------------------------------------------------------------------------------------


def retry_check(
    name: str, title: str, replies: Sequence[Reply], *, stream_only: bool = False
) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        scenario = scripts.scripted(name, replies, clause="RE-1", stream_only=stream_only)
        session = ctx.session("provider", scenario)
        built = ctx.build(session.base_url, max_retries=RE1_MAX_RETRIES)
        facts = ctx.hooks.retrying(built.provider)
        if facts is None:
            return [not_applicable("RE-1", ctx.hooks.missing("RE-1"))]
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
        observed = await ctx.call(built.provider, scenario, retrying=True)
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


# -- RE-2 ------------------------------------------------------------------------------------


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
        facts = ctx.hooks.breaker(inspected.provider)
        if facts is None:
            return [not_applicable("RE-2", ctx.hooks.missing("RE-2"))]
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
        facts = ctx.hooks.breaker(built.provider) or facts
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
                    state=normalise_state(_read(facts.state)),
                    own_error=error is None or error.is_profile_error,
                )
            )
        return [judge_breaker_trace(steps, seen, threshold=threshold, recovery=recovery)]

    return ResilienceCheck(name, "RE-2", title, ("chat", "stream"), run)


# -- RE-3 ------------------------------------------------------------------------------------


@dataclass
class Member:
    name: str
    provider: Any
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
        members.append(Member(name, built.provider, session, _answer_of(replies)))
    return members


CALL = scripts.scripted("re3_call", [scripts.text("unused")], clause="RE-3")

Composer = Callable[[CheckContext, list[Member]], ComposedFacts | None]


def _chain(ctx: CheckContext, members: list[Member]) -> ComposedFacts | None:
    pairs = [(m.name, m.provider) for m in members]
    return ctx.hooks.chain(members[0].provider, pairs, ctx.timing)


def _router(strategy: Literal["round-robin", "first-available"]) -> Composer:
    def compose(ctx: CheckContext, members: list[Member]) -> ComposedFacts | None:
        pairs = [(m.name, m.provider) for m in members]
        return ctx.hooks.router(members[0].provider, pairs, strategy, ctx.timing)

    return compose


#: The problems found, or a verdict of its own (a check whose premise the composite never met).
CompositeJudge = Callable[
    [CheckContext, ComposedFacts, list[Member]], Awaitable[list[str] | Verdict]
]


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
        composed = compose(ctx, members)
        if composed is None:
            reason = f"{ctx.hooks.missing('RE-3')}; this check needs a {what}"
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


async def _moves_on(ctx: CheckContext, composed: ComposedFacts, members: list[Member]) -> list[str]:
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


async def _first_wins(
    ctx: CheckContext, composed: ComposedFacts, members: list[Member]
) -> list[str]:
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


async def _all_named(
    ctx: CheckContext, composed: ComposedFacts, members: list[Member]
) -> list[str]:
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


async def _health_of(composed: ComposedFacts, name: str) -> str | None:
    readings: object = _read(composed.health)
    if inspect.isawaitable(readings):
        try:
            readings = await readings
        except Exception:
            return None
    if not isinstance(readings, Mapping) or name not in readings:
        return None
    return normalise_state(readings[name])


async def _health_moves(
    ctx: CheckContext, composed: ComposedFacts, members: list[Member]
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


async def _round_robin(
    ctx: CheckContext, composed: ComposedFacts, members: list[Member]
) -> list[str]:
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


async def _first_available(
    ctx: CheckContext, composed: ComposedFacts, members: list[Member]
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


# -- RE-4 ------------------------------------------------------------------------------------


def closed_port_url(base_url: str) -> str:
    """The same URL on a loopback port nothing listens on: the connection will be refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


async def ask_health(check_health: Callable[[], Awaitable[object]], bound: float) -> HealthAnswer:
    started = time.perf_counter()
    try:
        value = await asyncio.wait_for(check_health(), timeout=bound)
    except TimeoutError:
        return HealthAnswer(timed_out=True, elapsed=time.perf_counter() - started)
    except Exception as exc:
        return HealthAnswer(
            raised=f"{type(exc).__name__}: {exc}", elapsed=time.perf_counter() - started
        )
    return HealthAnswer(value=value, elapsed=time.perf_counter() - started)


Situation = Literal["up", "server-error", "refused", "stalled"]

_SITUATIONS: dict[Situation, tuple[str, bool, Sequence[Reply] | None]] = {
    "up": ("against a server that answers", True, [scripts.text("pong")]),
    "server-error": (
        "against a server that answers 503",
        False,
        [scripts.error(503, "The service is unavailable.")],
    ),
    "refused": ("connection refused", False, None),
    "stalled": (
        "against a server that takes the request and never answers",
        False,
        [scripts.stall()],
    ),
}


def health_check_case(name: str, title: str, situation: Situation) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        described, expected, replies = _SITUATIONS[situation]
        if replies is None:
            url = closed_port_url(ctx.nowhere_url())
        else:
            url = ctx.session("provider", scripts.scripted(name, replies, clause="RE-4")).base_url
        built = ctx.build(url, max_retries=0, timeout=HEALTH_TIMEOUT)
        check_health = ctx.hooks.health_check(built.provider)
        if check_health is None:
            return [not_applicable("RE-4", ctx.hooks.missing("RE-4"))]
        bound = HEALTH_TIMEOUT + HEALTH_SLACK
        answer = await ask_health(check_health, bound)
        return [judge_health_answer(answer, expected=expected, bound=bound, situation=described)]

    return ResilienceCheck(name, "RE-4", title, ("none",), run)


# -- the catalogue ----------------------------------------------------------------------------

_503 = scripts.error(503, "The server is overloaded; try again later.")

RESILIENCE_CHECKS: tuple[ResilienceCheck, ...] = (
    retry_check(
        "re1_retry_until_success",
        "503, 503, then an answer: retried with growing backoff",
        [_503, _503, scripts.text("Recovered after two retries.")],
    ),
    retry_check(
        "re1_retry_after",
        "429 with Retry-After: 2: the retry waits at least 2 s",
        [
            scripts.error(429, "Rate limit reached; retry after 2 s.", retry_after=2),
            scripts.text("Answered after the rate limit."),
        ],
    ),
    retry_check(
        "re1_no_retry_on_auth",
        "401: never retried",
        [scripts.error(401, "Incorrect API key provided."), scripts.text("Must not be reached.")],
    ),
    retry_check(
        "re1_no_retry_on_invalid_request",
        "400: never retried",
        [scripts.error(400, "Invalid 'messages'."), scripts.text("Must not be reached.")],
    ),
    retry_check(
        "re1_gives_up",
        "503 every time: at most max_retries retries, then the error",
        [_503],
    ),
    retry_check(
        "re1_stream_started",
        "a stream cut after its first text: not retried (the caller has seen the text)",
        [
            scripts.cut_stream("This answer begins well and then the connection simply ends"),
            scripts.text("A second answer."),
        ],
        stream_only=True,
    ),
    breaker_check(
        "re2_opens_and_recovers",
        "threshold failures open it; fails fast without a request; half-opens; success closes",
        opens_and_recovers,
    ),
    breaker_check(
        "re2_failed_probe_reopens",
        "a probe that fails opens the breaker again",
        failed_probe_reopens,
    ),
    breaker_check(
        "re2_auth_not_counted",
        "auth errors do not trip the breaker",
        auth_not_counted,
    ),
    composite_check(
        "re3_moves_on",
        "503, 429, answer: the chain moves on and the third answers",
        "fallback chain",
        {
            "alpha": [scripts.error(503, "alpha is overloaded")],
            "beta": [scripts.error(429, "beta is rate limited")],
            "gamma": [scripts.text("answer from gamma")],
        },
        _chain,
        _moves_on,
    ),
    composite_check(
        "re3_first_success_wins",
        "the first member answers: nobody else is asked",
        "fallback chain",
        {"alpha": [scripts.text("answer from alpha")], "beta": [scripts.text("answer from beta")]},
        _chain,
        _first_wins,
    ),
    composite_check(
        "re3_all_failures_named",
        "every member fails: the error names each failure",
        "fallback chain",
        {name: [scripts.error(status, message)] for name, (status, message) in FAILURES.items()},
        _chain,
        _all_named,
    ),
    composite_check(
        "re3_health_moves",
        "a member that keeps failing goes healthy, degraded, unhealthy",
        "fallback chain",
        {"alpha": [_503], "beta": [scripts.text("answer from beta")]},
        _chain,
        _health_moves,
    ),
    composite_check(
        "re3_round_robin",
        "a round-robin router visits each member in turn",
        "router",
        {name: [scripts.text(f"answer from {name}")] for name in ("alpha", "beta", "gamma")},
        _router("round-robin"),
        _round_robin,
    ),
    composite_check(
        "re3_first_available",
        "a first-available router skips a member once it is unhealthy",
        "router",
        {"alpha": [_503], "beta": [scripts.text("answer from beta")]},
        _router("first-available"),
        _first_available,
    ),
    health_check_case("re4_health_up", "True against a server that answers", "up"),
    health_check_case("re4_health_server_error", "False against a 503", "server-error"),
    health_check_case("re4_health_refused", "False when the connection is refused", "refused"),
    health_check_case("re4_health_stalled", "False, in time, when the server stalls", "stalled"),
)

CHECKS_BY_NAME: dict[str, ResilienceCheck] = {c.name: c for c in RESILIENCE_CHECKS}


def run_resilience_check(
    server: FakeServer,
    put: ProviderUnderTest,
    resilience_check: ResilienceCheck,
    mode: CheckMode,
    *,
    check_timeout: float = DEFAULT_CHECK_TIMEOUT,
    provider_timeout: float = DEFAULT_PROVIDER_TIMEOUT,
) -> CaseOutcome:
    """Run one RE check in one mode; the outcome reads like any other check's."""
    clause = resilience_check.clause
    outcome = CaseOutcome(put.spec.id, resilience_check.name, mode, facts=put.facts())
    hooks = hooks_for(put.profile)
    if hooks is None:
        reason = f"profile {put.profile.name} offers no resilience hooks"
        outcome.not_applicable = reason
        outcome.verdicts = [not_applicable(clause, reason)]
        return outcome
    api_key = new_api_key()
    ctx = CheckContext(server, put, hooks, mode, api_key, provider_timeout)
    verdicts: list[Verdict] = []
    started = time.perf_counter()

    async def drive() -> None:
        try:
            verdicts.extend(await resilience_check.run(ctx))
        finally:
            await ctx.close()

    try:
        run_with_deadline(drive, check_timeout)
    except TimeoutError:
        verdicts.append(
            failed(clause, f"the check did not finish within {check_timeout:g} s (stopped)")
        )
    except ProviderEscape as exc:  # SystemExit ... from provider code: its failure, not ours
        verdicts.append(escaped_verdict(exc))
    except Exception as exc:  # building the provider failed: not a clause verdict
        outcome.error = redact(f"{type(exc).__name__}: {exc}", (api_key,))
        outcome.tracebacks.append(provider_traceback(exc, (api_key,)))
    finally:
        ctx.end_sessions()
    outcome.duration = time.perf_counter() - started
    outcome.transcript = redact(ctx.transcript(), (api_key,))
    outcome.verdicts = [_allowed(put, verdict, api_key) for verdict in verdicts]
    if outcome.verdicts and all(v.outcome == "not-applicable" for v in outcome.verdicts):
        outcome.not_applicable = outcome.verdicts[0].message
    return outcome


def _allowed(put: ProviderUnderTest, verdict: Verdict, api_key: str) -> Verdict:
    reason = put.profile.not_applicable.get(verdict.clause)
    if reason is not None:
        return replace(verdict, outcome="not-applicable", message=reason)
    return replace(verdict, message=redact(verdict.message, (api_key,)))
