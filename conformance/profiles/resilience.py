"""The resilience seam: what a profile offers the RE checks (RE-1 to RE-4), in one shape.

Resilience lives in different places in different interfaces: retries inside a provider's calls
(victor, the native `retry_policy`) or in a wrapper around them (orchestrator's
`_retry_with_backoff`), a circuit breaker on the provider, a fallback chain or router composed
beside the providers, a `health_check()` on each. The RE checks know none of that. They ask the
profile one question, `Profile.resilience(build)`: "build this provider for a resilience check,
and tell me what it offers". The answer is a `ResilienceOffer` whose parts are None where the
provider offers nothing; the clause is then not applicable with the offer's reason, never passed.

Why one method that both builds and answers: how a provider is built for a resilience check is
itself interface knowledge (the native profile passes the harness's fake `clock=` / `sleep=` /
`random=`; victor keeps its circuit breaker and takes `max_retries` as a profile option), and the
offer's parts are read from the provider so built.

Everything here is called from a check's own event loop; synchronous interfaces are wrapped so that
a blocking call runs on a worker thread and the check's deadline still holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

#: The keyword arguments through which the harness's fake time reaches a provider's constructor.
TIME_KEYWORDS = ("clock", "sleep", "random")
#: The health words the RE-3 clause speaks; profiles map their interface's words onto these.
HEALTH_STATES = ("healthy", "degraded", "unhealthy")

#: The methods of the earlier resilience shapes: named in the reason when a profile still has one.
RETIRED_METHODS = ("resilience_hooks", "resilience_targets", "fallback_chain")

Strategy = Literal["round-robin", "first-available"]
Members = Sequence[tuple[str, Any]]
HealthReader = Callable[[], "Mapping[str, object] | Awaitable[Mapping[str, object]]"]


class Builder(Protocol):
    """What the helpers below need of a profile. Not `Profile` itself: profiles/base.py imports
    this module (the seam is a method of every profile), so this module does not import it."""

    def __init__(self, options: Mapping[str, Any] | None = None) -> None: ...

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> Mapping[str, Any]: ...

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        """Construct the provider under test from `target`."""


@dataclass(frozen=True)
class ResilienceBuild:
    """What a resilience check asks a profile to build."""

    target: Callable[..., Any]
    spec: ProviderSpec
    connection: Connection
    #: The harness's fake time by keyword (TIME_KEYWORDS): for a constructor that takes them.
    time: Mapping[str, object]
    #: The retries the check needs (RE-1 builds with 3, the others with 0); a user's own
    #: `max_retries` option stands.
    max_retries: int | None


@dataclass(frozen=True)
class RetryOffer:
    """RE-1: the provider retries."""

    max_retries: int
    #: The cap on backoff delays, when the provider declares one (delays at the cap may be equal).
    max_delay: float | None = None
    #: One call through the interface's own retry wrapper, for retries that are not inside the
    #: provider's calls (orchestrator's `_retry_with_backoff`); None: the plain call retries.
    call: Callable[[Scenario, Mode], Awaitable[TurnObservation]] | None = None


@dataclass(frozen=True)
class BreakerOffer:
    """RE-2: the provider has a circuit breaker the check can read."""

    failure_threshold: int
    recovery_time: float
    #: Reads the breaker's state ("closed", "open", "half_open" or an enum of those), if it can.
    state: Callable[[], object] | None = None


@dataclass(frozen=True)
class Composite:
    """RE-3: a fallback chain or router over members the check built, driven as one provider."""

    #: `run_turn(scenario, turn, mode)`: the composite's answer, observed as the profile observes
    #: a single provider (same error classification).
    run_turn: Callable[[Scenario, int, Mode], Awaitable[TurnObservation]]
    #: Closes the composite and its members.
    close: Callable[[], Awaitable[None]]
    #: Member name -> "healthy" / "degraded" / "unhealthy" (or enums), possibly awaitable, when
    #: the composite reports health.
    health: HealthReader | None = None
    degraded_after: int | None = None
    unhealthy_after: int | None = None
    #: Whether it can stream (the stream-mode checks are not applicable otherwise); asked only in
    #: stream mode.
    streams: Callable[[], bool] = lambda: True


ChainComposer = Callable[[Members], "Composite | None"]
RouterComposer = Callable[[Members, Strategy], "Composite | None"]


@dataclass(frozen=True)
class ResilienceOffer:
    """A provider built for a resilience check, and what it offers; None parts: not offered."""

    provider: Any
    #: The fake-time keywords its constructor took (a subset of TIME_KEYWORDS).
    took_time: frozenset[str] = frozenset()
    #: For a class that takes no clock: the modules, beyond its class hierarchy, whose sleep and
    #: clocks the check replaces with its fake clock for the check's length
    #: (conformance/resilience/patched_time.py); None when nothing is to be replaced.
    patch_time: tuple[str, ...] | None = None
    retry: RetryOffer | None = None
    breaker: BreakerOffer | None = None
    #: Composes a fallback chain over `(name, provider)` members built the same way.
    chain: ChainComposer | None = None
    #: Composes a router with a strategy over such members.
    router: RouterComposer | None = None
    #: RE-4: asks the provider's health (the check judges: a bool, in bounded time, no raise).
    health_check: Callable[[], Awaitable[object]] | None = None
    #: Clause -> why the provider does not offer it, for the not-applicable verdict.
    missing: Mapping[str, str] = field(default_factory=dict)

    def why_missing(self, clause: str) -> str:
        return self.missing.get(clause) or f"the provider does not offer what {clause} judges"


def offers_nothing(profile: Builder, build: ResilienceBuild) -> ResilienceOffer:
    """The answer of a profile that expresses no resilience: the provider, built as usual."""
    provider = profile.build(build.target, build.spec, build.connection)
    reason = f"profile {profile.name} offers no resilience (it does not override resilience())"
    retired = [m for m in RETIRED_METHODS if callable(getattr(profile, m, None))]
    if retired:
        reason += (
            f"; it defines {', '.join(f'{m}()' for m in retired)}, which the RE checks no longer "
            "read: answer resilience(build) instead (docs/resilience.md)"
        )
    return ResilienceOffer(
        provider, missing=dict.fromkeys(("RE-1", "RE-2", "RE-3", "RE-4"), reason)
    )


def built_with_options(
    profile: Builder, build: ResilienceBuild, extra: Mapping[str, Any] | None = None
) -> Any:
    """For interfaces whose retries are a profile option: the provider built with the check's
    `max_retries` (a user's own stands) and `extra` options the RE checks need (a user's stand)."""
    options = {**(extra or {}), **profile.options}
    if build.max_retries is not None and "max_retries" not in profile.options:
        options["max_retries"] = build.max_retries
    builder = type(profile)(options) if options != profile.options else profile
    return builder.build(build.target, build.spec, build.connection)


def missing_by_profile(name: str) -> dict[str, str]:
    """The not-applicable reasons of a profile that reads resilience off its interface."""
    return {
        "RE-1": f"profile {name}: the provider does not retry (no max_retries it was built with, "
        "no retry wrapper)",
        "RE-2": f"profile {name}: no circuit breaker whose failure_threshold, recovery_time and "
        "state the suite can read",
        "RE-3": f"profile {name}: no fallback chain",
        "RE-4": f"profile {name}: the provider has no health check",
    }


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def breaker_offer(breaker: object) -> BreakerOffer | None:
    """A breaker read by attribute: `failure_threshold` (int), `recovery_time` (float;
    `recovery_timeout` is accepted too) and `state` (a value or a method returning one); None
    when it is missing or does not say them."""
    if breaker is None:
        return None
    threshold = getattr(breaker, "failure_threshold", None)
    recovery = _number(getattr(breaker, "recovery_time", None))
    if recovery is None:
        recovery = _number(getattr(breaker, "recovery_timeout", None))
    if not isinstance(threshold, int) or isinstance(threshold, bool) or recovery is None:
        return None

    def state() -> object:
        raw = getattr(breaker, "state", None)
        return raw() if callable(raw) else raw

    return BreakerOffer(threshold, recovery, state)


def retries_of(value: object) -> int | None:
    """An attribute that counts retries, when it is a real int."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def class_modules(obj: object) -> tuple[str, ...]:
    """The modules of an object's class hierarchy: where a breaker looks up its clock."""
    return tuple(dict.fromkeys(cls.__module__ for cls in type(obj).__mro__))


