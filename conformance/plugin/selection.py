"""Selecting checks by clause, and pasting printed test ids back.

"Run only ST-3" is the first thing a user asks after a failure. Every suite test therefore names
the clauses it judges twice: in its id (`test_scenario[acme:text_plain-chat@ST-1+CH-1]`, so
`-k ST-3` selects it) and as markers (`ST_3`, so `-m ST_3` does; marker names cannot hold a
hyphen in `-m` expressions a user would type). The clauses come from what the check exists to
judge: a scenario's focus, a property's or resilience check's clauses.

The ids `pytest --provider` prints start with `::` (the configured suite lives outside the
rootdir); `selected_suite_args` turns such an id back into a path pytest can collect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from conformance.vocabulary.check_ids import with_clauses
from conformance.vocabulary.clauses import CLAUSES


def clause_marker(clause: str) -> str:
    """The marker name of a clause: `ST-3` -> `ST_3`."""
    return clause.replace("-", "_")


def register_clause_markers(config: pytest.Config) -> None:
    """Declared, so `--strict-markers` and `pytest --markers` know them."""
    for clause, info in CLAUSES.items():
        config.addinivalue_line("markers", f"{clause_marker(clause)}: checks judging {info}")


def clause_param(value: Any, check_id: str, clauses: Sequence[str]) -> Any:
    """A parametrize value whose id and markers name the clauses it judges."""
    marks = [getattr(pytest.mark, clause_marker(c)) for c in dict.fromkeys(clauses)]
    return pytest.param(value, id=with_clauses(check_id, clauses), marks=marks)


def selected_suite_args(args: Sequence[str], suite: str) -> list[str] | None:
    """The arguments with printed suite ids (`::TestProviderConformance::...`) made collectable.

    None when no argument is such an id: the caller then adds the whole suite.
    """
    if not any(arg.startswith("::") for arg in args):
        return None
    return [suite + arg if arg.startswith("::") else arg for arg in args]
