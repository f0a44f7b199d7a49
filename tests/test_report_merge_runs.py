"""`merge` joins the parts of one run, and only those: every part names its run by fingerprint.

Shard 1/2 of one run and shard 2/2 of another, the same shard twice, a lone shard, or the same
whole run twice are refused with one line and exit 2; the shards of one run merge into that run's
report, its `run` block (status, planned, judged, fingerprint) included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.report import ProviderInfo, build_report, validate_report
from conformance.report.merge import merge_reports
from conformance.report.plan import Plan, PlannedCheck
from conformance.vocabulary.errors import UsageError

A = ProviderInfo("a", "pkg:A", "openai-chat", "native", "a", ())
B = ProviderInfo("b", "pkg:B", "openai-chat", "native", "b", ())


def _outcome(provider: str, scenario: str, outcome: str = "pass") -> dict[str, Any]:
    return {
        "provider": provider,
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [{"clause": "CH-1", "outcome": outcome, "message": ""}],
        "transcript": "",
    }


def _shard(
    info: ProviderInfo, scenario: str, index: int, fingerprint: str, **extra: Any
) -> dict[str, Any]:
    plan = Plan(fingerprint=fingerprint)
    plan.add(PlannedCheck(info.id, scenario, "chat", ("CH-1",)))
    outcomes = [] if extra.get("lost") else [_outcome(info.id, scenario)]
    return build_report(
        [info], outcomes, shard=(index, 2), plan=plan, stop_reason=extra.get("stop_reason")
    )


def test_shards_of_different_runs_are_refused() -> None:
    first = _shard(A, "x", 1, "1" * 32)
    second = _shard(B, "y", 2, "2" * 32)
    with pytest.raises(UsageError, match="a shard of a different run"):
        merge_reports([("s1", first), ("s2", second)])


def test_a_lone_shard_is_not_a_whole_run() -> None:
    with pytest.raises(UsageError, match=r"shard\(s\) 2/2 missing"):
        merge_reports([("s1", _shard(A, "x", 1, "1" * 32))])


def test_the_same_whole_run_twice_is_refused() -> None:
    plan = Plan(fingerprint="3" * 32)
    plan.add(PlannedCheck("a", "x", "chat"))
    whole = build_report([A], [_outcome("a", "x")], plan=plan)
    other = build_report([B], [_outcome("b", "x")])  # a run of other providers merges
    merged = merge_reports([("one", whole), ("other", other)])
    assert [p["id"] for p in merged["providers"]] == ["a", "b"]
    with pytest.raises(UsageError, match="the same run as one"):
        merge_reports([("one", whole), ("again", whole)])


def test_shards_of_one_run_merge_into_its_report_with_its_run_block() -> None:
    print_ = "4" * 32
    merged = merge_reports([("s1", _shard(A, "x", 1, print_)), ("s2", _shard(A, "y", 2, print_))])
    validate_report(merged)
    assert merged["run"] == {"status": "complete", "planned": 2, "judged": 2, "fingerprint": print_}
    assert merged["providers"][0]["conforms"] is True

    plan = Plan(fingerprint=print_)
    plan.add(PlannedCheck("a", "x", "chat", ("CH-1",)))
    plan.add(PlannedCheck("a", "y", "chat", ("CH-1",)))
    whole = build_report([A], [_outcome("a", "x"), _outcome("a", "y")], plan=plan)
    strip = ("generated_at", "command")
    assert {k: v for k, v in merged.items() if k not in strip} == {
        k: v for k, v in whole.items() if k not in strip
    }


def test_an_interrupted_shard_leaves_the_merged_run_interrupted() -> None:
    print_ = "5" * 32
    first = _shard(A, "x", 1, print_)
    second = _shard(A, "y", 2, print_, lost=True, stop_reason="interrupted")
    merged = merge_reports([("s1", first), ("s2", second)])
    assert merged["run"]["status"] == "interrupted"
    assert merged["run"]["judged"] == 1 and merged["run"]["planned"] == 2
    (provider,) = merged["providers"]
    assert provider["conforms"] is False
    assert provider["incomplete"] == [
        {
            "check": "y[chat]",
            "kind": "interrupted",
            "reason": "the run was interrupted before this check finished",
        }
    ]


def test_merge_of_different_runs_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, report in (
        ("s1", _shard(A, "x", 1, "1" * 32)),
        ("s2", _shard(B, "y", 2, "2" * 32)),
    ):
        (tmp_path / name).mkdir()
        (tmp_path / name / "compatibility.json").write_text(json.dumps(report), encoding="utf-8")
    code = main(
        ["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--report-dir", str(tmp_path / "m")]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "different run" in err[0]
    assert not (tmp_path / "m" / "compatibility.json").exists()
