"""Every clause's "how to fix" is found in the guides, and failure lines link it."""

from __future__ import annotations

import pytest

from conformance.vocabulary.clause_guides import clause_guide, contract_row, guide_file
from conformance.vocabulary.clause_hints import doc_link, fix_hint
from conformance.vocabulary.clauses import CLAUSES
from conformance.vocabulary.data_files import docs_dir


@pytest.mark.parametrize("clause", list(CLAUSES))
def test_the_native_guide_says_how_to_fix_every_clause(clause: str) -> None:
    guide = clause_guide(clause)
    assert guide is not None, clause
    assert guide.file == "docs/guide-native.md"
    text = (docs_dir() / "guide-native.md").read_text(encoding="utf-8")
    assert f'<a id="{guide.anchor}"></a>' in text  # the link a failure line prints resolves
    assert guide.paragraphs and all(p.strip() for p in guide.paragraphs)


def test_a_section_for_several_clauses_serves_each_of_them() -> None:
    guides = [clause_guide(c) for c in ("RE-1", "RE-2", "RE-3", "RE-4")]
    assert {g.anchor for g in guides if g} == {"fix-re-1"}
    assert clause_guide("CF-2") == clause_guide("CF-1")


def test_a_profile_without_a_guide_of_its_own_falls_back_to_the_native_one() -> None:
    assert clause_guide("ST-3", "no-such-profile") == clause_guide("ST-3", "native")
    assert doc_link("ST-3", "no-such-profile") == "docs/guide-native.md#fix-st-3"


def test_the_fix_line_links_the_guide_and_the_contract_row_is_read() -> None:
    assert fix_hint("ST-3").endswith("(docs/guide-native.md#fix-st-3)")
    judged, how = contract_row("ST-3") or ("", "")
    assert judged == "stream mode with tool calls" and "`null` id/name" in how
    assert contract_row("RE-3") == contract_row("RE-1")


GUIDED = {"native": {}, "victor": {}, "orchestrator": {}, "execute": {}}


def _not_applicable(profile: str) -> set[str]:
    """The profile's own map of clauses its interface cannot express (read from the class)."""
    from conformance.profiles.execute import ExecuteProfile
    from conformance.profiles.native import NativeProfile
    from conformance.profiles.orchestrator import OrchestratorProfile
    from conformance.profiles.victor import VictorProfile

    classes = {
        "native": NativeProfile,
        "victor": VictorProfile,
        "orchestrator": OrchestratorProfile,
        "execute": ExecuteProfile,
    }
    return set(classes[profile].not_applicable)


@pytest.mark.parametrize("profile", list(GUIDED))
def test_each_profile_has_a_guide_covering_every_clause(profile: str) -> None:
    assert guide_file(profile) is not None
    for clause in CLAUSES:
        guide = clause_guide(clause, profile)
        assert guide is not None and guide.file == f"docs/guide-{profile}.md", (profile, clause)
    for clause in _not_applicable(profile):  # the guide says so, as the report does
        guide = clause_guide(clause, profile)
        assert guide is not None and guide.paragraphs[0].startswith("Not applicable"), clause


def test_a_failure_line_links_the_guide_of_the_providers_profile() -> None:
    assert doc_link("ER-1", "execute") == "docs/guide-execute.md#fix-er-1"
    assert fix_hint("ST-3", "victor").endswith("(docs/guide-victor.md#fix-st-3)")


def test_the_execute_guide_documents_the_options_that_exist_and_no_other() -> None:
    from conformance.profiles import execute

    text = (docs_dir() / "guide-execute.md").read_text(encoding="utf-8")
    for option in execute._OWN_OPTIONS:
        assert f"`{option}=" in text, option
    assert "chain=" not in text.replace("fallback_chain_class=", "")
