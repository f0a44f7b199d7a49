"""Joining the reports of shards (or of per-provider jobs) into the one report a single run writes.

Only counts are added up: verdicts, `conforms`, `not_checked` and the summary are derived again
from the merged counts, because a part's verdict can be wrong for the whole. A clause that passed
in one shard and failed in another fails; a capability declared in the shard that ran the identity
check turns another shard's `fail` into `declared-but-broken`. JUnit files and coverage data found
beside the parts' reports are merged as well.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from conformance.report.assemble import RUN_STATUSES, assemble_report
from conformance.report.model import ProviderReport
from conformance.report.writers import validate_report
from conformance.vocabulary.errors import UsageError


def report_path(given: Path) -> Path:
    """A report file, or a folder holding compatibility.json (a downloaded CI artifact)."""
    return given / "compatibility.json" if given.is_dir() else given


def load_report(given: Path) -> dict[str, Any]:
    path = report_path(given)
    try:
        report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise UsageError(f"{path}: not JSON ({exc})") from None
    try:
        validate_report(report)
    except jsonschema.ValidationError as exc:
        pointer = "/" + "/".join(str(p) for p in exc.absolute_path)
        raise UsageError(
            f"{path}: not a compatibility report: invalid at {pointer}: {exc.message}"
        ) from None
    return report


def _fingerprint(part: Mapping[str, Any]) -> str:
    run = part.get("run") or {}
    return str(run.get("fingerprint", ""))


def _check_runs(parts: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """Shards must come from one run (one plan fingerprint); whole runs must differ. Returns the
    merged report's fingerprint: the run's own, or one naming the set of runs joined."""
    sharded = [(where, part) for where, part in parts if part.get("shard") is not None]
    if sharded:
        first_where, first = sharded[0]
        for where, part in sharded[1:]:
            if _fingerprint(part) != _fingerprint(first):
                raise UsageError(
                    f"{where}: a shard of a different run than {first_where} (plan fingerprints "
                    f"{_fingerprint(part) or 'none'} and {_fingerprint(first) or 'none'}); merge "
                    "the shards of one run, run with the same providers, scenarios and options"
                )
        return _fingerprint(first)
    seen: dict[str, str] = {}
    for where, part in parts:
        print_ = _fingerprint(part)
        if print_ and print_ in seen:
            raise UsageError(
                f"{where}: the same run as {seen[print_]} (plan fingerprint {print_}); "
                "merge each report once"
            )
        seen[print_] = where
    prints = sorted(seen)
    if len(prints) == 1:
        return prints[0]
    return hashlib.sha256("|".join(prints).encode("ascii")).hexdigest()[:32]


def _stop_reason(parts: Sequence[tuple[str, Mapping[str, Any]]]) -> str | None:
    statuses = {(part.get("run") or {}).get("status") for _, part in parts}
    return next((s for s in RUN_STATUSES if s in statuses and s != "complete"), None)


def _check_shards(parts: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    shards = [(where, part.get("shard")) for where, part in parts]
    sharded = [(where, s) for where, s in shards if s is not None]
    if not sharded:
        return
    if len(sharded) != len(shards):
        plain = next(where for where, s in shards if s is None)
        raise UsageError(f"{plain}: not a shard's report, but the others are; merge like with like")
    counts = {s["count"] for _, s in sharded}
    if len(counts) != 1:
        raise UsageError(f"the reports come from different splits (shard counts {sorted(counts)})")
    count = counts.pop()
    seen: dict[int, str] = {}
    for where, shard in sharded:
        if shard["index"] in seen:
            raise UsageError(
                f"{where}: shard {shard['index']}/{count} is also {seen[shard['index']]}"
            )
        seen[shard["index"]] = where
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        names = ", ".join(f"{i}/{count}" for i in missing)
        raise UsageError(
            f"shard(s) {names} missing: a merged report without them would pass off "
            "checks that never ran"
        )


def merge_reports(
    parts: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    command: str = "",
    started: datetime | None = None,
) -> dict[str, Any]:
    """One report from `parts` ((where, report) pairs); raises UsageError on parts that clash."""
    if not parts:
        raise UsageError("merge: no reports given")
    _check_shards(parts)
    fingerprint = _check_runs(parts)
    providers: dict[str, ProviderReport] = {}
    for where, part in parts:
        for data in part["providers"]:
            provider = ProviderReport.from_json(data)
            if provider.id in providers:
                providers[provider.id].absorb(provider, where)
            else:
                providers[provider.id] = provider
    return assemble_report(
        providers.values(),
        command=command,
        started=started,
        stop_reason=_stop_reason(parts),
        fingerprint=fingerprint,
    )


def merge_junit(sources: Sequence[Path], destination: Path) -> Path | None:
    """All test suites of the JUnit files under one <testsuites>; None when there are none."""
    suites: list[ET.Element] = []
    for source in sources:
        if not source.is_file():
            continue
        try:
            root = ET.parse(source).getroot()
        except ET.ParseError as exc:
            raise UsageError(f"{source}: not a JUnit XML file ({exc})") from None
        suites += [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if not suites:
        return None
    merged = ET.Element("testsuites")
    for name in ("tests", "failures", "errors", "skipped"):
        merged.set(name, str(sum(int(s.get(name, "0")) for s in suites)))
    merged.set("time", f"{sum(float(s.get('time', '0')) for s in suites):.3f}")
    merged.extend(suites)
    destination.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(merged).write(destination, encoding="utf-8", xml_declaration=True)
    return destination


def merge_coverage(sources: Sequence[Path], directory: Path) -> list[Path]:
    """Combine the parts' provider coverage data; HTML and XML as a single run writes them."""
    data_files = [str(s) for s in sources if s.is_file()]
    if not data_files:
        return []
    import coverage  # here: every run imports this package, few of them merge coverage

    directory.mkdir(parents=True, exist_ok=True)
    combined = coverage.Coverage(data_file=str(directory / ".coverage"), branch=True)
    combined.combine(data_files, keep=True)
    combined.save()
    html = directory / "html"
    xml = directory / "coverage.xml"
    try:
        # A part may have run in another checkout: report what can be found.
        combined.html_report(directory=str(html), title="Provider coverage", ignore_errors=True)
        combined.xml_report(outfile=str(xml), ignore_errors=True)
    except coverage.exceptions.NoDataError:
        return []
    return [html / "index.html", xml]
