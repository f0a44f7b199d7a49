"""The RE judges as pure functions, over constructed records."""

from __future__ import annotations

import pytest

from conformance.resilience.judge import (
    Advance,
    Attempt,
    Call,
    CallSeen,
    HealthAnswer,
    judge_breaker_trace,
    judge_exhausted_error,
    judge_health_answer,
    judge_health_monotone,
    judge_health_readings,
    judge_retry_attempts,
    predicted_requests,
)


def err(
    at: float, status: int, retryable: bool = True, retry_after: float | None = None
) -> Attempt:
    return Attempt(at, status, "error", retryable, retry_after)


def ok(at: float) -> Attempt:
    return Attempt(at, 200, "ok")


@pytest.mark.parametrize(
    ("attempts", "succeeded", "message"),
    [
        ([err(0, 503), err(0.5, 503), ok(1.5)], True, ""),
        ([err(0, 429, retry_after=2), ok(2)], True, ""),
        ([err(0, 401, retryable=False)], False, ""),
        ([err(0, 401, retryable=False), ok(0.5)], True, "retried after 401: requests at t=0, 0.5"),
        ([err(0, 400, retryable=False), err(0.5, 400, False)], False, "retried after 400"),
        (
            [err(0, 429, retry_after=2), ok(0.5)],
            True,
            "retried 0.5 s after 429 that asked for Retry-After 2 s: requests at t=0, 0.5",
        ),
        (
            [err(0, 503), err(1, 503), err(2, 503), ok(3)],
            True,
            "backoff does not grow: delays 1, 1",
        ),
        ([err(0, 503), err(2, 503), ok(3)], True, "backoff shrank: delays 2, 1"),
        ([err(0, 503), ok(0)], True, "retried 503 without waiting"),
        (
            [err(t, 503) for t in (0, 1, 3, 7, 15)],
            False,
            "4 retries, more than max_retries=3: requests at t=0, 1, 3, 7, 15",
        ),
        ([err(0, 503)], False, "gave up after 503 with 0 of max_retries=3 retries used"),
        ([ok(0), ok(1)], True, "sent another request after a successful answer"),
        ([Attempt(0, 200, "cut"), ok(0.5)], True, "would see it again"),
        # not retried, the cut reported as an answer: ER-7's failure, not RE-1's
        ([Attempt(0, 200, "cut")], True, ""),
        ([err(0, 503), ok(1)], False, "the call failed although request 2 succeeded"),
        ([err(0, 401, False)], True, "reported success although the last answer was 401"),
        ([], False, "no request reached the server"),
    ],
)
def test_retry_judge(attempts: list[Attempt], succeeded: bool, message: str) -> None:
    verdict = judge_retry_attempts(attempts, max_retries=3, succeeded=succeeded)
    assert verdict.clause == "RE-1"
    if message:
        assert verdict.outcome == "fail" and message in verdict.message, verdict.message
    else:
        assert verdict.outcome == "pass", verdict.message


def test_retry_judge_allows_equal_delays_at_the_declared_cap() -> None:
    attempts = [err(0, 503), err(4, 503), err(8, 503), ok(12)]
    assert judge_retry_attempts(attempts, max_retries=3, succeeded=True).outcome == "fail"
    capped = judge_retry_attempts(attempts, max_retries=3, succeeded=True, max_delay=4.0)
    assert capped.outcome == "pass", capped.message


def test_retry_judge_allows_giving_up_on_a_long_retry_after() -> None:
    attempts = [err(0, 429, retry_after=3600)]
    assert judge_retry_attempts(attempts, max_retries=3, succeeded=False).outcome == "pass"


def test_retry_judge_accepts_a_breaker_ending_the_retries() -> None:
    attempts = [err(0, 503), err(0.5, 503)]
    early = judge_retry_attempts(attempts, max_retries=3, succeeded=False)
    assert early.outcome == "fail" and "gave up" in early.message
    stopped = judge_retry_attempts(
        attempts, max_retries=3, succeeded=False, stopped_by_breaker=True
    )
    assert stopped.outcome == "pass", stopped.message


def test_retry_after_delays_are_not_part_of_the_growth() -> None:
    attempts = [err(0, 429, retry_after=10), err(10, 503), err(10.5, 503), ok(11.5)]
    verdict = judge_retry_attempts(attempts, max_retries=3, succeeded=True)
    assert verdict.outcome == "pass", verdict.message


