"""A check's id with the clauses it judges appended: `provider:scenario-mode@ST-1+CH-1`.

The plugin writes these ids (so `-k ST-3` selects by clause) and the report reads them back
(the plan and the rows are keyed without the suffix); both sides share this spelling.
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.vocabulary.clauses import CLAUSES

#: Separates a check's id from the clauses it judges: `provider:scenario-mode@ST-1+CH-1`.
CLAUSE_SEPARATOR = "@"


def with_clauses(check_id: str, clauses: Iterable[str]) -> str:
    names = list(dict.fromkeys(clauses))
    return f"{check_id}{CLAUSE_SEPARATOR}{'+'.join(names)}" if names else check_id


def strip_clauses(param: str) -> str:
    """The test parameter without its clause suffix (what reports and the plan read)."""
    head, sep, tail = param.rpartition(CLAUSE_SEPARATOR)
    if sep and tail and all(part in CLAUSES for part in tail.split("+")):
        return head
    return param
