"""The native profile's resilience hooks: found by attribute on the provider, by name.

What a native provider offers, and the names the suite looks for (docs/resilience.md):

- `retry_policy` with `max_retries` (int) and optionally `max_delay` (float): RE-1;
- `circuit_breaker` with `failure_threshold` (int), `recovery_time` (float; `recovery_timeout`
  is accepted too) and `state` ("closed" / "open" / "half_open", a string or an enum of them,
  or a method returning one): RE-2;
- `fallback_chain_class` and `router_class`: callables that compose members, called as
  `cls(members, **timing)` and `cls(members, strategy=..., **timing)` where members is a list of
  (name, provider) pairs; the result is a native provider with `health()` -> {name: status} and
  optionally `health_thresholds` (`degraded_after`, `unhealthy_after`): RE-3;
- `async health_check() -> bool`: RE-4.

The constructor gets `clock=`, `sleep=` and `random=` when it takes them (the harness's fake
time), and `max_retries=` as each check needs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from conformance.profiles.base import accepts
from conformance.profiles.native import NativeProfile
from conformance.resilience.clock import Timing
from conformance.resilience.hooks import (
    TIMING_KEYWORDS,
    BreakerFacts,
    Built,
    ComposedFacts,
    HealthReader,
    RetryFacts,
    Strategy,
)
from conformance.vocabulary.spec import Connection, ProviderSpec


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _timing_for(target: Callable[..., Any], timing: Timing) -> dict[str, object]:
    return {k: v for k, v in timing.kwargs().items() if accepts(target, k)}


class NativeResilienceHooks:
    def __init__(self, profile: NativeProfile) -> None:
        self._profile = profile

    def build(
        self,
        target: Callable[..., Any],
        spec: ProviderSpec,
        connection: Connection,
        timing: Timing,
        *,
        max_retries: int | None,
    ) -> Built:
        extra: dict[str, object] = {
            k: v for k, v in _timing_for(target, timing).items() if k not in spec.options
        }
        takes_retries = accepts(target, "max_retries")
        if max_retries is not None and takes_retries and "max_retries" not in spec.options:
            extra["max_retries"] = max_retries

        def factory(**kwargs: Any) -> Any:
            if not takes_retries:
                kwargs.pop("max_retries", None)
            return target(**{**kwargs, **extra})

        provider = self._profile.build(factory, spec, connection)
        return Built(provider, frozenset(k for k in extra if k in TIMING_KEYWORDS))

    def retrying(self, provider: Any) -> RetryFacts | None:
        policy = getattr(provider, "retry_policy", None)
        if policy is None:
            return None
        retries = getattr(policy, "max_retries", None)
        if not isinstance(retries, int) or isinstance(retries, bool):
            return None
        return RetryFacts(retries, _number(getattr(policy, "max_delay", None)))

    def breaker(self, provider: Any) -> BreakerFacts | None:
        return read_breaker(getattr(provider, "circuit_breaker", None))

    def health_check(self, provider: Any) -> Callable[[], Awaitable[object]] | None:
        check = getattr(provider, "health_check", None)
        return check if callable(check) else None

    def chain(
        self, provider: Any, members: Sequence[tuple[str, Any]], timing: Timing
    ) -> ComposedFacts | None:
        factory = getattr(provider, "fallback_chain_class", None)
        if not callable(factory):
            return None
        return _composed(factory(list(members), **_timing_for(factory, timing)))

    def router(
        self,
        provider: Any,
        members: Sequence[tuple[str, Any]],
        strategy: Strategy,
        timing: Timing,
    ) -> ComposedFacts | None:
        factory = getattr(provider, "router_class", None)
        if not callable(factory):
            return None
        return _composed(factory(list(members), strategy=strategy, **_timing_for(factory, timing)))

    def missing(self, clause: str) -> str:
        return _MISSING.get(clause, "the provider does not offer it")


_MISSING = {
    "RE-1": "the provider offers no retries (no retry_policy)",
    "RE-2": "the provider has no circuit breaker (no circuit_breaker)",
    "RE-3": "the provider offers no fallback chain or router (no fallback_chain_class / "
    "router_class)",
    "RE-4": "the provider has no health_check()",
}


def read_breaker(breaker: Any) -> BreakerFacts | None:
    """A breaker's facts from its attributes (see the module docstring), or None."""
    if breaker is None:
        return None
    threshold = getattr(breaker, "failure_threshold", None)
    recovery = _number(getattr(breaker, "recovery_time", None))
    if recovery is None:
        recovery = _number(getattr(breaker, "recovery_timeout", None))
    if not isinstance(threshold, int) or recovery is None:
        return None

    def state() -> object:
        raw = getattr(breaker, "state", None)
        return raw() if callable(raw) else raw

    return BreakerFacts(threshold, recovery, state)


def _composed(target: Any) -> ComposedFacts:
    health = getattr(target, "health", None)
    reader: HealthReader | None = None
    if callable(health):
        reader = health
    elif isinstance(health, Mapping):
        reader = lambda: health  # noqa: E731  (an attribute that is itself the mapping)
    thresholds = getattr(target, "health_thresholds", None)
    degraded = getattr(thresholds, "degraded_after", None)
    unhealthy = getattr(thresholds, "unhealthy_after", None)
    return ComposedFacts(
        target,
        reader,
        degraded if isinstance(degraded, int) else None,
        unhealthy if isinstance(unhealthy, int) else None,
    )
