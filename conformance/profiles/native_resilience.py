"""The native profile's resilience offer: found on the provider by attribute name.

What a native provider offers, and the names looked for (docs/resilience.md):

- `retry_policy` with `max_retries` (int) and optionally `max_delay` (float): RE-1;
- `circuit_breaker` with `failure_threshold` (int), `recovery_time` (float; `recovery_timeout`
  is accepted too) and `state` ("closed" / "open" / "half_open", a string or an enum of them,
  or a method returning one): RE-2;
- `fallback_chain_class` and `router_class`: callables that compose members, called as
  `cls(members, **time)` and `cls(members, strategy=..., **time)` where members is a list of
  (name, provider) pairs; the result is a native provider with `health()` -> {name: status} and
  optionally `health_thresholds` (`degraded_after`, `unhealthy_after`): RE-3;
- `async health_check() -> bool`: RE-4.

The constructor gets `clock=`, `sleep=` and `random=` when it takes them (the harness's fake
time), and `max_retries=` as each check needs it. Native classes are expected to take their time
as arguments, so nothing is patched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from conformance.profiles.base import accepts
from conformance.profiles.resilience import (
    TIME_KEYWORDS,
    Composite,
    HealthReader,
    Members,
    ResilienceBuild,
    ResilienceOffer,
    RetryOffer,
    Strategy,
    breaker_offer,
    retries_of,
)
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation

if TYPE_CHECKING:
    from conformance.profiles.base import Profile

MISSING = {
    "RE-1": "the provider offers no retries (no retry_policy)",
    "RE-2": "the provider has no circuit breaker (no circuit_breaker)",
    "RE-3": "the provider offers no fallback chain or router (no fallback_chain_class / "
    "router_class)",
    "RE-4": "the provider has no health_check()",
}


def _time_for(target: Callable[..., Any], time: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in time.items() if accepts(target, k)}


def native_offer(profile: Profile, build: ResilienceBuild) -> ResilienceOffer:
    """Build with the fake time and `max_retries` the constructor takes (a user's options stand)
    and read the offer off the provider's attributes."""
    spec = build.spec
    extra = {k: v for k, v in _time_for(build.target, build.time).items() if k not in spec.options}
    takes_retries = accepts(build.target, "max_retries")
    if build.max_retries is not None and takes_retries and "max_retries" not in spec.options:
        extra["max_retries"] = build.max_retries

    def factory(**kwargs: Any) -> Any:
        if not takes_retries:
            kwargs.pop("max_retries", None)
        return build.target(**{**kwargs, **extra})

    provider = profile.build(factory, spec, build.connection)
    check = getattr(provider, "health_check", None)
    return ResilienceOffer(
        provider,
        took_time=frozenset(k for k in extra if k in TIME_KEYWORDS),
        retry=_retry(provider),
        breaker=breaker_offer(getattr(provider, "circuit_breaker", None)),
        chain=_chain(profile, provider, build.time),
        router=_router(profile, provider, build.time),
        health_check=check if callable(check) else None,
        missing=MISSING,
    )


def _retry(provider: Any) -> RetryOffer | None:
    policy = getattr(provider, "retry_policy", None)
    retries = retries_of(getattr(policy, "max_retries", None))
    if policy is None or retries is None:
        return None
    max_delay = getattr(policy, "max_delay", None)
    if isinstance(max_delay, bool) or not isinstance(max_delay, int | float):
        max_delay = None
    return RetryOffer(retries, None if max_delay is None else float(max_delay))


def _chain(
    profile: Profile, provider: Any, time: Mapping[str, object]
) -> Callable[[Members], Composite | None] | None:
    factory = getattr(provider, "fallback_chain_class", None)
    if not callable(factory):
        return None
    return lambda members: _composite(profile, factory(list(members), **_time_for(factory, time)))


def _router(
    profile: Profile, provider: Any, time: Mapping[str, object]
) -> Callable[[Members, Strategy], Composite | None] | None:
    factory = getattr(provider, "router_class", None)
    if not callable(factory):
        return None
    return lambda members, strategy: _composite(
        profile, factory(list(members), strategy=strategy, **_time_for(factory, time))
    )


def _composite(profile: Profile, target: Any) -> Composite:
    """A composed chain or router is itself a native provider: the profile drives it."""
    health = getattr(target, "health", None)
    reader: HealthReader | None = None
    if callable(health):
        reader = health
    elif isinstance(health, Mapping):
        reader = lambda: health  # noqa: E731  (an attribute that is itself the mapping)
    thresholds = getattr(target, "health_thresholds", None)
    degraded = getattr(thresholds, "degraded_after", None)
    unhealthy = getattr(thresholds, "unhealthy_after", None)

    async def run_turn(scenario: Scenario, turn: int, mode: Mode) -> TurnObservation:
        return await profile.run_turn(target, scenario, turn, mode)

    async def close() -> None:
        await profile.close(target)

    return Composite(
        run_turn,
        close,
        reader,
        degraded if isinstance(degraded, int) else None,
        unhealthy if isinstance(unhealthy, int) else None,
        streams=lambda: "streaming" in profile.declared_capabilities(target),
    )
