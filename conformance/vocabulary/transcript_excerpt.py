"""The part of a wire transcript a failure message shows; the report keeps the whole.

A failing check's transcript runs to 100-150 lines (a pretty-printed request body, one line per
stream event), and pytest printed it whole for every failure, so reading three failures meant
scrolling past 400 lines. The excerpt keeps what a reader looks at first: each request and status
line, the headers that decide a verdict, the first and last events of each body, the server's own
notes (where it cut a connection), and the lines holding the values the verdict quotes (the id
it expected, the text that came), with one line around each. What is left out is marked in place
("… 23 lines …"), and the last line says where the whole transcript is.

A pure function of text, so the report (which links to the same anchor) and the terminal agree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

#: A transcript of at most this many lines is shown whole.
SHOWN_WHOLE = 40
#: Body lines kept at the start and at the end of each request or response.
HEAD = 3
TAIL = 2
#: Of many exchanges (retries), the first and last this many show more than their first lines.
OUTER_EXCHANGES = 2
#: Lines (not blank) around each line that holds a value a verdict quotes.
AROUND = 1
#: A quoted value found on more lines than this (a model name, a JSON key) keeps none of them.
MAX_HITS_PER_VALUE = 4
#: Characters of one line shown; longer lines keep their start, their end, and a quoted value.
WIDTH = 220
#: Of a long line's WIDTH, how much its start keeps (a stream event's end holds its delta).
LINE_HEAD = 50

_SECTION = re.compile(r"^--- .* ---$")
#: Headers that decide verdicts (RQ-1, RQ-2, ER-2, ST-*); the others only add length.
_TELLING_HEADERS = (
    "authorization:",
    "x-api-key:",
    "api-key:",
    "x-goog-api-key:",
    "content-type:",
    "accept:",
    "retry-after:",
    "retry-after-ms:",
)
#: Values quoted in a verdict message: 'text' or "text" (JSON-ish), at least 3 characters.
_QUOTED = re.compile(r"'([^'\n]{3,80})'|\"([^\"\n]{3,80})\"")
#: Quoted values too common to point anywhere.
#: Clause groups judged on what the provider sent; the others on what it made of the answer.
_REQUEST_GROUPS = frozenset({"RQ", "SE"})
_EVERYWHERE = frozenset({"role", "content", "assistant", "user", "index", "type", "function"})


def transcript_anchor(provider: str, check: str) -> str:
    """The HTML id of a failing check's block in compatibility.html (stable across runs).

    Readable when the provider id and check id are plain; otherwise made unique by a short hash,
    since an id must not hold spaces and two providers may differ only in such characters.
    """
    raw = f"{provider}--{check}"
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-")
    if slug != raw:
        slug += "-" + hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"t-{slug}"


def quoted_values(messages: Iterable[str]) -> list[str]:
    """The values the verdict messages quote, which the excerpt looks for in the transcript."""
    found: dict[str, None] = {}
    for message in messages:
        for match in _QUOTED.finditer(message):
            value = match.group(1) or match.group(2)
            if any(c.isalnum() for c in value) and value.lower() not in _EVERYWHERE:
                found[value] = None
    return list(found)


def excerpt(
    transcript: str, messages: Iterable[str] = (), *, full_at: str, clauses: Iterable[str] = ()
) -> str:
    """`transcript` trimmed to what matters, ending with where the whole one is (`full_at`).

    `clauses` (the failing ones) say which side broke: the values a verdict quotes are looked
    for in the requests when a request clause failed, in the responses when any other did.
    """
    lines = transcript.splitlines()
    if len(lines) <= SHOWN_WHOLE:
        return transcript
    values = quoted_values(messages)
    groups = {c.split("-", 1)[0] for c in clauses}
    sides = {"request" if g in _REQUEST_GROUPS else "response" for g in groups}
    keep = _kept(lines, values, sides or {"request", "response"})
    keep |= _blank_gaps(lines, keep)
    out: list[str] = []
    skipped = 0
    for number, line in enumerate(lines):
        if number in keep:
            if skipped:
                out.append(_gap(skipped))
                skipped = 0
            out.append(_narrow(line, values))
        else:
            skipped += 1
    if skipped:
        out.append(_gap(skipped))
    left_out = len(lines) - len(keep)
    out.append(f"[{left_out} of {len(lines)} lines left out; the whole transcript: {full_at}]")
    return "\n".join(out)


def _gap(count: int) -> str:
    return f"    … {count} line{'' if count == 1 else 's'} …"


def _kept(lines: list[str], values: list[str], sides: set[str]) -> set[int]:
    keep: set[int] = set()
    searched: list[int] = []
    starts = [i for i, line in enumerate(lines) if _SECTION.match(line)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, [*starts[1:], len(lines)], strict=True))
    exchanges = sum(1 for start, _ in bounds if lines[start].startswith("--- request"))
    exchange = 0
    side = "request"
    for start, end in bounds:
        marker = lines[start]
        if marker.startswith("--- request"):
            exchange, side = exchange + 1, "request"
        elif marker.startswith("--- response"):
            side = "response"
        elif _SECTION.match(marker):
            # A note of the server's (a cut, a stall): the events just before it show where.
            keep.update(i for i in range(max(0, start - 2), start) if lines[i].strip())
        if side in sides:
            searched += range(start, end)
        keep.update(range(start, min(start + 2, end)))  # the marker, the request or status line
        if OUTER_EXCHANGES < exchange <= exchanges - OUTER_EXCHANGES:
            continue  # a middle exchange of many (retries): its request and status line tell it
        body = _body_start(lines, start, end)
        keep.update(i for i in range(start, body) if lines[i].lower().startswith(_TELLING_HEADERS))
        content = [i for i in range(body, end) if lines[i].strip()]
        keep.update(content[:HEAD] + content[-TAIL:])
    for value in values:
        hits = [i for i in searched if value in lines[i]]
        if len(hits) > MAX_HITS_PER_VALUE:
            continue  # found everywhere (a model name, a JSON key): it points nowhere
        for hit in hits:
            keep.add(hit)
            keep.update(_neighbours(lines, hit, -1) + _neighbours(lines, hit, 1))
    return keep


def _neighbours(lines: list[str], at: int, step: int) -> list[int]:
    """The AROUND lines next to `at` that are not blank (stream events are blank-separated)."""
    found: list[int] = []
    at += step
    while 0 <= at < len(lines) and len(found) < AROUND:
        if lines[at].strip():
            found.append(at)
        at += step
    return found


def _blank_gaps(lines: list[str], keep: set[int]) -> set[int]:
    """Blank lines between kept lines: showing them is shorter than marking them left out."""
    return {
        i
        for i, line in enumerate(lines)
        if i not in keep and not line.strip() and (i - 1 in keep or i + 1 in keep)
    }


def _body_start(lines: list[str], start: int, end: int) -> int:
    """The first line after the head's blank line, or `end` when there is none."""
    for number in range(start + 1, end):
        if not lines[number].strip():
            return number + 1
    return end


def _narrow(line: str, values: list[str]) -> str:
    """A long line (one stream event) as its start and end, or around a value it holds."""
    if len(line) <= WIDTH:
        return line
    tail = WIDTH - LINE_HEAD
    for value in values:
        at = line.find(value)
        if at >= 0 and at < len(line) - tail:
            start = max(0, at - (WIDTH - len(value)) // 2)
            end = min(len(line), start + WIDTH)
            start = max(0, end - WIDTH)
            return ("…" if start else "") + line[start:end] + ("…" if end < len(line) else "")
    return line[:LINE_HEAD] + " … " + line[len(line) - tail :]
