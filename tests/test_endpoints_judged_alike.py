"""Every endpoint a dialect serves plays the scenario: a provider on Ollama's /api/generate meets
the same errors and faults as one on /api/chat, and health and model-list paths are not a 200
island in a server that is down."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.judge import judge_requests
from conformance.judge.case import CaseRecord
from conformance.resilience.driver import requests_to
from conformance.resilience.scripts import chat_exchanges, error, scripted, stall, text
from conformance.vocabulary.observation import Observation

KEY = "sk-conformance-endpoints-key"
OLLAMA = get_dialect("ollama-chat")
GENERATE = {"model": "conformance-model-1", "prompt": "hi", "options": {"temperature": 0.25}}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def test_generate_and_tags_answer_the_scenarios_error(server: FakeServer) -> None:
    scenario = bundled_scenarios()["error_503"]
    with server.session(scenario, OLLAMA, KEY) as session:
        generated = httpx.post(f"{session.base_url}/api/generate", json=GENERATE)
        tags = httpx.get(f"{session.base_url}/api/tags")
        version = httpx.get(f"{session.base_url}/api/version")
    assert generated.status_code == 503
    assert tags.status_code == 503
    assert version.status_code == 503
    assert "error" in tags.json()


def test_generate_plays_a_cut_stream_as_chat_does(server: FakeServer) -> None:
    scenario = bundled_scenarios()["fault_stream_cut"]
    with server.session(scenario, OLLAMA, KEY) as session:
        generated = httpx.post(f"{session.base_url}/api/generate", json=GENERATE)
        chat_session = server.play(scenario, OLLAMA, KEY)
        chat = httpx.post(
            f"{chat_session.base_url}/api/chat",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        )
        server.end(chat_session)
    generate_lines = [json.loads(line) for line in generated.text.splitlines()]
    chat_lines = [json.loads(line) for line in chat.text.splitlines()]
    assert len(generate_lines) == len(chat_lines) == 3
    assert not any(line["done"] for line in generate_lines)


def test_a_stalled_server_stalls_its_health_path_too(server: FakeServer) -> None:
    scenario = scripted("stalled", [stall()], clause="RE-4")
    with server.session(scenario, OLLAMA, KEY) as session, pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{session.base_url}/api/tags", timeout=0.1)


def test_a_health_path_answers_200_when_the_next_reply_is_an_answer(server: FakeServer) -> None:
    scenario = scripted("recovers", [error(503, "down"), text("back up")], clause="RE-4")
    with server.session(scenario, OLLAMA, KEY) as session:
        before = httpx.get(f"{session.base_url}/api/tags")
        httpx.post(f"{session.base_url}/api/generate", json={**GENERATE, "stream": False})
        after = httpx.get(f"{session.base_url}/api/tags")
        answer = httpx.post(f"{session.base_url}/api/generate", json={**GENERATE, "stream": False})
    assert (before.status_code, after.status_code) == (503, 200)
    assert answer.json()["response"] == "back up"
    # Health requests use up no reply; generate requests are counted as chat requests are.
    assert requests_to(session) == 2
    assert [e.turn for e in chat_exchanges(session.snapshot())] == [0, 0]
    assert [e.attempt for e in chat_exchanges(session.snapshot())] == [0, 1]


def test_generate_requests_are_judged_by_the_generate_schema(server: FakeServer) -> None:
    scenario = bundled_scenarios()["text_plain"]
    with server.session(scenario, OLLAMA, KEY) as session:
        httpx.post(f"{session.base_url}/api/generate", json={"model": "m", "stream": False})
        httpx.post(f"{session.base_url}/api/generate", json={**GENERATE, "stream": False})
    case = CaseRecord(
        scenario, "chat", Observation("chat"), tuple(session.snapshot()), OLLAMA, KEY, frozenset()
    )
    [rq1] = [v for v in judge_requests(case) if v.clause == "RQ-1"]
    assert rq1.failed
    assert "'prompt' is a required property" in rq1.message
    assert "ollama-generate.request.schema.json" in rq1.message
    assert "messages" not in rq1.message


def test_gemini_model_listing_shares_the_error(server: FakeServer) -> None:
    gemini = get_dialect("gemini")
    scenario = bundled_scenarios()["error_503"]
    with server.session(scenario, gemini, KEY) as session:
        listed = httpx.get(f"{session.base_url}/v1beta/models", headers={"x-goog-api-key": KEY})
    with server.session(bundled_scenarios()["text_plain"], gemini, KEY) as session:
        fine = httpx.get(f"{session.base_url}/v1beta/models", headers={"x-goog-api-key": KEY})
    assert listed.status_code == 503
    assert fine.status_code == 200


def test_openai_and_anthropic_list_the_scenario_model(server: FakeServer) -> None:
    scenario = bundled_scenarios()["text_plain"]
    model = scenario.request.model
    openai_auth = {"Authorization": f"Bearer {KEY}"}
    anthropic_auth = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with server.session(scenario, get_dialect("openai-responses"), KEY) as session:
        responses_listed = httpx.get(f"{session.base_url}/models", headers=openai_auth)
    assert [m["id"] for m in responses_listed.json()["data"]] == [model]
    with server.session(scenario, get_dialect("openai-chat"), KEY) as session:
        listed = httpx.get(f"{session.base_url}/models", headers=openai_auth)
        one = httpx.get(f"{session.base_url}/models/{model}", headers=openai_auth)
        other = httpx.get(f"{session.base_url}/models/no-such-model", headers=openai_auth)
    assert [m["id"] for m in listed.json()["data"]] == [model]
    assert one.json()["id"] == model
    assert other.status_code == 404 and other.json()["error"]["code"] == "model_not_found"
    with server.session(scenario, get_dialect("anthropic-messages"), KEY) as session:
        listed = httpx.get(f"{session.base_url}/v1/models", headers=anthropic_auth)
        counted = httpx.post(
            f"{session.base_url}/v1/messages/count_tokens",
            json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
            headers=anthropic_auth,
        )
    assert [m["id"] for m in listed.json()["data"]] == [model]
    assert isinstance(counted.json()["input_tokens"], int)


def test_openai_model_listing_shares_a_stall(server: FakeServer) -> None:
    scenario = scripted("stalled", [stall()], clause="RE-4")
    openai = get_dialect("openai-chat")
    auth = {"Authorization": f"Bearer {KEY}"}
    with server.session(scenario, openai, KEY) as session, pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{session.base_url}/models", headers=auth, timeout=0.1)
