"""compatibility.md: the clause × provider matrix a reviewer reads in a pull request."""

from __future__ import annotations

from typing import Any

from conformance.clauses import clause_sort_key

#: Symbol and word for each verdict: never colour alone.
MARKS = {
    "pass": "✅ pass",
    "fail": "❌ fail",
    "declared-but-broken": "💥 declared-but-broken",
    "not-applicable": "➖ n/a",
}


def render_markdown(report: dict[str, Any]) -> str:
    providers = report["providers"]
    clause_ids = sorted({cid for p in providers for cid in p["clauses"]}, key=clause_sort_key)
    lines = ["# Provider compatibility report", ""]
    summary = report["summary"]
    lines.append(
        f"{summary['providers']} provider(s): {summary['conforming']} conforming, "
        f"{summary['failing']} failing. Generated {report['generated_at']}."
    )
    lines.append("")
    lines.append("| Provider | Dialect | Profile | Verdict | Checks |")
    lines.append("|---|---|---|---|---|")
    for p in providers:
        verdict = "✅ conforms" if p["conforms"] else "❌ does not conform"
        lines.append(
            f"| `{p['id']}` | {p['dialect']} | {p['profile']} | {verdict} | {p['checks']} |"
        )
    lines += ["", "## Clauses", ""]
    header = "| Clause | " + " | ".join(f"`{p['id']}`" for p in providers) + " |"
    lines += [header, "|---|" + "---|" * len(providers)]
    for cid in clause_ids:
        title = report["clauses"][cid]["title"]
        cells = []
        for p in providers:
            verdict = p["clauses"].get(cid)
            detail = p["clause_details"].get(cid, {})
            cells.append(
                f"{MARKS[verdict]} ({detail.get('checks', 0)})" if verdict else "· not run"
            )
        lines.append(f"| **{cid}** {title} | " + " | ".join(cells) + " |")
    lines += ["", "Cells show the verdict and, in brackets, how many checks judged the clause."]
    not_checked = sorted({cid for p in providers for cid in p["not_checked"]}, key=clause_sort_key)
    if not_checked:
        lines += ["", "Clauses this run has no check for yet: " + ", ".join(not_checked) + "."]
    for p in providers:
        if not (p["failures"] or p["skipped"] or p["errors"]):
            continue
        lines += ["", f"## `{p['id']}`", "", f"Target: `{p['target']}`", ""]
        for error in p["errors"]:
            lines.append(f"- **error** in {error['check']}: {error['error']}")
        for failure in p["failures"]:
            lines.append(f"- ❌ **{failure['check']}** — {', '.join(failure['clauses'])}")
            lines += [f"  - {message}" for message in failure["messages"]]
            lines.append(f"  - reproduce: `{failure['reproduce']}`")
        if p["skipped"]:
            lines.append("")
            lines.append("Not applicable (skipped, not passed):")
            lines += [f"- {s['check']}: {s['reason']}" for s in p["skipped"]]
    return "\n".join(lines) + "\n"