SCRIPT = [Call("server"), Call("server"), Call("server"), Advance(5), Call("ok"), Call("ok")]


def test_breaker_prediction_and_a_conforming_trace() -> None:
    assert predicted_requests(SCRIPT, 2, 5) == ["server", "server", "ok", "ok"]
    seen = [
        CallSeen(True, False, "503", "closed"),
        CallSeen(True, False, "503", "open"),
        CallSeen(False, False, "circuit breaker is open", "open"),
        CallSeen(True, True, "", "closed"),
        CallSeen(True, True, "", "closed"),
    ]
    verdict = judge_breaker_trace(SCRIPT, seen, threshold=2, recovery=5)
    assert verdict.outcome == "pass", verdict.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((2, CallSeen(True, False, "503", "open")), "call 3 (t=+0 s, state open"),
        ((3, CallSeen(False, False, "circuit open", "open")), "should half-open"),
        ((2, CallSeen(False, False, "service unavailable", "open")), "does not say the circuit"),
        ((2, CallSeen(False, True, "", "open")), "reported success without a request"),
        ((1, CallSeen(True, False, "503", "closed")), "the breaker says 'closed', expected 'open'"),
        ((0, CallSeen(True, True, "", "closed")), "the server answered server but the call"),
    ],
)
def test_breaker_trace_names_the_first_difference(
    change: tuple[int, CallSeen], message: str
) -> None:
    seen = [
        CallSeen(True, False, "503", "closed"),
        CallSeen(True, False, "503", "open"),
        CallSeen(False, False, "circuit breaker is open", "open"),
        CallSeen(True, True, "", "closed"),
        CallSeen(True, True, "", "closed"),
    ]
    index, replacement = change
    seen[index] = replacement
    verdict = judge_breaker_trace(SCRIPT, seen, threshold=2, recovery=5)
    assert verdict.outcome == "fail" and message in verdict.message, verdict.message


def test_exhausted_error_must_name_every_failure() -> None:
    failures = {"alpha": ["503", "overloaded"], "beta": ["500"]}
    assert judge_exhausted_error("all failed: alpha: HTTP 503; beta: HTTP 500", failures) == []
    problems = judge_exhausted_error("All providers failed", failures)
    assert "does not name 'alpha'" in problems[0] and "does not name 'beta'" in problems[0]
    problems = judge_exhausted_error("alpha failed, beta failed", failures)
    assert "names 'alpha' but not its failure (503 or overloaded)" in problems[0]


def test_health_readings() -> None:
    events = ["1 failure", "2 failures"]
    assert (
        judge_health_readings(["healthy", "degraded"], ["healthy", "degraded"], "a", events) == []
    )
    problems = judge_health_readings(["healthy", "healthy"], ["healthy", "degraded"], "a", events)
    assert problems == ["'a' is 'healthy' after 1 failure, 2 failures; expected 'degraded'"]
    assert judge_health_readings([None], ["healthy"], "a", events) == [
        "the chain reports no health for 'a'"
    ]
    assert judge_health_monotone(["healthy", "degraded", "unhealthy"], "a") == []
    assert (
        "went from 'degraded' to 'healthy'"
        in judge_health_monotone(["degraded", "healthy"], "a")[0]
    )
    assert "still 'degraded'" in judge_health_monotone(["healthy", "degraded"], "a")[0]


@pytest.mark.parametrize(
    ("answer", "expected", "message"),
    [
        (HealthAnswer(True, elapsed=0.1), True, ""),
        (HealthAnswer(False, elapsed=0.1), False, ""),
        (HealthAnswer(False, elapsed=0.1), True, "answered False (here); expected True"),
        (HealthAnswer(timed_out=True, elapsed=1.5), False, "did not answer within 1.5 s"),
        (HealthAnswer(raised="ProviderError: refused"), False, "raised ProviderError: refused"),
        (HealthAnswer(raised="ImportError: fastapi"), True, "(here); expected True"),
        (HealthAnswer({"ok": True}), None, "answered {'ok': True} (here), not True or False"),
        (HealthAnswer(False, elapsed=2.0), False, "took 2.00 s, more than 1.5 s"),
    ],
)
def test_health_answer(answer: HealthAnswer, expected: bool | None, message: str) -> None:
    verdict = judge_health_answer(answer, expected=expected, bound=1.5, situation="here")
    if message:
        assert verdict.outcome == "fail" and message in verdict.message, verdict.message
    else:
        assert verdict.outcome == "pass", verdict.message
