"""The azure-openai dialect must catch Azure's known-bad providers on the right clause.

Each row plants one bug in the Azure reference provider (tests/known_bad/azure_openai.py) and
demands that one scenario flags the clause the bug breaks, with the planted bug named in the
message, the transcript shown, nothing unrelated flagged, and the key nowhere in the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from known_bad import azure_openai as bad

from conformance import (
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from reference_providers.azure_openai import AzureOpenAIProvider

SCENARIOS = bundled_scenarios()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(
    server: FakeServer, provider: type[AzureOpenAIProvider], scenario: str, mode: str
) -> tuple[CaseOutcome, list[str]]:
    """One check as the plugin runs it, plus the keys the provider was built with."""
    keys: list[str] = []

    def factory(**kwargs: Any) -> AzureOpenAIProvider:
        keys.append(str(kwargs["api_key"]))
        return provider(**kwargs)

    spec = ProviderSpec(
        target=f"{provider.__module__}:{provider.__qualname__}",
        dialect="azure-openai",
        profile="native",
        label=provider.__name__,
        factory=factory,
    )
    put = ProviderUnderTest.load(spec)
    case = Case(SCENARIOS[scenario], "chat" if mode == "chat" else "stream")
    return run_case(server, put, case), keys


@dataclass(frozen=True)
class Row:
    provider: type[AzureOpenAIProvider]
    clause: str
    scenario: str
    mode: str
    evidence: tuple[str, ...]
    collateral: frozenset[str]

    @property
    def id(self) -> str:
        return f"{self.clause}-{self.provider.__name__}-{self.scenario}-{self.mode}"


ROWS = (
    # Azure answers 401, so there is no answer to judge (CH-*, ST-*).
    Row(
        bad.BearerInsteadOfApiKey,
        "RQ-2",
        "text_plain",
        "chat",
        ("credentials are not in the header 'api-key: <key>'",),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
    Row(
        bad.BearerInsteadOfApiKey,
        "RQ-2",
        "usage_reporting",
        "stream",
        ("credentials are not in the header 'api-key: <key>'",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
    # Azure answers 404 "Resource not found", so there is no answer to judge either.
    Row(
        bad.MissingApiVersion,
        "RQ-1",
        "text_plain",
        "chat",
        ("api-version is missing", "Resource not found"),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
    Row(
        bad.MissingApiVersion,
        "RQ-1",
        "text_plain",
        "stream",
        ("api-version is missing",),
        frozenset({"ST-1", "ST-2", "ST-5"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_azure_provider_is_caught(server: FakeServer, row: Row) -> None:
    outcome, keys = run_check(server, row.provider, row.scenario, row.mode)
    text = outcome.failure_text()
    failed = {verdict.clause for verdict in outcome.failures}

    assert outcome.error is None, text
    assert outcome.not_applicable is None, text
    assert row.clause in failed, f"{row.clause} was not flagged:\n{text}"
    unexpected = failed - {row.clause} - row.collateral
    assert not unexpected, f"unrelated clause(s) {sorted(unexpected)} failed too:\n{text}"

    messages = " ".join(v.message for v in outcome.failures if v.clause == row.clause)
    assert f"  {row.clause} (" in text, text
    for needle in row.evidence:
        assert needle in messages or needle in text, f"{needle!r} not shown:\n{text}"
    assert "--- request 1 ---" in text and "--- response 1 ---" in text, text

    assert keys, "the provider was never built"
    dumped = json.dumps(outcome.as_json(), ensure_ascii=False)
    for key in keys:
        assert key not in text
        assert key not in dumped


def test_the_reference_passes_what_the_rows_fail(server: FakeServer) -> None:
    """Without this, a caught row could be the dialect's fault rather than the planted bug's."""
    for row in ROWS:
        outcome, _ = run_check(server, AzureOpenAIProvider, row.scenario, row.mode)
        assert outcome.ok, outcome.failure_text()
