"""The resilience clauses (RE-1 to RE-4): fake time, models, judges, hooks and checks.

The harness reaches a provider's retries, circuit breaker, fallback chain, router and health check
only through a profile's `ResilienceHooks` (see `hooks`); the native profile's are in `native`, and
`bridge` reaches profiles that answer `resilience_targets(provider)`.
The property-based state machines live in `machines` (they need hypothesis, a test dependency).
"""

from conformance.resilience.bridge import ProfileTargetsBridge
from conformance.resilience.checks import (
    CHECKS_BY_NAME,
    RESILIENCE_CHECKS,
    CheckContext,
    ResilienceCheck,
    run_resilience_check,
)
from conformance.resilience.clock import FakeClock, SleepBudgetExceeded, Timing
from conformance.resilience.hooks import (
    BreakerFacts,
    Built,
    ComposedFacts,
    ResilienceHooks,
    RetryFacts,
    hooks_for,
)
from conformance.resilience.judge import (
    Advance,
    Attempt,
    Call,
    CallSeen,
    HealthAnswer,
    judge_breaker_trace,
    judge_health_answer,
    judge_retry_attempts,
)
from conformance.resilience.model import BreakerModel, ChainModel, HealthModel, RouterModel
from conformance.resilience.native import NativeResilienceHooks

__all__ = [
    "CHECKS_BY_NAME",
    "RESILIENCE_CHECKS",
    "Advance",
    "Attempt",
    "BreakerFacts",
    "BreakerModel",
    "Built",
    "Call",
    "CallSeen",
    "ChainModel",
    "CheckContext",
    "ComposedFacts",
    "FakeClock",
    "HealthAnswer",
    "HealthModel",
    "NativeResilienceHooks",
    "ProfileTargetsBridge",
    "ResilienceCheck",
    "ResilienceHooks",
    "RetryFacts",
    "RouterModel",
    "SleepBudgetExceeded",
    "Timing",
    "hooks_for",
    "judge_breaker_trace",
    "judge_health_answer",
    "judge_retry_attempts",
    "run_resilience_check",
]
