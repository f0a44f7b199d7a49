"""How the resilience checks (RE-1 to RE-4) reach what an interface offers for resilience.

Resilience lives in different places in different interfaces: a retry wrapper on the base class
(orchestrator's `_retry_with_backoff`), a circuit breaker on the provider (victor), a fallback chain
and a manager beside the providers (execute's `FallbackChain` and `ProviderManager`), a router
(orchestrator's `Router`), a `health_check()` on each provider. A profile that knows where they
are answers `resilience_targets(provider)` and, for chains, `fallback_chain(members)`; a profile
without them returns an empty `ResilienceTargets` and None, and the RE checks are not applicable.

Everything here is called from a check's own event loop; synchronous interfaces are wrapped so that
a blocking call runs on a worker thread and the check's deadline still holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation

#: The health words the RE-3 clause speaks; profiles map their interface's words onto these.
HEALTH_STATES = ("healthy", "degraded", "unhealthy")


@dataclass
class ResilienceTargets:
    """What one built provider offers to the RE checks; a field is None where it offers nothing.

    - `health_check` (RE-4): an async callable taking no argument, answering what the provider's
      own `health_check()` answers (the check judges that it is a bool, in bounded time, and that
      it never raises).
    - `retry` (RE-1): the provider's own retry wrapper, as an async callable taking an async
      zero-argument callable; the check counts attempts and measures the waits. Retries inside the
      provider's calls are reached instead by building it with the profile option `max_retries=N`.
    - `circuit_breaker` (RE-2): the provider's breaker object, as the interface exposes it.
    - `max_retries` (RE-1): the retries the provider makes inside its own calls, as built (victor's
      `max_retries`), or the retry wrapper's (`retry` above) when it has one; None when neither.
    - `timing_modules`: modules beyond the provider's class hierarchy whose `asyncio.sleep` and
      `time` the interface's retries and breakers use (victor's retry strategy and breaker
      modules). The RE checks replace those, as the modules look them up, with their fake clock
      for the length of a check (conformance/resilience/patched_time.py): no real waiting.
    - `describe`: one line per target for messages and the report.
    """

    health_check: Callable[[], Awaitable[object]] | None = None
    retry: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]] | None = None
    circuit_breaker: object | None = None
    max_retries: int | None = None
    timing_modules: tuple[str, ...] = ()
    describe: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return (
            self.health_check is None
            and self.retry is None
            and self.circuit_breaker is None
            and self.max_retries is None
        )


class FallbackChainTarget(Protocol):
    """A chain (or manager, or router) over several built providers, driven like one provider.

    `run_turn` sends the scenario's turn through the chain and observes it exactly as the profile
    observes a single provider (same error classification), so RE-3 can judge "the first success
    wins" and "when all fail, the error names each failure". `health` gives each member's health
    in HEALTH_STATES words, by the names the members were given.
    """

    async def run_turn(self, scenario: Scenario, turn: int, mode: Mode) -> TurnObservation: ...

    async def health(self) -> Mapping[str, str]: ...

    async def close(self) -> None: ...


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


def members_by_name(members: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    names = [name for name, _ in members]
    if len(set(names)) != len(names):
        raise ValueError(f"fallback chain members need distinct names, got {names}")
    return list(members)
