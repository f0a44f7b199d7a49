"""RE judges: pure functions from what a resilience check saw to verdicts. No I/O, no provider.

Each takes plain records (requests with their fake-clock times and answers, call results, health
readings) plus what the provider declared (max_retries, threshold, recovery time), and names in
its message exactly what happened: "retried after 401: requests at t=0, 0.5".
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.judge.verdict import Verdict, check, failed, passed
from conformance.resilience.model import (
    HEALTH_ORDER,
    BreakerModel,
    BreakerOutcome,
    normalise_state,
)

#: Clock comparisons tolerate float noise, nothing more: the clock is the harness's own.
EPSILON = 1e-6

AnswerKind = Literal["ok", "error", "cut", "reauth"]


def times_text(times: Sequence[float]) -> str:
    """`t=0, 0.5, 1.5`: request times relative to the first request."""
    if not times:
        return "t=(none)"
    origin = times[0]
    return "t=" + ", ".join(f"{round(t - origin, 3):g}" for t in times)


def _seconds(value: float) -> str:
    return f"{round(value, 3):g} s"


# -- RE-1 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One request of one call, as the server answered it."""

    #: When the request arrived, by the harness's fake clock.
    at: float
    #: The HTTP status answered; None when there was none (refused, stalled, reset).
    status: int | None
    #: "ok": a complete answer; "error": a failure before any content; "cut": content was
    #: delivered, then the answer failed (a stream cut short); "reauth": a 401 after which the
    #: provider fetched a fresh credential (an OAuth token) before asking again: one such retry
    #: is how token-based clients recover from an expired token, not a retried auth error.
    kind: AnswerKind
    #: Whether the failure may be retried (the ER-1 table: 5xx, 408, 429 yes; 400, 401 no).
    retryable: bool = False
    #: What the answer asked for, in seconds (Retry-After, retry-after-ms).
    retry_after: float | None = None

    @property
    def label(self) -> str:
        if self.status is None:
            return "a transport failure"
        if self.kind == "cut":
            return f"a {self.status} stream cut after its first content"
        return str(self.status)


def judge_retry_attempts(
    attempts: Sequence[Attempt],
    *,
    max_retries: int,
    succeeded: bool,
    max_delay: float | None = None,
    patience: float = 60.0,
    stopped_by_breaker: bool = False,
) -> Verdict:
    """RE-1 over the requests of one call.

    Only retryable failures are retried (never 400/401, never after content reached the caller,
    never after a success); at most `max_retries` retries; no retry sooner than the answer's
    Retry-After; backoff delays that grow (until `max_delay`, when the provider declares it); a
    provider with retries left does not give up on a retryable failure whose Retry-After is within
    `patience` (unless its own circuit breaker opened and ended the call: `stopped_by_breaker`);
    and the call's result is the last answer's.
    """
    if not attempts:
        return failed("RE-1", "no request reached the server")
    times = [a.at for a in attempts]
    when = f"requests at {times_text(times)}"
    problems: list[str] = []
    for attempt in attempts[:-1]:
        if attempt.kind == "ok":
            problems.append(f"sent another request after a successful answer: {when}")
        elif attempt.kind == "cut":
            problems.append(
                f"retried after {attempt.label}: the caller has seen that content and would see "
                f"it again: {when}"
            )
        elif not attempt.retryable:
            problems.append(f"retried after {attempt.label}: {when}")
    retries = len(attempts) - 1
    if retries > max_retries:
        problems.append(f"{retries} retries, more than max_retries={max_retries}: {when}")

    backoff: list[float] = []
    for attempt, following in itertools.pairwise(attempts):
        if attempt.kind != "error" or not attempt.retryable:
            continue  # already reported above
        delay = following.at - attempt.at
        if attempt.retry_after is not None:
            if delay < attempt.retry_after - EPSILON:
                problems.append(
                    f"retried {_seconds(delay)} after {attempt.label} that asked for Retry-After "
                    f"{_seconds(attempt.retry_after)}: {when}"
                )
        else:
            if delay <= EPSILON:
                problems.append(f"retried {attempt.label} without waiting: {when}")
            backoff.append(delay)
    delays = ", ".join(f"{round(d, 3):g}" for d in backoff)
    shrank = any(b < a - EPSILON for a, b in itertools.pairwise(backoff))
    capped = bool(backoff) and max_delay is not None and backoff[0] >= max_delay - EPSILON
    if shrank:
        problems.append(f"backoff shrank: delays {delays} s ({when})")
    elif len(backoff) >= 2 and backoff[-1] <= backoff[0] + EPSILON and not capped:
        problems.append(f"backoff does not grow: delays {delays} s ({when})")

    last = attempts[-1]
    if (
        last.kind == "error"
        and last.retryable
        and retries < max_retries
        and (last.retry_after is None or last.retry_after <= patience)
        and not stopped_by_breaker
    ):
        problems.append(
            f"gave up after {last.label} with {retries} of max_retries={max_retries} retries "
            f"used: {when}"
        )
    if last.kind == "ok" and not succeeded:
        problems.append(f"the call failed although request {len(attempts)} succeeded ({when})")
    # A stream cut after its content and reported as a success is ER-7's failure (judged by
    # fault_stream_cut on every provider): RE-1 judges what the retries did with it, not twice.
    if last.kind not in ("ok", "cut") and succeeded:
        problems.append(f"the call reported success although the last answer was {last.label}")
    summary = f"{len(attempts)} request(s), {retries} retr{'y' if retries == 1 else 'ies'}"
    return check("RE-1", problems, f"{summary} (max_retries={max_retries}) at {times_text(times)}")


