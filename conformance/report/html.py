"""compatibility.html: the report for a person to look at, in one file that works offline.

A clause × provider grid where every verdict has its own symbol, shape and word (never colour
alone), a card per provider, and behind each failing cell the failing checks' messages, wire
transcripts and the command that reproduces them. Everything is inline (a Content-Security-Policy
forbids loading anything else), and every piece of text passes through `text()`: transcripts hold
whatever bytes a provider sent, and invisible or direction-changing characters are shown as
escapes so a transcript always reads as what was on the wire.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.capabilities import declared_text, observed_text
from conformance.report.markdown import INCOMPLETE_WORDS, provider_state, run_lines
from conformance.report.model import FAILING, NOT_RUN, VERDICTS
from conformance.secrets.options import HOW_TO_SUPPLY
from conformance.secrets.redaction import REDACTED_SECRET
from conformance.vocabulary.clauses import GROUPS, clause_sort_key

#: Verdict -> (symbol, word, CSS class). The symbol sits in a shape of its own per verdict.
MARKS: dict[str, tuple[str, str, str]] = {
    "pass": ("✓", "pass", "pass"),
    "fail": ("✗", "fail", "fail"),
    "declared-but-broken": ("!", "declared but broken", "dbb"),
    "not-applicable": ("–", "not applicable", "na"),
    "inconclusive": ("~", "inconclusive", "inc"),
    "incomplete": ("⚠", "incomplete", "icp"),
    NOT_RUN: ("?", "not run", "nr"),
}

#: Capability verdict (declared against observed) -> (symbol, word, CSS class).
CAPABILITY_MARKS: dict[str, tuple[str, str, str]] = {
    "ok": ("✓", "ok", "pass"),
    "declared but broken": ("!", "declared but broken", "dbb"),
    "works but undeclared": ("+", "works but undeclared", "wbu"),
    "not probed": ("?", "not probed", "nr"),
}

_SHORT = {
    "pass": "pass",
    "fail": "fail",
    "declared-but-broken": "broken",
    "not-applicable": "n/a",
    "inconclusive": "inconclusive",
    "incomplete": "incomplete",
    NOT_RUN: "not run",
}

#: Arabic letter mark, zero-width space, LRM/RLM, line/paragraph separators, BOM, and the
#: embedding, override and isolate controls.
_BIDI_AND_INVISIBLE = frozenset(
    (
        0x061C,
        0x200B,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
)


def _hidden(code: int) -> bool:
    """Characters that would be invisible, reorder the text around them, or are not text."""
    return (
        code < 0x20
        or 0x7F <= code < 0xA0
        or 0xD800 <= code < 0xE000
        or 0xFDD0 <= code <= 0xFDEF
        or (code & 0xFFFE) == 0xFFFE
        or code in _BIDI_AND_INVISIBLE
    )


def _escape_code(char: str) -> str:
    code = ord(char)
    if char == "\r":
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: object) -> str:
    """Any text as HTML element content: markup escaped, hidden characters shown as escapes."""
    out = []
    for char in str(value):
        if char in "\n\t":
            out.append(char)
        elif _hidden(ord(char)):
            out.append(f'<span class="cc" title="U+{ord(char):04X}">{_escape_code(char)}</span>')
        else:
            out.append(html.escape(char, quote=False))
    return "".join(out)


def attr(value: object) -> str:
    """Any text as a quoted attribute value's content."""
    plain = "".join(
        _escape_code(c) if _hidden(ord(c)) and c not in "\n\t" else c for c in str(value)
    )
    return html.escape(plain, quote=True)


def _mark(
    verdict: str,
    count: str = "",
    word: str = "",
    marks: Mapping[str, tuple[str, str, str]] = MARKS,
) -> str:
    symbol, default_word, css = marks[verdict]
    word = word or default_word
    counted = f'<span class="n">{text(count)}</span>' if count else ""
    return (
        f'<span class="mark m-{css}"><span class="sym" aria-hidden="true">{symbol}</span>'
        f'<span class="word">{word}</span>{counted}</span>'
    )


def _cell_title(verdict: str, detail: Mapping[str, Any] | None) -> str:
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


