"""Behind each failing cell: the failing checks' messages, transcripts and reproduce commands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.html_text import MARKS, attr, mark, text
from conformance.report.markdown import INCOMPLETE_WORDS
from conformance.report.model import FAILING
from conformance.secrets.options import HOW_TO_SUPPLY
from conformance.vocabulary.clauses import clause_sort_key
from conformance.vocabulary.redaction import REDACTED_SECRET
from conformance.vocabulary.transcript_excerpt import transcript_anchor


def failures_section(
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
                f'<p class="error">{mark("incomplete", word="could not be built")} '
                f"{text(p['build_error'])}</p>"
            )
        for entry in incomplete:
            blocks.append(
                f'<p class="error">{mark("incomplete")} <b>{text(entry["check"])}</b>: '
                f"{text(INCOMPLETE_WORDS[entry['kind']])}: {text(entry['reason'])}</p>"
            )
        for error in p["errors"]:
            blocks.append(
                f'<p class="error">{mark("fail")} <b>{text(error["check"])}</b> could not run: '
                f"{text(error['error'])}</p>"
            )
        anchored: set[str] = set()  # a check failing two clauses is shown twice: one id
        for cid in sorted(failing, key=clause_sort_key):
            checks = [f for f in p["failures"] if cid in f["clauses"]]
            detail = p["clause_details"].get(cid, {})
            items = "".join(_failing_check(f, cid, p["id"], anchored) for f in checks)
            verdict = p["clauses"][cid]
            group = clauses.get(cid, {}).get("group", cid.split("-")[0])
            blocks.append(
                f'<details class="fail" id="f-{index}-{cid}" data-p="{index}" '
                f'data-clause="{cid}" data-group="{attr(group)}" data-v="{MARKS[verdict][2]}">'
                f"<summary>{mark(verdict)} <b>{cid}</b> "
                f"{text(clauses.get(cid, {}).get('title', ''))} — {detail.get('failed', 0)} of "
                f"{detail.get('checks', 0)} check(s) failed · "
                f'<a href="#doc-{cid}">how to fix it</a></summary>{items}</details>'
            )
        if p["skipped"]:
            skipped = "".join(
                f"<li><b>{text(s['check'])}</b>: {text(s['reason'])}</li>" for s in p["skipped"]
            )
            blocks.append(
                f"<details><summary>{mark('not-applicable')} {len(p['skipped'])} check(s) not "
                f"applicable (skipped, not passed)</summary><ul>{skipped}</ul></details>"
            )
        sections.append(f'<div class="provider-failures" data-p="{index}">{"".join(blocks)}</div>')
    if not sections:
        return '<section id="failures"><h2>Failures</h2><p>None.</p></section>'
    toggle = (
        '<p class="js-only"><button type="button" class="toggle" data-open="true">'
        "Open every failing clause</button></p>"
    )
    return f'<section id="failures"><h2>Failures</h2>{toggle}{"".join(sections)}</section>'


def _failing_check(
    failure: Mapping[str, Any], clause_id: str, provider: str, anchored: set[str]
) -> str:
    """One failing check; the first block of each check has the id failure messages link to."""
    anchor = transcript_anchor(provider, failure["check"])
    id_attr = "" if anchor in anchored else f' id="{attr(anchor)}"'
    anchored.add(anchor)
    prefix = f"{clause_id}: "
    messages = sorted(failure["messages"], key=lambda m: not m.startswith(prefix))
    listed = "".join(
        f'<li class="{"this" if m.startswith(prefix) else "other"}">{text(m)}</li>'
        for m in messages
    )
    command = failure["reproduce"]
    note = f'<p class="label">{text(HOW_TO_SUPPLY)}</p>' if REDACTED_SECRET in command else ""
    return (
        f'<div class="check"{id_attr}>'
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
