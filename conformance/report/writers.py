"""Writing the report files of a run. JUnit XML is pytest's own (`--junitxml`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.report.assemble import ProviderInfo, build_report
from conformance.report.failure_summary import DECLARED_BUT_BROKEN
from conformance.report.html import render_html
from conformance.report.markdown import render_markdown
from conformance.report.plan import Plan
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.spec import ProviderSpec

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from conformance.report.baseline import Baseline

REPORT_FILES = ("compatibility.json", "compatibility.md", "compatibility.html")


def spec_info(spec: ProviderSpec) -> ProviderInfo:
    """A provider row before any check reported: what the run was told about it."""
    return ProviderInfo(id=spec.id, target=spec.target, dialect=spec.dialect, profile=spec.profile)


def providers_from_outcomes(
    outcomes: Iterable[Mapping[str, Any]], known: Iterable[ProviderInfo] = ()
) -> list[ProviderInfo]:
    """Provider rows with the facts the checks recorded (the identity check adds name, declared).

    `known` rows (the run's providers) fill in what no outcome said, so a provider none of whose
    checks reported still has its row.
    """
    seen: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        facts = seen.setdefault(outcome["provider"], {})
        for key, value in outcome.get("facts", {}).items():
            facts.setdefault(key, value)
    found = [
        ProviderInfo(
            id=pid,
            target=facts.get("target", ""),
            dialect=facts.get("dialect", ""),
            profile=facts.get("profile", ""),
            name=facts.get("name"),
            declared_capabilities=tuple(facts.get("declared", ())),
            reproduce_arguments=tuple(facts.get("reproduce", ())),
            reproduce_env=tuple(facts.get("reproduce_env", ())),
        )
        for pid, facts in seen.items()
    ]
    rows = {info.id: info for info in found}
    for info in known:
        row = rows.get(info.id)
        if row is None:
            rows[info.id] = info
        else:
            rows[info.id] = replace(
                row,
                target=row.target or info.target,
                dialect=row.dialect or info.dialect,
                profile=row.profile or info.profile,
            )
    return list(rows.values())


@functools.cache
def _report_validator() -> Validator:
    """Built once per process, and the schema (ours, held by the tests) not checked again on
    every run: `jsonschema.validate` did both for every report, as long as validating it."""
    import jsonschema  # only the process that writes or reads reports pays for it

    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    validator: Validator = jsonschema.validators.validator_for(schema)(schema)
    return validator


def validate_report(report: Mapping[str, Any]) -> None:
    """Raises `jsonschema.ValidationError`, the most relevant error, for a report the schema
    rejects (what `jsonschema.validate` raises)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_report_validator().iter_errors(report))
    if error is not None:
        raise error


def _write_text(path: Path, content: str) -> None:
    # A provider's exception text may hold lone surrogates; as \udcxx they stay valid JSON.
    path.write_bytes(content.encode("utf-8", errors="backslashreplace"))


def write_report_files(directory: Path, report: Mapping[str, Any]) -> list[Path]:
    """compatibility.json, .md and .html for `report` (validated first); returns their paths."""
    validate_report(report)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path, html_path = (directory / name for name in REPORT_FILES)
    _write_text(json_path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _write_text(md_path, render_markdown(report))
    _write_text(html_path, render_html(report))
    return [json_path, md_path, html_path]


def write_reports(
    directory: Path | None,
    outcomes: list[dict[str, Any]],
    *,
    command: str = "",
    shard: tuple[int, int] | None = None,
    baseline: Baseline | None = None,
    plan: Plan | None = None,
    stop_reason: str | None = None,
    providers: Iterable[ProviderInfo] = (),
    build_errors: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], list[Path]]:
    """Build the run's report (gated on `baseline` if given) and write it to `directory` if any."""
    from conformance.report.baseline import evaluate_gate

    report = build_report(
        providers_from_outcomes(outcomes, providers),
        outcomes,
        command=command,
        shard=shard,
        plan=plan,
        stop_reason=stop_reason,
        build_errors=build_errors,
    )
    if baseline is not None:
        report["gate"] = evaluate_gate(report, baseline, partial=shard is not None)
    if directory is None:
        validate_report(report)
        return report, []
    return report, write_report_files(directory, report)


def verdict_lines(report: Mapping[str, Any]) -> list[str]:
    """One line per provider for a terminal: its verdict, what failed and what was not judged."""
    lines = []
    run = report.get("run")
    if run and run["status"] != "complete":
        lines.append(
            f"RUN INCOMPLETE ({run['status']}): {run['judged']} of {run['planned']} planned "
            "checks judged; a check without a verdict is never a pass"
        )
    for provider in report["providers"]:
        head = f"{provider['id']} ({provider['dialect']}, {provider['profile']})"
        if provider.get("build_error"):
            lines.append(f"{head}: COULD NOT BE BUILT: {provider['build_error']}")
            continue
        verdicts = list(provider["clauses"].values())
        counts = ", ".join(
            f"{verdicts.count(v)} {v}"
            for v in (
                "pass",
                "fail",
                "declared-but-broken",
                "inconclusive",
                "incomplete",
                "not-applicable",
            )
            if verdicts.count(v)
        )
        state = "conforms" if provider["conforms"] else "DOES NOT CONFORM"
        line = f"{head}: {state}"
        line += f" [{counts}; {len(provider['not_checked'])} clauses not checked yet]"
        failing = [
            c for c, v in provider["clauses"].items() if v in ("fail", "declared-but-broken")
        ]
        if failing:
            line += f" failing: {', '.join(failing)}"
        incomplete = provider.get("incomplete", [])
        if incomplete:
            kinds = sorted({entry["kind"] for entry in incomplete})
            line += (
                f" incomplete: {len(incomplete)} of {provider.get('planned', 0)} planned "
                f"checks without a verdict ({', '.join(kinds)})"
            )
        lines.append(line)
    if any(v == "declared-but-broken" for p in report["providers"] for v in p["clauses"].values()):
        lines.append(DECLARED_BUT_BROKEN)
    return lines
