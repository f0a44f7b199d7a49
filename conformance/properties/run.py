"""Running one property against one provider: generate, judge, shrink, save, explain.

Every example is an ordinary check (`run_case`) on the shared fake server, so a property judges
exactly as the example scenarios do. When an example breaks a clause, hypothesis shrinks it; the
minimal one is written as a scenario file (a regression anyone can replay) and the failure
message shows its clause, its wire transcript, where the body was cut, the seed and the one-line
command that replays it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import given
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky

from conformance.checks.guarded import run_guarded, with_provider
from conformance.checks.runner import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    TIMEOUT_CLAUSE,
    Case,
    CaseOutcome,
    ProviderEscape,
    ProviderUnderTest,
    escaped_verdict,
    new_api_key,
    run_case,
)
from conformance.judge import Verdict, failed, not_applicable, passed
from conformance.profiles import Connection
from conformance.properties.catalogue import Property
from conformance.properties.settings import PropertyProfile
from conformance.properties.source_constants import without_local_constants
from conformance.scenarios.dump import scenario_document, write_scenario
from conformance.scenarios.model import Scenario
from conformance.server import FakeServer
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.state_dirs import apply_private_storage, regressions_dir


@dataclass
class _Found:
    """The latest failing example: after shrinking, hypothesis replays the minimal one last."""

    scenario: Scenario | None = None
    outcome: CaseOutcome | None = None


#: Judged only on answers with tool calls: not applicable when none could be drawn.
_TOOL_CLAUSES = frozenset({"CH-2", "ST-3"})


class _ClauseBroken(AssertionError):
    pass


def choose_seed(prop: Property, mode: Mode, profile: PropertyProfile, seed: int | None) -> int:
    """The run's seed: given, fixed per property in a derandomized profile, else fresh."""
    if seed is not None:
        return seed
    if profile.derandomize:
        digest = hashlib.sha256(f"{prop.id}-{mode}".encode()).digest()
        return int.from_bytes(digest[:4], "big")
    return secrets.randbits(32)


def declared_capabilities(put: ProviderUnderTest, server: FakeServer) -> frozenset[str]:
    """What the provider says it supports, read once, so examples it cannot take are not drawn."""
    found: list[frozenset[str]] = []
    connection = Connection(
        f"{server.root_url}/c/capabilities{put.dialect.base_path}", new_api_key(), 1.0
    )

    async def read(provider: object) -> None:
        found.append(frozenset(put.profile.declared_capabilities(provider)))

    async def drive() -> None:
        await with_provider(put, connection, read)

    ended = run_guarded(drive, DEFAULT_CHECK_TIMEOUT)
    if ended.exc is not None:  # run_property turns an escape into ER-8; the rest is not a verdict
        raise ended.exc
    return found[0]


def _relevant_failures(outcome: CaseOutcome, clauses: tuple[str, ...]) -> list[str]:
    clauses = (*clauses, TIMEOUT_CLAUSE)  # an example that never finished fails the property
    problems = [v.headline() for v in outcome.verdicts if v.failed and v.clause in clauses]
    if outcome.error is not None:
        problems.append(f"error: {outcome.error}")
    return problems


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "provider"


def regression_name(prop: Property, mode: Mode, scenario: Scenario) -> str:
    """The saved example's scenario name, a function of its content alone.

    Equal runs must write equal files under equal names, so the replay command in a report does
    not change from run to run: the digest is of the scenario as its file states it (sorted
    keys), never of a repr, whose sets are ordered by the process's string hashing.
    """
    document = scenario_document(replace(scenario, name="x", title="x", description=""))
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"regression-{prop.name}-{mode}-{digest}"


