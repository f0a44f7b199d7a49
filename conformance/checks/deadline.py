"""A check's clock: run provider code on its own loop and thread, for at most its timeout.

A provider may block its event loop, stop it, raise SystemExit or leave tasks that ignore
cancellation; none of that may hang or end the run. Kept apart from the runner because every
kind of check (and building a provider) runs under this one clock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from conformance.checks import watchdog

DEFAULT_CHECK_TIMEOUT = 10.0
DEFAULT_PROVIDER_TIMEOUT = 3.0


#: How long past its deadline a check's thread may take to notice the cancellation.
_CANCEL_GRACE = 1.0

#: Exceptions Python reserves for ending a thread or the program. Raised by provider code inside a
#: check, they end that check (an exception that is not the profile's own escaped: ER-8), never
#: the run: only a real Ctrl-C, which reaches the main thread, interrupts it.
PROCESS_EXCEPTIONS: tuple[type[BaseException], ...] = (SystemExit, KeyboardInterrupt, GeneratorExit)


class ProviderEscape(Exception):
    """Provider code raised one of PROCESS_EXCEPTIONS inside a check (outside any turn)."""

    def __init__(self, original: BaseException) -> None:
        self.original = original
        detail = f"({original})" if str(original) else ""
        super().__init__(f"{type(original).__name__}{detail}")


class LoopStopped(Exception):
    """Provider code stopped the event loop it was running on (`loop.stop()`)."""


class CleanupHung(TimeoutError):
    """The check's coroutine finished, but its event loop could not close: the provider left
    tasks behind that ignore cancellation, so `asyncio.run` never returns to its caller."""


def run_with_deadline(coroutine: Callable[[], Coroutine[Any, Any, None]], timeout: float) -> None:
    """Run `coroutine()` in its own event loop on a worker thread, for at most `timeout` seconds.

    `asyncio.wait_for` alone cannot stop a provider that blocks its loop (a `time.sleep` or a
    synchronous HTTP call inside `async def`); the thread can be abandoned, so the run goes on.
    An abandoned thread poisons its process (it may spin, hold locks, or wake up later), so it is
    reported to the watchdog, which recycles a worker process after such a check.
    Raises TimeoutError past the deadline (CleanupHung when only the loop's closing hung),
    ProviderEscape for SystemExit, KeyboardInterrupt or GeneratorExit from the coroutine,
    LoopStopped when the provider stopped the loop, or whatever else the coroutine raised.
    """
    result: list[BaseException | None] = []
    finished = threading.Event()  # the coroutine itself returned
    settled = threading.Event()  # the coroutine returned, or the thread ended

    async def tracked() -> None:
        try:
            await coroutine()
        except PROCESS_EXCEPTIONS as exc:  # as an ordinary exception: asyncio would re-raise it
            raise ProviderEscape(exc) from exc  # out of its loop and leave its task unretrieved
        finished.set()
        settled.set()

    def target() -> None:
        try:
            asyncio.run(asyncio.wait_for(tracked(), timeout=timeout))
            result.append(None)
        except PROCESS_EXCEPTIONS as exc:
            result.append(ProviderEscape(exc))
        except RuntimeError as exc:
            stopped = not finished.is_set() and str(exc).startswith("Event loop stopped")
            result.append(LoopStopped(str(exc)) if stopped else exc)
        except BaseException as exc:  # handed to the calling thread
            result.append(exc)
        finally:
            settled.set()

    worker = threading.Thread(target=target, name="conformance-check", daemon=True)
    worker.start()
    settled.wait(timeout + _CANCEL_GRACE)
    if result or finished.is_set():  # ending, or closing its loop: give it the grace
        worker.join(_CANCEL_GRACE)
    if worker.is_alive():
        watchdog.abandoned(worker)
    if not result:
        if finished.is_set():
            raise CleanupHung(
                "the provider answered, but left tasks that ignore cancellation: the event "
                f"loop could not close within {_CANCEL_GRACE:g} s (asyncio.run never returns to "
                "its caller)"
            )
        raise TimeoutError(f"the check did not finish within {timeout:g} s")
    if result[0] is not None:
        raise result[0]
