"""Merging parts of a run: verdicts come again from the counts, and clashing parts are refused."""

from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.report import ProviderInfo, build_report, validate_report
from conformance.report.merge import merge_junit, merge_reports
from conformance.vocabulary.errors import UsageError

INFO = ProviderInfo("p", "pkg:P", "openai-chat", "native", "p", ("tools", "streaming"))
INFO_WITHOUT_FACTS = ProviderInfo("p", "pkg:P", "openai-chat", "native")


def _outcome(
    scenario: str, verdicts: list[tuple[str, str]], provider: str = "p", **extra: Any
) -> dict[str, Any]:
    return {
        "provider": provider,
        "scenario": scenario,
        "mode": "chat",
        "verdicts": [{"clause": c, "outcome": o, "message": f"{c} {o}"} for c, o in verdicts],
        "transcript": f"transcript of {scenario}",
        **extra,
    }


def _without_run_facts(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("generated_at", "command", "shard")}


def test_a_clause_passing_in_one_part_and_failing_in_another_fails() -> None:
    first = build_report([INFO], [_outcome("a", [("CH-1", "pass")])], shard=(1, 2))
    second = build_report([INFO], [_outcome("b", [("CH-1", "fail")])], shard=(2, 2))
    assert first["providers"][0]["clauses"]["CH-1"] == "pass"
    merged = merge_reports([("1", first), ("2", second)])
    validate_report(merged)
    (provider,) = merged["providers"]
    assert provider["clauses"]["CH-1"] == "fail"
    assert provider["clause_details"]["CH-1"]["checks"] == 2
    assert provider["conforms"] is False
    assert merged["summary"] == {
        "providers": 1,
        "conforming": 0,
        "failing": 1,
        "incomplete": 0,
        "checks": 2,
    }
    assert "shard" not in merged


def test_a_capability_declared_in_another_part_makes_a_failure_declared_but_broken() -> None:
    """The identity check (which learns what is declared) runs in one shard only."""
    identity = build_report([INFO], [_outcome("identity", [("ID-1", "pass")])], shard=(1, 2))
    tools = build_report([INFO_WITHOUT_FACTS], [_outcome("t", [("CH-2", "fail")])], shard=(2, 2))
    assert tools["providers"][0]["clauses"]["CH-2"] == "fail"
    merged = merge_reports([("1", identity), ("2", tools)])
    (provider,) = merged["providers"]
    assert provider["clauses"]["CH-2"] == "declared-but-broken"
    assert provider["name"] == "p"
    assert provider["declared_capabilities"] == ["streaming", "tools"]
    assert "CH-2" not in provider["not_checked"] and "ID-1" not in provider["not_checked"]
    assert "ST-4" in provider["not_checked"]


@pytest.mark.parametrize("seed", range(8))
def test_any_split_of_the_outcomes_merges_into_the_whole_report(seed: int) -> None:
    rng = random.Random(seed)
    clauses = ["ID-1", "RQ-1", "CH-1", "CH-2", "ST-3", "ER-1", "SE-1"]
    outcomes = [_outcome("identity", [("ID-1", "pass")], provider=pid) for pid in "pq"]
    for number in range(30):
        verdicts = [
            (c, rng.choice(["pass", "pass", "fail", "not-applicable"]))
            for c in rng.sample(clauses, 3)
        ]
        extra: dict[str, Any] = {}
        if rng.random() < 0.1:
            extra["error"] = "boom"
        if rng.random() < 0.1:
            extra["not_applicable"] = "does not declare tools"
        outcomes.append(_outcome(f"s{number}", verdicts, provider=rng.choice("pq"), **extra))
    infos = [INFO, ProviderInfo("q", "pkg:Q", "openai-chat", "native", "q", ("usage",))]
    whole = build_report(infos, outcomes)
    count = rng.randint(2, 4)
    parts = [outcomes[i::count] for i in range(count)]
    reports = []
    for index, part in enumerate(parts, start=1):
        # Only the part with a provider's identity check knows its name and capabilities.
        known = {o["provider"] for o in part if o["scenario"] == "identity"}
        part_infos = [
            i if i.id in known else ProviderInfo(i.id, i.target, i.dialect, i.profile)
            for i in infos
            if any(o["provider"] == i.id for o in part)
        ]
        reports.append((f"part {index}", build_report(part_infos, part, shard=(index, count))))
    merged = merge_reports(reports)
    assert _without_run_facts(merged) == _without_run_facts(whole)


def test_parts_that_repeat_a_check_or_disagree_on_a_provider_are_refused() -> None:
    part = build_report([INFO], [_outcome("b", [("CH-1", "fail")])])
    with pytest.raises(UsageError, match=r"check b\[chat\] of provider 'p' is also in"):
        merge_reports([("A", part), ("B", part)])
    other = build_report(
        [ProviderInfo("p", "other:P", "openai-chat", "native")], [_outcome("c", [])]
    )
    with pytest.raises(UsageError, match="provider 'p' has target 'other:P' there but 'pkg:P'"):
        merge_reports([("A", part), ("B", other)])


@pytest.mark.parametrize(
    ("shards", "message"),
    [
        ([(1, 3), (3, 3)], r"shard\(s\) 2/3 missing"),
        ([(1, 2), (1, 2)], "shard 1/2 is also"),
        ([(1, 2), (2, 3)], "different splits"),
        ([(1, 2), None], "not a shard's report"),
    ],
)
def test_an_incomplete_or_repeated_set_of_shards_is_refused(
    shards: list[tuple[int, int] | None], message: str
) -> None:
    parts = [
        (f"r{i}", build_report([INFO], [_outcome(f"s{i}", [])], shard=shard))
        for i, shard in enumerate(shards)
    ]
    with pytest.raises(UsageError, match=message):
        merge_reports(parts)


def test_junit_files_are_joined_under_one_testsuites(tmp_path: Path) -> None:
    for name, tests, failures in (("a", 3, 1), ("b", 2, 0)):
        (tmp_path / f"{name}.xml").write_text(
            f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{tests}" '
            f'failures="{failures}" errors="0" skipped="0" time="1.5">'
            f'<testcase name="t{name}"/></testsuite></testsuites>',
            encoding="utf-8",
        )
    out = merge_junit(
        [tmp_path / "a.xml", tmp_path / "b.xml", tmp_path / "missing.xml"], tmp_path / "m.xml"
    )
    assert out is not None
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("5", "1", "3.000")
    assert len(root.findall("testsuite")) == 2


def test_merge_command_takes_report_folders_and_exits_1_when_a_provider_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for index, verdict in ((1, "pass"), (2, "fail")):
        folder = tmp_path / f"shard-{index}"
        folder.mkdir()
        report = build_report(
            [INFO], [_outcome(f"s{index}", [("CH-1", verdict)])], shard=(index, 2)
        )
        (folder / "compatibility.json").write_text(json.dumps(report), encoding="utf-8")
    code = main(
        [
            "merge",
            str(tmp_path / "shard-1"),
            str(tmp_path / "shard-2"),
            "--report-dir",
            str(tmp_path / "out"),
        ]
    )
    output = capsys.readouterr().out
    assert code == 1, output
    assert "p (openai-chat, native): DOES NOT CONFORM" in output
    for name in ("compatibility.json", "compatibility.md", "compatibility.html"):
        assert (tmp_path / "out" / name).is_file()


def test_merge_command_names_a_file_that_is_not_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"providers": []}', encoding="utf-8")
    assert main(["merge", str(bogus), "--report-dir", str(tmp_path / "out")]) == 2
    assert f"{bogus}: not a compatibility report" in capsys.readouterr().err
