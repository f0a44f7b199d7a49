"""Fake time for classes that take no `clock=` or `sleep=`: the sleep and clock a class uses are
replaced, as its own modules look them up, for the length of one check.

Third-party providers (victor, orchestrator) sleep between retries with `asyncio.sleep` and time
their circuit breakers with `time.time()` / `time.monotonic()`, reached through their module's
globals (`import asyncio`, `import time`, or `from time import monotonic`). Those globals, in the
modules of the provider's class hierarchy and in the modules its profile names (where the
interface keeps its retry strategy and breaker), are swapped for the check's `FakeClock`: a sleep
returns at once and moves the clock, the clock reads the fake time. Nothing else is touched: the
harness's own event loop, server and HTTP clients keep real time.

A sleep of zero (a bare "yield to the loop") stays a real `asyncio.sleep(0)` and is not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import time
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from conformance.resilience.clock import FakeClock

#: Modules never patched: the language, the harness, and the transport under the provider.
_NEVER = (
    "builtins",
    "abc",
    "typing",
    "collections",
    "enum",
    "asyncio",
    "conformance",
    "httpx",
    "httpcore",
    "anyio",
    "pydantic",
    "requests",
    "urllib3",
)

_REAL_SLEEP = asyncio.sleep


class _AsyncioView:
    """`asyncio` as a patched module sees it: everything real but `sleep`."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    async def sleep(self, delay: float, result: Any = None) -> Any:
        if delay is None or float(delay) <= 0:
            return await _REAL_SLEEP(0, result)
        await self._clock.sleep(float(delay))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


class _TimeView:
    """`time` as a patched module sees it: `time`, `monotonic` and `sleep` on the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def time(self) -> float:
        return self._clock.monotonic()

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds and seconds > 0:
            self._clock.sleeps.append(float(seconds))
            self._clock.advance(float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def modules_of(provider: object, extra: Iterable[str] = ()) -> list[ModuleType]:
    """The modules whose globals reach the provider's time: its class hierarchy's, and `extra`
    (imported here, so that a lazily imported retry module is patched before its first use)."""
    names: list[str] = []
    for cls in type(provider).__mro__:
        names.append(cls.__module__)
    for name in extra:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
            names.append(name)
    found: list[ModuleType] = []
    for name in dict.fromkeys(names):
        if name.split(".", 1)[0] in _NEVER:
            continue
        module = sys.modules.get(name)
        if module is not None:
            found.append(module)
    return found


def _replacements(module: ModuleType, clock: FakeClock) -> dict[str, object]:
    view_asyncio, view_time = _AsyncioView(clock), _TimeView(clock)
    wanted: dict[str, object] = {}
    for name, value in vars(module).items():
        if value is asyncio:
            wanted[name] = view_asyncio
        elif value is time:
            wanted[name] = view_time
        elif value is asyncio.sleep:
            wanted[name] = view_asyncio.sleep
        elif value is time.monotonic:
            wanted[name] = view_time.monotonic
        elif value is time.time:
            wanted[name] = view_time.time
        elif value is time.sleep:
            wanted[name] = view_time.sleep
    return wanted


def reaches_time(modules: Iterable[ModuleType]) -> bool:
    """Whether any of `modules` looks up a sleep or a clock the patch can replace."""
    probe = FakeClock()
    return any(_replacements(module, probe) for module in modules)


@contextlib.contextmanager
def patched_time(modules: Iterable[ModuleType], clock: FakeClock) -> Iterator[list[str]]:
    """Swap the modules' time globals for `clock` until the block ends; yields what was patched
    (`module.name` each), for messages."""
    undo: list[tuple[ModuleType, str, object]] = []
    patched: list[str] = []
    try:
        for module in modules:
            for name, replacement in _replacements(module, clock).items():
                undo.append((module, name, vars(module)[name]))
                setattr(module, name, replacement)
                patched.append(f"{module.__name__}.{name}")
        yield patched
    finally:
        for module, name, original in reversed(undo):
            setattr(module, name, original)


__all__ = ["modules_of", "patched_time", "reaches_time"]
