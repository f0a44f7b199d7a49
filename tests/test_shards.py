"""Sharding: a deterministic split of the checks, and shards that merge into the whole report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from conformance.plugin.shards import in_shard, parse_shard, shard_key
from conformance.vocabulary.errors import UsageError

REPO = Path(__file__).resolve().parents[1]


def test_shard_option_parses_index_of_count() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        with pytest.raises(UsageError, match="--shard"):
            parse_shard(bad)


def test_shards_partition_the_tests_evenly_whatever_the_folder() -> None:
    ids = [f"pkg/configured_tests.py::T::test_scenario[p{i % 3}:s{i}-chat]" for i in range(100)]
    parts = [in_shard(ids, index, 3) for index in (1, 2, 3)]
    assert set().union(*parts) == set(ids)
    assert sum(len(p) for p in parts) == len(ids)
    assert sorted(len(p) for p in parts) == [33, 33, 34]
    # Another checkout, another rootdir: the same split.
    moved = [i.replace("pkg/", "../../venv/lib/site-packages/conformance/") for i in ids]
    assert {shard_key(i) for i in in_shard(moved, 2, 3)} == {shard_key(i) for i in parts[1]}
    # And every provider is spread over the shards.
    assert all({i.split("[", 1)[1][:2] for i in part} == {"p0", "p1", "p2"} for part in parts)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _run_facts_removed(path: Path) -> str:
    """A report file without what differs between any two runs: the time and the command."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        report = json.loads(text)
        report.pop("generated_at"), report.pop("command")
        return json.dumps(report, indent=1, ensure_ascii=False)
    text = re.sub(r"Generated \S+\.", "Generated <time>.", text)
    return re.sub(r"<p class=\"meta\">.*?</p>", '<p class="meta"></p>', text)


def test_merged_shards_equal_the_unsharded_report(tmp_path: Path) -> None:
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {
                        "id": "openai-compatible",
                        "target": "reference_providers.openai_compatible:OpenAICompatibleProvider",
                        "dialect": "openai-chat",
                    },
                    {
                        "id": "strips-content",
                        "target": "known_bad.providers:StripsContent",
                        "dialect": "openai-chat",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    # A failing clause, tools, streams, errors, usage: enough to make every kind of merge matter.
    scenarios = ("text_unicode_long", "tool_calls_parallel", "tool_conversation", "error_429",
                 "error_in_stream", "usage_reporting", "stop_length", "text_plain")  # fmt: skip
    common = ("run", "--providers-file", str(providers), *(f"--scenario={s}" for s in scenarios))
    with ThreadPoolExecutor(max_workers=3) as pool:  # three machines, say
        runs = [
            pool.submit(_cli, *common, *extra, cwd=tmp_path)
            for extra in (
                ("--report-dir", "whole"),
                ("--shard", "1/2", "--report-dir", "s1"),
                ("--shard", "2/2", "-n", "2", "--report-dir", "s2"),
            )
        ]
        whole, first, second = (run.result() for run in runs)
    assert whole.returncode == 1, whole.stdout + whole.stderr  # strips-content fails CH-1
    for part in (first, second):
        assert part.returncode in (0, 1), part.stdout + part.stderr
        assert "shard" in part.stdout
    merged = _cli("merge", "s1", "s2", "--report-dir", "merged", cwd=tmp_path)
    assert merged.returncode == 1, merged.stdout + merged.stderr

    for name in ("compatibility.json", "compatibility.md", "compatibility.html"):
        assert _run_facts_removed(tmp_path / "merged" / name) == _run_facts_removed(
            tmp_path / "whole" / name
        ), name
    report = json.loads((tmp_path / "merged" / "compatibility.json").read_text(encoding="utf-8"))
    parts = [
        json.loads((tmp_path / s / "compatibility.json").read_text(encoding="utf-8"))
        for s in ("s1", "s2")
    ]
    assert [p["shard"] for p in parts] == [{"index": 1, "count": 2}, {"index": 2, "count": 2}]
    assert sum(p["summary"]["checks"] for p in parts) == report["summary"]["checks"]
    assert all(p["summary"]["checks"] < report["summary"]["checks"] for p in parts)

    junit = ET.parse(tmp_path / "merged" / "junit.xml").getroot()
    whole_junit = ET.parse(tmp_path / "whole" / "junit.xml").getroot()
    count = sum(int(s.get("tests", "0")) for s in whole_junit.iter("testsuite"))
    assert junit.get("tests") == str(count)
    assert junit.get("failures") == "1"
    coverage_xml = (tmp_path / "merged" / "coverage" / "coverage.xml").read_text(encoding="utf-8")
    assert "openai_compatible.py" in coverage_xml and "providers.py" in coverage_xml


def test_a_shard_with_nothing_to_run_succeeds_with_an_empty_report(tmp_path: Path) -> None:
    # identity + text_plain in chat and stream: 3 checks, so one of 4 shards is empty. One worker
    # each (still the path through a worker), not one per CPU: four runs share the machine.
    reference = "reference_providers.openai_compatible:OpenAICompatibleProvider"
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [
            pool.submit(_cli, "run", "--provider", reference, "--scenario", "text_plain",
                        "--shard", f"{index}/4", "--report-dir", f"s{index}", "-n", "1",
                        cwd=tmp_path)
            for index in range(1, 5)
        ]  # fmt: skip
        for run in runs:
            result = run.result()
            assert result.returncode == 0, result.stdout + result.stderr
    reports = [
        json.loads((tmp_path / f"s{index}" / "compatibility.json").read_text())
        for index in range(1, 5)
    ]
    assert sorted(r["summary"]["checks"] for r in reports) == [0, 1, 1, 1]
    merged = _cli("merge", *(f"s{i}" for i in range(1, 5)), "--report-dir", "m", cwd=tmp_path)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "openai-compatible" not in merged.stdout  # no id given: the class name
    assert "OpenAICompatibleProvider (openai-chat, native): conforms" in merged.stdout
