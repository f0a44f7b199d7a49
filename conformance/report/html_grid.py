"""The clause × provider grid: one row per clause, one column per provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.clauses import GROUPS, clause_sort_key
from conformance.report.html_text import MARKS, attr, mark, text
from conformance.report.model import FAILING, NOT_RUN


def cell_title(verdict: str, detail: Mapping[str, Any] | None) -> str:
    if detail is None:
        return "no check of this run exercised this clause for this provider"
    parts = [f"{detail['checks']} check(s): {detail['passed']} passed, {detail['failed']} failed"]
    if detail["not_applicable"]:
        parts.append(f"{detail['not_applicable']} not applicable")
    if detail.get("inconclusive"):
        parts.append(f"{detail['inconclusive']} inconclusive")
    if detail.get("incomplete"):
        parts.append(f"{detail['incomplete']} never completed")
    title = ", ".join(parts)
    if detail.get("reasons"):
        title += " — " + "; ".join(detail["reasons"])
    if verdict == "declared-but-broken":
        title += " — the provider declares the capability this clause exercises"
    return title


def grid_section(
    providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]
) -> str:
    head = "".join(
        f'<th scope="col" class="prov"><a href="#p-{i}">{text(p["id"])}</a>'
        f'<span class="sub">{text(p["dialect"])}</span></th>'
        for i, p in enumerate(providers)
    )
    legend = "".join(f"<li>{mark(v)}</li>" for v in ("pass", "fail", "declared-but-broken"))
    legend += "".join(
        f"<li>{mark(v)}</li>" for v in ("not-applicable", "inconclusive", "incomplete", NOT_RUN)
    )
    rows = []
    columns = len(providers) + 1
    current_group = None
    for cid in sorted(clauses, key=clause_sort_key):
        group = clauses[cid]["group"]
        if group != current_group:
            current_group = group
            members = [c for c in clauses if clauses[c]["group"] == group]
            judged_group = any(c in p["clauses"] for p in providers for c in members)
            rows.append(
                f'<tr class="group" data-judged="{int(judged_group)}">'
                f'<th colspan="{columns}" scope="rowgroup">{text(group)} — '
                f"{text(GROUPS.get(group, ''))}</th></tr>"
            )
        cells = []
        for index, p in enumerate(providers):
            verdict = p["clauses"].get(cid, NOT_RUN)
            detail = p.get("clause_details", {}).get(cid)
            count = ""
            if detail and verdict in FAILING:
                count = f"{detail['failed']} of {detail['checks']}"
            elif detail:
                count = f"×{detail['checks']}"
            shown = mark(verdict, count)
            if verdict in FAILING:
                label = f"{text(p['id'])} {cid}: show the failing checks"
                shown = f'<a class="open" href="#f-{index}-{cid}" aria-label="{label}">{shown}</a>'
            cells.append(
                f'<td class="v v-{MARKS[verdict][2]}" title="{attr(cell_title(verdict, detail))}">'
                f"{shown}</td>"
            )
        judged = any(cid in p["clauses"] for p in providers)
        rows.append(
            f'<tr data-judged="{int(judged)}"><th scope="row" class="clause">'
            f'<span class="cid">{cid}</span> <span class="ctitle">'
            f"{text(clauses[cid]['title'])}</span></th>{''.join(cells)}</tr>"
        )
    return (
        '<section id="matrix"><h2>Clauses × providers</h2>'
        f'<ul class="legend" aria-label="legend">{legend}</ul>'
        '<p class="hint">The number is how many checks judged the clause. A failing cell opens '
        "its checks: messages, wire transcript and the command that reproduces them. "
        "<i>Not run</i> means no check of this run exercised the clause: never a pass. "
        "<i>Declared but broken</i>: the provider declares the capability the clause exercises "
        "(<code>capabilities()</code>), and it does not work; undeclared, the check would be "
        "not applicable.</p>"
        '<p class="js-only"><label><input type="checkbox" id="hide-unjudged"> '
        "Hide clauses no check of this run exercised</label></p>"
        '<div class="table-wrap"><table class="grid" id="grid">'
        f'<thead><tr><th scope="col" class="corner">Clause</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )
