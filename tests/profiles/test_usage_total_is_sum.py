"""An interface whose total is prompt + completion by definition (pydantic-ai's
`RequestUsage.total_tokens`) is not failed for the server total it has no place for; its prompt
and completion counts are still judged (CH-4, ST-5)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

pytest.importorskip("openai", reason="the stand-in talks through the official openai package")

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, run_case
from conformance.judge.answers import expected_usage
from conformance.profiles.base import Profile
from conformance.profiles.pydantic_ai import PydanticAIProfile
from conformance.scenarios import bundled_scenarios
from conformance.vocabulary.canonical import Usage

STANDIN = "pydantic_ai_standin.models.openai:OpenAIChatModel"
SERVER_TOTAL = Usage(1234, 56, 1300)  # cached and reasoning tokens make it more than the sum


class _Wire:
    @staticmethod
    def wire_usage(usage: Usage) -> Usage:
        return usage


def test_the_sum_is_expected_only_where_the_profile_says_the_interface_has_no_other() -> None:
    keeps = SimpleNamespace(dialect=_Wire(), usage_total_is_sum=False)
    sums = SimpleNamespace(dialect=_Wire(), usage_total_is_sum=True)
    assert expected_usage(keeps, SERVER_TOTAL) == SERVER_TOTAL  # type: ignore[arg-type]
    assert expected_usage(sums, SERVER_TOTAL) == Usage(1234, 56, 1290)  # type: ignore[arg-type]
    assert Profile.usage_total_is_sum is None
    assert PydanticAIProfile.usage_total_is_sum


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize(("mode", "clause"), [("chat", "CH-4"), ("stream", "ST-5")])
def test_pydantic_ai_usage_is_judged_on_its_counts(
    server: FakeServer, mode: str, clause: str
) -> None:
    spec = ProviderSpec(
        STANDIN, "openai-chat", "pydantic-ai", options={"package": "pydantic_ai_standin"}
    )
    scenario = bundled_scenarios()["usage_reporting"]
    outcome = run_case(server, ProviderUnderTest.load(spec), Case(scenario, mode))  # type: ignore[arg-type]
    verdicts = [v for v in outcome.verdicts if v.clause == clause]
    assert verdicts and all(v.outcome == "pass" for v in verdicts), outcome.failure_text()