# -- RE-2 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A call whose request (if the breaker lets one through) meets `outcome`."""

    outcome: BreakerOutcome


@dataclass(frozen=True)
class Advance:
    """The fake clock moves on."""

    seconds: float


Step = Call | Advance


@dataclass(frozen=True)
class CallSeen:
    """What one call of a breaker script did."""

    requested: bool
    ok: bool
    #: The error's message when the call failed.
    message: str = ""
    #: The breaker's state after the call, when the provider lets us read it.
    state: str | None = None
    #: Whether the error is one of the profile's own types.
    own_error: bool = True


_OPEN_WORDS = ("circuit", "breaker", "open")


def predicted_requests(
    steps: Sequence[Step], threshold: int, recovery: float
) -> list[BreakerOutcome]:
    """The outcome of each request a conforming breaker lets through, in order."""
    model = BreakerModel(threshold, recovery)
    outcomes: list[BreakerOutcome] = []
    for step in steps:
        if isinstance(step, Advance):
            model.advance(step.seconds)
        elif model.allows():
            outcomes.append(step.outcome)
            model.record(step.outcome)
    return outcomes


def judge_breaker_trace(
    steps: Sequence[Step], seen: Sequence[CallSeen], *, threshold: int, recovery: float
) -> Verdict:
    """RE-2: replay the script through the model and stop at the first call that differs."""
    model = BreakerModel(threshold, recovery)
    history: list[str] = []
    calls = 0
    elapsed = 0.0
    for step in steps:
        if isinstance(step, Advance):
            model.advance(step.seconds)
            elapsed += step.seconds
            history.append(f"+{_seconds(step.seconds)}")
            continue
        if calls >= len(seen):
            return failed("RE-2", f"the script stopped after {calls} calls ({' '.join(history)})")
        observed = seen[calls]
        calls += 1
        before = model.state
        failures = model.consecutive
        allowed = model.allows()
        where = (
            f"call {calls} (t=+{_seconds(elapsed)}, state {before} after {failures} counted "
            f"failure(s), threshold {threshold}, recovery {_seconds(recovery)})"
        )
        trail = f"; calls so far: {' '.join(history) or '(none)'}"
        if allowed and not observed.requested:
            reason = (
                "the recovery time has passed, so it should half-open and let a probe through"
                if before == "half_open"
                else "it should be closed"
            )
            return failed("RE-2", f"{where}: failed fast without a request, but {reason}{trail}")
        if not allowed and observed.requested:
            return failed(
                "RE-2", f"{where}: sent a request; expected to fail fast while open{trail}"
            )
        if not allowed:
            problems = []
            if observed.ok:
                problems.append("reported success without a request")
            elif not any(word in observed.message.lower() for word in _OPEN_WORDS):
                problems.append(
                    f"failed fast but its error does not say the circuit is open: "
                    f"{observed.message[:200]!r}"
                )
            if not observed.own_error:
                problems.append("failed fast with an error that is not the profile's own")
            if problems:
                return failed("RE-2", f"{where}: {'; '.join(problems)}{trail}")
            history.append(f"{calls}:fast-fail")
        else:
            model.record(step.outcome)
            history.append(f"{calls}:{step.outcome}")
            if observed.ok != (step.outcome == "ok"):
                got = "succeeded" if observed.ok else f"failed ({observed.message[:120]!r})"
                return failed(
                    "RE-2", f"{where}: the server answered {step.outcome} but the call {got}{trail}"
                )
        state = normalise_state(observed.state)
        if state is not None and state != model.state:
            return failed(
                "RE-2",
                f"after {where}: the breaker says {state!r}, expected {model.state!r}; calls so "
                f"far: {' '.join(history)}",
            )
    return passed("RE-2", f"{calls} calls as the model predicts: {' '.join(history)}")


