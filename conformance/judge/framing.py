"""ST-6 blamed only on framing: a clause that broke with unusual framing is the framing's fault only
when the same answer with plain framing (the scenario's plain twin) keeps it.

ST-6 is derived from ST-1, ST-2, ST-3 and ST-5 under a framing scenario. A provider whose ST-1
breaks on every stream would otherwise also fail ST-6 "with this framing", which blames the wrong
thing and sends its authors to the wrong code. The runner runs the twin only when ST-6 failed
(a second request), so a conforming provider costs nothing extra.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from conformance.judge.verdict import Verdict, check, not_applicable
from conformance.scenarios.model import Scenario

#: How ST-6 names each clause that broke under the scenario's framing (answers.py writes it).
BROKE = "with this framing {clause} broke: {message}"
_BROKE = re.compile(r"with this framing (ST-\d+) broke: ")


def plain_twin(scenario: Scenario) -> Scenario:
    """The same conversation and answers with plain framing: LF line ends, `data: ` with its
    space, whole writes, no comments, fields, multi-line data or inserted events. How tool-call
    arguments are fragmented is kept: that is the answer's shape, not its framing."""
    wire = replace(
        scenario.wire,
        data_space=True,
        line_ending="lf",
        split_bytes=0,
        comments=False,
        multiline_data=False,
        extra_fields=False,
        cuts=(),
        inserts=(),
    )
    focus = tuple(c for c in scenario.focus if c != "ST-6")
    return replace(scenario, name=f"{scenario.name}__plain_twin", wire=wire, focus=focus)


def blamed_clauses(verdict: Verdict) -> list[str]:
    """The clauses an ST-6 failure says broke with the framing."""
    return _BROKE.findall(verdict.message)


def blame_framing(
    scenario: Scenario,
    verdicts: Sequence[Verdict],
    run_twin: Callable[[Scenario], Sequence[Verdict] | None],
) -> list[Verdict]:
    """`verdicts` with ST-6 re-judged against the plain twin, run only if ST-6 failed.

    `run_twin` runs a scenario in the same mode against a fresh provider and returns its verdicts
    (None when it could not be run: ST-6 then stays as judged). A clause that broke on the twin
    too is not the framing's fault: its ST-6 part is dropped; when nothing is left, ST-6 is not
    applicable to this check (the framing cannot be judged apart from a clause that breaks anyway).
    Not inconclusive: that outcome says the harness could not judge (a starved machine) and makes
    the run incomplete, while here the provider's own bug, judged under its own clause, is why.
    """
    failures = [v for v in verdicts if v.clause == "ST-6" and v.failed]
    if not failures:
        return list(verdicts)
    twin_verdicts = run_twin(plain_twin(scenario))
    if twin_verdicts is None:
        return list(verdicts)
    broken_plain = {v.clause for v in twin_verdicts if v.failed}
    result: list[Verdict] = []
    for verdict in verdicts:
        if verdict not in failures:
            result.append(verdict)
            continue
        parts = [p for p in verdict.message.split("; with this framing ") if p]
        kept: list[str] = []
        excused: list[str] = []
        for index, part in enumerate(parts):
            text = part if index == 0 else f"with this framing {part}"
            found = blamed_clauses(Verdict("ST-6", "fail", text))
            if found and found[0] in broken_plain:
                excused.append(found[0])
            else:
                kept.append(text)
        if kept:
            result.append(check("ST-6", kept))
        else:
            result.append(
                not_applicable(
                    "ST-6",
                    f"{', '.join(sorted(set(excused)))} broke with plain framing too (the same "
                    "answer without this scenario's framing): that is not the framing's fault, "
                    "and the framing cannot be judged apart from it",
                )
            )
    return result


__all__ = ["BROKE", "blame_framing", "blamed_clauses", "plain_twin"]
