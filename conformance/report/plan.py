"""What a run planned to check, so a report can tell a check that passed from one that never ran.

A report built only from the outcomes that arrived cannot see a check that crashed its worker, was
interrupted or ran past the run's deadline: it simply is not there, and its clauses read "pass" on
the strength of the others. The plan is the list of (provider, check) pairs the run collected;
every planned check without an outcome is then reported as incomplete, with the reason the session
knows (`missing_kind`).

Under pytest-xdist the controller does not collect: it learns the collected test ids only, so a
planned check is read back from the suite's test ids (`parse_test_id`), which the plugin writes in
one fixed shape (`test_scenario[<provider>:<scenario>-<mode>]`).

The plan's fingerprint names the whole run (every provider and check the unsharded run would have,
and the options that shape checks); shards of one run share it, which is how `merge` tells parts of
one run from parts of different runs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.vocabulary.check_ids import strip_clauses

#: Modes a check id ends with: the scenario modes, and "none" for checks without a request.
CHECK_MODES = ("chat", "stream", "none")
_SUITE_TEST = re.compile(
    r"::(?P<function>test_identity|test_scenario|test_property|test_resilience)\[(?P<param>.+)\]$"
)


def check_id(scenario: str, mode: str) -> str:
    """How reports name a check: `scenario[mode]` (the outcome's scenario and mode)."""
    return f"{scenario}[{mode}]"


@dataclass(frozen=True)
class PlannedCheck:
    provider: str
    scenario: str
    mode: str
    #: The clauses the check exists to judge, when known: they count it if it never completes.
    clauses: tuple[str, ...] = ()

    @property
    def check(self) -> str:
        return check_id(self.scenario, self.mode)


def parse_test_id(nodeid: str) -> tuple[str, str, str] | None:
    """(provider, scenario, mode) of a suite test id; None for any other test."""
    match = _SUITE_TEST.search(nodeid)
    if match is None:
        return None
    param = strip_clauses(match["param"])  # `...@ST-1+CH-1`: the clauses it judges
    if match["function"] == "test_identity":
        return param, "identity", "none"
    provider, sep, case = param.rpartition(":")
    scenario, dash, mode = case.rpartition("-")
    if not sep or not provider or not dash or not scenario or mode not in CHECK_MODES:
        return None
    return provider, scenario, mode


@dataclass
class Plan:
    """The checks of this run (or of this shard), and the fingerprint of the whole run."""

    checks: dict[tuple[str, str], PlannedCheck] = field(default_factory=dict)
    fingerprint: str = ""
    #: Test id -> its check; and the test ids pytest reported anything for.
    nodeids: dict[str, PlannedCheck] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)

    def add(self, check: PlannedCheck, nodeid: str = "") -> None:
        self.checks.setdefault((check.provider, check.check), check)
        if nodeid:
            self.nodeids[nodeid] = check

    def for_provider(self, provider: str) -> list[PlannedCheck]:
        return [c for (pid, _), c in self.checks.items() if pid == provider]

    @property
    def providers(self) -> list[str]:
        return sorted({pid for pid, _ in self.checks})


def fingerprint(
    checks: Iterable[tuple[str, str]], options: Mapping[str, Any], providers: Iterable[str] = ()
) -> str:
    """A short hash of (provider, check) pairs and the options that shape the checks."""
    document = {
        "checks": sorted(f"{provider}|{check}" for provider, check in checks),
        "providers": sorted(providers),
        "options": {key: options[key] for key in sorted(options)},
    }
    text = json.dumps(document, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:32]


def missing_outcome(check: PlannedCheck, kind: str, reason: str) -> dict[str, Any]:
    """The outcome a planned check gets when none arrived: incomplete, no verdicts."""
    return {
        "provider": check.provider,
        "scenario": check.scenario,
        "mode": check.mode,
        "verdicts": [],
        "transcript": "",
        "not_applicable": None,
        "error": None,
        "duration": 0.0,
        "facts": {},
        "incomplete": {"kind": kind, "reason": reason},
        "clauses": list(check.clauses),
    }


#: What the report says of a check that never reported, by why the session ended early.
MISSING_REASONS = {
    "interrupted": "the run was interrupted before this check finished",
    "deadline": "the run's overall deadline ended it before this check finished",
    "crashed": "the process running this check died before it reported",
    "not-run": "planned, but no result arrived",
}
