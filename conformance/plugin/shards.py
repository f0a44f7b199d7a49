"""`--shard INDEX/COUNT`: run one part of the checks, so CI matrix jobs split a run between them.

Every job collects the same tests, so the split only has to be a pure function of the test ids:
tests are ordered by a hash of their id and dealt out in turn, which keeps the parts within one
test of each other in size and spreads each provider over all parts. The id is taken without its
folder, so jobs with different checkouts or root directories agree. `provider-conformance merge`
joins the parts' reports into the report one unsharded run writes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import pytest
from pytest import ExitCode

from conformance.vocabulary.errors import UsageError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); shards count from 1, as CI matrices usually do."""
    match = _SHARD.match(text)
    if match is None:
        raise UsageError(f"--shard {text}: expected INDEX/COUNT, for example 1/4")
    index, count = int(match[1]), int(match[2])
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: INDEX must be between 1 and COUNT")
    return index, count


def shard_key(nodeid: str) -> str:
    path, sep, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + sep + rest


def _rank(nodeid: str) -> tuple[str, str]:
    key = shard_key(nodeid)
    return hashlib.sha256(key.encode("utf-8")).hexdigest(), key


def in_shard(nodeids: Sequence[str], index: int, count: int) -> set[str]:
    """The ids shard `index` of `count` runs; the shards partition `nodeids` exactly."""
    ranked = sorted(set(nodeids), key=_rank)
    return {nodeid for position, nodeid in enumerate(ranked) if position % count == index - 1}


class ShardPlugin:
    def __init__(self, index: int, count: int) -> None:
        self.index = index
        self.count = count

    @pytest.hookimpl(trylast=True)  # after -k and -m have deselected theirs
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        keep = in_shard([item.nodeid for item in items], self.index, self.count)
        deselected = [item for item in items if item.nodeid not in keep]
        if deselected:
            items[:] = [item for item in items if item.nodeid in keep]
            config.hook.pytest_deselected(items=deselected)

    def pytest_report_header(self) -> str:
        return f"provider-conformance: shard {self.index} of {self.count}"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(
            f"provider-conformance: this was shard {self.index} of {self.count}; "
            "'provider-conformance merge' joins the shards' reports"
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # More shards than checks leaves some with nothing to do: that is not a usage error.
        if session.exitstatus == ExitCode.NO_TESTS_COLLECTED:
            session.exitstatus = ExitCode.OK
