"""Small executable models of the resilience parts: what a conforming one does, step by step.

The judges replay a check's script through these models and compare, call by call, with what the
provider under test did; the property-based state machines (`machines.py`) do the same for
arbitrary scripts. Each model is deliberately the plainest reading of the contract's words, so that
it does not share a bug with the implementations it judges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

#: What one call meets at the server: success, a failure that counts against the server's health
#: (a 503, a timeout), or one that does not (401: the caller's key, not the server's health).
BreakerOutcome = Literal["ok", "server", "auth"]

BreakerStateName = Literal["closed", "open", "half_open"]

#: What a chain member answers: success, a retryable failure, a non-retryable one that is the
#: member's own (401), or an invalid request (the same everywhere).
MemberOutcome = Literal["ok", "retryable", "auth", "invalid"]

HealthName = Literal["healthy", "degraded", "unhealthy"]

HEALTH_ORDER: dict[str, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}


def normalise_state(raw: object) -> str | None:
    """A breaker state as the model names it, from a string or an enum (half-open spellings)."""
    if raw is None:
        return None
    value = getattr(raw, "value", raw)
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if text in ("closed", "open", "half_open", "halfopen"):
        return "half_open" if text == "halfopen" else text
    return text


class BreakerModel:
    """Closed counts consecutive counted failures; at the threshold it opens; after the recovery
    time it half-opens and lets one probe through; the probe's success closes it, its counted
    failure opens it again. Failures that do not count leave every count as it was."""

    def __init__(self, failure_threshold: int, recovery_time: float, now: float = 0.0) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_time = recovery_time
        self.now = now
        self._state: BreakerStateName = "closed"
        self._opened_at = 0.0
        self.consecutive = 0
        self._probing = False

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def state(self) -> BreakerStateName:
        if self._state == "open" and self.now - self._opened_at >= self.recovery_time:
            self._state = "half_open"
            self._probing = False
        return self._state

    def allows(self) -> bool:
        """Whether a call now reaches the server (and, half-open, becomes the probe)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def record(self, outcome: BreakerOutcome) -> None:
        """The outcome of a call that was allowed."""
        if outcome == "ok":
            self._state = "closed"
            self.consecutive = 0
            self._probing = False
        elif outcome == "auth":
            self._probing = False
        else:
            self.consecutive += 1
            if self._state == "half_open" or self.consecutive >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self.now
                self._probing = False

    def remaining(self) -> float:
        """Seconds until an open breaker half-opens."""
        if self.state != "open":
            return 0.0
        return max(self.recovery_time - (self.now - self._opened_at), 0.0)


class HealthModel:
    """Seed 003's health: an error count that each failure raises and each success lowers by one,
    read against two thresholds; a successful health check clears it."""

    def __init__(self, degraded_after: int, unhealthy_after: int) -> None:
        self.degraded_after = degraded_after
        self.unhealthy_after = unhealthy_after
        self.errors = 0

    @property
    def status(self) -> HealthName:
        if self.errors >= self.unhealthy_after:
            return "unhealthy"
        if self.errors >= self.degraded_after:
            return "degraded"
        return "healthy"

    def success(self) -> None:
        self.errors = max(0, self.errors - 1)

    def failure(self) -> None:
        self.errors += 1

    def probe(self, healthy: bool) -> None:
        if healthy:
            self.errors = 0
        else:
            self.failure()


@dataclass(frozen=True)
class ChainCall:
    """What a chain does with one call: whom it tried, who answered, how it failed."""

    tried: tuple[str, ...]
    winner: str | None
    #: "exhausted" (every member failed) or "invalid" (stopped at an invalid request), or None.
    failure: str | None


class ChainModel:
    """A fallback chain over named members with health; members not unhealthy are tried first."""

    def __init__(self, names: Sequence[str], degraded_after: int, unhealthy_after: int) -> None:
        self.names = tuple(names)
        self.health = {name: HealthModel(degraded_after, unhealthy_after) for name in names}

    def order(self) -> list[str]:
        fit = [n for n in self.names if self.health[n].status != "unhealthy"]
        return fit + [n for n in self.names if n not in fit]

    def call(self, outcomes: Mapping[str, MemberOutcome]) -> ChainCall:
        tried: list[str] = []
        for name in self.order():
            tried.append(name)
            outcome = outcomes[name]
            if outcome == "ok":
                self.health[name].success()
                return ChainCall(tuple(tried), name, None)
            if outcome == "invalid":
                return ChainCall(tuple(tried), None, "invalid")
            self.health[name].failure()
        return ChainCall(tuple(tried), None, "exhausted")

    def statuses(self) -> dict[str, str]:
        return {name: model.status for name, model in self.health.items()}


class RouterModel:
    """One member per call: round-robin over, or the first of, the members not unhealthy."""

    def __init__(
        self,
        names: Sequence[str],
        strategy: Literal["round-robin", "first-available"],
        degraded_after: int,
        unhealthy_after: int,
    ) -> None:
        self.names = tuple(names)
        self.strategy = strategy
        self.health = {name: HealthModel(degraded_after, unhealthy_after) for name in names}
        self._next = 0

    def select(self) -> str | None:
        count = len(self.names)
        if self.strategy == "first-available":
            order = list(range(count))
        else:
            order = [(self._next + step) % count for step in range(count)]
        for index in order:
            name = self.names[index]
            if self.health[name].status != "unhealthy":
                if self.strategy == "round-robin":
                    self._next = (index + 1) % count
                return name
        return None

    def call(self, outcomes: Mapping[str, bool]) -> str | None:
        """Route one call; `outcomes[name]` says whether that member would succeed."""
        name = self.select()
        if name is not None:
            if outcomes[name]:
                self.health[name].success()
            else:
                self.health[name].failure()
        return name
