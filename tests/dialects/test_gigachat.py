"""GigaChat: the token exchange at /api/v2/oauth, functions on the chat wire, `{"status",
"message"}` errors, and the reference provider and planted bugs judged through it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from known_bad import gigachat as bad
from known_bad import harness
from known_bad.harness import Row, assert_caught, assert_passes

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.dialects.gigachat import GigaChatDialect
from conformance.dialects.oauth_token import issued_token
from reference_providers.gigachat import GigaChatProvider, _auth_url_for

SCENARIOS = bundled_scenarios()
DIALECT = GigaChatDialect()
KEY = "Z2lnYWNoYXQtY29uZm9ybWFuY2U="


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _token(client: httpx.Client, **headers: str) -> httpx.Response:
    return client.post(
        "../v2/oauth",
        data={"scope": "GIGACHAT_API_PERS"},
        headers={"Authorization": f"Basic {KEY}", **headers},
    )


def test_the_token_endpoint_wants_rquid_and_a_known_scope(server: FakeServer) -> None:
    assert get_dialect("gigachat").name == "gigachat"
    with (
        server.session(SCENARIOS["text_plain"], DIALECT, KEY) as session,
        httpx.Client(base_url=session.base_url + "/") as client,
    ):
        missing = _token(client)
        assert missing.status_code == 400 and missing.json()["code"] == 6
        bad_scope = client.post(
            "../v2/oauth",
            data={"scope": "OPENAI"},
            headers={"Authorization": f"Basic {KEY}", "RqUID": str(uuid.uuid4())},
        )
        assert bad_scope.json() == {"code": 1, "message": "scope data format invalid"}
        issued = _token(client, RqUID=str(uuid.uuid4()))
        assert issued.json()["access_token"] == issued_token(KEY)
        assert issued.json()["expires_at"] > 1_000_000_000_000  # milliseconds


def test_errors_are_status_and_message(server: FakeServer) -> None:
    with (
        server.session(SCENARIOS["error_404"], DIALECT, KEY) as session,
        httpx.Client(base_url=session.base_url + "/") as client,
    ):
        response = client.post(
            "chat/completions",
            json={"model": "conformance-model-1", "messages": [{"role": "user", "content": "x"}]},
            headers={"Authorization": f"Bearer {issued_token(KEY)}"},
        )
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": SCENARIOS["error_404"].final_reply.error.message,  # type: ignore[union-attr]
    }


def test_a_function_call_is_an_object_without_an_id(server: FakeServer) -> None:
    with (
        server.session(SCENARIOS["tool_call_single"], DIALECT, KEY) as session,
        httpx.Client(base_url=session.base_url + "/") as client,
    ):
        body = {"model": "conformance-model-1", "messages": [{"role": "user", "content": "x"}]}
        auth = {"Authorization": f"Bearer {issued_token(KEY)}"}
        answer = client.post("chat/completions", json=body, headers=auth).json()
        stream = client.post("chat/completions", json={**body, "stream": True}, headers=auth).text
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "function_call"
    assert choice["message"]["function_call"] == {
        "name": "get_weather",
        "arguments": {"city": "Paris", "unit": "celsius"},
    }
    events = [line[6:] for line in stream.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["choices"][0]["finish_reason"] == "function_call"
    assert last["usage"]["total_tokens"] == 98
    assert "id" not in last


def test_the_provider_finds_the_token_endpoint_beside_its_base_url() -> None:
    assert _auth_url_for("http://127.0.0.1:9/c/s1/api/v1") == "http://127.0.0.1:9/c/s1/api/v2/oauth"
    assert _auth_url_for("https://gigachat.devices.sberbank.ru/api/v1").startswith(
        "https://ngw.devices.sberbank.ru:9443/"
    )


@pytest.mark.parametrize(
    ("scenario", "mode"),
    [("tool_conversation", "chat"), ("tool_conversation", "stream"), ("error_429", "stream")],
)
def test_the_reference_provider_passes(server: FakeServer, scenario: str, mode: str) -> None:
    run = harness.run_check(server, GigaChatProvider, "gigachat", scenario, mode)
    assert_passes(run.outcome)
    # One token for the whole conversation, fetched before the first chat call.
    transcript = str(run.outcome.transcript)
    assert transcript.count("/api/v2/oauth HTTP/1.1") == 1, transcript
    assert transcript.index("/api/v2/oauth") < transcript.index("/api/v1/chat/completions")


ROWS = (
    Row(
        bad.SendsOpenAITools,
        "RQ-1",
        "tool_call_single",
        "chat",
        ("GigaChat reads 'functions'",),
        frozenset({"RQ-4"}),
    ),
    Row(
        bad.AuthorizationKeyAsBearer,
        "RQ-2",
        "text_plain",
        "chat",
        ("credentials are not in",),
        frozenset({"CH-1", "CH-3", "CH-4"}),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_gigachat_provider_is_caught(server: FakeServer, row: Row) -> None:
    assert_caught(row, harness.run_check(server, row.provider, "gigachat", row.scenario, row.mode))


def test_token_endpoint_errors_are_judged_too(server: FakeServer) -> None:
    run = harness.run_check(server, GigaChatProvider, "gigachat-token-errors", "error_429", "chat")
    assert_passes(run.outcome)
    transcript = str(run.outcome.transcript)
    assert "/api/v2/oauth" in transcript and "/api/v1/chat/completions" not in transcript
    assert "HTTP/1.1 429" in transcript and '"code": 429' in transcript
    assert {v.clause for v in run.outcome.verdicts if v.outcome == "pass"} >= {"ER-1", "ER-2"}
