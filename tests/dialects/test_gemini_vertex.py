"""Gemini on Vertex AI: the project/location/publisher path, bearer credentials, roles, and the
reference provider and planted bugs judged through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from known_bad import gemini_vertex as bad
from known_bad import harness
from known_bad.harness import Row, assert_caught, assert_passes

from conformance import FakeServer, bundled_scenarios, get_dialect
from reference_providers.gemini_vertex import GeminiVertexProvider

SCENARIOS = bundled_scenarios()
DIALECT = get_dialect("gemini-vertex")
PATH = "/v1/projects/p1/locations/europe-west4/publishers/google/models/conformance-model-1"
BODY: dict[str, Any] = {
    "contents": [{"role": "user", "parts": [{"text": "Hello?"}]}],
    "generationConfig": {"temperature": 0.25, "maxOutputTokens": 321},
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def test_the_vertex_path_is_the_only_chat_endpoint() -> None:
    assert DIALECT.endpoint("POST", PATH + ":generateContent") is not None
    streamed = DIALECT.endpoint("POST", PATH + ":streamGenerateContent")
    assert streamed is not None and streamed.stream is True
    assert DIALECT.endpoint("POST", "/v1beta/models/conformance-model-1:generateContent") is None
    assert DIALECT.endpoint("GET", "/v1/models") is None


def test_a_bearer_token_opens_it_and_an_api_key_header_does_not(server: FakeServer) -> None:
    with (
        server.session(SCENARIOS["text_plain"], DIALECT, "tok") as session,
        httpx.Client() as client,
    ):
        url = session.base_url + PATH + ":generateContent"
        ok = client.post(url, json=BODY, headers={"Authorization": "Bearer tok"})
        keyed = client.post(url, json=BODY, headers={"x-goog-api-key": "tok"})
        parsed = [DIALECT.parse_request(e.request) for e in session.snapshot()]
    assert ok.status_code == 200
    assert ok.json()["candidates"][0]["content"]["parts"][0]["text"] == "Hello, conformance suite!"
    assert keyed.status_code == 401 and keyed.json()["error"]["status"] == "UNAUTHENTICATED"
    assert parsed[0].model == "conformance-model-1"
    assert parsed[0].extras["location"] == "europe-west4"


def test_a_content_without_a_role_is_an_rq1_problem(server: FakeServer) -> None:
    with (
        server.session(SCENARIOS["text_plain"], DIALECT, "tok") as session,
        httpx.Client() as client,
    ):
        body = {**BODY, "contents": [{"parts": [{"text": "Hello?"}]}]}
        client.post(
            session.base_url + PATH + ":generateContent",
            json=body,
            headers={"Authorization": "Bearer tok"},
        )
        problems = DIALECT.parse_request(session.snapshot()[0].request).problems
    assert any("has no role" in text for clause, text in problems if clause == "RQ-1")


@pytest.mark.parametrize(
    ("scenario", "mode"),
    [("tool_conversation", "chat"), ("tool_calls_parallel", "stream"), ("error_404", "chat")],
)
def test_the_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    run = harness.run_check(server, GeminiVertexProvider, "gemini-vertex", scenario, mode)
    assert_passes(run.outcome)


ROWS = (
    Row(
        bad.ApiKeyHeader,
        "RQ-2",
        "text_plain",
        "chat",
        ("credentials are not in the header 'Authorization: Bearer",),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
    Row(
        bad.GeminiApiPath,
        "RQ-1",
        "text_plain",
        "chat",
        ("is not an endpoint of gemini-vertex",),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_vertex_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(
        row, harness.run_check(server, row.provider, "gemini-vertex", row.scenario, row.mode)
    )
