"""Bugs only the properties catch: every example scenario passes them, a property fails them.

For each provider of tests/known_bad/property_only.py: the whole bundled example suite passes
(so no written example would have found the bug), the property in its default `ci` profile fails
it on the clause the bug breaks, with a shrunk example saved as a scenario file, a readable
transcript, the seed and a replay command, and that saved file fails the bad provider and passes
the reference one. The regression corpus (fixtures/regressions) holds one such example per bug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, run_case
from conformance.properties import PROFILES, get_property, run_property
from conformance.scenarios import bundled_scenarios, load_file
from tests.known_bad.property_only import (
    PROPERTY_ONLY,
    EmptyFragmentOpensCall,
    GroupsFragmentsByLastId,
    SplitsCrlfAcrossReads,
    StatusTableLookup,
)

REFERENCE = {
    "openai-chat": "reference_providers.openai_compatible:OpenAICompatibleProvider",
    "anthropic-messages": "reference_providers.anthropic_messages:AnthropicProvider",
}

#: The regression file each bug was first found as (fixtures/regressions).
REGRESSION = {
    GroupsFragmentsByLastId: "regression_interleaved_calls",
    EmptyFragmentOpensCall: "regression_empty_argument_fragment",
    SplitsCrlfAcrossReads: "regression_crlf_split_between_reads",
    StatusTableLookup: "regression_status_outside_table",
}

ROWS = [pytest.param(*row, id=row[0].__name__) for row in PROPERTY_ONLY]

#: Example scenarios written later that catch a bug the properties found first: it numbers calls
#: itself instead of reading `index`, which a first call at index 1 shows (issue #11.10).
CAUGHT_BY_EXAMPLES_TOO: dict[type[Any], str] = {EmptyFragmentOpensCall: "tool_call_index_from_one"}


def _put(provider: type[Any] | str, dialect: str) -> ProviderUnderTest:
    if isinstance(provider, str):
        return ProviderUnderTest.load(ProviderSpec(target=provider, dialect=dialect))
    target = f"{provider.__module__}:{provider.__qualname__}"
    return ProviderUnderTest.load(
        ProviderSpec(target=target, dialect=dialect, label=provider.__name__, factory=provider)
    )


@pytest.fixture(scope="module")
def server() -> Any:
    with FakeServer() as running:
        yield running


@pytest.mark.parametrize(("provider", "dialect", "prop", "mode", "clause"), ROWS)
def test_every_example_scenario_passes(
    server: FakeServer, provider: type[Any], dialect: str, prop: str, mode: str, clause: str
) -> None:
    put = _put(provider, dialect)
    regressions = set(REGRESSION.values())
    failures = []
    also = CAUGHT_BY_EXAMPLES_TOO.get(provider)
    for name, scenario in sorted(bundled_scenarios().items()):
        if name in regressions:
            continue  # found by the properties: the point of this file is that examples miss it
        for case_mode in scenario.modes:
            outcome = run_case(server, put, Case(scenario, case_mode))
            if name == also:
                assert not outcome.ok, f"{name} no longer catches {provider.__name__}"
            elif not outcome.ok:
                failures.append(outcome.failure_text())
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("provider", "dialect", "prop", "mode", "clause"), ROWS)
def test_the_property_catches_it_with_a_replayable_minimal_example(
    server: FakeServer,
    tmp_path: Path,
    provider: type[Any],
    dialect: str,
    prop: str,
    mode: str,
    clause: str,
) -> None:
    outcome = run_property(
        server,
        _put(provider, dialect),
        get_property(prop),
        mode,  # type: ignore[arg-type]
        profile=PROFILES["ci"],
        save_dir=tmp_path,
    )
    text = outcome.failure_text()
    assert set(clause.split("|")) & {v.clause for v in outcome.failures}, text
    seed = outcome.facts["property"]["seed"]
    # Readable: the clause, the seed, the profile, where the example went and how to replay it.
    assert any(f"  {c} (" in text for c in clause.split("|"))
    assert f"ci profile, seed {seed}" in text
    assert f"--property-seed {seed} --property-profile ci" in text
    saved = Path(outcome.facts["property"]["regression"])
    assert saved.parent == tmp_path and saved.is_file()
    assert f"Replay it: provider-conformance replay {saved}" in text
    assert "replay:" in outcome.failures[0].message
    assert "Wire transcript:" in text and "--- response 1 ---" in text
    assert "<redacted-api-key>" in text and "sk-conformance-fake-" not in text

    if provider is SplitsCrlfAcrossReads:
        # Where the body was cut is shown, with the bytes either side of the cut.
        assert "separate writes, cut at:" in text, text
        assert "\\r' | b'\\n" in text, text

    # The saved minimal example is an ordinary scenario: it fails the bad provider on replay
    # and the reference provider passes it.
    (example,) = load_file(saved)
    assert example.modes == (mode,)
    again = run_case(server, _put(provider, dialect), Case(example, mode))  # type: ignore[arg-type]
    assert set(clause.split("|")) & {v.clause for v in again.failures}, again.failure_text()
    good = run_case(server, _put(REFERENCE[dialect], dialect), Case(example, mode))  # type: ignore[arg-type]
    assert good.ok, good.failure_text()


@pytest.mark.parametrize("provider", list(REGRESSION), ids=lambda p: p.__name__)
def test_the_regression_corpus_replays_each_bug(server: FakeServer, provider: type[Any]) -> None:
    row = next(r for r in PROPERTY_ONLY if r[0] is provider)
    _, dialect, _, mode, clause = row
    scenario = bundled_scenarios()[REGRESSION[provider]]
    outcome = run_case(server, _put(provider, dialect), Case(scenario, mode))  # type: ignore[arg-type]
    assert set(clause.split("|")) & {v.clause for v in outcome.failures}, outcome.failure_text()
    good = run_case(server, _put(REFERENCE[dialect], dialect), Case(scenario, mode))  # type: ignore[arg-type]
    assert good.ok, good.failure_text()
