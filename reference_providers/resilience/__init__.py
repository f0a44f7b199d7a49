"""Resilience parts for native providers: retries, a circuit breaker, fallback, routing, health.

Each part takes its clock, sleep and random draw as arguments (see `clock`), so tests and the
conformance harness run backoffs and recovery times without waiting. Each wrapper is itself a
native provider: wrap any provider, and the result is judged by the same suite.
"""

from reference_providers.resilience.circuit_breaker import (
    NOT_COUNTED,
    BreakerState,
    BreakerStats,
    CircuitBreaker,
    CircuitBreakerProvider,
    CircuitOpenError,
)
from reference_providers.resilience.clock import Clock, Random, Sleep
from reference_providers.resilience.fallback import (
    FallbackChain,
    FallbackExhaustedError,
    exhausted_error,
)
from reference_providers.resilience.health import (
    ChatHealthProbe,
    HealthStatus,
    HealthThresholds,
    HttpHealthProbe,
    ProviderHealth,
    bounded_health_check,
)
from reference_providers.resilience.members import MemberGroup
from reference_providers.resilience.retry import (
    NEVER_RETRIED,
    Retrier,
    RetryingProvider,
    RetryPolicy,
)
from reference_providers.resilience.router import (
    NoProviderAvailableError,
    Router,
    RoutingStrategy,
)
from reference_providers.resilience.wrapper import DelegatingProvider

__all__ = [
    "NEVER_RETRIED",
    "NOT_COUNTED",
    "BreakerState",
    "BreakerStats",
    "ChatHealthProbe",
    "CircuitBreaker",
    "CircuitBreakerProvider",
    "CircuitOpenError",
    "Clock",
    "DelegatingProvider",
    "FallbackChain",
    "FallbackExhaustedError",
    "HealthStatus",
    "HealthThresholds",
    "HttpHealthProbe",
    "MemberGroup",
    "NoProviderAvailableError",
    "ProviderHealth",
    "Random",
    "Retrier",
    "RetryPolicy",
    "RetryingProvider",
    "Router",
    "RoutingStrategy",
    "Sleep",
    "bounded_health_check",
    "exhausted_error",
]
