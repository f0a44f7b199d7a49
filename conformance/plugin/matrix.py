"""The pytest side of runs over many providers and many machines: options and their plugins.

`--entry-points GROUP` adds providers (conformance/plugin/provider_files.py), `--baseline FILE`
gates the
run (conformance/report/baseline.py), `--shard I/N` runs one part (conformance/plugin/shards.py) and
`--conformance-progress` reports as checks finish (conformance/plugin/progress.py). The options
themselves are rows of conformance/plugin/options.py; the conformance plugin calls `register`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance.plugin.gate import GatePlugin
from conformance.plugin.progress import ProgressPlugin
from conformance.plugin.shards import ShardPlugin, parse_shard
from conformance.report.baseline import Baseline, load_baseline

if TYPE_CHECKING:
    from conformance.plugin.state import ConformanceState


@dataclass(frozen=True)
class RunSettings:
    shard: tuple[int, int] | None = None
    baseline: Baseline | None = None


_SETTINGS = pytest.StashKey[RunSettings]()


def settings(config: pytest.Config) -> RunSettings:
    return config.stash.get(_SETTINGS, RunSettings())


def register(config: pytest.Config, state: ConformanceState) -> None:
    """Read the options and register the plugins they ask for; raises UsageError."""
    option = config.option
    shard = parse_shard(option.shard) if option.shard else None
    baseline = load_baseline(Path(option.baseline)) if option.baseline else None
    config.stash[_SETTINGS] = RunSettings(shard=shard, baseline=baseline)
    if shard is not None:
        config.pluginmanager.register(ShardPlugin(*shard), "provider-conformance-shard")
    if baseline is not None:
        config.pluginmanager.register(GatePlugin(baseline, state), "provider-conformance-gate")
    if not hasattr(config, "workerinput"):
        progress = ProgressPlugin(config, option.conformance_progress)
        config.pluginmanager.register(progress, "provider-conformance-progress")


__all__ = ["RunSettings", "register", "settings"]
