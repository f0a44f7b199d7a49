"""compatibility.html: the report for a person to look at, in one file that works offline.

A clause × provider grid where every verdict has its own symbol, shape and word (never colour
alone), a card per provider, and behind each failing cell the failing checks' messages, wire
transcripts and the command that reproduces them. Everything is inline (a Content-Security-Policy
forbids loading anything else), and every piece of text passes through `text()`: transcripts hold
whatever bytes a provider sent, and invisible or direction-changing characters are shown as
escapes so a transcript always reads as what was on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from conformance.report.html_assets import CSS, JS
from conformance.report.html_clause_docs import clause_docs_section
from conformance.report.html_failures import failures_section
from conformance.report.html_grid import grid_section
from conformance.report.html_sections import (
    capabilities_section,
    cards_section,
    failing_total,
    gate_section,
    run_banner,
)
from conformance.report.html_text import attr, mark, text

__all__ = ["attr", "render_html", "text"]


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
    failing = failing_total(providers)
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>{text(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Provider compatibility</h1>",
        '<p class="totals">'
        f'<span class="total">{summary["providers"]} provider(s)</span>'
        f'<span class="total ok">{mark("pass", word=conforming)}</span>'
        f'<span class="total bad" title="failing clauses over all providers: fail plus '
        f'declared-but-broken, as on the provider cards">{mark("fail", word=failing)}</span>'
        f'<span class="total">{summary.get("checks", 0)} checks</span>' + shard_badge + "</p>",
        f'<p class="meta">Generated {text(report["generated_at"])}'
        + (f" by <code>{text(report['command'])}</code>" if report.get("command") else "")
        + "</p>",
        "</header>",
        "<main>",
    ]
    parts += run_banner(report)
    if report.get("gate"):
        parts.append(gate_section(report["gate"]))
    parts.append(cards_section(providers, len(clauses)))
    parts.append(grid_section(providers, clauses))
    parts.append(capabilities_section(providers))
    parts.append(failures_section(providers, clauses))
    parts.append(clause_docs_section(providers, clauses))
    parts += ["</main>", f"<script>{JS}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
