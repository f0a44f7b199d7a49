"""compatibility.md: the clause × provider matrix a reviewer reads in a pull request.

It is posted as a pull-request comment and appended to a CI job summary, so it stays short: the
transcripts are in compatibility.html and compatibility.json, and each provider lists at most
`MAX_FAILURES` failing checks here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.report.capabilities import declared_text, observed_text
from conformance.secrets.options import HOW_TO_SUPPLY
from conformance.vocabulary.clauses import clause_sort_key
from conformance.vocabulary.redaction import REDACTED_SECRET

#: Symbol and word for each verdict: never colour alone.
MARKS = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "declared-but-broken": "💥 declared-but-broken",
    "not-applicable": "➖ n/a",
    "inconclusive": "❔ inconclusive",
    "incomplete": "⚠️ incomplete",
    "not-run": "· not run",
}
#: Words for a check that never got verdicts of its own (the report's `incomplete` kinds).
INCOMPLETE_WORDS = {
    "harness-error": "harness error (not a provider failure)",
    "crashed": "crashed",
    "interrupted": "interrupted",
    "deadline": "stopped by the run's deadline",
    "not-run": "not run",
}
MAX_FAILURES = 25

#: Symbol and word for each capability verdict of the declared-against-observed tables.
CAPABILITY_MARKS = {
    "ok": "✅ ok",
    "declared but broken": "💥 declared but broken",
    "works but undeclared": "➕ works but undeclared",
    "not probed": "❔ not probed",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#~>])")


def md_text(text: str) -> str:
    """Text as Markdown shows it literally: one line, no HTML, no emphasis or table breaks."""
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return " ↵ ".join(part.strip() for part in text.splitlines() if part.strip())


def md_code(text: str) -> str:
    """Inline code that survives backticks and table pipes inside it."""
    text = " ".join(text.split()).replace("|", "\\|")
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render_markdown(report: Mapping[str, Any]) -> str:
    providers = report["providers"]
    lines = ["# Provider compatibility report", ""]
    if report.get("gate"):
        lines += _gate(report["gate"])
    summary = report["summary"]
    shard = report.get("shard")
    part = f" Shard {shard['index']} of {shard['count']}." if shard else ""
    lines.append(
        f"{summary['providers']} provider(s): {summary['conforming']} conforming, "
        f"{summary['failing']} failing"
        + (f", {summary['incomplete']} not completely judged" if summary.get("incomplete") else "")
        + f"; {summary.get('checks', 0)} checks.{part} "
        f"Generated {report['generated_at']}."
    )
    lines.append("")
    lines += run_lines(report)
    total = len(report["clauses"])
    lines.append("| Provider | Dialect | Profile | Verdict | Checks judged | Clauses judged |")
    lines.append("|---|---|---|---|---|---|")
    for p in providers:
        judged = total - len(p["not_checked"])
        checks = f"{p.get('judged', p['checks'])} of {p.get('planned', p['checks'])}"
        lines.append(
            f"| {md_code(p['id'])} | {md_text(p['dialect'])} | {md_text(p['profile'])} "
            f"| {provider_state(p)} | {checks} | {judged} of {total} |"
        )
    clause_ids = sorted({cid for p in providers for cid in p["clauses"]}, key=clause_sort_key)
    lines += ["", "## Clauses", ""]
    header = "| Clause | " + " | ".join(md_code(p["id"]) for p in providers) + " |"
    lines += [header, "|---|" + "---|" * len(providers)]
    for cid in clause_ids:
        title = md_text(report["clauses"][cid]["title"])
        cells = []
        for p in providers:
            verdict = p["clauses"].get(cid)
            detail = p["clause_details"].get(cid, {})
            if not verdict:
                cells.append(MARKS["not-run"])
            elif detail.get("failed"):
                cells.append(f"{MARKS[verdict]} ({detail['failed']} of {detail['checks']})")
            else:
                cells.append(f"{MARKS[verdict]} ({detail.get('checks', 0)})")
        lines.append(f"| **{cid}** {title} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cells show the verdict and, in brackets, how many checks judged the clause (failing: "
        "how many of them failed); "
        "*not run* means no check of this run exercised it, which is never a pass. "
        "*declared-but-broken*: the provider declares the capability the clause exercises "
        "(`capabilities()`), and it does not work; undeclared, the check is not applicable.",
    ]
    not_checked = sorted(
        {cid for p in providers for cid in p["not_checked"]} - set(clause_ids),
        key=clause_sort_key,
    )
    if not_checked:
        lines += ["", "Clauses no check of this run exercised: " + ", ".join(not_checked) + "."]
    lines += _capabilities(providers)
    for p in providers:
        lines += _provider_details(p)
    return "\n".join(lines) + "\n"


def provider_state(p: Mapping[str, Any]) -> str:
    """Conforms, fails a clause, could not be built, or was not fully judged: never blurred."""
    if p["conforms"]:
        return "✅ conforms"
    if p.get("build_error"):
        return "⛔ could not be built"
    if any(v in ("fail", "declared-but-broken") for v in p["clauses"].values()) or p["errors"]:
        return "❌ does not conform"
    return "⚠️ not fully judged: does not conform"


def run_lines(report: Mapping[str, Any]) -> list[str]:
    """A run that did not complete says so above everything else."""
    run = report.get("run")
    if not run or run["status"] == "complete":
        return []
    status = {
        "interrupted": "was interrupted",
        "deadline": "was ended by its overall deadline",
        "crashed": "lost checks to a crash",
        "incomplete": "is incomplete",
    }[run["status"]]
    return [
        f"**⚠️ Run incomplete: this run {status}; {run['judged']} of {run['planned']} planned "
        "checks were judged.** A check without a verdict is never a pass.",
        "",
    ]


def _provider_details(p: Mapping[str, Any]) -> list[str]:
    incomplete = p.get("incomplete", [])
    if not (p["failures"] or p["skipped"] or p["errors"] or incomplete or p.get("build_error")):
        return []
    lines = ["", f"## {md_code(p['id'])}", "", f"Target: {md_code(p['target'])}", ""]
    if p.get("build_error"):
        lines.append(f"- ⛔ **could not be built**: {md_text(p['build_error'])}")
    for entry in incomplete:
        lines.append(
            f"- ⚠️ **{md_text(entry['check'])}**: {INCOMPLETE_WORDS[entry['kind']]}: "
            f"{md_text(entry['reason'])}"
        )
    for error in p["errors"]:
        lines.append(f"- **error** in {md_text(error['check'])}: {md_text(error['error'])}")
    for failure in p["failures"][:MAX_FAILURES]:
        lines.append(f"- ❌ **{md_text(failure['check'])}** — {', '.join(failure['clauses'])}")
        lines += [f"  - {md_text(message)}" for message in failure["messages"]]
        lines.append(f"  - reproduce: {md_code(failure['reproduce'])}")
        if REDACTED_SECRET in failure["reproduce"]:
            lines.append(f"  - {md_text(HOW_TO_SUPPLY)}")
    hidden = len(p["failures"]) - MAX_FAILURES
    if hidden > 0:
        lines.append(f"- … and {hidden} more failing checks: see compatibility.html")
    if p["skipped"]:
        lines += ["", "Not applicable (skipped, not passed):"]
        lines += [f"- {md_text(s['check'])}: {md_text(s['reason'])}" for s in p["skipped"]]
    return lines


def _capabilities(providers: list[Mapping[str, Any]]) -> list[str]:
    """Declared against observed, per provider the run had a capability file for."""
    blocks = [p for p in providers if p.get("capabilities")]
    if not blocks:
        return []
    lines = [
        "",
        "## Declared against observed (CF-2)",
        "",
        "Per capability: what was declared and by whom (the capability file, with the layer or "
        "model pattern and the JSON pointer of the value that applied, or the provider class), "
        "what the checks observed, and whether the declaration tells the truth. A capability the "
        "file does not declare is probed: its checks run, their verdicts count as not applicable.",
    ]
    for p in blocks:
        block = p["capabilities"]
        lines += ["", f"### {md_code(p['id'])}", "", _capability_context(block), ""]
        lines += [
            "| Capability | Declared | Declared by | Observed | Verdict |",
            "|---|---|---|---|---|",
        ]
        for row in block["rows"]:
            lines.append(
                f"| {md_text(row['capability'])} | {declared_text(row)} | {_declared_by(row)} "
                f"| {md_text(observed_text(row))} | {CAPABILITY_MARKS[row['verdict']]} |"
            )
    return lines


def _capability_context(block: Mapping[str, Any]) -> str:
    if block.get("file") is None:
        return "The identity check, which reads the capability file, ran in another shard."
    name = md_code(block["provider"]) if block.get("provider") else "(no name)"
    model = md_code(block["model"]) if block.get("model") else "(none)"
    text = f"File {md_code(block['file'])}, read for provider {name} and model {model}"
    if not block.get("names_provider", True):
        return (
            text + ": it says nothing about this provider, so the provider's own declarations hold."
        )
    patterns = ", ".join(md_code(pattern) for pattern in block["patterns"]) or "none"
    text += f"; matching model patterns: {patterns}."
    if block.get("not_judged"):
        judged = md_text(", ".join(block["not_judged"]))
        text += f" Not observable on the wire, not judged: {judged}."
    return text


def _declared_by(row: Mapping[str, Any]) -> str:
    if row["declared_by"] == "provider":
        return "the provider class"
    if row["declared_by"] == "unknown":
        return "unknown (another shard)"
    where = (
        f"model pattern {md_code(row['pattern'])}"
        if row.get("pattern")
        else md_text(row["layer"] or "")
    )
    return f"file, {where}: {md_code(row['source'] or '')}"


def _where(entry: Mapping[str, Any]) -> str:
    if entry["clause"] is None:
        return f"{md_code(entry['provider'])} check {md_text(entry.get('check', ''))}"
    return f"{md_code(entry['provider'])} **{entry['clause']}**"


def _gate(gate: Mapping[str, Any]) -> list[str]:
    state = "✅ passed" if gate["passed"] else "❌ failed"
    kind = "known failures" if gate["kind"] == "known-failures" else "a previous report"
    lines = [
        f"## Gate {state}",
        "",
        f"Against {md_code(gate['baseline'])} ({kind}): {len(gate['regressions'])} "
        f"regression(s), {len(gate['improvements'])} improvement(s), "
        f"{len(gate['known_failures'])} known failure(s) still failing.",
        "",
    ]
    for entry in gate["regressions"]:
        messages = "; ".join(entry.get("messages", [])[:2])
        lines.append(
            f"- ❌ **regression** {_where(entry)}: {md_text(entry['was'])} → "
            f"{md_text(entry['now'])}" + (f" — {md_text(messages)}" if messages else "")
        )
    stale = gate["kind"] == "known-failures" and not gate["partial"]
    for entry in gate["improvements"]:
        todo = " — now passes: remove it from the known failures" if stale else ""
        lines.append(
            f"- ⬆️ **improved** {_where(entry)}: {md_text(entry['was'])} → "
            f"{md_text(entry['now'])}{todo}"
        )
    for entry in gate["unconfirmed"]:
        lines.append(
            f"- ❔ unconfirmed {_where(entry)}: {md_text(entry['now'])} in this run, "
            f"so the baseline's failure is neither confirmed nor cleared"
        )
    if gate["known_failures"]:
        count = len(gate["known_failures"])
        if lines[-1]:
            lines.append("")
        lines += [f"<details><summary>Known failures still failing ({count})</summary>", ""]
        for entry in gate["known_failures"]:
            reason = entry.get("reason") or entry.get("was", "")
            lines.append(f"- {_where(entry)}: {md_text(reason)}")
        lines += ["", "</details>"]
    return [*lines, ""]
