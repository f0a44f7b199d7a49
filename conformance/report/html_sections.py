"""The report's sections around the grid: the run banner, the gate, provider cards, capabilities."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.capabilities import declared_text, observed_text
from conformance.report.html_text import CAPABILITY_MARKS, MARKS, SHORT, attr, mark, text
from conformance.report.markdown import provider_state, run_lines
from conformance.report.model import NOT_RUN, VERDICTS


def run_banner(report: Mapping[str, Any]) -> list[str]:
    lines = run_lines(report)
    if not lines:
        return []
    run = report["run"]
    return [
        f'<p class="run-incomplete" role="alert">{mark("incomplete", word="Run incomplete")} '
        f"status <b>{text(run['status'])}</b>: {run['judged']} of {run['planned']} planned "
        "checks were judged. A check without a verdict is never a pass.</p>"
    ]


def gate_section(gate: Mapping[str, Any]) -> str:
    passed = gate["passed"]
    kind = "known failures" if gate["kind"] == "known-failures" else "a previous report"
    rows = []
    stale = gate["kind"] == "known-failures" and not gate["partial"]

    def where(entry: Mapping[str, Any]) -> str:
        if entry["clause"] is None:
            return f"<code>{text(entry['provider'])}</code> check {text(entry.get('check', ''))}"
        return f"<code>{text(entry['provider'])}</code> <b>{text(entry['clause'])}</b>"

    for entry in gate["regressions"]:
        messages = "".join(f"<li>{text(m)}</li>" for m in entry.get("messages", []))
        rows.append(
            f'<li class="g-reg">{mark("fail", word="regression")} {where(entry)}: '
            f"{text(entry['was'])} → {text(entry['now'])}"
            + (f'<ul class="msgs">{messages}</ul>' if messages else "")
            + "</li>"
        )
    for entry in gate["improvements"]:
        todo = " — now passes: remove it from the known failures" if stale else ""
        rows.append(
            f'<li class="g-imp">{mark("pass", word="improved")} {where(entry)}: '
            f"{text(entry['was'])} → {text(entry['now'])}{todo}</li>"
        )
    for entry in gate["unconfirmed"]:
        rows.append(
            f'<li class="g-unc">{mark(NOT_RUN, word="unconfirmed")} {where(entry)}: '
            f"{text(entry['now'])} in this run</li>"
        )
    known = "".join(
        f"<li>{where(e)}: {text(e.get('reason') or e['was'])}</li>" for e in gate["known_failures"]
    )
    return (
        f'<section id="gate" class="gate {"ok" if passed else "bad"}">'
        f"<h2>{mark('pass', word='Gate passed') if passed else mark('fail', word='Gate failed')}"
        "</h2>"
        f"<p>Against <code>{text(gate['baseline'])}</code> ({kind}): "
        f"{len(gate['regressions'])} regression(s), {len(gate['improvements'])} improvement(s), "
        f"{len(gate['known_failures'])} known failure(s) still failing.</p>"
        + (f'<ul class="gate-list">{"".join(rows)}</ul>' if rows else "")
        + (
            f"<details><summary>Known failures still failing ({len(gate['known_failures'])})"
            f'</summary><ul class="gate-list">{known}</ul></details>'
            if known
            else ""
        )
        + "</section>"
    )


def cards_section(providers: Sequence[Mapping[str, Any]], total: int) -> str:
    cards = []
    for index, p in enumerate(providers):
        ok = p["conforms"]
        counts = p.get("clause_counts") or _counts(p)
        chips = "".join(
            f'<li class="{"zero" if not counts.get(v) else ""}" '
            f'title="{counts.get(v, 0)} clause(s): {attr(MARKS[v][1])}">'
            f"{mark(v, word=f'{counts.get(v, 0)} {SHORT[v]}')}</li>"
            for v in (*VERDICTS, NOT_RUN)
        )
        declared = (
            "".join(f'<li class="cap">{text(c)}</li>' for c in p.get("declared_capabilities", []))
            or '<li class="cap none">none declared</li>'
        )
        judged = total - len(p["not_checked"])
        extra = []
        if p.get("build_error"):
            extra.append(f'<p class="note errors">could not be built: {text(p["build_error"])}</p>')
        if p.get("incomplete"):
            extra.append(
                f'<p class="note errors">{len(p["incomplete"])} planned check(s) without a '
                "verdict (incomplete)</p>"
            )
        if p["errors"]:
            extra.append(f'<p class="note errors">{len(p["errors"])} check(s) could not run</p>')
        if p["skipped"]:
            extra.append(f'<p class="note">{len(p["skipped"])} check(s) not applicable</p>')
        if p.get("capabilities"):
            extra.append(_capability_note(p["capabilities"], index))
        state = provider_state(p)
        if ok:
            badge = mark("pass", word="Conforms")
        elif state.startswith("❌"):
            badge = mark("fail", word="Does not conform")
        else:
            badge = mark("incomplete", word=state.split(" ", 1)[1].capitalize())
        cards.append(
            f'<article class="card {"ok" if ok else "bad"}" id="p-{index}">'
            f'<h3 class="pid">{text(p["id"])}</h3>'
            f'<p class="verdict">{badge}</p>'
            "<dl>"
            f"<dt>target</dt><dd><code>{text(p['target'])}</code></dd>"
            f"<dt>dialect</dt><dd>{text(p['dialect'])}</dd>"
            f"<dt>profile</dt><dd>{text(p['profile'])}</dd>"
            f"<dt>name</dt><dd>{text(p.get('name') or '—')}</dd>"
            f"<dt>checks</dt><dd>{p.get('judged', p['checks'])} of "
            f"{p.get('planned', p['checks'])} planned judged, covering {judged} of {total} "
            "clauses</dd>"
            "</dl>"
            f'<ul class="counts" aria-label="clauses by verdict">{chips}</ul>'
            f'<p class="label">Declared capabilities</p><ul class="caps">{declared}</ul>'
            + "".join(extra)
            + "</article>"
        )
    return (
        '<section id="providers"><h2>Providers</h2>'
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def failing_total(providers: Sequence[Mapping[str, Any]]) -> str:
    """The header's count, in the cards' terms: failing clauses (fail + declared-but-broken).

    It used to count providers that do not conform, and read "1 failing" above a card saying
    "0 fail, 2 broken".
    """
    total = 0
    for p in providers:
        counts = p.get("clause_counts") or _counts(p)
        total += counts.get("fail", 0) + counts.get("declared-but-broken", 0)
    return f"{total} failing clause{'' if total == 1 else 's'}"


def _counts(p: Mapping[str, Any]) -> dict[str, int]:
    verdicts = list(p["clauses"].values())
    counts = {v: verdicts.count(v) for v in VERDICTS}
    counts[NOT_RUN] = len(p["not_checked"])
    return counts


def _capability_note(block: Mapping[str, Any], index: int) -> str:
    """The card's pointer to its declared-against-observed table, with what stands out."""
    verdicts = [row["verdict"] for row in block["rows"]]
    notable = [
        f"{verdicts.count(v)} {v}"
        for v in ("declared but broken", "works but undeclared")
        if verdicts.count(v)
    ]
    summary = ", ".join(notable) or "declarations match what was observed"
    return (
        f'<p class="note"><a href="#c-{index}">Capabilities, declared against observed</a>: '
        f"{text(summary)}</p>"
    )


