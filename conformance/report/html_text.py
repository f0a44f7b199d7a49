"""Text and marks for compatibility.html: every piece of text shown passes through `text()`.

Transcripts hold whatever bytes a provider sent, and invisible or direction-changing characters
are shown as escapes so a transcript always reads as what was on the wire. Every verdict has its
own symbol, shape and word (never colour alone).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from conformance.report.model import NOT_RUN

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

SHORT = {
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


def _hidden_pattern() -> re.Pattern[str]:
    """One character class of every code point `_hidden` names, tab and newline excepted.

    A report holds every transcript of the run: a regular expression finds the few hidden
    characters where a loop over each character took most of the time spent writing the HTML.
    """
    ranges = [(0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0xD800, 0xDFFF), (0xFDD0, 0xFDEF)]
    ranges += [(plane | 0xFFFE, plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000)]
    ranges += [(code, code) for code in sorted(_BIDI_AND_INVISIBLE)]
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


_HIDDEN = _hidden_pattern()


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    return f'<span class="cc" title="U+{ord(char):04X}">{_escape_code(char)}</span>'


def text(value: object) -> str:
    """Any text as HTML element content: markup escaped, hidden characters shown as escapes."""
    # Escaping touches only &, < and >, never a hidden character, so the two steps commute.
    return _HIDDEN.sub(_shown, html.escape(str(value), quote=False))


def attr(value: object) -> str:
    """Any text as a quoted attribute value's content."""
    return html.escape(_HIDDEN.sub(lambda m: _escape_code(m.group()), str(value)), quote=True)


def mark(
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
