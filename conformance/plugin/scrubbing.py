"""Scrubs what pytest prints and stores of every key and secret of the run.

The runner redacts what it writes itself, but pytest also keeps what the provider printed to
stdout and stderr, the log lines of each phase, the failure text and the warnings, and prints them
in the terminal summary and the JUnit file. This plugin (registered by conformance.plugin.hooks)
redacts each test report as it is made, before any reporter, JUnit or pytest-xdist sees it, and
each warning as it is recorded (and, under `pytest -s`, stdout and stderr themselves), with
`conformance.vocabulary.redaction.redact_known`: every harness key by its shape and every secret
registered
in this process, in any encoded form.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import warnings
from collections.abc import Generator, Iterable
from typing import Any, TextIO

import pytest

from conformance.secrets.log_collection import install as install_log_redaction
from conformance.vocabulary.redaction import redact_data, redact_known


def _leaks(text: str) -> bool:
    return redact_known(text) != text


def _redact_object(value: Any, depth: int = 0) -> Any:
    """Strings inside pytest's failure representations (dataclasses, lists, tuples, dicts)."""
    if isinstance(value, str):
        return redact_known(value)
    if depth > 12 or value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, list):
        value[:] = [_redact_object(v, depth + 1) for v in value]
        return value
    if isinstance(value, tuple):
        return (
            type(value)(*(_redact_object(v, depth + 1) for v in value))
            if hasattr(value, "_fields")
            else tuple(_redact_object(v, depth + 1) for v in value)
        )
    if isinstance(value, dict):
        return {k: _redact_object(v, depth + 1) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            current = getattr(value, item.name, None)
            updated = _redact_object(current, depth + 1)
            if updated is not current:
                object.__setattr__(value, item.name, updated)
    return value


def redact_report(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Redact a report's captured sections, its failure text and the conformance outcome."""
    report.sections = [(title, redact_known(content)) for title, content in report.sections]
    longrepr = report.longrepr
    if longrepr is not None:
        if isinstance(longrepr, str):
            report.longrepr = redact_known(longrepr)
        else:
            redacted = _redact_object(longrepr)
            if isinstance(redacted, tuple) or not _leaks(str(redacted)):
                report.longrepr = redacted
            else:  # a representation this walk does not know: its text, redacted
                report.longrepr = redact_known(str(redacted))
    outcome = getattr(report, "conformance", None)
    if outcome is not None:
        setattr(report, "conformance", redact_data(outcome))  # noqa: B010


def redact_warning(message: warnings.WarningMessage) -> None:
    """Redact a recorded warning in place, keeping its category."""
    if message.line:
        message.line = redact_known(message.line)
    text = str(message.message)
    clean = redact_known(text)
    if clean == text:
        return
    if isinstance(message.message, Warning):
        replaced = copy.copy(message.message)
        replaced.args = (clean,)
        try:
            leaks = _leaks(str(replaced))
        except Exception:
            leaks = True
        message.message = replaced if not leaks else UserWarning(clean)
    else:
        message.message = clean


class RedactingStream:
    """A text stream that writes through `redact_known`: stdout and stderr under `pytest -s`,
    where pytest captures nothing and a provider's print would reach the terminal as is."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        self.wrapped.write(redact_known(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


class RedactionPlugin:
    """The hooks; one instance per session."""

    def __init__(self) -> None:
        self._streams: tuple[TextIO, TextIO] | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        install_log_redaction()
        if config.getoption("capture", None) == "no" and self._streams is None:
            self._streams = (sys.stdout, sys.stderr)
            sys.stdout = RedactingStream(sys.stdout)
            sys.stderr = RedactingStream(sys.stderr)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._streams is not None:
            if isinstance(sys.stdout, RedactingStream):
                sys.stdout = self._streams[0]
            if isinstance(sys.stderr, RedactingStream):
                sys.stderr = self._streams[1]
            self._streams = None

    # tryfirst: the outermost wrapper, so it runs after the conformance plugin attached the outcome.
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        result = yield
        redact_report(result.get_result())

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, None]:
        result = yield
        redact_report(result.get_result())

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str, nodeid: str, location: Any
    ) -> None:
        redact_warning(warning_message)
