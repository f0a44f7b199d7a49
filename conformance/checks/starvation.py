"""How late the harness itself ran during a check: the evidence that machine load, not the
provider, made a timing clause miss its mark (issue #11.12).

Two tickers measure lateness (observed minus expected time): one on the fake server's event loop
(the harness's own loop, which writes every byte the provider reads), one on a plain sampler thread
(how late any thread of this process is scheduled, the check's thread included). A provider that
blocks its own loop does not show up here: neither ticker runs on the provider's loop.

When a timing failure (a check past its deadline, an ER-4 stall reported late, ST-4 text yielded
late) coincides with a lag of at least STARVED_AFTER (the rule is the judge's:
conformance/judge/starvation.py), the judge gives "inconclusive" instead of "fail" and the runner
tries the check once more. Tests simulate lag with `simulated()`: no real
load, no real waiting.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from conformance.judge.starvation import STARVED_AFTER as STARVED_AFTER
from conformance.judge.starvation import describe as describe
from conformance.judge.starvation import starved as starved

#: How often the tickers tick (seconds).
TICK = 0.02


class Window(Protocol):
    """The worst lag seen since the window opened."""

    def worst(self) -> float: ...


class _Ticker:
    """Remembers how late each tick ran; `worst_since` includes a tick that is overdue now."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=8192)
        self._expected = time.perf_counter() + TICK
        self._lock = threading.Lock()

    def tick(self) -> None:
        now = time.perf_counter()
        with self._lock:
            self._samples.append((now, max(0.0, now - self._expected)))
            self._expected = now + TICK

    def worst_since(self, since: float) -> float:
        now = time.perf_counter()
        worst = 0.0
        with self._lock:
            overdue = max(0.0, now - self._expected)
            # Newest first, up to the window's start: a check's window holds a few ticks, the
            # deque a long run's thousands.
            for at, lag in reversed(self._samples):
                if at < since:
                    break
                worst = max(worst, lag)
        return max(overdue, worst)


class _LoopTicker(_Ticker):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.loop = loop
        loop.call_soon_threadsafe(self._again)

    def _again(self) -> None:
        self.tick()
        if not self.loop.is_closed():
            self.loop.call_later(TICK, self._again)


class _ThreadTicker(_Ticker):
    def __init__(self) -> None:
        super().__init__()
        threading.Thread(target=self._run, name="conformance-lag-sampler", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(TICK)
            self.tick()


_loop_tickers: dict[int, _LoopTicker] = {}
_thread_ticker: _ThreadTicker | None = None
_guard = threading.Lock()


class _Measured:
    def __init__(self, tickers: Sequence[_Ticker]) -> None:
        self._tickers = tickers
        self._since = time.perf_counter()

    def worst(self) -> float:
        return max((t.worst_since(self._since) for t in self._tickers), default=0.0)


def _measure(server: Any) -> Window:
    global _thread_ticker
    tickers: list[_Ticker] = []
    loop = getattr(server, "_loop", None)
    with _guard:
        if _thread_ticker is None:
            _thread_ticker = _ThreadTicker()
        tickers.append(_thread_ticker)
        if isinstance(loop, asyncio.AbstractEventLoop) and not loop.is_closed():
            ticker = _loop_tickers.get(id(loop))
            if ticker is None or ticker.loop is not loop:  # a new server reusing an id
                ticker = _loop_tickers[id(loop)] = _LoopTicker(loop)
            tickers.append(ticker)
    return _Measured(tickers)


_probe: Callable[[Any], Window] = _measure


def open_window(server: Any) -> Window:
    """Start measuring the harness's lag for one check run on `server`."""
    return _probe(server)


class _Fixed:
    def __init__(self, lag: float) -> None:
        self._lag = lag

    def worst(self) -> float:
        return self._lag


@contextmanager
def simulated(lags: Sequence[float]) -> Iterator[list[float]]:
    """Each window opened inside reports the next of `lags` (the last one repeats).

    Yields the list of lags handed out so far, so a test can tell how many tries were made.
    """
    global _probe
    handed: list[float] = []

    def probe(server: Any) -> Window:
        lag = lags[min(len(handed), len(lags) - 1)]
        handed.append(lag)
        return _Fixed(lag)

    previous, _probe = _probe, probe
    try:
        yield handed
    finally:
        _probe = previous
