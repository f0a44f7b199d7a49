"""The OAuth token endpoint in front of a dialect: token exchange, credentials, token errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from conformance import FakeServer, UsageError, bundled_scenarios, get_dialect
from conformance.dialects.oauth_token import (
    OAuthOpenAIChat,
    OAuthTokenDialect,
    OAuthTokenErrorsOpenAIChat,
    issued_token,
    oauth_dialect,
)

SCENARIOS = bundled_scenarios()
KEY = "sk-conformance-oauth-test"
FORM = {"scope": "GIGACHAT_API_PERS"}
CHAT = {
    "model": "conformance-model-1",
    "messages": [{"role": "user", "content": "Say hello to the conformance suite."}],
    "temperature": 0.25,
    "max_tokens": 321,
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def test_names_and_paths_follow_the_wrapped_dialect() -> None:
    plain, errors = OAuthOpenAIChat(), OAuthTokenErrorsOpenAIChat()
    assert (plain.name, errors.name) == ("oauth+openai-chat", "oauth-token-errors+openai-chat")
    assert plain.base_path == "/v1" and plain.token_path == "/v1/oauth"
    assert plain.request_schema == get_dialect("openai-chat").request_schema
    assert "Basic <key>" in plain.credential_description
    anthropic = oauth_dialect("oauth+anthropic-messages")
    assert anthropic.name == "oauth+anthropic-messages"
    assert anthropic.endpoint("POST", "/v1/messages") is not None
    assert oauth_dialect("oauth-token-errors+ollama-chat").errors_at == "token"


@pytest.mark.parametrize("name", ["oauth", "openai-chat", "basic+openai-chat", "oauth+"])
def test_a_malformed_name_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError, match="oauth\\+<dialect>"):
        oauth_dialect(name)


def test_the_token_is_issued_for_the_key_and_then_opens_the_chat_endpoint(
    server: FakeServer,
) -> None:
    with server.session(SCENARIOS["text_plain"], OAuthOpenAIChat(), KEY) as session:
        with httpx.Client(base_url=session.base_url) as client:
            token = client.post("/oauth", data=FORM, headers={"Authorization": f"Basic {KEY}"})
            assert token.status_code == 200, token.text
            body = token.json()
            assert body["access_token"] == issued_token(KEY)
            assert body["expires_at"] > time.time() * 1000
            with_key = client.post(
                "/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {KEY}"}
            )
            with_token = client.post(
                "/chat/completions",
                json=CHAT,
                headers={"Authorization": f"Bearer {body['access_token']}"},
            )
        exchanges = session.snapshot()
    assert with_key.status_code == 401  # the authorization key is not the access token
    assert with_token.status_code == 200
    assert with_token.json()["choices"][0]["message"]["content"] == "Hello, conformance suite!"
    assert [e.endpoint for e in exchanges] == ["token", "chat", "chat"]


@pytest.mark.parametrize(
    ("headers", "data", "json", "status"),
    [
        ({}, FORM, None, 401),  # no credentials
        ({"Authorization": "Basic sk-wrong"}, FORM, None, 401),
        ({"Authorization": f"Bearer {KEY}"}, FORM, None, 200),  # as the published provider sends
        ({"Authorization": f"Basic {KEY}"}, None, FORM, 400),  # JSON, not a form
        ({"Authorization": f"Basic {KEY}"}, {"other": "x"}, None, 400),  # no scope
    ],
)
def test_the_token_request_is_judged(
    server: FakeServer,
    headers: dict[str, str],
    data: dict[str, str] | None,
    json: dict[str, str] | None,
    status: int,
) -> None:
    with server.session(SCENARIOS["text_plain"], OAuthOpenAIChat(), KEY) as session:
        response = httpx.post(f"{session.base_url}/oauth", headers=headers, data=data, json=json)
    assert response.status_code == status, response.text
    if status == 400:
        assert "form" in response.json()["message"] or "scope" in response.json()["message"]


def test_token_errors_come_from_the_token_endpoint_in_its_own_shape(server: FakeServer) -> None:
    dialect = OAuthTokenErrorsOpenAIChat()
    with server.session(SCENARIOS["error_429"], dialect, KEY) as session:
        response = httpx.post(
            f"{session.base_url}/oauth", data=FORM, headers={"Authorization": f"Basic {KEY}"}
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "code": 429,
        "message": "Rate limit reached for requests per min (RPM): Limit 3, Used 3.",
    }


@pytest.mark.parametrize(
    ("dialect", "scenario", "status"),
    [
        (OAuthOpenAIChat(), "error_429", 200),  # chat errors: the token is always issued
        (OAuthTokenErrorsOpenAIChat(), "text_plain", 200),  # no error to serve
        (OAuthTokenErrorsOpenAIChat(), "error_in_stream", 200),  # stays inside the chat stream
        (OAuthTokenErrorsOpenAIChat(), "error_429_http_date", 429),
    ],
)
def test_which_scenarios_the_token_endpoint_fails(
    server: FakeServer, dialect: OAuthTokenDialect, scenario: str, status: int
) -> None:
    with server.session(SCENARIOS[scenario], dialect, KEY) as session:
        response = httpx.post(
            f"{session.base_url}/oauth", data=FORM, headers={"Authorization": f"Basic {KEY}"}
        )
    assert response.status_code == status
    if scenario == "error_429_http_date":
        assert response.headers["Retry-After"].endswith("GMT")


def test_credentials_are_judged_per_endpoint() -> None:
    from conformance.vocabulary.wire import RecordedRequest

    dialect = OAuthOpenAIChat()

    def request(path: str, authorization: str) -> RecordedRequest:
        return RecordedRequest("POST", path, path, (("Authorization", authorization),), b"", 1, 1)

    assert dialect.credentials_ok(request("/v1/oauth", f"Basic {KEY}"), KEY)
    assert not dialect.credentials_ok(request("/v1/oauth", f"Basic {issued_token(KEY)}"), KEY)
    assert dialect.credentials_ok(
        request("/v1/chat/completions", f"Bearer {issued_token(KEY)}"), KEY
    )
    assert not dialect.credentials_ok(request("/v1/chat/completions", f"Bearer {KEY}"), KEY)
