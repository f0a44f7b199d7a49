"""The report's clause reference: per clause, how it is judged and how to fix it.

Each clause title in the grid and each failing clause links here (`#doc-ST-3`). The page must
work offline and load nothing (its Content-Security-Policy), so the text is copied in from the
installed docs (docs/contract.md's row, the "how to fix" section of the guide of each profile in
the report) with the path of the section and the command that prints the whole guide.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.html_text import text
from conformance.vocabulary.clause_guides import ClauseGuide, clause_guide, contract_row
from conformance.vocabulary.clauses import clause_sort_key

_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_ANCHOR = re.compile(r'<a id="[^"]*"></a>')
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def inline_markdown(source: str) -> str:
    """The docs' inline markdown (code, bold, links) as safe HTML; links keep their text only."""
    plain = _LINK.sub(r"\1", _ANCHOR.sub("", source))
    parts = _CODE.split(plain)  # odd items were inside backticks
    out = []
    for number, part in enumerate(parts):
        if number % 2:
            out.append(f"<code>{text(part)}</code>")
        else:
            out.append(_BOLD.sub(r"<b>\1</b>", text(part)))
    return "".join(out)


def clause_docs_section(
    providers: Sequence[Mapping[str, Any]], clauses: Mapping[str, Mapping[str, Any]]
) -> str:
    profiles = list(dict.fromkeys(p["profile"] for p in providers)) or ["native"]
    entries = []
    for cid in sorted(clauses, key=clause_sort_key):
        parts = [f"<summary><b>{cid}</b> {text(clauses[cid]['title'])}</summary>"]
        row = contract_row(cid)
        if row is not None:
            judged, how = row
            parts.append(
                '<p class="label">How it is judged (<code>docs/contract.md</code>)</p>'
                f"<p>{inline_markdown(judged)}: {inline_markdown(how)}</p>"
            )
        guides: dict[ClauseGuide, list[str]] = {}
        for profile in profiles:
            guide = clause_guide(cid, profile)
            if guide is not None:
                guides.setdefault(guide, []).append(profile)
        for guide, users in guides.items():
            who = f" — profile {', '.join(users)}" if len(profiles) > 1 else ""
            guide_name = guide.file.removeprefix("docs/").removesuffix(".md")
            parts.append(
                f'<p class="label">How to fix it (<code>{text(guide.link)}</code>){text(who)}</p>'
                + "".join(f"<p>{inline_markdown(p)}</p>" for p in guide.paragraphs)
                + '<p class="where">The whole guide: '
                f"<code>provider-conformance docs {text(guide_name)}</code></p>"
            )
        entries.append(
            f'<details class="clause-doc" id="doc-{cid}" data-group="{clauses[cid]["group"]}">'
            + "".join(parts)
            + "</details>"
        )
    return (
        '<section id="clause-docs"><h2>Clauses: how each is judged, how to fix it</h2>'
        '<p class="hint">From the docs installed with the package; '
        "<code>provider-conformance docs</code> lists them.</p>" + "".join(entries) + "</section>"
    )
