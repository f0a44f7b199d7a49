"""The plugins `provider-conformance run` hands to its in-process pytest.

The CLI runs the very suite pytest runs (conformance/cli.py); these two carry back what it needs
of that run: a usage error as one line of its own, and the exit status the report implies.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from conformance.plugin.hooks import run_exit_code


class PytestUsageErrors:
    """Takes the usage errors raised while pytest configures the run (bad provider, scenario,
    shard, baseline ...) so the CLI prints them as its own: one line, no `ERROR:` banner."""

    def __init__(self) -> None:
        self.message: str | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_main(self) -> Generator[None, int | pytest.ExitCode, int | pytest.ExitCode]:
        try:  # configure runs inside it, and collection (the plugin's pytest_generate_tests)
            return (yield)
        except pytest.UsageError as exc:
            self.message = " ".join(str(arg) for arg in exc.args)
            raise pytest.UsageError() from None  # no arguments: pytest prints nothing


class RunResult:
    """Catches the exit status the run's report implies, before pytest tears the session down."""

    report_code: int | None = None

    def pytest_unconfigure(self, config: object) -> None:
        self.report_code = run_exit_code(config)  # type: ignore[arg-type]


__all__ = ["PytestUsageErrors", "RunResult"]
