"""The RE checks, by name: what each scripts and which clause it judges.

The checks themselves are by concept: retries (`retry_checks`), circuit breakers
(`breaker_checks`), fallback chains and routers (`composite_checks`), health checks
(`health_checks`), all on the shared driver (`driver`).
"""

from __future__ import annotations

from conformance.resilience import scripts
from conformance.resilience.breaker_checks import (
    auth_not_counted,
    breaker_check,
    failed_probe_reopens,
    opens_and_recovers,
)
from conformance.resilience.composite_checks import (
    FAILURES,
    all_named,
    as_chain,
    as_router,
    composite_check,
    first_available,
    first_wins,
    health_moves,
    moves_on,
    round_robin,
)
from conformance.resilience.driver import ResilienceCheck, run_resilience_check
from conformance.resilience.health_checks import health_check_case
from conformance.resilience.retry_checks import retry_check

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
        as_chain,
        moves_on,
    ),
    composite_check(
        "re3_first_success_wins",
        "the first member answers: nobody else is asked",
        "fallback chain",
        {"alpha": [scripts.text("answer from alpha")], "beta": [scripts.text("answer from beta")]},
        as_chain,
        first_wins,
    ),
    composite_check(
        "re3_all_failures_named",
        "every member fails: the error names each failure",
        "fallback chain",
        {name: [scripts.error(status, message)] for name, (status, message) in FAILURES.items()},
        as_chain,
        all_named,
    ),
    composite_check(
        "re3_health_moves",
        "a member that keeps failing goes healthy, degraded, unhealthy",
        "fallback chain",
        {"alpha": [_503], "beta": [scripts.text("answer from beta")]},
        as_chain,
        health_moves,
    ),
    composite_check(
        "re3_round_robin",
        "a round-robin router visits each member in turn",
        "router",
        {name: [scripts.text(f"answer from {name}")] for name in ("alpha", "beta", "gamma")},
        as_router("round-robin"),
        round_robin,
    ),
    composite_check(
        "re3_first_available",
        "a first-available router skips a member once it is unhealthy",
        "router",
        {"alpha": [_503], "beta": [scripts.text("answer from beta")]},
        as_router("first-available"),
        first_available,
    ),
    health_check_case("re4_health_up", "True against a server that answers", "up"),
    health_check_case("re4_health_server_error", "False against a 503", "server-error"),
    health_check_case("re4_health_refused", "False when the connection is refused", "refused"),
    health_check_case("re4_health_stalled", "False, in time, when the server stalls", "stalled"),
)

CHECKS_BY_NAME: dict[str, ResilienceCheck] = {c.name: c for c in RESILIENCE_CHECKS}

__all__ = ["CHECKS_BY_NAME", "RESILIENCE_CHECKS", "run_resilience_check"]
