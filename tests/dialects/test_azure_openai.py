"""The azure-openai dialect: Azure's URL, key header, api-version, filter chunks and error bodies.

Three witnesses: unit checks of what the dialect renders and reads, the Azure reference provider
passing every bundled scenario and Azure's recorded stream, and the official `AzureOpenAI` client
reading every scenario to its expected result (an independent reader of the same bytes).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, run_case, run_identity
from conformance.dialects import get_dialect
from conformance.dialects.azure_openai import AzureOpenAIDialect
from conformance.dialects.corpus import corpus_scenarios
from conformance.dialects.sse_reader import sse_blocks
from conformance.scenarios import bundled_scenarios, load_scenarios
from conformance.scenarios.model import ErrorReply, WireOptions
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.wire import RecordedRequest
from reference_providers import Message, ProviderError
from reference_providers.azure_openai import AzureOpenAIProvider

SCENARIOS = bundled_scenarios()
DIALECT = AzureOpenAIDialect()
CHAT_PATH = "/openai/deployments/conformance-model-1/chat/completions"
KEY = "azure-key-0123456789abcdef"


def request(
    body: Any,
    *,
    path: str = CHAT_PATH,
    query: str = "?api-version=2024-10-21",
    headers: tuple[tuple[str, str], ...] = (("api-key", KEY),),
) -> RecordedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RecordedRequest("POST", f"/c/t{path}{query}", path, headers, raw, 1, 1)


BODY = {
    "messages": [{"role": "user", "content": "Hi"}],
    "temperature": 0.25,
    "max_tokens": 321,
    "stream": True,
    "stream_options": {"include_usage": True},
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


# -- what the dialect reads -----------------------------------------------------------------------


def test_it_is_registered_by_name() -> None:
    assert isinstance(get_dialect("azure-openai"), AzureOpenAIDialect)


@pytest.mark.parametrize(
    ("method", "path", "known"),
    [
        ("POST", CHAT_PATH, True),
        ("POST", "/openai/deployments/my%20gpt/chat/completions", True),
        ("POST", "/v1/chat/completions", False),
        ("POST", "/openai/deployments//chat/completions", False),
        ("GET", CHAT_PATH, False),
    ],
)
def test_only_the_deployment_route_is_an_endpoint(method: str, path: str, known: bool) -> None:
    assert (DIALECT.endpoint(method, path) is not None) is known


def test_the_key_belongs_in_the_api_key_header() -> None:
    assert DIALECT.credentials_ok(request(BODY), KEY)
    bearer = request(BODY, headers=(("Authorization", f"Bearer {KEY}"),))
    assert not DIALECT.credentials_ok(bearer, KEY)


def test_the_model_is_the_deployment_in_the_path() -> None:
    parsed = DIALECT.parse_request(
        request(BODY, path="/openai/deployments/my%20gpt/chat/completions")
    )
    assert parsed.model == "my gpt"
    assert parsed.problems == ()
    assert parsed.extras["body_model"] is None
    # Azure ignores a model in the body: the path wins.
    other = DIALECT.parse_request(request({**BODY, "model": "gpt-4o"}))
    assert other.model == "conformance-model-1"


@pytest.mark.parametrize(
    ("query", "problem"),
    [("", "api-version is missing"), ("?api-version=latest", "not a YYYY-MM-DD")],
)
def test_a_missing_or_malformed_api_version_is_an_rq1_problem(query: str, problem: str) -> None:
    parsed = DIALECT.parse_request(request(BODY, query=query))
    assert [clause for clause, _ in parsed.problems] == ["RQ-1"]
    assert problem in parsed.problems[0][1]


def test_preview_versions_are_versions() -> None:
    assert (
        DIALECT.parse_request(request(BODY, query="?api-version=2025-01-01-preview")).problems == ()
    )


# -- what the dialect renders ---------------------------------------------------------------------


def _events(body: bytes) -> list[Any]:
    return [json.loads(data) for _, data in sse_blocks(body) if data != "[DONE]"]


def test_a_stream_opens_with_the_prompt_filter_chunk() -> None:
    scenario = SCENARIOS["usage_reporting"]
    response = DIALECT.render_reply(scenario, 0, request(BODY), stream=True)
    events = _events(response.body)
    first = events[0]
    assert first["choices"] == [] and first["id"] == "" and first["model"] == ""
    assert first["prompt_filter_results"][0]["prompt_index"] == 0
    assert all("content_filter_results" in c for e in events[1:] for c in e["choices"])
    # Keys are sorted as Azure serialises them.
    assert all(list(e) == sorted(e) for e in events)
    assert response.body.endswith(b"data: [DONE]\n\n")
    assert response.meta["usage_sent"] is True
    assert events[-1]["usage"] == scenario.final_reply.usage.as_json()  # type: ignore[union-attr]


def test_the_scenarios_wire_options_reach_every_event() -> None:
    wire = WireOptions(data_space=False, line_ending="crlf", split_bytes=7, comments=True)
    scenario = replace(SCENARIOS["text_plain"], wire=wire)
    response = DIALECT.render_reply(scenario, 0, request(BODY), stream=True)
    body = response.body
    assert body.startswith(b": keep-alive\r\ndata:{")
    assert b"data: " not in body and b"\n\n" not in body.replace(b"\r\n", b"")
    assert all(len(piece) <= 7 for piece in response.pieces)
    assert (
        "".join(
            e["choices"][0]["delta"].get("content") or "" for e in _events(body) if e["choices"]
        )
        == SCENARIOS["text_plain"].final_reply.text
    )


def test_a_completion_carries_the_filter_results() -> None:
    response = DIALECT.render_reply(
        SCENARIOS["text_plain"], 0, request({**BODY, "stream": False}), stream=False
    )
    payload = json.loads(response.body)
    assert payload["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]
    assert payload["choices"][0]["content_filter_results"]["hate"]["filtered"] is False
    assert ("apim-request-id", "00000000-0000-4000-8000-000000000001") in response.headers


def test_without_api_version_azure_answers_404_resource_not_found() -> None:
    response = DIALECT.render_reply(
        SCENARIOS["text_plain"], 0, request(BODY, query=""), stream=True
    )
    assert response.status == 404
    assert json.loads(response.body) == {"error": {"code": "404", "message": "Resource not found"}}
    bad = DIALECT.render_reply(
        SCENARIOS["text_plain"], 0, request(BODY, query="?api-version=x"), stream=True
    )
    assert bad.status == 400


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "401"), (404, "DeploymentNotFound"), (429, "429"), (500, "InternalServerError")],
)
def test_gateway_errors_have_azures_code_and_message(status: int, code: str) -> None:
    response = DIALECT.render_error(ErrorReply(status, "it failed", headers={"Retry-After": "7"}))
    assert response.status == status
    assert json.loads(response.body) == {"error": {"code": code, "message": "it failed"}}
    assert ("Retry-After", "7") in response.headers


def test_validation_errors_pass_through_in_openais_shape() -> None:
    body = json.loads(DIALECT.render_error(ErrorReply(400, "Unrecognized argument")).body)
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == "Unrecognized argument"


# -- the reference provider -----------------------------------------------------------------------


def _put(provider: type[AzureOpenAIProvider] = AzureOpenAIProvider) -> ProviderUnderTest:
    return ProviderUnderTest.load(
        ProviderSpec(
            target=f"{provider.__module__}:{provider.__qualname__}", dialect="azure-openai"
        )
    )


#: Every scenario this wire can carry (OpenAI Responses' stream variants it cannot).
CASES = [
    (name, mode)
    for name, s in sorted(SCENARIOS.items())
    for mode in s.modes
    if AzureOpenAIDialect().cannot_express(s, mode) is None
]


@pytest.mark.parametrize(("scenario", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_the_reference_provider_passes(server: FakeServer, scenario: str, mode: Mode) -> None:
    outcome = run_case(server, _put(), Case(SCENARIOS[scenario], mode))
    assert outcome.not_applicable is None
    assert outcome.ok, outcome.failure_text()
    assert outcome.verdicts


def test_the_reference_provider_passes_identity(server: FakeServer) -> None:
    outcome = run_identity(_put(), server)
    assert outcome.ok, outcome.failure_text()
    assert outcome.facts["name"] == "azure-openai"


@pytest.mark.corpus("openai_chat", pattern="openai_chat__azure_*.sse")
def test_the_reference_provider_reads_azures_recording(
    server: FakeServer, corpus_file: Path
) -> None:
    scenario = corpus_scenarios(DIALECT, corpus_file.parent.parent)[f"wire-{corpus_file.stem}"]
    assert scenario.final_reply.tool_calls, "the Azure recording is a tool call"
    outcome = run_case(server, _put(), Case(scenario, "stream"))
    assert outcome.ok, outcome.failure_text()


def test_the_provider_builds_azures_url_and_headers() -> None:
    provider = AzureOpenAIProvider(
        api_key=KEY,
        base_url="https://res.openai.azure.com/openai/",
        api_version="2025-01-01-preview",
        default_headers={"X-Trace": "1", "api-key": "not-this-one"},
    )
    provider._build_payload(
        [Message("user", "Hi")],
        model="my gpt/4o",
        temperature=None,
        max_tokens=None,
        tools=None,
        stream=False,
    )
    assert provider._endpoint_url() == (
        "https://res.openai.azure.com/openai/deployments/my%20gpt%2F4o/chat/completions"
        "?api-version=2025-01-01-preview"
    )
    headers = provider._headers()
    assert headers["api-key"] == KEY and headers["X-Trace"] == "1"
    assert "Authorization" not in headers
    assert KEY not in repr(provider)


def test_an_empty_deployment_is_refused_before_any_request() -> None:
    provider = AzureOpenAIProvider(api_key=KEY, base_url="http://127.0.0.1:9")

    async def call() -> None:
        async with provider:
            await provider.chat([Message("user", "Hi")], model="")

    with pytest.raises(ProviderError) as raised:
        asyncio.run(call())
    assert raised.value.category.value == "invalid_request"


# -- the official AzureOpenAI client as a witness -------------------------------------------------

openai = pytest.importorskip("openai", reason="the official openai package is not installed")

ANSWERING = [
    (name, mode) for name, s in sorted(SCENARIOS.items()) if s.is_plain_answer for mode in s.modes
]
FAILING = [
    (name, mode) for name, s in sorted(SCENARIOS.items()) if s.is_http_error for mode in s.modes
]


def _sdk_result(client: Any, scenario: Any, turn: int, mode: Mode) -> dict[str, Any]:
    # Reuses the OpenAI witness's readers: Azure's answers must read exactly like OpenAI's.
    from test_official_openai_client import _chat, _request, _stream

    return (_stream if mode == "stream" else _chat)(client, _request(scenario, turn))


def _azure_client(session_url: str, api_key: str) -> Any:
    # Not strict: Azure's own prompt-filter chunk has "object": "" where the SDK's model wants
    # "chat.completion.chunk"; against real Azure the SDK is used non-strict as well.
    return openai.AzureOpenAI(
        azure_endpoint=session_url,
        api_key=api_key,
        api_version="2024-10-21",
        max_retries=0,
        timeout=10.0,
    )


@pytest.mark.parametrize(("name", "mode"), ANSWERING, ids=[f"{n}-{m}" for n, m in ANSWERING])
def test_the_official_azure_client_reads_the_expected_result(
    server: FakeServer, name: str, mode: Mode
) -> None:
    scenario = SCENARIOS[name]
    api_key = secrets.token_hex(8)
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _azure_client(session.base_url, api_key) as client,
    ):
        results = [_sdk_result(client, scenario, t, mode) for t in range(len(scenario.turns))]
        problems = [
            p for e in session.snapshot() for p in DIALECT.parse_request(e.request).problems
        ]
    assert problems == [], session.transcript()
    assert results[-1] == scenario.expected_result(), session.transcript()


@pytest.mark.parametrize(("name", "mode"), FAILING, ids=[f"{n}-{m}" for n, m in FAILING])
def test_the_official_azure_client_raises_the_status_and_message(
    server: FakeServer, name: str, mode: Mode
) -> None:
    scenario = SCENARIOS[name]
    error = scenario.final_reply.error
    assert error is not None
    api_key = secrets.token_hex(8)
    with (
        server.session(scenario, DIALECT, api_key) as session,
        _azure_client(session.base_url, api_key) as client,
        pytest.raises(openai.APIStatusError) as raised,
    ):
        _sdk_result(client, scenario, 0, mode)
    assert raised.value.status_code == error.status, session.transcript()
    assert error.message in str(raised.value)


def test_a_user_scenario_runs_unchanged(server: FakeServer, tmp_path: Path) -> None:
    """Scenarios never mention a dialect: one written for OpenAI plays on Azure as it is."""
    (tmp_path / "mine.yaml").write_text(
        "name: mine\ntitle: Mine\nfocus: [CH-1]\nrequest:\n  model: prod-gpt4o\n"
        "  messages:\n    - {role: user, content: Hi}\nturns:\n  - reply: {text: [Hel, lo]}\n",
        encoding="utf-8",
    )
    scenario = load_scenarios([tmp_path])["mine"]
    for mode in scenario.modes:
        outcome = run_case(server, _put(), Case(scenario, mode))
        assert outcome.ok, outcome.failure_text()
    with server.session(scenario, DIALECT, KEY) as session:
        httpx.post(
            f"{session.base_url}/openai/deployments/prod-gpt4o/chat/completions",
            params={"api-version": "2024-10-21"},
            headers={"api-key": KEY},
            json={"messages": [{"role": "user", "content": "Hi"}]},
        )
        (exchange,) = session.snapshot()
    assert DIALECT.parse_request(exchange.request).model == "prod-gpt4o"
