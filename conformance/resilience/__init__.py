"""The resilience clauses (RE-1 to RE-4): fake time, models, judges and checks.

The checks reach a provider's retries, circuit breaker, fallback chain, router and health check
only through its profile's one seam, `Profile.resilience(build) -> ResilienceOffer`
(conformance/profiles/resilience.py); they know no concrete profile. The shared driver is
`driver`; the checks are by concept (`retry_checks`, `breaker_checks`, `composite_checks`,
`health_checks`) and catalogued by name in `checks`. The property-based state machines live in
`machines` (they need hypothesis, a test dependency).
"""

from conformance.resilience.checks import CHECKS_BY_NAME, RESILIENCE_CHECKS
from conformance.resilience.clock import FakeClock, SleepBudgetExceeded, Timing
from conformance.resilience.driver import (
    Built,
    CheckContext,
    ResilienceCheck,
    run_resilience_check,
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

__all__ = [
    "CHECKS_BY_NAME",
    "RESILIENCE_CHECKS",
    "Advance",
    "Attempt",
    "BreakerModel",
    "Built",
    "Call",
    "CallSeen",
    "ChainModel",
    "CheckContext",
    "FakeClock",
    "HealthAnswer",
    "HealthModel",
    "ResilienceCheck",
    "RouterModel",
    "SleepBudgetExceeded",
    "Timing",
    "judge_breaker_trace",
    "judge_health_answer",
    "judge_retry_attempts",
    "run_resilience_check",
]
