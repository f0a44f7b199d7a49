"""Checks whose thread had to be abandoned at their deadline, and what that means for the process.

A provider that blocks or spins never gives its thread back: the check ends at its deadline
(`run_with_deadline` stops waiting), but the thread keeps running. A process holding such a thread
is poisoned (it competes for the CPU and the GIL, holds locks, may wake up and write later), so a
worker process is recycled after the check that left one (conformance/isolation/workers.py).
"""

from __future__ import annotations

import threading

_abandoned: list[threading.Thread] = []


def abandoned(thread: threading.Thread) -> None:
    """Remember a check thread that was still running when its check was given up."""
    _abandoned.append(thread)


def poisoned() -> bool:
    """True while a thread some check abandoned is still alive in this process."""
    _abandoned[:] = [t for t in _abandoned if t.is_alive()]
    return bool(_abandoned)


def forget() -> None:
    """Stop tracking abandoned threads (tests that end them themselves)."""
    _abandoned.clear()
