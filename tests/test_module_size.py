"""No module of `conformance` over 400 lines unless its first line says why it stays whole.

A long module is usually several concepts in one file; where it is one concept (one API's wire,
one table), a first-line comment `# Whole on purpose (over 400 lines): WHY` says so.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
LIMIT = 400
MARK = "# Whole on purpose (over 400 lines):"

#: Over the limit and still to be divided (empty since the last four were divided; a module goes
#: here only while someone divides it): remove a file from here once it is divided.
NOT_YET: frozenset[str] = frozenset()


def test_long_modules_say_why_they_stay_whole() -> None:
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        name = path.relative_to(PACKAGE).as_posix()
        if len(lines) > LIMIT and name not in NOT_YET and not lines[0].startswith(MARK):
            unexplained.append(f"conformance/{name}: {len(lines)} lines")
    assert unexplained == [], "split these, or say why on their first line:\n" + "\n".join(
        unexplained
    )


def test_the_not_yet_list_holds_only_long_modules() -> None:
    short = [n for n in NOT_YET if len((PACKAGE / n).read_text().splitlines()) <= LIMIT]
    assert short == [], f"divided already, remove from NOT_YET: {short}"
