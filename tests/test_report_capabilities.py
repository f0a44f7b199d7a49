"""Declared against observed in the report (CF-2), and reproduce commands that rerun the same check.

The outcomes here carry the facts conformance/capabilities/checks.py really writes (the identity
check's resolution, each check's capability_check or capability_probe), judged without a server:
the end-to-end run is in tests/profiles/test_capability_files.py.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_html_report import _chromium, _console, _screenshot, needs_chromium

from conformance import bundled_scenarios
from conformance.capabilities import CapabilityChecks, CapabilityFile
from conformance.capabilities.run import ConfigurationChecks
from conformance.judge.verdict import Verdict, failed, passed
from conformance.plugin.options import reproduce_arguments
from conformance.profiles import get_profile
from conformance.report import build_report, providers_from_outcomes, render_markdown
from conformance.report import validate_report as validate
from conformance.report.html import render_html
from conformance.report.merge import merge_reports
from conformance.vocabulary.spec import ProviderSpec

SCENARIOS = bundled_scenarios()

#: acme declares tool calls and streamed tool calls; the model pattern takes parallel calls away.
CAPABILITIES = """
schema_version: "0.2.0"
defaults:
  provider_support: {native_tool_calls: false, streaming_tool_calls: false,
                     parallel_tool_calls: false, tool_choice_param: false}
provider_defaults:
  acme: {native_tool_calls: true, streaming_tool_calls: true, tool_choice_param: true}
models:
  "conformance-model-*":
    providers:
      acme: {parallel_tool_calls: false}
