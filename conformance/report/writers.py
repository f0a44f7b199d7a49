"""Writing the report files of a run. JUnit XML is pytest's own (`--junitxml`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from conformance.data_files import schema_path
from conformance.report.markdown import render_markdown
from conformance.report.model import ProviderInfo, build_report


def providers_from_outcomes(outcomes: Iterable[Mapping[str, Any]]) -> list[ProviderInfo]:
    """Provider rows in the order they were first seen, with the facts the checks recorded."""
    seen: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        facts = seen.setdefault(outcome["provider"], {})
        for key, value in outcome.get("facts", {}).items():
            facts.setdefault(key, value)
    return [
        ProviderInfo(
            id=pid,
            target=facts.get("target", ""),
            dialect=facts.get("dialect", ""),
            profile=facts.get("profile", ""),
            name=facts.get("name"),
            declared_capabilities=tuple(facts.get("declared", ())),
        )
        for pid, facts in seen.items()
    ]


def validate_report(report: Mapping[str, Any]) -> None:
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)


def write_reports(
    directory: Path, outcomes: list[dict[str, Any]], *, command: str = ""
) -> tuple[dict[str, Any], list[Path]]:
    """Write compatibility.json and .md; returns the report and the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    report = build_report(providers_from_outcomes(outcomes), outcomes, command=command)
    validate_report(report)
    json_path = directory / "compatibility.json"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path = directory / "compatibility.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return report, [json_path, md_path]


def verdict_lines(report: Mapping[str, Any]) -> list[str]:
    """One line per provider for a terminal: its verdict and what failed."""
    lines = []
    for provider in report["providers"]:
        verdicts = list(provider["clauses"].values())
        counts = ", ".join(
            f"{verdicts.count(v)} {v}"
            for v in ("pass", "fail", "declared-but-broken", "not-applicable")
            if verdicts.count(v)
        )
        state = "conforms" if provider["conforms"] else "DOES NOT CONFORM"
        line = f"{provider['id']} ({provider['dialect']}, {provider['profile']}): {state}"
        line += f" [{counts}; {len(provider['not_checked'])} clauses not checked yet]"
        failing = [
            c for c, v in provider["clauses"].items() if v in ("fail", "declared-but-broken")
        ]
        if failing:
            line += f" failing: {', '.join(failing)}"
        lines.append(line)
    return lines