def run_property(
    server: FakeServer,
    put: ProviderUnderTest,
    prop: Property,
    mode: Mode,
    *,
    profile: PropertyProfile,
    seed: int | None = None,
    save_dir: Path | None = None,
    replay_arguments: list[str] | None = None,
    check_timeout: float = DEFAULT_CHECK_TIMEOUT,
    provider_timeout: float = DEFAULT_PROVIDER_TIMEOUT,
) -> CaseOutcome:
    apply_private_storage()
    clauses = prop.clauses[mode]
    outcome = CaseOutcome(put.spec.id, prop.id, mode, facts=put.facts())
    try:
        declared = declared_capabilities(put, server)
    except ProviderEscape as exc:  # SystemExit & co. from building the provider: ER-8
        outcome.verdicts = [escaped_verdict(exc)]
        return outcome
    outcome.facts["declared"] = sorted(declared)
    missing = sorted(prop.requirements(mode) - declared)
    if missing:
        outcome.not_applicable = f"the provider does not declare {', '.join(missing)}"
        outcome.verdicts = [not_applicable(c, outcome.not_applicable) for c in clauses]
        return outcome
    chosen = choose_seed(prop, mode, profile, seed)
    outcome.facts["property"] = {"profile": profile.name, "seed": chosen}
    found = _Found()
    examples = 0
    unsettled: list[Verdict] = []  # inconclusive timing (a starved harness), never a pass

    @hypothesis_seed(chosen)
    @profile.settings()
    @given(prop.strategy(mode, declared))
    def search(scenario: Scenario) -> None:
        nonlocal examples
        examples += 1
        result = run_case(
            server,
            put,
            Case(scenario, mode),
            check_timeout=check_timeout,
            provider_timeout=provider_timeout,
        )
        unsettled.extend(result.inconclusive[:1] if not unsettled else ())
        problems = _relevant_failures(result, clauses)
        if problems:
            found.scenario, found.outcome = scenario, result
            raise _ClauseBroken("; ".join(problems))

    flaky = False
    try:
        with without_local_constants():  # the same examples in a checkout and an install
            search()
    except _ClauseBroken:
        pass
    except Flaky:
        flaky = True
    outcome.facts["property"]["examples"] = examples
    if found.outcome is None or found.scenario is None:
        held = f"held for {examples} generated examples ({profile.name} profile, seed {chosen})"
        no_calls = "tools" not in declared or (
            mode == "stream" and "streaming_tool_calls" not in declared
        )
        outcome.verdicts = [
            not_applicable(c, "the provider does not declare tool calls: none were drawn")
            if no_calls and c in _TOOL_CLAUSES
            else passed(c, held)
            for c in clauses
        ] + unsettled
        return outcome
    return _failure(
        outcome,
        prop,
        mode,
        found.scenario,
        found.outcome,
        put=put,
        profile=profile,
        seed=chosen,
        examples=examples,
        flaky=flaky,
        save_dir=save_dir,
        replay_arguments=replay_arguments,
    )


def _failure(
    outcome: CaseOutcome,
    prop: Property,
    mode: Mode,
    scenario: Scenario,
    minimal: CaseOutcome,
    *,
    put: ProviderUnderTest,
    profile: PropertyProfile,
    seed: int,
    examples: int,
    flaky: bool,
    save_dir: Path | None,
    replay_arguments: list[str] | None,
) -> CaseOutcome:
    clauses = prop.clauses[mode]
    name = regression_name(prop, mode, scenario)
    saved = replace(scenario, name=name, title=f"Found by property {prop.id} ({mode})")
    comment = (
        f"Found by property {prop.id} [{mode}] against {put.spec.id} "
        f"(profile {profile.name}, seed {seed}); shrunk to this minimal example.\n"
        f"Broken: {', '.join(sorted({v.clause for v in minimal.failures if v.clause in clauses}))}"
    )
    directory = save_dir or regressions_dir()
    path = write_scenario(
        saved, directory / f"{_file_name(put.spec.id)}-{name}.yaml", comment=comment
    )
    arguments = replay_arguments or ["--provider", put.spec.target, "--dialect", put.dialect.name]
    command = " ".join(["provider-conformance", "replay", str(path), *arguments])
    where = f"(property {prop.id}, {profile.name} profile, seed {seed})"
    broken = [v for v in minimal.verdicts if v.failed and v.clause in (*clauses, TIMEOUT_CLAUSE)]
    if minimal.error is not None and not broken:
        broken = [failed(clauses[0], f"the check broke: {minimal.error}")]
    # The first message carries the replay command: reports show messages, not notes.
    outcome.verdicts = [
        replace(v, message=f"{v.message} {where}" + (f"; replay: {command}" if n == 0 else ""))
        for n, v in enumerate(broken)
    ]
    outcome.error = None
    outcome.notes = [
        f"Property {prop.id} [{mode}]: {prop.title}.",
        f"{examples} examples drawn ({profile.name} profile, seed {seed}); "
        + ("the failure did not reproduce every time (flaky); " if flaky else "")
        + "shrunk to the minimal example below.",
        f"Minimal example saved as {path}",
        f"Replay it: {command}",
        f"Search again from the same seed: --property-seed {seed} "
        f"--property-profile {profile.name}",
    ]
    outcome.transcript = minimal.transcript
    outcome.tracebacks = list(minimal.tracebacks)  # the provider's own, as for any check
    outcome.facts["property"].update(
        regression=str(path), replay=command, minimal_scenario=saved.as_json()
    )
    return outcome
