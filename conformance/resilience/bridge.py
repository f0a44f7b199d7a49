"""RE hooks for profiles that describe resilience per provider (conformance/profiles/resilience.py).

Those profiles (victor, orchestrator, execute) answer `resilience_targets(provider)` with the
provider's own `health_check`, `retry` wrapper and `circuit_breaker`, and `fallback_chain(members)`
with a chain driven as one provider. This bridge turns that into `ResilienceHooks`: RE-4 and RE-3
map directly; a breaker is judged when its attributes say threshold and recovery time and its
constructor takes the suite's `clock=`; a retry wrapper is not reachable with fake time (it sleeps
by itself), so RE-1 says so instead of waiting.

Everything is read by attribute, so the bridge does not depend on that module's classes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from conformance.profiles.base import Connection, Profile, ProviderSpec
from conformance.resilience.clock import Timing
from conformance.resilience.hooks import (
    BreakerFacts,
    Built,
    ComposedFacts,
    RetryFacts,
    Strategy,
)
from conformance.resilience.native import read_breaker


class ProfileTargetsBridge:
    def __init__(self, profile: Profile) -> None:
        self._profile = profile

    def _targets(self, provider: Any) -> Any:
        return self._profile.resilience_targets(provider)  # type: ignore[attr-defined]

    def build(
        self,
        target: Callable[..., Any],
        spec: ProviderSpec,
        connection: Connection,
        timing: Timing,
        *,
        max_retries: int | None,
    ) -> Built:
        # The profile builds with its own options (max_retries among them); fake time is not one.
        return Built(self._profile.build(target, spec, connection), frozenset())

    def retrying(self, provider: Any) -> RetryFacts | None:
        return None

    def breaker(self, provider: Any) -> BreakerFacts | None:
        return read_breaker(getattr(self._targets(provider), "circuit_breaker", None))

    def health_check(self, provider: Any) -> Callable[[], Awaitable[object]] | None:
        check = getattr(self._targets(provider), "health_check", None)
        return check if callable(check) else None

    def chain(
        self, provider: Any, members: Sequence[tuple[str, Any]], timing: Timing
    ) -> ComposedFacts | None:
        compose = getattr(self._profile, "fallback_chain", None)
        if not callable(compose):
            return None
        chain = compose(list(members))
        if chain is None:
            return None
        health = getattr(chain, "health", None)
        return ComposedFacts(
            chain,
            health if callable(health) else None,
            run_turn=chain.run_turn,
            close=getattr(chain, "close", None),
        )

    def router(
        self,
        provider: Any,
        members: Sequence[tuple[str, Any]],
        strategy: Strategy,
        timing: Timing,
    ) -> ComposedFacts | None:
        return None

    def missing(self, clause: str) -> str:
        name = self._profile.name
        if clause == "RE-1":
            return (
                f"profile {name}: the provider's retries cannot be judged with the suite's fake "
                "time (a retry wrapper that sleeps by itself, or none)"
            )
        if clause == "RE-2":
            return (
                f"profile {name}: no circuit breaker whose failure_threshold, recovery_time and "
                "state the suite can read"
            )
        if clause == "RE-3":
            return f"profile {name}: no fallback chain (fallback_chain(members) is None)"
        return f"profile {name}: the provider has no health check"
