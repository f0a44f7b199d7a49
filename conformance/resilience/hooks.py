"""The hook protocol: how a profile shows the resilience checks what a provider offers.

The RE checks never look at a provider directly. A profile that can express resilience hands out
`ResilienceHooks` (its `resilience_hooks()` method), which build providers with the harness's fake
time and answer, for a built provider, "does it retry, and how often?", "does it have a breaker,
with what threshold and recovery time?", "can it compose a chain or a router from these members?",
"how do I ask its health?". Each answer may be None: that clause is then not applicable to the
provider, with the reason `missing(clause)` gives, never passed.

The native profile's hooks are `native.NativeResilienceHooks`; a profile that answers the
per-provider `resilience_targets(provider)` / `fallback_chain(members)` of
conformance/profiles/resilience.py is reached through `bridge.ProfileTargetsBridge`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from conformance.profiles.base import Profile
from conformance.resilience.clock import Timing
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

#: The keyword arguments through which the harness's fake time reaches a provider.
TIMING_KEYWORDS = ("clock", "sleep", "random")

Strategy = Literal["round-robin", "first-available"]


@dataclass(frozen=True)
class Built:
    """A provider built for a resilience check, and which timing keywords it took."""

    provider: Any
    injected: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RetryFacts:
    max_retries: int
    #: The cap on backoff delays, when the provider declares one (delays at the cap may be equal).
    max_delay: float | None = None


@dataclass(frozen=True)
class BreakerFacts:
    failure_threshold: int
    recovery_time: float
    #: Reads the breaker's state ("closed", "open", "half_open" or an enum of those), if it can.
    state: Callable[[], object] | None = None


HealthReader = Callable[[], "Mapping[str, object] | Awaitable[Mapping[str, object]]"]


@dataclass(frozen=True)
class ComposedFacts:
    """A fallback chain or router composed from members the harness built."""

    #: The composite; driven through the profile exactly like a provider unless `run_turn` says
    #: how to drive it.
    target: Any
    #: Member name -> "healthy" / "degraded" / "unhealthy" (or enums), possibly awaitable, when
    #: the composite reports health.
    health: HealthReader | None = None
    degraded_after: int | None = None
    unhealthy_after: int | None = None
    #: `run_turn(scenario, turn, mode)`, for a composite the profile cannot drive as a provider.
    run_turn: Callable[[Scenario, int, Mode], Awaitable[TurnObservation]] | None = None
    #: Closes the composite (and its members); the profile's close() is used when None.
    close: Callable[[], Awaitable[None]] | None = None


@runtime_checkable
class ResilienceHooks(Protocol):
    def build(
        self,
        target: Callable[..., Any],
        spec: ProviderSpec,
        connection: Connection,
        timing: Timing,
        *,
        max_retries: int | None,
    ) -> Built:
        """Build the provider with `timing` (each keyword it accepts) and `max_retries`."""

    def retrying(self, provider: Any) -> RetryFacts | None:
        """RE-1: the provider's retry settings, or None when it does not retry."""

    def breaker(self, provider: Any) -> BreakerFacts | None:
        """RE-2: the provider's circuit breaker, or None."""

    def health_check(self, provider: Any) -> Callable[[], Awaitable[object]] | None:
        """RE-4: a call that asks the provider's health, or None."""

    def chain(
        self, provider: Any, members: Sequence[tuple[str, Any]], timing: Timing
    ) -> ComposedFacts | None:
        """RE-3: a fallback chain over `members` (name, provider), in the provider's family."""

    def router(
        self,
        provider: Any,
        members: Sequence[tuple[str, Any]],
        strategy: Strategy,
        timing: Timing,
    ) -> ComposedFacts | None:
        """RE-3: a router over `members` with `strategy`, in the provider's family."""

    def missing(self, clause: str) -> str:
        """Why the clause's feature is not there, for the not-applicable verdict."""


def hooks_for(profile: Profile) -> ResilienceHooks | None:
    """The profile's resilience hooks: its own `resilience_hooks()`, the native ones, or a bridge
    to a profile's `resilience_targets(provider)`; None when it offers none."""
    from conformance.profiles.native import NativeProfile
    from conformance.resilience.bridge import ProfileTargetsBridge
    from conformance.resilience.native import NativeResilienceHooks

    hook = getattr(profile, "resilience_hooks", None)
    if callable(hook):
        found = hook()
        return found if isinstance(found, ResilienceHooks) else None
    if isinstance(profile, NativeProfile):
        return NativeResilienceHooks(profile)
    if callable(getattr(profile, "resilience_targets", None)):
        return ProfileTargetsBridge(profile)
    return None