"""


class _Acme:
    """A provider whose class declares every capability; the file takes parallel calls away."""

    name = "acme"

    def capabilities(self) -> SimpleNamespace:
        return SimpleNamespace(
            tools=True,
            streaming=True,
            parallel_tool_calls=True,
            streaming_tool_calls=True,
            usage=True,
        )


def _run(tmp_path: Path) -> tuple[ConfigurationChecks, Path]:
    path = tmp_path / "model_capabilities.yaml"
    path.write_text(CAPABILITIES, encoding="utf-8")
    option = SimpleNamespace(
        capabilities=str(path),
        capabilities_model="conformance-model-1",
        registry=[],
        entry_points=[],
    )
    return ConfigurationChecks.from_options(option, reproduce_arguments(option)), path


def _outcome(
    configuration: ConfigurationChecks, scenario: str, mode: str, verdicts: list[Verdict]
) -> dict[str, Any]:
    """What the plugin records for one check, with the capability file applied."""
    checks = configuration.capabilities
    assert checks is not None
    spec = ProviderSpec("acme.llm:Acme", "openai-chat", "native", "acme", {"region": "eu"})
    facts: dict[str, Any] = {"target": spec.target, "dialect": spec.dialect, "profile": "native"}
    if scenario == "identity":
        wrapper = checks.wrap(get_profile("native"), None, None)
        wrapper.declared_capabilities(_Acme())
        verdicts, more = checks.identity_verdicts(wrapper)
        reason = None
    else:
        wrapper = checks.wrap(get_profile("native"), SCENARIOS[scenario], mode)  # type: ignore[arg-type]
        wrapper.declared_capabilities(_Acme())
        verdicts, reason, more = checks.case_verdicts(
            wrapper,
            SCENARIOS[scenario],
            mode,  # type: ignore[arg-type]
            verdicts,
        )
    facts.update(more, declared=sorted(wrapper.declarations.declared), name="acme")
    facts["reproduce"] = configuration.reproduce(spec)
    return {
        "provider": "acme",
        "scenario": scenario,
        "mode": mode,
        "verdicts": [
            {"clause": v.clause, "outcome": v.outcome, "message": v.message} for v in verdicts
        ],
        "transcript": f"transcript of {scenario}",
        "not_applicable": reason,
        "facts": facts,
    }


def _outcomes(tmp_path: Path) -> list[dict[str, Any]]:
    """Streamed tool calls are declared but broken (ST-3); parallel calls work undeclared."""
    configuration, _ = _run(tmp_path)
    return [
        _outcome(configuration, "identity", "none", []),
        _outcome(configuration, "tool_call_single", "chat", [passed("CH-2"), passed("RQ-4")]),
        _outcome(
            configuration,
            "tool_call_single",
            "stream",
            [passed("ST-1"), failed("ST-3", "call 0 reported twice"), passed("RQ-4")],
        ),
        _outcome(configuration, "tool_calls_parallel", "chat", [passed("CH-2"), passed("SE-1")]),
        _outcome(configuration, "text_plain", "stream", [passed("ST-1"), passed("ST-2")]),
    ]


def _report(outcomes: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    report = build_report(providers_from_outcomes(outcomes), outcomes, **options)
    validate(report)
    return report


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["capability"]: row for row in report["providers"][0]["capabilities"]["rows"]}


def test_the_block_shows_declared_against_observed(tmp_path: Path) -> None:
    report = _report(_outcomes(tmp_path))
    (provider,) = report["providers"]
    block = provider["capabilities"]
    assert block["file"].endswith("model_capabilities.yaml")
    assert (block["provider"], block["model"]) == ("acme", "conformance-model-1")
    assert block["names_provider"] is True
    assert block["patterns"] == ["conformance-model-*"]
    assert block["not_judged"] == ["tool_choice_param"]
    assert block["declared_but_broken"] == {"streaming_tool_calls": ["ST-3"]}
    assert block["works_but_undeclared"] == ["parallel_tool_calls"]
    rows = _rows(report)
    assert [row["capability"] for row in block["rows"]] == [
        "tools",
        "streaming",
        "parallel_tool_calls",
        "streaming_tool_calls",
        "usage",
    ]
    assert {c: r["verdict"] for c, r in rows.items()} == {
        "tools": "ok",
        "streaming": "ok",
        "parallel_tool_calls": "works but undeclared",
        "streaming_tool_calls": "declared but broken",
        "usage": "not probed",
    }
    parallel = rows["parallel_tool_calls"]
    assert parallel["declared"] is False and parallel["file_value"] is False
    assert parallel["declared_by"] == "file"
    assert (parallel["layer"], parallel["pattern"]) == ("models", "conformance-model-*")
    assert parallel["source"] == "/models/conformance-model-*/providers/acme/parallel_tool_calls"
    assert (parallel["observed"], parallel["probes"], parallel["checks"]) == ("works", 1, 0)
    broken = rows["streaming_tool_calls"]
    assert broken["source"] == "/provider_defaults/acme/streaming_tool_calls"
    assert broken["layer"] == "provider_defaults" and broken["pattern"] is None
    assert (broken["observed"], broken["broken_checks"], broken["checks"]) == ("broken", 1, 1)
    assert broken["failed_clauses"] == ["ST-3"]
    # The file does not state streaming: the class's own declaration holds, and it is observed.
    assert (rows["streaming"]["declared_by"], rows["streaming"]["declared"]) == ("provider", True)
    assert rows["streaming"]["checks"] == 2
    assert rows["usage"]["observed"] == "not probed"
    # The same verdict the clause matrix gives, and the probe's clauses are not applicable.
    assert provider["clauses"]["ST-3"] == "declared-but-broken"
    assert provider["clauses"]["CF-2"] == "fail"
    assert "parallel_tool_calls" not in provider["declared_capabilities"]


def test_the_markdown_has_one_row_per_capability(tmp_path: Path) -> None:
    markdown = render_markdown(_report(_outcomes(tmp_path)))
    section = markdown.split("## Declared against observed (CF-2)", 1)[1]
    assert "### `acme`" in section
    assert "read for provider `acme` and model `conformance-model-1`" in section
    assert "matching model patterns: `conformance-model-*`" in section
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert rows[0] == "| Capability | Declared | Declared by | Observed | Verdict |"
    assert (
        "| parallel\\_tool\\_calls | no | file, model pattern `conformance-model-*`: "
        "`/models/conformance-model-*/providers/acme/parallel_tool_calls` "
        "| works (1 probe) | ➕ works but undeclared |"
    ) in rows
    assert (
        "| streaming\\_tool\\_calls | yes | file, provider\\_defaults: "
        "`/provider_defaults/acme/streaming_tool_calls` "
        "| broken: ST-3 (1 of 1 check failed) | 💥 declared but broken |"
    ) in rows
    assert "| streaming | yes | the provider class | works (2 checks) | ✅ ok |" in rows
    assert "| usage | yes | the provider class | not probed | ❔ not probed |" in rows


def _html_rows(page: str) -> dict[str, str]:
    """Capability -> the row's text, tags stripped: what a person reads."""
    section = page.split('<section id="capabilities">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", section)
    return {name: re.sub(r"<[^>]+>", " ", cells) for name, cells in rows}


def test_the_html_says_the_verdicts_in_words(tmp_path: Path) -> None:
    page = render_html(_report(_outcomes(tmp_path)))
    rows = _html_rows(page)
    assert list(rows) == [
        "tools",
        "streaming",
        "parallel_tool_calls",
        "streaming_tool_calls",
        "usage",
    ]
    words = {name: " ".join(cells.split()) for name, cells in rows.items()}
    assert words["parallel_tool_calls"] == (
        "no file, model pattern conformance-model-* : "
        "/models/conformance-model-*/providers/acme/parallel_tool_calls works (1 probe) "
        "+ works but undeclared"
    )
    assert words["streaming_tool_calls"].endswith(
        "broken: ST-3 (1 of 1 check failed) ! declared but broken"
    )
    assert words["usage"] == "yes the provider class not probed ? not probed"
    # Each verdict has its own cell class and symbol, and the card links to the table.
    cells = re.findall(r'<td class="cv cv-(\w+)">', page)
    assert cells == ["pass", "pass", "wbu", "dbb", "nr"]
    assert '<a href="#c-0">Capabilities, declared against observed</a>' in page
    assert "1 declared but broken, 1 works but undeclared" in page


def test_no_capability_file_no_block(tmp_path: Path) -> None:
    outcomes = _outcomes(tmp_path)
    for outcome in outcomes:
        for key in ("capabilities", "capability_check", "capability_probe"):
            outcome["facts"].pop(key, None)
    report = _report(outcomes)
    assert "capabilities" not in report["providers"][0]
    assert "Declared against observed" not in render_markdown(report)
    assert 'id="capabilities"' not in render_html(report)


def test_a_file_that_says_nothing_about_the_provider_says_so(tmp_path: Path) -> None:
    configuration, path = _run(tmp_path)
    path.write_text(CAPABILITIES.replace("acme", "other"), encoding="utf-8")
    assert configuration.capabilities is not None
    configuration.capabilities = CapabilityChecks(CapabilityFile.load(path), "conformance-model-1")
    outcomes = [
        _outcome(configuration, "identity", "none", []),
        _outcome(configuration, "tool_call_single", "chat", [passed("CH-2")]),
    ]
    report = _report(outcomes)
    block = report["providers"][0]["capabilities"]
    assert block["names_provider"] is False
    assert {r["declared_by"] for r in block["rows"]} == {"provider"}
    assert _rows(report)["tools"]["observed"] == "works"
    assert "it says nothing about this provider" in render_markdown(report)


@pytest.mark.parametrize("seed", range(4))
def test_shards_merge_into_the_block_one_run_writes(tmp_path: Path, seed: int) -> None:
    outcomes = _outcomes(tmp_path)
    whole = _report(outcomes, command="c")
    shuffled = random.Random(seed).sample(outcomes, len(outcomes))
    parts = [shuffled[:2], shuffled[2:]]
    reports = [
        _report(part, command="c", shard=(n + 1, len(parts))) for n, part in enumerate(parts)
    ]
    (without_identity,) = [
        report
        for report, part in zip(reports, parts, strict=True)
        if all(o["scenario"] != "identity" for o in part)
    ]
    assert {r["declared_by"] for r in _rows(without_identity).values()} == {"unknown"}
    merged = merge_reports([(str(n), r) for n, r in enumerate(reports)], command="c")
    validate(merged)
    assert merged["providers"][0]["capabilities"] == whole["providers"][0]["capabilities"]


# -- reproduce ------------------------------------------------------------------------------------


def test_the_reproduce_command_carries_the_options_of_the_run(tmp_path: Path) -> None:
    _, path = _run(tmp_path)
    report = _report(_outcomes(tmp_path))
    failures = {f["check"]: f["reproduce"] for f in report["providers"][0]["failures"]}
    assert failures == {
        "tool_call_single[stream]": (
            "provider-conformance run --provider acme.llm:Acme --dialect openai-chat --profile "
            f"native --profile-option region=eu --capabilities {path} "
            "--model conformance-model-1 --report-dir reports/reproduce-acme "
            "--scenario tool_call_single"
        )
    }
    assert "--capabilities" in render_markdown(report).split("reproduce: ", 1)[1]
    assert 'data-copy="provider-conformance run --provider acme.llm:Acme' in render_html(report)


def test_reproduce_arguments_repeat_what_shapes_a_check() -> None:
    option = SimpleNamespace(
        capabilities="caps dir/model_capabilities.yaml",
        capabilities_model="gpt-4o",
        registry=["victor.providers.registry:ProviderRegistry", "entry-points:victor.providers"],
        scenarios_dir=["mine"],
        wire_corpus=None,
        check_timeout=10.0,  # the default: left out
        provider_timeout=7.5,
        scenario=["text_plain"],  # the reproducing command names its own
        report_dir="out",
    )
    assert reproduce_arguments(option) == [
        "--capabilities",
        "caps dir/model_capabilities.yaml",
        "--model",
        "gpt-4o",
        "--registry",
        "victor.providers.registry:ProviderRegistry",
        "--registry",
        "entry-points:victor.providers",
        "--scenarios-dir",
        "mine",
        "--provider-timeout",
        "7.5",
    ]
    assert reproduce_arguments(SimpleNamespace()) == []


def test_an_identity_failure_reproduces_beside_the_cheapest_scenario() -> None:
    outcome = {
        "provider": "p",
        "scenario": "identity",
        "mode": "none",
        "verdicts": [{"clause": "CF-2", "outcome": "fail", "message": "caps.yaml: invalid"}],
        "facts": {
            "target": "pkg:P",
            "reproduce": ["--provider", "pkg:P", "--capabilities", "my caps.yaml"],
        },
    }
    (failure,) = _report([outcome])["providers"][0]["failures"]
    assert failure["reproduce"] == (
        "provider-conformance run --provider pkg:P --capabilities 'my caps.yaml' "
        "--report-dir reports/reproduce-p --scenario text_plain"
    )


# -- a real browser --------------------------------------------------------------------------------


@needs_chromium
def test_chromium_shows_the_capability_table(tmp_path: Path) -> None:
    page = tmp_path / "compatibility.html"
    page.write_text(render_html(_report(_outcomes(tmp_path))), encoding="utf-8")
    result = _chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not _console(result.stderr), _console(result.stderr)
    assert 'data-ready="true"' in result.stdout
    rows = _html_rows(result.stdout)
    assert "works but undeclared" in rows["parallel_tool_calls"]
    assert "declared but broken" in rows["streaming_tool_calls"]
    _screenshot(page, "compatibility-capabilities.png", tmp_path / "profile2", height=1800)
