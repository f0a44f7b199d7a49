"""The azure-openai dialect must catch Azure's known-bad providers on the right clause.

Each row plants one bug in the Azure reference provider (tests/known_bad/azure_openai.py) and
demands that one scenario flags the clause the bug breaks, with the planted bug named in the
message, the transcript shown, nothing unrelated flagged, and the key nowhere in the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from known_bad import azure_openai as bad
from known_bad import harness
from known_bad.harness import Row, Run, assert_caught

from conformance import FakeServer, Scenario
from reference_providers.azure_openai import AzureOpenAIProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, provider: type[Any], scenario: Scenario | str, mode: str) -> Run:
    """One check as the plugin runs it, against the azure-openai dialect (see known_bad.harness)."""
    return harness.run_check(server, provider, "azure-openai", scenario, mode)


ROWS: tuple[Row, ...] = (
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
    # The proof of a wrong address or credential is Azure's answer, shown in the transcript.
    run = run_check(server, row.provider, row.scenario, row.mode)
    assert_caught(row, run, evidence_anywhere=True)


def test_the_reference_passes_what_the_rows_fail(server: FakeServer) -> None:
    """Without this, a caught row could be the dialect's fault rather than the planted bug's."""
    for row in ROWS:
        outcome = run_check(server, AzureOpenAIProvider, row.scenario, row.mode).outcome
        assert outcome.ok, outcome.failure_text()