def render_html(report: Mapping[str, Any]) -> str:
    providers: Sequence[Mapping[str, Any]] = report["providers"]
    clauses: Mapping[str, Mapping[str, Any]] = report["clauses"]
    summary = report["summary"]
    shard = report.get("shard")
    title = f"Provider compatibility — {summary['conforming']} of {summary['providers']} conforming"
    conforming = f"{summary['conforming']} conforming"
    shard_badge = (
        f'<span class="total">shard {shard["index"]} of {shard["count"]}</span>' if shard else ""
    )
    failing = _failing_total(providers)
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>{text(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Provider compatibility</h1>",
        '<p class="totals">'
        f'<span class="total">{summary["providers"]} provider(s)</span>'
        f'<span class="total ok">{_mark("pass", word=conforming)}</span>'
        f'<span class="total bad" title="failing clauses over all providers: fail plus '
        f'declared-but-broken, as on the provider cards">{_mark("fail", word=failing)}</span>'
        f'<span class="total">{summary.get("checks", 0)} checks</span>' + shard_badge + "</p>",
        f'<p class="meta">Generated {text(report["generated_at"])}'
        + (f" by <code>{text(report['command'])}</code>" if report.get("command") else "")
        + "</p>",
        "</header>",
        "<main>",
    ]
    parts += _run_banner(report)
    if report.get("gate"):
        parts.append(_gate(report["gate"]))
    parts.append(_cards(providers, len(clauses)))
    parts.append(_grid(providers, clauses))
    parts.append(_capabilities(providers))
    parts.append(_failures(providers, clauses))
    parts += ["</main>", f"<script>{_JS}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _run_banner(report: Mapping[str, Any]) -> list[str]:
    lines = run_lines(report)
    if not lines:
        return []
    run = report["run"]
    return [
        f'<p class="run-incomplete" role="alert">{_mark("incomplete", word="Run incomplete")} '
        f"status <b>{text(run['status'])}</b>: {run['judged']} of {run['planned']} planned "
        "checks were judged. A check without a verdict is never a pass.</p>"
    ]


def _gate(gate: Mapping[str, Any]) -> str:
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
            f'<li class="g-reg">{_mark("fail", word="regression")} {where(entry)}: '
            f"{text(entry['was'])} → {text(entry['now'])}"
            + (f'<ul class="msgs">{messages}</ul>' if messages else "")
            + "</li>"
        )
    for entry in gate["improvements"]:
        todo = " — now passes: remove it from the known failures" if stale else ""
        rows.append(
            f'<li class="g-imp">{_mark("pass", word="improved")} {where(entry)}: '
            f"{text(entry['was'])} → {text(entry['now'])}{todo}</li>"
        )
    for entry in gate["unconfirmed"]:
        rows.append(
            f'<li class="g-unc">{_mark(NOT_RUN, word="unconfirmed")} {where(entry)}: '
            f"{text(entry['now'])} in this run</li>"
        )
    known = "".join(
        f"<li>{where(e)}: {text(e.get('reason') or e['was'])}</li>" for e in gate["known_failures"]
    )
    return (
        f'<section id="gate" class="gate {"ok" if passed else "bad"}">'
        f"<h2>{_mark('pass', word='Gate passed') if passed else _mark('fail', word='Gate failed')}"
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


def _cards(providers: Sequence[Mapping[str, Any]], total: int) -> str:
    cards = []
    for index, p in enumerate(providers):
        ok = p["conforms"]
        counts = p.get("clause_counts") or _counts(p)
        chips = "".join(
            f'<li class="{"zero" if not counts.get(v) else ""}" '
            f'title="{counts.get(v, 0)} clause(s): {attr(MARKS[v][1])}">'
            f"{_mark(v, word=f'{counts.get(v, 0)} {_SHORT[v]}')}</li>"
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
            badge = _mark("pass", word="Conforms")
        elif state.startswith("❌"):
            badge = _mark("fail", word="Does not conform")
        else:
            badge = _mark("incomplete", word=state.split(" ", 1)[1].capitalize())
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


def _failing_total(providers: Sequence[Mapping[str, Any]]) -> str:
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


def _grid(providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]) -> str:
    head = "".join(
        f'<th scope="col" class="prov"><a href="#p-{i}">{text(p["id"])}</a>'
        f'<span class="sub">{text(p["dialect"])}</span></th>'
        for i, p in enumerate(providers)
    )
    legend = "".join(f"<li>{_mark(v)}</li>" for v in ("pass", "fail", "declared-but-broken"))
    legend += "".join(
        f"<li>{_mark(v)}</li>" for v in ("not-applicable", "inconclusive", "incomplete", NOT_RUN)
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
            mark = _mark(verdict, count)
            if verdict in FAILING:
                label = f"{text(p['id'])} {cid}: show the failing checks"
                mark = f'<a class="open" href="#f-{index}-{cid}" aria-label="{label}">{mark}</a>'
            cells.append(
                f'<td class="v v-{MARKS[verdict][2]}" title="{attr(_cell_title(verdict, detail))}">'
                f"{mark}</td>"
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


def _capabilities(providers: Sequence[Mapping[str, Any]]) -> str:
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
            f"{_mark(row['verdict'], marks=CAPABILITY_MARKS)}</td></tr>"
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
    legend = "".join(f"<li>{_mark(v, marks=CAPABILITY_MARKS)}</li>" for v in CAPABILITY_MARKS)
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


def _failures(
    providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]
) -> str:
    sections = []
    for index, p in enumerate(providers):
        failing = [c for c, v in p["clauses"].items() if v in FAILING]
        incomplete = p.get("incomplete", [])
        if not (failing or p["errors"] or p["skipped"] or incomplete or p.get("build_error")):
            continue
        blocks = [f'<h3><a href="#p-{index}">{text(p["id"])}</a></h3>']
        if p.get("build_error"):
            blocks.append(
                f'<p class="error">{_mark("incomplete", word="could not be built")} '
                f"{text(p['build_error'])}</p>"
            )
        for entry in incomplete:
            blocks.append(
                f'<p class="error">{_mark("incomplete")} <b>{text(entry["check"])}</b>: '
                f"{text(INCOMPLETE_WORDS[entry['kind']])}: {text(entry['reason'])}</p>"
            )
        for error in p["errors"]:
            blocks.append(
                f'<p class="error">{_mark("fail")} <b>{text(error["check"])}</b> could not run: '
                f"{text(error['error'])}</p>"
            )
        for cid in sorted(failing, key=clause_sort_key):
            checks = [f for f in p["failures"] if cid in f["clauses"]]
            detail = p["clause_details"].get(cid, {})
            items = "".join(_failing_check(f, cid) for f in checks)
            blocks.append(
                f'<details class="fail" id="f-{index}-{cid}">'
                f"<summary>{_mark(p['clauses'][cid])} <b>{cid}</b> "
                f"{text(clauses.get(cid, {}).get('title', ''))} — {detail.get('failed', 0)} of "
                f"{detail.get('checks', 0)} check(s) failed</summary>{items}</details>"
            )
        if p["skipped"]:
            skipped = "".join(
                f"<li><b>{text(s['check'])}</b>: {text(s['reason'])}</li>" for s in p["skipped"]
            )
            blocks.append(
                f"<details><summary>{_mark('not-applicable')} {len(p['skipped'])} check(s) not "
                f"applicable (skipped, not passed)</summary><ul>{skipped}</ul></details>"
            )
        sections.append(f'<div class="provider-failures">{"".join(blocks)}</div>')
    if not sections:
        return '<section id="failures"><h2>Failures</h2><p>None.</p></section>'
    toggle = (
        '<p class="js-only"><button type="button" class="toggle" data-open="true">'
        "Open every failing clause</button></p>"
    )
    return f'<section id="failures"><h2>Failures</h2>{toggle}{"".join(sections)}</section>'


def _failing_check(failure: Mapping[str, Any], clause_id: str) -> str:
    prefix = f"{clause_id}: "
    messages = sorted(failure["messages"], key=lambda m: not m.startswith(prefix))
    listed = "".join(
        f'<li class="{"this" if m.startswith(prefix) else "other"}">{text(m)}</li>'
        for m in messages
    )
    command = failure["reproduce"]
    note = f'<p class="label">{text(HOW_TO_SUPPLY)}</p>' if REDACTED_SECRET in command else ""
    return (
        '<div class="check">'
        f"<h4>{text(failure['check'])}</h4>"
        f'<ul class="msgs">{listed}</ul>'
        '<p class="repro"><span class="label">Reproduce</span>'
        f"<code>{text(command)}</code>"
        f'<button type="button" class="copy js-only" data-copy="{attr(command)}">Copy</button></p>'
        f"{note}"
        '<p class="label">Wire transcript</p>'
        f'<pre class="transcript">{text(failure["transcript"])}</pre>'
        "</div>"
    )


_CSS = """
:root{--bg:#f7f7f5;--fg:#1d1d1f;--muted:#5f6368;--line:#d9d9d6;--card:#fff;
--pass:#1a7f37;--pass-bg:#e3f4e8;--fail:#c62828;--fail-bg:#fde7e7;--dbb:#a35200;
--dbb-bg:#fff0d6;--na:#6b6f76;--na-bg:#eef0f2;--nr:#8a8d91;--wbu:#1f5fbf;--wbu-bg:#e6effb;}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:20px 28px 12px;background:#fff;border-bottom:1px solid var(--line)}
h1{margin:0 0 8px;font-size:22px}
h2{font-size:17px;margin:28px 0 10px}
h3{font-size:15px;margin:0 0 6px;display:flex;align-items:center;gap:8px}
h4{margin:0 0 6px;font-size:13px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
main{padding:0 28px 40px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
font-size:12.5px}
.meta{color:var(--muted);margin:6px 0 0;font-size:12.5px}
.meta code{white-space:pre-wrap;overflow-wrap:anywhere}
.totals{display:flex;flex-wrap:wrap;gap:10px;margin:0}
.total{display:inline-flex;align-items:center;gap:6px;padding:3px 10px;border:1px solid var(--line);
border-radius:999px;background:#fff}
.mark{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.sym{display:inline-flex;align-items:center;justify-content:center;width:18px;height:18px;
font-size:12px;font-weight:700;line-height:1;flex:none}
.m-pass .sym{background:var(--pass);color:#fff;border-radius:50%}
.m-fail .sym{background:var(--fail);color:#fff;border-radius:2px}
.m-dbb .sym{background:var(--dbb);color:#fff;clip-path:polygon(50% 0,100% 100%,0 100%);
padding-top:5px;font-size:11px}
.m-na .sym{border:2px solid var(--na);color:var(--na);border-radius:6px;height:14px;width:20px}
.m-nr .sym{border:2px dashed var(--nr);color:var(--nr);border-radius:50%}
.m-inc .sym{border:2px dotted var(--dbb);color:var(--dbb);border-radius:3px}
.m-icp .sym{background:#fff3cd;color:#7a4d00;border:2px solid #7a4d00;border-radius:3px}
.run-incomplete{border:2px solid #7a4d00;background:#fff3cd;padding:8px 12px;border-radius:6px}
.m-wbu .sym{border:2px solid var(--wbu);color:var(--wbu);border-radius:9px 2px;font-size:14px}
.word{font-size:12.5px}
.n{color:var(--muted);font-size:11.5px;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-left:5px solid var(--pass);
border-radius:8px;padding:14px 16px}
.card.bad{border-left-color:var(--fail)}
.card .pid{overflow-wrap:anywhere;font-size:16px;margin-bottom:4px}
.card .verdict{margin:0 0 10px;font-weight:600}
.card.ok .verdict{color:var(--pass)}.card.bad .verdict{color:var(--fail)}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0 0 10px;font-size:12.5px}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.counts{list-style:none;padding:0;margin:0 0 10px;display:flex;flex-wrap:wrap;gap:6px}
.counts li{display:inline-flex;align-items:center;padding:2px 8px 2px 4px;border-radius:6px;
background:var(--bg);border:1px solid var(--line)}
.counts li.zero{opacity:.55}
.label{color:var(--muted);font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;
margin:6px 0 4px}
.caps{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:5px}
.cap{padding:1px 8px;border-radius:999px;background:#eef3fb;border:1px solid #c9d8ef;font-size:12px}
.cap.none{background:none;color:var(--muted)}
.card>p.note{font-size:12.5px;margin:8px 0 0;color:var(--muted)}
.card>p.errors{color:var(--fail);font-weight:600}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:16px;margin:0 0 6px}
.hint{color:var(--muted);margin:4px 0 8px;max-width:900px}
.table-wrap{overflow:auto;max-height:85vh;border:1px solid var(--line);border-radius:8px;
background:#fff}
table.grid{border-collapse:separate;border-spacing:0;min-width:100%}
.grid td.v{min-width:150px}
.grid th,.grid td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:middle}
.grid thead th{position:sticky;top:0;background:#fff;z-index:2;border-bottom:2px solid var(--line)}
.grid th.prov a{color:inherit;text-decoration:none;font-weight:700}
.grid th.prov .sub{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
.grid th.clause{position:sticky;left:0;background:#fff;z-index:1;font-weight:400;min-width:280px}
.grid thead th.corner{left:0;z-index:3}
.cid{font-weight:700;font-family:ui-monospace,Menlo,Consolas,monospace;display:inline-block;width:44px}
.ctitle{color:#333}
.grid tr.group th{background:var(--bg);font-size:12px;text-transform:uppercase;letter-spacing:.05em;
color:var(--muted);position:static}
td.v{white-space:nowrap}
td.v-pass{background:var(--pass-bg)}td.v-fail{background:var(--fail-bg)}
td.v-dbb{background:repeating-linear-gradient(135deg,var(--dbb-bg) 0 8px,#ffe4b3 8px 16px)}
td.v-na{background:var(--na-bg)}td.v-nr{background:#fff;color:var(--nr)}
td.v-fail .word,td.v-dbb .word{font-weight:700}
a.open{color:inherit;text-decoration:underline dotted;text-underline-offset:3px}
a.open:hover,a.open:focus{text-decoration-style:solid;outline:2px solid #1f6feb;outline-offset:2px}
.hide-unjudged tr[data-judged="0"]{display:none}
.capblock{margin:0 0 18px}.capctx{margin:0 0 6px;color:var(--muted);overflow-wrap:anywhere}
table.captable{border-collapse:collapse;width:100%;min-width:760px;table-layout:fixed}
.captable th:nth-child(1){width:19%}.captable th:nth-child(2){width:11%}
.captable th:nth-child(4){width:22%}.captable th:nth-child(5){width:19%}
.captable .mark{white-space:normal}
.captable th,.captable td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top;overflow-wrap:anywhere}
.captable thead th{background:#fff;border-bottom:2px solid var(--line)}
.captable td code{overflow-wrap:anywhere}
td.cv-pass{background:var(--pass-bg)}td.cv-dbb{background:var(--dbb-bg)}
td.cv-wbu{background:var(--wbu-bg)}td.cv-nr{color:var(--nr)}
td.cv-dbb .word,td.cv-wbu .word{font-weight:700}
.js-only{display:none}.js .js-only{display:revert}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:0 14px}
details[open]{padding-bottom:12px}
details>summary{cursor:pointer;padding:10px 0;list-style-position:inside}
details.fail{border-left:5px solid var(--fail)}
details:target,details.fail:focus-within{box-shadow:0 0 0 3px #1f6feb55}
.provider-failures{margin-bottom:18px}
.check{border-top:1px solid var(--line);padding-top:10px;margin-top:8px}
.msgs{margin:0 0 8px;padding-left:20px}
.msgs li{overflow-wrap:anywhere;white-space:pre-wrap}.msgs li.other{color:var(--muted)}
.repro{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:6px 0}
.repro .label{margin:0}
.repro code{background:#f1f3f5;border:1px solid var(--line);border-radius:6px;padding:3px 8px;
overflow-wrap:anywhere;flex:1 1 420px}
button.copy,button.toggle{font:inherit;font-size:12px;padding:2px 10px;border:1px solid var(--line);
border-radius:6px;background:#fff;cursor:pointer}
pre.transcript{background:#0f1419;color:#e6e6e6;padding:10px 12px;border-radius:6px;
max-height:28em;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere;margin:0}
.cc{color:#ffb86c;background:#3a2a12;border-radius:3px;padding:0 1px}
.gate{border:1px solid var(--line);border-left:6px solid var(--pass);background:#fff;
border-radius:8px;padding:4px 16px 10px;margin-top:20px}
.gate.bad{border-left-color:var(--fail)}
.gate h2{display:flex;align-items:center;gap:8px;margin:12px 0 4px}
.gate-list{list-style:none;padding:0;margin:6px 0}
.gate-list>li{padding:4px 0}
.gate-list .word{font-weight:700}
.gate h2 .word{font-size:17px;font-weight:700}
@media print{.table-wrap{max-height:none;overflow:visible}details{break-inside:avoid}}
"""

_JS = """
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var node = id ? document.getElementById(id) : null;
    if (!node) { return; }
    for (var el = node; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") { el.open = true; }
    }
    node.scrollIntoView({block: "start"});
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  var hide = document.getElementById("hide-unjudged");
  if (hide) {
    hide.addEventListener("change", function () {
      document.body.classList.toggle("hide-unjudged", hide.checked);
    });
  }
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var code = button.parentNode.querySelector("code");
      var done = function () { button.textContent = "Copied"; };
      var fallback = function () {
        selectText(code);
        button.textContent = "Selected: press Ctrl+C";
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.toggle"), function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-open") === "true";
      Array.prototype.forEach.call(document.querySelectorAll("details.fail"), function (d) {
        d.open = open;
      });
      button.setAttribute("data-open", open ? "false" : "true");
      button.textContent = open ? "Close every failing clause" : "Open every failing clause";
    });
  });
  root.setAttribute("data-ready", "true");
})();
"""