# -- RE-3 ------------------------------------------------------------------------------------


def judge_exhausted_error(message: str, failures: Mapping[str, Sequence[str]]) -> list[str]:
    """Problems with the error of a chain whose members all failed.

    `failures` maps each member's name to words of its failure (its status, its API message):
    the error must name every member and, for each, at least one word of its failure.
    """
    problems: list[str] = []
    lowered = message.lower()
    for name, words in failures.items():
        if name.lower() not in lowered:
            problems.append(f"does not name {name!r}")
        elif words and not any(word.lower() in lowered for word in words):
            problems.append(f"names {name!r} but not its failure ({' or '.join(words)})")
    if problems:
        return [f"the error {'; '.join(problems)}: {message[:300]!r}"]
    return []


def judge_health_readings(
    readings: Sequence[str | None],
    expected: Sequence[str],
    member: str,
    events: Sequence[str],
) -> list[str]:
    """Problems with a member's health read after each call, against the model's prediction."""
    for index, (got, want) in enumerate(zip(readings, expected, strict=True)):
        if got is None:
            return [f"the chain reports no health for {member!r}"]
        if got != want:
            trail = ", ".join(events[: index + 1])
            return [f"{member!r} is {got!r} after {trail}; expected {want!r}"]
    return []


def judge_health_monotone(readings: Sequence[str | None], member: str) -> list[str]:
    """Without declared thresholds: failures only ever worsen health, and it ends not healthy."""
    known = [r for r in readings if r is not None]
    if len(known) != len(readings):
        return [f"the chain reports no health for {member!r}"]
    unknown = sorted({r for r in known if r not in HEALTH_ORDER})
    if unknown:
        return [f"{member!r} has health {unknown}, not healthy/degraded/unhealthy"]
    for before, after in itertools.pairwise(known):
        if HEALTH_ORDER[after] < HEALTH_ORDER[before]:
            return [f"{member!r} went from {before!r} to {after!r} on a failure"]
    if known and known[-1] != "unhealthy":
        return [f"{member!r} is still {known[-1]!r} after {len(known)} failures in a row"]
    return []


# -- RE-4 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthAnswer:
    """What one health_check() call did."""

    value: object = None
    #: "Type: message" when it raised.
    raised: str | None = None
    #: Real seconds it took (or until the harness gave up).
    elapsed: float = 0.0
    #: The harness stopped waiting at its bound.
    timed_out: bool = False


def judge_health_answer(
    answer: HealthAnswer, *, expected: bool | None, bound: float, situation: str
) -> Verdict:
    """RE-4: a bool, the expected one, within `bound` seconds, and no exception."""
    if answer.timed_out:
        return failed(
            "RE-4",
            f"health_check() did not answer within {_seconds(bound)} ({situation}); it needs a "
            "timeout of its own",
        )
    if answer.raised is not None:
        wanted = "True or False" if expected is None else str(expected)
        return failed(
            "RE-4", f"health_check() raised {answer.raised[:300]} ({situation}); expected {wanted}"
        )
    if not isinstance(answer.value, bool):
        return failed(
            "RE-4", f"health_check() answered {answer.value!r} ({situation}), not True or False"
        )
    problems = []
    if expected is not None and answer.value is not expected:
        problems.append(
            f"health_check() answered {answer.value} ({situation}); expected {expected}"
        )
    if answer.elapsed > bound:
        problems.append(f"health_check() took {answer.elapsed:.2f} s, more than {_seconds(bound)}")
    return check("RE-4", problems, f"{answer.value} in {answer.elapsed:.2f} s ({situation})")
