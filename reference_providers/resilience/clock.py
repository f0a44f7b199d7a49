"""Time as the resilience parts see it: a monotonic clock, an async sleep and a random draw.

Every part takes these three as arguments instead of calling `time.monotonic`, `asyncio.sleep` and
`random.random` itself, so that a test (or the conformance harness, which judges backoff and
recovery times by its own fake clock) can run a thirty-second backoff in no time and know exactly
when each request was sent.
"""

from __future__ import annotations

import asyncio
import random as _random
import time
from collections.abc import Awaitable, Callable

#: Monotonic seconds; only differences are meaningful.
Clock = Callable[[], float]
#: Wait this many seconds (the harness's fake sleep returns at once and advances its clock).
Sleep = Callable[[float], Awaitable[None]]
#: A draw from [0, 1), for jitter.
Random = Callable[[], float]


def monotonic() -> float:
    return time.monotonic()


async def real_sleep(seconds: float) -> None:
    await asyncio.sleep(max(seconds, 0.0))


def system_random() -> float:
    return _random.random()


def pick_clock(clock: Clock | None) -> Clock:
    return clock if clock is not None else monotonic


def pick_sleep(sleep: Sleep | None) -> Sleep:
    return sleep if sleep is not None else real_sleep


def pick_random(random: Random | None) -> Random:
    return random if random is not None else system_random
