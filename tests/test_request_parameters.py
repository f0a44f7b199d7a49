"""RQ-3 for the request parameters an interface takes beyond temperature and max_tokens (issue
#11.10): the orchestrator's GenerationParams carries top_p and stop, and its OpenAI-like provider
drops both on the way to the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_known_bad_profiles import OpenAILikeProvider, Target, run_check

from conformance import FakeServer, bundled_scenarios
from conformance.dialects import get_dialect
from conformance.vocabulary.wire import RecordedRequest

SCENARIO = "request_top_p_and_stop"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def test_a_provider_that_drops_top_p_and_stop_fails_rq3(server: FakeServer) -> None:
    outcome, _ = run_check(server, Target(OpenAILikeProvider, "orchestrator"), SCENARIO, "chat")
    rq3 = " ".join(v.message for v in outcome.failures if v.clause == "RQ-3")
    assert "top_p None, expected 0.85" in rq3, outcome.failure_text()
    assert "stop None, expected ['\\n\\n4.']" in rq3
    assert {v.clause for v in outcome.failures} == {"RQ-3"}, outcome.failure_text()


def test_a_provider_that_sends_them_passes(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.providers import _chat_wire

    original = _chat_wire.payload

    def payload(model: str, prompt: str, params: Any, *, stream: bool) -> dict[str, Any]:
        body = original(model, prompt, params, stream=stream)
        body.update(top_p=params.top_p, stop=params.stop)
        return body

    monkeypatch.setattr(_chat_wire, "payload", payload)
    outcome, _ = run_check(server, Target(OpenAILikeProvider, "orchestrator"), SCENARIO, "stream")
    assert not outcome.failures, outcome.failure_text()
    assert "RQ-3" in {v.clause for v in outcome.verdicts if v.outcome == "pass"}


def test_openai_chat_reads_stop_as_a_string_or_a_list() -> None:
    dialect = get_dialect("openai-chat")
    for stop, read in (("END", ("END",)), (["a", "b"], ("a", "b")), (None, None)):
        body = f'{{"model": "m", "messages": [], "top_p": 0.5, "stop": {_json(stop)}}}'
        request = RecordedRequest(
            "POST", "/v1/chat/completions", "/v1/chat/completions", (), body.encode(), 0, 0
        )
        parsed = dialect.parse_request(request)
        assert (parsed.top_p, parsed.stop) == (0.5, read)
    assert bundled_scenarios()[SCENARIO].request.stop == ("\n\n4.",)


def _json(value: Any) -> str:
    return json.dumps(value)


@pytest.mark.parametrize(
    ("dialect", "path", "body", "read"),
    [
        ("anthropic-messages", "/v1/messages", {"top_p": 0.5, "stop_sequences": ["x"]}, ("x",)),
        (
            "gemini",
            "/v1beta/models/m:generateContent",
            {"contents": [], "generationConfig": {"topP": 0.5, "stopSequences": ["x"]}},
            ("x",),
        ),
        ("openai-responses", "/v1/responses", {"model": "m", "input": "hi", "top_p": 0.5}, None),
        (
            "gigachat",
            "/api/v1/chat/completions",
            {"model": "m", "messages": [], "top_p": 0.5},
            None,
        ),
    ],
)
def test_each_wire_reads_the_parameters_it_carries(
    dialect: str, path: str, body: dict[str, Any], read: tuple[str, ...] | None
) -> None:
    wire = get_dialect(dialect)
    request = RecordedRequest("POST", path, path, (), json.dumps(body).encode(), 0, 0)
    parsed = wire.parse_request(request)
    assert parsed.top_p == 0.5 and parsed.stop == read
    assert ("stop" in wire.request_parameters) is (read is not None)
