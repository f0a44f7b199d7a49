"""Checks of the run's options before anything runs, shared by the CLI and the pytest plugin.

A bad option must never look like a provider failure: a negative timeout used to fail every check
and blame the provider, an unwritable report folder surfaced as an INTERNALERROR after the whole
run. Each check here raises `UsageError` with one line naming the option and what to do, before a
provider is built or a report file is written.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from conformance.vocabulary.errors import UsageError

T = TypeVar("T")

#: The largest TCP port number.
MAX_PORT = 65535


def _shown(text: object) -> str:
    """The value as the user typed it, printable even when it is not valid UTF-8."""
    text = str(text)
    try:  # undecodable bytes of argv arrive as surrogate escapes: show the bytes
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def positive_seconds(option: str, value: object) -> float:
    """A duration in seconds: a finite number above zero (0, nan and inf mean nothing here)."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(
            f"{option} {_shown(value)}: expected a number of seconds above 0 (such as 10 or 0.5)"
        )
    return seconds


def worker_count(option: str, value: str) -> str:
    """`-n`: a worker count (0 and 1 run in this process) or `auto` (pytest-xdist: one per CPU)."""
    text = value.strip()
    if text == "auto":
        return text
    if text.isdigit() and text.isascii():
        return str(int(text))
    raise UsageError(
        f"{option} {_shown(value)}: expected a number of worker processes (0 or 1: run in "
        "this process) or 'auto'"
    )


def port_number(option: str, value: str) -> int:
    """`serve --port`: 0 (an ephemeral port) up to 65535."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= MAX_PORT:
        raise UsageError(
            f"{option} {_shown(value)}: expected a TCP port from 1 to {MAX_PORT}, or 0 for any "
            "free port"
        )
    return port


def existing_folder(option: str, value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "no such folder"
        raise UsageError(f"{option} {_shown(value)}: {what}; give an existing folder")
    return path


def writable_report_dir(option: str, value: str) -> Path:
    """Create the report folder and prove a file can be written there, before the run.

    Reports are written after every check has run; finding out only then that the folder is a
    file, read-only, immutable or has a name the reports cannot spell wastes the run and used to
    end in a traceback.
    """
    shown = _shown(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{option} {shown}: the folder name is not valid UTF-8, so the reports cannot name "
            "their files; choose a UTF-8 name"
        ) from None
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {shown}: is a file, not a folder; choose a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"{option} {shown}: cannot write reports there ({reason}); choose a folder you can "
            "write to"
        ) from None
    return path


def check_pytest_options(config: pytest.Config) -> None:
    """The plugin's options, checked at configure time, before any provider or report.

    Raises pytest's usage error (exit 4, one line `ERROR: ...`).
    """
    option = config.option
    try:
        positive_seconds("--check-timeout", option.check_timeout)
        positive_seconds("--provider-timeout", option.provider_timeout)
        if getattr(option, "wire_corpus", None):
            existing_folder("--wire-corpus", option.wire_corpus)
        if getattr(option, "report_dir", None):
            writable_report_dir("--report-dir", option.report_dir)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def argument_type(option: str, check: Callable[[str, str], T]) -> Callable[[str], T]:
    """An argparse `type=` running `check(option, text)`; its one-line message reaches the user."""

    def parse(text: str) -> T:
        try:
            return check(option, text)
        except UsageError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = option.lstrip("-")
    return parse


__all__ = [
    "MAX_PORT",
    "argument_type",
    "check_pytest_options",
    "existing_folder",
    "port_number",
    "positive_seconds",
    "worker_count",
    "writable_report_dir",
]
