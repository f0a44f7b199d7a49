"""The clause × provider grid: one row per clause, one column per provider."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.html_text import MARKS, attr, mark, text
from conformance.report.model import FAILING, NOT_RUN
from conformance.vocabulary.clauses import GROUPS, clause_sort_key


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


#: From this many providers the grid's cells show symbol and count only (the word stays in the
#: cell for screen readers and in its title), so 8 and more fit 1400 px without scrolling.
COMPACT_FROM = 5

#: The verdict filter's choices: value -> (label, the cell classes it shows).
VERDICT_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("every verdict", ()),
    "failing": ("failing (fail, declared but broken)", ("fail", "dbb")),
    "unsettled": ("not passing (failing, inconclusive, incomplete)", ("fail", "dbb", "inc", "icp")),
    **{MARKS[v][2]: (MARKS[v][1], (MARKS[v][2],)) for v in MARKS},
}


def grid_section(
    providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]
) -> str:
    head = "".join(
        f'<th scope="col" class="prov" data-p="{i}" '
        f'title="{attr(p["id"])} — {attr(p["dialect"])}, {attr(p["profile"])}">'
        f'<a href="#p-{i}" class="pname">{text(p["id"])}</a>'
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
                f'<tr class="group" data-group="{attr(group)}" data-judged="{int(judged_group)}">'
                f'<th colspan="{columns}" scope="rowgroup">{text(group)} — '
                f"{text(GROUPS.get(group, ''))}</th></tr>"
            )
        cells = "".join(_cell(index, p, cid) for index, p in enumerate(providers))
        judged = any(cid in p["clauses"] for p in providers)
        title = clauses[cid]["title"]
        rows.append(
            f'<tr class="clause-row" data-judged="{int(judged)}" data-group="{attr(group)}" '
            f'data-clause="{cid}" data-text="{attr(f"{cid} {title}".lower())}">'
            f'<th scope="row" class="clause"><span class="cid">{cid}</span> '
            f'<a class="ctitle" href="#doc-{cid}" title="how it is judged, how to fix it">'
            f"{text(title)}</a></th>{cells}</tr>"
        )
    compact = " compact" if len(providers) >= COMPACT_FROM else ""
    return (
        '<section id="matrix"><h2>Clauses × providers</h2>'
        f'<ul class="legend" aria-label="legend">{legend}</ul>'
        '<p class="hint">The number is how many checks judged the clause. A failing cell opens '
        "its checks: messages, wire transcript and the command that reproduces them; a clause's "
        "title opens how it is judged and how to fix it. "
        "<i>Not run</i> means no check of this run exercised the clause: never a pass. "
        "<i>Declared but broken</i>: the provider declares the capability the clause exercises "
        "(<code>capabilities()</code>), and it does not work; undeclared, the check would be "
        "not applicable.</p>"
        + _filters(providers, clauses)
        + f'<div class="table-wrap"><table class="grid{compact}" id="grid">'
        f'<thead><tr><th scope="col" class="corner">Clause</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _cell(index: int, p: Mapping[str, Any], cid: str) -> str:
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
    css = MARKS[verdict][2]
    return (
        f'<td class="v v-{css}" data-p="{index}" data-v="{css}" '
        f'title="{attr(cell_title(verdict, detail))}">{shown}</td>'
    )


def _filters(
    providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]
) -> str:
    """The grid's filters and search (and the failures' below); without script, not shown."""
    verdicts = "".join(
        f'<option value="{value}" data-show="{" ".join(shows)}">{text(label)}</option>'
        for value, (label, shows) in VERDICT_FILTERS.items()
    )
    groups = dict.fromkeys(clauses[c]["group"] for c in sorted(clauses, key=clause_sort_key))
    group_options = '<option value="">every clause group</option>' + "".join(
        f'<option value="{attr(g)}">{text(g)} — {text(GROUPS.get(g, ""))}</option>' for g in groups
    )
    provider_options = '<option value="">every provider</option>' + "".join(
        f'<option value="{i}">{text(p["id"])}</option>' for i, p in enumerate(providers)
    )
    return (
        '<div class="filters js-only" role="search" aria-label="filter the clauses">'
        f'<label>Verdict <select id="f-verdict">{verdicts}</select></label>'
        f'<label>Group <select id="f-group">{group_options}</select></label>'
        f'<label>Provider <select id="f-provider">{provider_options}</select></label>'
        '<label>Search <input type="search" id="f-search" '
        'placeholder="clause, title or failure text"></label>'
        '<label><input type="checkbox" id="hide-unjudged"> '
        "Hide clauses no check of this run exercised</label>"
        '<span id="f-count" class="n" aria-live="polite"></span>'
        "</div>"
    )