#: Where an interface keeps a health value on a metrics object (orchestrator's Router answers
#: `get_metrics()` with `ProviderMetrics` objects whose health is the `health_status` property).
HEALTH_ATTRIBUTES = ("health_status", "health", "status")


def health_word(raw: object) -> str:
    """An interface's health value (an enum, a string, a dict with 'health', an object with
    `health_status`) in RE-3's words."""
    if isinstance(raw, Mapping):
        raw = raw.get("health_status", raw.get("health", raw.get("status")))
    elif not isinstance(raw, str) and getattr(raw, "value", None) is None:
        for attribute in HEALTH_ATTRIBUTES:
            found = getattr(raw, attribute, None)
            if found is not None and not callable(found):
                raw = found
                break
    value = getattr(raw, "value", raw)
    word = str(value).lower()
    return word if word in HEALTH_STATES else f"unknown ({word})"


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking call of a synchronous interface without blocking the check's loop."""
    return await asyncio.to_thread(function, *args)


__all__ = [
    "HEALTH_STATES",
    "TIME_KEYWORDS",
    "BreakerOffer",
    "Composite",
    "ResilienceBuild",
    "ResilienceOffer",
    "RetryOffer",
    "Strategy",
    "breaker_offer",
    "built_with_options",
    "class_modules",
    "health_word",
    "in_thread",
    "missing_by_profile",
    "offers_nothing",
    "retries_of",
]
