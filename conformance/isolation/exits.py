"""Leftover threads never keep a process alive.

A provider may start a non-daemon thread that never ends. At interpreter exit Python joins every
such thread first, so the run would write its report and then never exit. `guard_exit` registers
a hook that runs at the very start of that shutdown (before the join): if foreign non-daemon
threads are still alive after a short grace, it flushes the standard streams, runs the atexit
handlers (coverage data, among others) and ends the process with the exit code the run chose.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time

#: How long leftover threads get to finish at exit before the process ends without them.
EXIT_GRACE = 1.0

_code: int = 0
#: Taken before anything (a provider, the worker's forensics) can replace os._exit.
_real_exit = os._exit
_guarded = False


def set_exit_code(code: int) -> None:
    """The code the process ends with if leftover threads force an early exit."""
    global _code
    _code = int(code)


def leftover_threads() -> list[threading.Thread]:
    main = threading.main_thread()
    current = threading.current_thread()
    return [
        t
        for t in threading.enumerate()
        if t is not main and t is not current and not t.daemon and t.is_alive()
    ]


def _at_shutdown() -> None:
    deadline = time.monotonic() + EXIT_GRACE
    for thread in leftover_threads():
        thread.join(max(0.0, deadline - time.monotonic()))
    left = leftover_threads()
    if not left:
        return
    names = ", ".join(sorted(t.name for t in left))
    print(
        f"provider-conformance: {len(left)} thread(s) left running by the provider ({names}); "
        "ending the process without them",
        file=sys.stderr,
    )
    finish(_code)


def finish(code: int) -> None:
    """End the process now, after flushing output and running the atexit handlers."""
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        _real_exit(code)


def guard_exit() -> None:
    """Install the shutdown hook once per process (idempotent)."""
    global _guarded
    if _guarded:
        return
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover - every supported Python has it
        return
    try:
        register(_at_shutdown)
    except RuntimeError:  # the interpreter is already shutting down
        return
    _guarded = True
