"""Baseline gating: fail a pull request on regressions only, and keep known failures honest.

A gate compares a report with a baseline, which is either

- a previous `compatibility.json` (say, the main branch's): a clause that was not failing there and
  fails now is a regression; a clause that failed there and passes now is an improvement, listed
  but never a gate failure; or
- a known-failures file (`schemas/baseline.schema.json`), checked in and reviewed: every failing
  clause must be listed there with its reason, and a listed clause that now passes fails the gate
  until it is removed from the list, like `xfail(strict=True)`: a list that only ever grows
  would soon hide new failures behind old entries.

A clause the run did not judge (not run, not applicable, provider absent) proves nothing either
way: a baseline entry for it is "unconfirmed", never a pass and never a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance.report.model import FAILING, NOT_RUN
from conformance.vocabulary.clauses import CLAUSES, clause_sort_key
from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.errors import UsageError

KIND_REPORT = "report"
KIND_KNOWN = "known-failures"


@dataclass
class Baseline:
    path: str
    kind: str
    #: (provider, clause) -> why it is allowed to fail.
    known: dict[tuple[str, str], str] = field(default_factory=dict)
    #: Provider id -> clause id -> verdict, for a report baseline.
    verdicts: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Provider id -> check ids that errored, for a report baseline.
    errors: dict[str, set[str]] = field(default_factory=dict)

    def reason(self, provider: str, clause: str) -> str | None:
        """Why (provider, clause) may fail, or None when a failure of it is a regression."""
        if self.kind == KIND_KNOWN:
            return self.known.get((provider, clause))
        verdict = self.verdicts.get(provider, {}).get(clause)
        return f"failing in the baseline report ({verdict})" if verdict in FAILING else None


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--baseline {path}: cannot read it ({exc.strerror})") from None
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"--baseline {path}: not valid JSON or YAML ({exc})") from None


def _first_error(document: Any, schema_name: str, path: Path) -> None:
    schema = json.loads(schema_path(schema_name).read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        pointer = "/" + "/".join(str(p) for p in best.absolute_path)
        raise UsageError(
            f"--baseline {path}: invalid at {pointer}: {best.message} (see schemas/{schema_name})"
        )


def load_baseline(path: Path) -> Baseline:
    """A previous compatibility.json or a known-failures file, told apart by their content."""
    document = _read_document(path)
    if isinstance(document, dict) and document.get("tool") == "provider-conformance":
        _first_error(document, "report.schema.json", path)
        return baseline_from_report(document, str(path))
    if isinstance(document, dict) and "known_failures" in document:
        _first_error(document, "baseline.schema.json", path)
        baseline = Baseline(str(path), KIND_KNOWN)
        for number, entry in enumerate(document["known_failures"]):
            key = (entry["provider"], entry["clause"])
            if entry["clause"] not in CLAUSES:
                raise UsageError(
                    f"--baseline {path}: /known_failures/{number}: unknown clause "
                    f"{entry['clause']!r}; 'provider-conformance list clauses' prints them"
                )
            if key in baseline.known:
                raise UsageError(
                    f"--baseline {path}: /known_failures/{number}: "
                    f"{key[0]} {key[1]} is listed twice"
                )
            baseline.known[key] = entry["reason"].strip()
        return baseline
    raise UsageError(
        f"--baseline {path}: neither a compatibility.json nor a known-failures file "
        "(a mapping with 'known_failures', schemas/baseline.schema.json)"
    )


def baseline_from_report(report: Mapping[str, Any], path: str) -> Baseline:
    baseline = Baseline(path, KIND_REPORT)
    for provider in report["providers"]:
        baseline.verdicts[provider["id"]] = dict(provider["clauses"])
        baseline.errors[provider["id"]] = {e["check"] for e in provider["errors"]}
    return baseline


# -- evaluating ------------------------------------------------------------------------------------


def _messages(provider: Mapping[str, Any], clause: str) -> tuple[list[str], str | None]:
    failures = [f for f in provider["failures"] if clause in f["clauses"]]
    prefix = f"{clause}: "
    messages = [m for f in failures for m in f["messages"] if m.startswith(prefix)]
    return messages, failures[0]["reproduce"] if failures else None


def _entry(provider: str, clause: str | None, was: str, now: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": provider, "clause": clause, "was": was, "now": now}
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


def evaluate_gate(
    report: Mapping[str, Any], baseline: Baseline, *, partial: bool = False
) -> dict[str, Any]:
    """The gate's verdict on `report` (the shape of the report schema's `gate`).

    `partial` (a shard's report) keeps a known failure that passes here from failing the gate:
    another shard may still fail it; the merged report decides.
    """
    regressions: list[dict[str, Any]] = []
    improvements: list[dict[str, Any]] = []
    known: list[dict[str, Any]] = []
    unconfirmed: list[dict[str, Any]] = []
    listed = "listed as a known failure"
    providers = {p["id"]: p for p in report["providers"]}
    for pid in sorted(providers):
        provider = providers[pid]
        clauses: Mapping[str, str] = provider["clauses"]
        previous = baseline.verdicts.get(pid)
        for clause in sorted(set(clauses) | _baseline_clauses(baseline, pid), key=clause_sort_key):
            now = clauses.get(clause, NOT_RUN)
            reason = baseline.reason(pid, clause)
            if baseline.kind == KIND_KNOWN:
                was = listed if reason is not None else "not listed"
            elif previous is None:
                was = "absent"
            else:
                was = previous.get(clause, NOT_RUN)
            if now in FAILING:
                if reason is None:
                    messages, reproduce = _messages(provider, clause)
                    regressions.append(
                        _entry(pid, clause, was, now, messages=messages, reproduce=reproduce)
                    )
                else:
                    known.append(_entry(pid, clause, was, now, reason=reason))
            elif reason is not None:
                target = improvements if now == "pass" else unconfirmed
                target.append(_entry(pid, clause, was, now, reason=reason))
        for error in provider["errors"]:
            seen = error["check"] in baseline.errors.get(pid, set())
            target = known if seen else regressions
            was = "error in the baseline report" if seen else "no error"
            target.append(
                _entry(pid, None, was, "error", check=error["check"], messages=[error["error"]])
            )
        erroring = {e["check"] for e in provider["errors"]}
        for check in sorted(baseline.errors.get(pid, set()) - erroring):
            improvements.append(_entry(pid, None, "error", "no error", check=check))
    for pid, clause, reason in _absent(baseline, providers):
        unconfirmed.append(_entry(pid, clause, "failing", "absent", reason=reason))
    strict = baseline.kind == KIND_KNOWN and not partial
    return {
        "baseline": baseline.path,
        "kind": baseline.kind,
        "passed": not regressions and not (strict and improvements),
        "partial": partial,
        "regressions": regressions,
        "improvements": improvements,
        "known_failures": known,
        "unconfirmed": unconfirmed,
    }


def _baseline_clauses(baseline: Baseline, provider: str) -> set[str]:
    if baseline.kind == KIND_KNOWN:
        return {clause for pid, clause in baseline.known if pid == provider}
    return {c for c, v in baseline.verdicts.get(provider, {}).items() if v in FAILING}


def _absent(baseline: Baseline, providers: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """Baseline failures of providers this report does not have at all."""
    if baseline.kind == KIND_KNOWN:
        pairs = sorted(baseline.known, key=lambda k: (k[0], clause_sort_key(k[1])))
        for pid, clause in pairs:
            if pid not in providers:
                yield pid, clause, baseline.known[(pid, clause)]
        return
    for pid in sorted(set(baseline.verdicts) - set(providers)):
        for clause in sorted(_baseline_clauses(baseline, pid), key=clause_sort_key):
            yield pid, clause, "failing in the baseline report"


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any], old_path: str) -> dict[str, Any]:
    return evaluate_gate(new, baseline_from_report(old, old_path))


# -- showing ---------------------------------------------------------------------------------------


def _where(entry: Mapping[str, Any]) -> str:
    if entry["clause"] is None:
        return f"{entry['provider']} {entry.get('check', '')} (the check could not run)"
    return f"{entry['provider']} {entry['clause']}"


def gate_lines(gate: Mapping[str, Any]) -> list[str]:
    """The gate for a terminal: the verdict first, then what a person has to act on."""
    state = "passed" if gate["passed"] else "FAILED"
    lines = [
        f"gate {state} against {gate['baseline']} ({gate['kind']}): "
        f"{len(gate['regressions'])} regression(s), {len(gate['improvements'])} improvement(s), "
        f"{len(gate['known_failures'])} known failure(s) still failing"
    ]
    for entry in gate["regressions"]:
        lines.append(f"  REGRESSION {_where(entry)}: {entry['was']} -> {entry['now']}")
        lines += [f"      {message}" for message in entry.get("messages", [])[:3]]
        if entry.get("reproduce"):
            lines.append(f"      reproduce: {entry['reproduce']}")
    stale = gate["kind"] == KIND_KNOWN and not gate["partial"]
    for entry in gate["improvements"]:
        line = f"  improved   {_where(entry)}: {entry['was']} -> {entry['now']}"
        if stale and entry["clause"] is not None:
            line += f"; now passes: remove it from {gate['baseline']}"
        lines.append(line)
    for entry in gate["unconfirmed"]:
        lines.append(
            f"  unconfirmed {_where(entry)}: {entry['now']} in this run "
            f"(baseline: {entry.get('reason', entry['was'])})"
        )
    return lines


def known_failures_document(report: Mapping[str, Any]) -> str:
    """A known-failures file listing every failing clause of `report`, to start a baseline from.

    Each reason is a placeholder quoting the first failure: a person replaces it with why the
    clause fails and where the fix is tracked.
    """
    entries = []
    for provider in report["providers"]:
        for clause, verdict in provider["clauses"].items():
            if verdict in FAILING:
                messages, _ = _messages(provider, clause)
                first = messages[0] if messages else verdict
                entries.append(
                    {
                        "provider": provider["id"],
                        "clause": clause,
                        "reason": f"TODO: why, and where the fix is tracked ({first[:160]})",
                    }
                )
    header = (
        "# Known failures for provider-conformance --baseline (schemas/baseline.schema.json).\n"
        "# A failing clause not listed here fails the gate; so does a listed one that passes.\n"
    )
    body = yaml.safe_dump(
        {"schema_version": "1", "known_failures": entries},
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return header + body
