"""The plugins `provider-conformance run` hands to its in-process pytest.

The CLI runs the very suite pytest runs (conformance/cli.py); the two classes carry back what it
needs of that run: a usage error as one line of its own, and the exit status the report implies.
The module itself is a plugin too (`-p conformance.plugin.inprocess`, in the controller and in
every worker): it orders the checks so that workers share the work evenly.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

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


#: The fixtures of the kinds of checks that take longest (a property runs 20 or more exchanges):
#: they start first, so that the run does not end with one worker on them and the others idle.
LONG_CHECKS = ("conformance_property",)


def long_checks_first(items: Sequence[pytest.Item]) -> list[pytest.Item]:
    """The same items, long kinds of checks first, the rest in their order (a stable sort)."""

    def rank(item: pytest.Item) -> int:
        params = getattr(getattr(item, "callspec", None), "params", {})
        return 0 if any(name in params for name in LONG_CHECKS) else 1

    return sorted(items, key=rank)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # pytest-xdist's controller deals checks out in the workers' collection order (every worker
    # collects the same): a long check collected last is queued behind others on one worker.
    items[:] = long_checks_first(items)


__all__ = ["LONG_CHECKS", "PytestUsageErrors", "RunResult", "long_checks_first"]
