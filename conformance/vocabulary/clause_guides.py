"""Per clause: how it is judged (docs/contract.md) and how to fix it (the profile's guide).

A failure message and the HTML report both send the reader to the paragraph that says what to
change; they read it here, from the docs installed with the package, so the link a failure line
prints, the text the report shows and the guide a user opens are one text. A guide section may
cover several clauses ("RE-1 to RE-4", "CF-1 and CF-2"): each of them points at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conformance.vocabulary.data_files import docs_dir

#: The profile whose guide a profile without one of its own falls back to.
DEFAULT_GUIDE_PROFILE = "native"

_ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>')
_CLAUSE = re.compile(r"\b([A-Z]{2})-(\d+)\b")
_RANGE = re.compile(r"\b([A-Z]{2})-(\d+) to \1-(\d+)\b")


@dataclass(frozen=True)
class ClauseGuide:
    """Where a clause's "how to fix" is, and its text (markdown, one paragraph per item)."""

    file: str  # docs/guide-native.md
    anchor: str  # fix-st-3
    heading: str
    paragraphs: tuple[str, ...]

    @property
    def link(self) -> str:
        return f"{self.file}#{self.anchor}"


def guide_file(profile: str) -> Path | None:
    """The profile's own guide, if it has one."""
    path = docs_dir() / f"guide-{profile}.md"
    return path if path.is_file() else None


def clause_guide(clause: str, profile: str = DEFAULT_GUIDE_PROFILE) -> ClauseGuide | None:
    """The section of the profile's guide (else the native one) that says how to fix `clause`."""
    for name in dict.fromkeys((profile, DEFAULT_GUIDE_PROFILE)):
        found = _guide_sections(name).get(clause)
        if found is not None:
            return found
    return None


def contract_row(clause: str) -> tuple[str, str] | None:
    """docs/contract.md's row for the clause: (judged by, how), markdown."""
    return _contract_rows().get(clause)


def _covered(heading: str) -> list[str]:
    """The clause ids a heading names: "ST-3: ...", "RE-1 to RE-4: ...", "CF-1 and CF-2: ..."."""
    title = heading.split(":", 1)[0]
    found = [f"{m[1]}-{m[2]}" for m in _CLAUSE.finditer(title)]
    for m in _RANGE.finditer(title):
        found += [f"{m[1]}-{n}" for n in range(int(m[2]), int(m[3]) + 1)]
    return list(dict.fromkeys(found))


@cache
def _guide_sections(profile: str) -> dict[str, ClauseGuide]:
    path = guide_file(profile)
    if path is None:
        return {}
    sections: dict[str, ClauseGuide] = {}
    anchor: str | None = None
    heading: str | None = None
    paragraphs: list[list[str]] = []

    def close() -> None:
        if anchor is None or heading is None:
            return
        guide = ClauseGuide(
            f"docs/{path.name}", anchor, heading, tuple(" ".join(p) for p in paragraphs if p)
        )
        for clause in _covered(heading):
            sections.setdefault(clause, guide)

    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ANCHOR.fullmatch(line.strip())
        if match or line.startswith("#"):
            if heading is not None and (match or line.startswith("##")):
                close()
                anchor = heading = None
            if match:
                anchor, paragraphs = (match[1], []) if match[1].startswith("fix-") else (None, [])
            elif line.startswith("### ") and anchor is not None:
                heading, paragraphs = line[4:].strip(), [[]]
            continue
        if heading is not None:
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
    close()
    return sections


@cache
def _contract_rows() -> dict[str, tuple[str, str]]:
    path = docs_dir() / "contract.md"
    if not path.is_file():
        return {}
    rows: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not _ANCHOR.search(cells[0]):
            continue
        for anchor in _ANCHOR.findall(cells[0]):
            rows.setdefault(anchor.upper(), (cells[1], cells[2]))
    return rows
