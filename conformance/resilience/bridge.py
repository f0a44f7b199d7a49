"""RE hooks for profiles that describe resilience per provider (conformance/profiles/resilience.py).

Those profiles (victor, orchestrator, execute) answer `resilience_targets(provider)` with the
provider's own `health_check`, `retry` wrapper, `max_retries` and `circuit_breaker`, and
`fallback_chain(members)` with a chain driven as one provider. This bridge turns that into
`ResilienceHooks`: RE-4 and RE-3 map directly; RE-1 and RE-2 are judged wherever the interface
retries or has a breaker. Their classes take no `clock=` or `sleep=`, so the sleep and clocks they
look up in their own modules are replaced by the check's fake clock for the check's length
(`fake_time`, conformance/resilience/patched_time.py): retries and breakers are judged without
real waiting.

Providers are built with `max_retries` as each check asks (unless the user gave one) and with the
profile's `resilience_options()`. Everything is read by attribute, so the bridge does not depend
on that module's classes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from conformance.profiles.base import Profile
from conformance.resilience.clock import FakeClock, Timing
from conformance.resilience.hooks import (
    BreakerFacts,
    Built,
    ComposedFacts,
    RetryFacts,
    Strategy,
)
from conformance.resilience.native import read_breaker
from conformance.resilience.patched_time import modules_of, patched_time, reaches_time
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec


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
        """Built with the check's `max_retries` (a user's own stands) and the profile's
        resilience options; "clock" and "sleep" count as injected when the provider's modules
        look up a sleep or clock the check can replace."""
        options = dict(self._profile.options)
        extra = getattr(self._profile, "resilience_options", None)
        if callable(extra):
            options = {**extra(), **options}
        if max_retries is not None and "max_retries" not in self._profile.options:
            options["max_retries"] = max_retries
        profile = type(self._profile)(options) if options != self._profile.options else None
        provider = (profile or self._profile).build(target, spec, connection)
        modules = modules_of(provider, self._timing_modules(provider))
        injected = frozenset({"clock", "sleep"}) if reaches_time(modules) else frozenset()
        return Built(provider, injected)

    def _timing_modules(self, provider: Any) -> tuple[str, ...]:
        found = getattr(self._targets(provider), "timing_modules", ())
        return tuple(found or ())

    @contextlib.contextmanager
    def fake_time(self, provider: Any, clock: FakeClock) -> Iterator[list[str]]:
        """The provider's own sleep and clocks on `clock` until the block ends."""
        modules = modules_of(provider, self._timing_modules(provider))
        breaker = getattr(self._targets(provider), "circuit_breaker", None)
        if breaker is not None:
            modules += [m for m in modules_of(breaker) if m not in modules]
        with patched_time(modules, clock) as patched:
            yield patched

    def retrying(self, provider: Any) -> RetryFacts | None:
        retries = getattr(self._targets(provider), "max_retries", None)
        if not isinstance(retries, int) or isinstance(retries, bool):
            return None
        return RetryFacts(retries)

    async def call_with_retry(
        self, provider: Any, scenario: Scenario, mode: Mode
    ) -> TurnObservation | None:
        """One call through the provider's own retry wrapper (orchestrator's
        `_retry_with_backoff`), or None when it has none: the call is then the plain one."""
        retry = getattr(self._targets(provider), "retry", None)
        invoke = getattr(self._profile, "invoke", None)
        if not callable(retry) or not callable(invoke):
            return None
        observed = TurnObservation(mode=mode)

        async def attempt() -> None:
            await invoke(provider, scenario, 0, mode, observed)

        try:
            await retry(attempt)
        except Exception as exc:  # the wrapper's answer, judged by RE-1
            read = getattr(self._profile, "read_error", None)
            if callable(read):
                observed.error = read(exc, scenario, 0, self._profile.provider_name(provider))
            else:
                observed.error = self._profile.classify(exc)
        return observed

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
                f"profile {name}: the provider does not retry (no max_retries it was built with, "
                "no retry wrapper)"
            )
        if clause == "RE-2":
            return (
                f"profile {name}: no circuit breaker whose failure_threshold, recovery_time and "
                "state the suite can read"
            )
        if clause == "RE-3":
            return f"profile {name}: no fallback chain (fallback_chain(members) is None)"
        return f"profile {name}: the provider has no health check"
