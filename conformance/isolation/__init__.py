"""Running provider code where it cannot take the run down, and verdicts machine load cannot flip.

- `watchdog`: checks whose thread was abandoned at their deadline; a poisoned process is recycled.
- `starvation`: how late the harness itself ran during a check (timing verdicts under load).
- `workers` (imported by the pytest plugin): checks run in pytest-xdist worker processes; a crash,
  an exit or a hang costs only its check, named ("crashed", "the provider crashed the worker with
  SIGSEGV"); unlimited worker restarts; the run's overall deadline (`--run-timeout`).
- `exits`: leftover non-daemon threads never keep a process alive.
"""

from conformance.isolation import exits, starvation, watchdog

__all__ = ["exits", "starvation", "watchdog"]
