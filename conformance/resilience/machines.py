"""Property-based state machines for RE-2 and RE-3: any script, judged step by step by the model.

The example checks (`checks.py`) run a few fixed scripts against any provider through the fake
server; these machines let hypothesis pick the scripts (which outcomes, in which order, how much
time passes) and shrink a failure to the shortest script that shows it. They drive a breaker, a
chain or a router through a small synchronous *driver* that plays scripted outcomes to it, so they
run wherever a driver can be written: the project's tests write drivers for the reference parts and
for known-bad ones; a provider author can write one for their own breaker.

Use: subclass the machine, set `make_driver`, and take `.TestCase` (see tests/resilience).
This module needs hypothesis (a test dependency); nothing in the harness imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from conformance.resilience.model import (
    BreakerModel,
    BreakerOutcome,
    ChainModel,
    MemberOutcome,
    RouterModel,
    normalise_state,
)

_OPEN_WORDS = ("circuit", "breaker", "open")
MEMBER_OUTCOMES: tuple[MemberOutcome, ...] = ("ok", "retryable", "auth", "invalid")


Strategy = Literal["round-robin", "first-available"]


@dataclass(frozen=True)
class BreakerCall:
    requested: bool
    ok: bool
    message: str = ""


class BreakerDriver(Protocol):
    """Plays one outcome per call to a breaker under test, on a clock the driver owns.

    The clock should start at 0, as the model's does: the machine also waits exactly the recovery
    time, and sums of waits agree with the model's to the last bit only from the same start.
    """

    failure_threshold: int
    recovery_time: float

    def call(self, outcome: BreakerOutcome) -> BreakerCall: ...

    def advance(self, seconds: float) -> None: ...

    def state(self) -> object: ...

    def close(self) -> None: ...


class BreakerMachine(RuleBasedStateMachine):
    """RE-2: calls meet success, a counted failure or an auth error; time passes; the breaker
    must let exactly the calls through that the model does, fail the others fast saying so, and
    report the model's state."""

    make_driver: ClassVar[Callable[[], BreakerDriver]]

    def __init__(self) -> None:
        super().__init__()
        self.driver = type(self).make_driver()
        self.model = BreakerModel(self.driver.failure_threshold, self.driver.recovery_time)
        self.trail: list[str] = []

    @rule(outcome=st.sampled_from(["ok", "server", "auth"]))
    def call(self, outcome: BreakerOutcome) -> None:
        before = self.model.state
        allowed = self.model.allows()
        seen = self.driver.call(outcome)
        self.trail.append(f"{outcome}{'' if seen.requested else '(fast)'}")
        where = f"after {' '.join(self.trail[:-1]) or 'nothing'} (model state {before})"
        if allowed:
            assert seen.requested, f"failed fast {where}; expected the call to go through"
            self.model.record(outcome)
            assert seen.ok == (outcome == "ok"), f"{outcome} reported ok={seen.ok} {where}"
        else:
            assert not seen.requested, f"sent a request {where}; expected a fast failure"
            assert not seen.ok, f"reported success without a request {where}"
            assert any(w in seen.message.lower() for w in _OPEN_WORDS), (
                f"fast failure does not say the circuit is open: {seen.message!r}"
            )

    @rule(fraction=st.sampled_from([0.25, 0.5, 0.99, 1.0, 1.01, 2.0]))
    def wait(self, fraction: float) -> None:
        seconds = self.driver.recovery_time * fraction
        self.model.advance(seconds)
        self.driver.advance(seconds)
        self.trail.append(f"+{fraction:g}T")

    @invariant()
    def same_state(self) -> None:
        state = normalise_state(self.driver.state())
        if state is not None:
            assert state == self.model.state, (
                f"breaker says {state!r}, model {self.model.state!r} after {' '.join(self.trail)}"
            )

    def teardown(self) -> None:
        self.driver.close()


@dataclass(frozen=True)
class ChainSeen:
    tried: tuple[str, ...]
    ok: bool
    winner: str | None
    message: str = ""


class ChainDriver(Protocol):
    names: Sequence[str]
    degraded_after: int
    unhealthy_after: int

    def call(self, outcomes: Mapping[str, MemberOutcome]) -> ChainSeen: ...

    def health(self) -> Mapping[str, object]: ...

    def close(self) -> None: ...


class ChainMachine(RuleBasedStateMachine):
    """RE-3: each call scripts every member's answer; the chain must try members in the model's
    order, stop at the first success (or an invalid request), name every failure when all fail,
    and keep each member's health as the model does."""

    make_driver: ClassVar[Callable[[], ChainDriver]]

    def __init__(self) -> None:
        super().__init__()
        self.driver = type(self).make_driver()
        d = self.driver
        self.model = ChainModel(d.names, d.degraded_after, d.unhealthy_after)
        self.calls = 0

    @rule(data=st.data())
    def call(self, data: st.DataObject) -> None:
        outcome: st.SearchStrategy[MemberOutcome] = st.sampled_from(MEMBER_OUTCOMES)
        outcomes: dict[str, MemberOutcome] = {
            name: data.draw(outcome, label=name) for name in self.driver.names
        }
        self.calls += 1
        expected = self.model.call(outcomes)
        seen = self.driver.call(outcomes)
        assert seen.tried == expected.tried, (
            f"call {self.calls}: tried {seen.tried}, expected {expected.tried} ({outcomes})"
        )
        assert seen.winner == expected.winner, f"answered by {seen.winner}, not {expected.winner}"
        assert seen.ok == (expected.winner is not None)
        if expected.failure == "exhausted":
            for name in expected.tried:
                assert name in seen.message, f"the error does not name {name}: {seen.message!r}"

    @invariant()
    def same_health(self) -> None:
        got = {n: normalise_state(v) for n, v in self.driver.health().items()}
        assert got == self.model.statuses(), f"health {got}, model {self.model.statuses()}"

    def teardown(self) -> None:
        self.driver.close()


class RouterDriver(Protocol):
    names: Sequence[str]
    strategy: str
    degraded_after: int
    unhealthy_after: int

    def call(self, outcomes: Mapping[str, bool]) -> str | None:
        """Route one call where member `name` succeeds iff outcomes[name]; who was called."""
        ...

    def health(self) -> Mapping[str, object]: ...

    def close(self) -> None: ...


class RouterMachine(RuleBasedStateMachine):
    """RE-3 for routers: the member each call goes to, and health, as the model predicts."""

    make_driver: ClassVar[Callable[[], RouterDriver]]

    def __init__(self) -> None:
        super().__init__()
        self.driver = type(self).make_driver()
        d = self.driver
        strategy: Strategy = "first-available" if d.strategy == "first-available" else "round-robin"
        self.model = RouterModel(d.names, strategy, d.degraded_after, d.unhealthy_after)

    @rule(data=st.data())
    def call(self, data: st.DataObject) -> None:
        outcomes = {name: data.draw(st.booleans(), label=name) for name in self.driver.names}
        expected = self.model.call(outcomes)
        chosen = self.driver.call(outcomes)
        assert chosen == expected, f"routed to {chosen}, expected {expected} ({outcomes})"

    @invariant()
    def same_health(self) -> None:
        got = {n: normalise_state(v) for n, v in self.driver.health().items()}
        want = {n: m.status for n, m in self.model.health.items()}
        assert got == want, f"health {got}, model {want}"

    def teardown(self) -> None:
        self.driver.close()
