"""The provider's log lines, kept for SE-1 and redacted before any handler writes them.

A handler on the root logger saw neither the records of non-propagating loggers nor those that
a logger's own handler (or pytest's, or `logging.lastResort`) wrote before the root's turn. So
the work is done where every record is born: a log record factory, installed once per process,
hands each line to the collectors of the running check, then replaces the record's message (and
its formatted traceback) with the redacted text (conformance/vocabulary/redaction.py). Every
handler of every logger, pytest's capture and JUnit file among them, only ever sees the redacted
line.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from conformance.vocabulary.redaction import redact_known

_lock = threading.Lock()
_collectors: list[LogCollector] = []
_installed: Callable[..., logging.LogRecord] | None = None


class LogCollector:
    """Every log line written while it is active, as written (before redaction), for SE-1."""

    def __init__(self) -> None:
        self.lines: list[str] = []


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a broken log call must not break the check
        return str(record.msg)


def _redacting_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., Any]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        line = _message(record)
        with _lock:
            active = list(_collectors)
        for collector in active:
            collector.lines.append(line)
        redacted = redact_known(line)
        if redacted != line:
            record.msg, record.args = redacted, ()
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters use exc_text when set: the traceback is written as redacted here.
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if redact_known(text) != text:
                record.exc_text = redact_known(text)
        if record.stack_info:
            record.stack_info = redact_known(record.stack_info)
        return record

    return factory


def install() -> None:
    """Redact every log record of this process from now on (idempotent)."""
    global _installed
    with _lock:
        current = logging.getLogRecordFactory()
        if _installed is not None and current is _installed:
            return
        _installed = _redacting_factory(current)
        logging.setLogRecordFactory(_installed)


@contextmanager
def collect_logs(secrets: tuple[str, ...] = ()) -> Iterator[LogCollector]:
    """Every log line the provider writes at any level, from any logger, for SE-1.

    `secrets` are not needed to redact (each check's key is registered when it is handed out,
    and harness keys are matched by shape); the argument is kept for the runner's call.
    """
    del secrets
    install()
    root = logging.getLogger()
    collector = LogCollector()
    previous = root.level
    with _lock:
        _collectors.append(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        with _lock:
            _collectors.remove(collector)
        root.setLevel(previous)
