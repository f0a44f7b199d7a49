"""Running provider code where it cannot take the run down.

The deadline of one check and the starvation it measures are part of the check's life
(`conformance.checks.watchdog`, `conformance.checks.starvation`); this package is about processes.

- `workers` (imported by the pytest plugin): checks run in pytest-xdist worker processes; a crash,
  an exit or a hang costs only its check, named ("crashed", "the provider crashed the worker with
  SIGSEGV"); unlimited worker restarts; the run's overall deadline (`--run-timeout`).
- `exits`: leftover non-daemon threads never keep a process alive.
"""

from conformance.isolation import exits

__all__ = ["exits"]
