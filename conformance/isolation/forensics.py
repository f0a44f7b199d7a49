"""What a worker process leaves behind for the controller: which check it was running, and how
it died (a signal caught by faulthandler, an os._exit call, or its exit status).

Each worker writes into a folder the controller made for the run, under its own worker id:
`<id>.running` names the check in progress (written when it starts, removed when it ends), so the
controller can tell a check that crashed the worker from one that was only queued there;
`<id>.fault` is faulthandler's output; `<id>.exit` records an `os._exit(code)` call.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import time
from pathlib import Path
from typing import IO, Any

#: faulthandler's words for the fatal signals it catches.
_FAULT_SIGNALS = {
    "Segmentation fault": "SIGSEGV",
    "Aborted": "SIGABRT",
    "Floating point exception": "SIGFPE",
    "Bus error": "SIGBUS",
    "Illegal instruction": "SIGILL",
}

_real_exit = os._exit
_fault_file: IO[str] | None = None


class WorkerFiles:
    def __init__(self, folder: Path, worker_id: str) -> None:
        self.folder = folder
        self.worker_id = worker_id

    @property
    def running(self) -> Path:
        return self.folder / f"{self.worker_id}.running"

    @property
    def fault(self) -> Path:
        return self.folder / f"{self.worker_id}.fault"

    @property
    def exit(self) -> Path:
        return self.folder / f"{self.worker_id}.exit"

    # -- the worker's side

    def arm(self) -> None:
        """Catch fatal signals into `<id>.fault` and record os._exit calls into `<id>.exit`."""
        global _fault_file
        _fault_file = self.fault.open("w", encoding="utf-8")
        faulthandler.enable(file=_fault_file, all_threads=False)
        exit_file = self.exit

        def recording_exit(code: int) -> None:  # a provider calling os._exit(code)
            try:
                exit_file.write_text(str(code), encoding="utf-8")
            finally:
                _real_exit(code)

        os._exit = recording_exit  # type: ignore[assignment]

    def disarm(self) -> None:
        """Undo `arm` when the worker ends normally: its fault file is closed, not leaked."""
        global _fault_file
        os._exit = _real_exit
        if _fault_file is not None:
            faulthandler.disable()
            _fault_file.close()
            _fault_file = None

    def started(self, nodeid: str, outcome: dict[str, Any]) -> None:
        data = {"nodeid": nodeid, "started": time.time(), "outcome": outcome}
        self.running.write_text(json.dumps(data), encoding="utf-8")

    def finished(self) -> None:
        self.running.unlink(missing_ok=True)

    # -- the controller's side

    def in_progress(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.running.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def cause(self, returncode: int | None) -> str:
        """How the worker died, as precisely as can be known."""
        try:
            code = self.exit.read_text(encoding="utf-8").strip()
        except OSError:
            code = ""
        if code:
            return f"the provider called os._exit({code}) and ended the worker"
        try:
            fault = self.fault.read_text(encoding="utf-8", errors="replace")
        except OSError:
            fault = ""
        for words, name in _FAULT_SIGNALS.items():
            if f"Fatal Python error: {words}" in fault:
                return f"the provider crashed the worker with {name}"
        if returncode is not None and returncode < 0:
            name = _signal_name(-returncode)
            if name == "SIGKILL":
                return (
                    "the worker was killed with SIGKILL (the out-of-memory killer, or another "
                    "process)"
                )
            return f"the provider crashed the worker with {name}"
        if returncode is not None and returncode > 0:
            return f"the worker exited with status {returncode}"
        return "the worker process ended unexpectedly"

    def clear(self) -> None:
        for path in (self.running, self.fault, self.exit):
            path.unlink(missing_ok=True)


def real_exit(code: int) -> None:
    """End this process now, whatever a provider did to os._exit."""
    _real_exit(code)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