def capabilities_section(providers: Sequence[Mapping[str, Any]]) -> str:
    """Per provider with a capability file: declared (and by whom) against observed."""
    tables = []
    for index, p in enumerate(providers):
        block = p.get("capabilities")
        if not block:
            continue
        rows = "".join(
            f'<tr><th scope="row">{text(row["capability"])}</th>'
            f"<td>{text(declared_text(row))}</td><td>{_declared_by(row)}</td>"
            f"<td>{text(observed_text(row))}</td>"
            f'<td class="cv cv-{CAPABILITY_MARKS[row["verdict"]][2]}">'
            f"{mark(row['verdict'], marks=CAPABILITY_MARKS)}</td></tr>"
            for row in block["rows"]
        )
        tables.append(
            f'<div class="capblock" id="c-{index}">'
            f'<h3><a href="#p-{index}">{text(p["id"])}</a></h3>'
            f'<p class="capctx">{_capability_context(block)}</p>'
            '<div class="table-wrap"><table class="captable">'
            '<thead><tr><th scope="col">Capability</th><th scope="col">Declared</th>'
            '<th scope="col">Declared by</th><th scope="col">Observed</th>'
            '<th scope="col">Verdict</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div></div>"
        )
    if not tables:
        return ""
    legend = "".join(f"<li>{mark(v, marks=CAPABILITY_MARKS)}</li>" for v in CAPABILITY_MARKS)
    return (
        '<section id="capabilities"><h2>Capabilities: declared against observed</h2>'
        f'<ul class="legend" aria-label="legend">{legend}</ul>'
        '<p class="hint">What the capability file (or, where it says nothing, the provider class) '
        "declares, against what the checks observed. A capability the file does not declare is "
        "probed: its checks run and their verdicts count as not applicable; "
        "<i>works but undeclared</i> means every probe passed. <i>Not probed</i>: no check of "
        "this run exercised it.</p>"
        f"{''.join(tables)}</section>"
    )


def _capability_context(block: Mapping[str, Any]) -> str:
    if block.get("file") is None:
        return "The identity check, which reads the capability file, ran in another shard."
    context = (
        f"File <code>{text(block['file'])}</code>, read for provider "
        f"<code>{text(block.get('provider') or '(no name)')}</code> and model "
        f"<code>{text(block.get('model') or '(none)')}</code>"
    )
    if not block.get("names_provider", True):
        return context + ": it says nothing about this provider, so its own declarations hold."
    patterns = ", ".join(f"<code>{text(x)}</code>" for x in block["patterns"]) or "none"
    context += f"; matching model patterns: {patterns}."
    if block.get("not_judged"):
        context += (
            f" Not observable on the wire, not judged: {text(', '.join(block['not_judged']))}."
        )
    return context


def _declared_by(row: Mapping[str, Any]) -> str:
    if row["declared_by"] == "provider":
        return "the provider class"
    if row["declared_by"] == "unknown":
        return "unknown (another shard)"
    where = (
        f"model pattern <code>{text(row['pattern'])}</code>"
        if row.get("pattern")
        else text(row.get("layer") or "")
    )
    return f"file, {where}: <code>{text(row.get('source') or '')}</code>"
