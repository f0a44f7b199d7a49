"""The harness's fake time: a clock that moves only when the provider sleeps (or we advance it).

The resilience clauses are about time (backoff that grows, never sooner than Retry-After, a
breaker that half-opens after its recovery time) and the suite must not wait for any of it. The
provider under test is built with this clock's `monotonic` as `clock=` and its `sleep` as
`sleep=`: a sleep returns at once and moves the clock on, and each move is noted together with how
many requests the server had received by then, so every request can be given the fake time at
which it was sent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class SleepBudgetExceeded(BaseException):
    """A provider slept more often than any conforming one would: it retries without end.

    A BaseException, like CancelledError, so that a provider's `except Exception` around its retry
    loop cannot swallow it and go on forever.
    """


def _no_requests() -> int:
    return 0


@dataclass
class FakeClock:
    start: float = 1000.0
    #: More sleeps than this in one check raise SleepBudgetExceeded.
    max_sleeps: int = 200
    #: How many requests the server has received so far; set by the check for its session.
    requests: Callable[[], int] = _no_requests
    now: float = field(init=False)
    #: Every sleep the provider asked for, in seconds, in order.
    sleeps: list[float] = field(default_factory=list)
    #: (requests received when the clock moved, time after the move).
    _moves: list[tuple[int, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.now = self.start

    def monotonic(self) -> float:
        return self.now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.max_sleeps:
            raise SleepBudgetExceeded(
                f"the provider slept {len(self.sleeps)} times in one check (more than "
                f"{self.max_sleeps}): it does not stop retrying"
            )
        self.advance(seconds)
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is

    def advance(self, seconds: float) -> None:
        self.now += max(float(seconds), 0.0)
        self._moves.append((self.requests(), self.now))

    def request_times(self, count: int) -> list[float]:
        """The fake time at which each of the first `count` requests arrived.

        Request i (0-based) arrived after every move noted while fewer than i+1 requests had
        arrived, and before any later one: the provider sleeps between its requests, and the server
        records a request before answering it, so the count at each move is exact.
        """
        times: list[float] = []
        for index in range(count):
            at = self.start
            for seen, after in self._moves:
                if seen <= index:
                    at = after
            times.append(at)
        return times


@dataclass(frozen=True)
class Timing:
    """What a provider under test is built with, by keyword, when its constructor takes it."""

    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    random: Callable[[], float]

    @classmethod
    def fake(cls, clock: FakeClock, seed: int = 5) -> Timing:
        return cls(clock=clock.monotonic, sleep=clock.sleep, random=random.Random(seed).random)

    def kwargs(self) -> dict[str, object]:
        return {"clock": self.clock, "sleep": self.sleep, "random": self.random}
