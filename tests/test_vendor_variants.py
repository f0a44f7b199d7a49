"""Vendor variants of real streams, expressible in scenarios and caught in the providers that
misread them: usage in Groq's `x_groq`, usage on every chunk (Perplexity), `finish_reason`
twice (OpenRouter), a chunk after the usage chunk, Responses arguments only in `.done`, and a
Responses id that changes before `response.completed`. Groq's own field is opt-in
(fixtures/vendor_scenarios): a provider for OpenAI's API is not wrong for ignoring it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from known_bad.harness import run_check

from conformance import FakeServer, get_dialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.scenarios import Scenario, bundled_scenarios, load_scenarios
from conformance.vocabulary.data_files import vendor_scenarios_dir
from conformance.vocabulary.wire import RecordedRequest
from reference_providers.contract import Usage
from reference_providers.openai_compatible import OpenAICompatibleProvider

SCENARIOS = {**bundled_scenarios(), **load_scenarios([vendor_scenarios_dir()])}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _stream_events(
    dialect: str, scenario: Scenario, body: Mapping[str, Any]
) -> list[dict[str, Any]]:
    path = "/v1/chat/completions" if dialect == "openai-chat" else "/v1/responses"
    request = RecordedRequest(
        "POST", path, path, (), json.dumps({**body, "stream": True}).encode(), 0, 0
    )
    response = get_dialect(dialect).render_reply(scenario, 0, request, stream=True)
    return [json.loads(data) for _, data in sse_blocks(response.body) if data != "[DONE]"]


def test_each_variant_is_on_the_wire() -> None:
    asked = {"model": "m", "stream_options": {"include_usage": True}}
    groq = _stream_events("openai-chat", SCENARIOS["variant_usage_x_groq"], {"model": "m"})
    assert groq[-1]["x_groq"]["usage"]["total_tokens"] == 22
    assert not any(event.get("usage") for event in groq)
    every = _stream_events("openai-chat", SCENARIOS["variant_usage_every_chunk"], asked)
    assert all(event["usage"]["total_tokens"] == 23 for event in every)
    twice = _stream_events("openai-chat", SCENARIOS["variant_finish_reason_twice"], asked)
    finishes = [e for e in twice if e["choices"] and e["choices"][0]["finish_reason"]]
    assert len(finishes) == 2
    after = _stream_events("openai-chat", SCENARIOS["variant_chunk_after_usage"], asked)
    assert after[-2]["usage"] is not None and after[-1]["usage"] is None
    done = _stream_events("openai-responses", SCENARIOS["variant_arguments_only_in_done"], asked)
    kinds = [event["type"] for event in done]
    assert "response.function_call_arguments.delta" not in kinds
    assert "response.function_call_arguments.done" in kinds
    ids = _stream_events("openai-responses", SCENARIOS["variant_response_id_changes"], asked)
    assert ids[0]["response"]["id"] != ids[-1]["response"]["id"]


def test_other_dialects_call_a_variant_not_applicable() -> None:
    scenario = SCENARIOS["variant_arguments_only_in_done"]
    assert get_dialect("openai-chat").cannot_express(scenario, "stream") is not None
    assert get_dialect("openai-responses").cannot_express(scenario, "stream") is None
    chat_variant = SCENARIOS["variant_usage_every_chunk"]
    assert get_dialect("anthropic-messages").cannot_express(chat_variant, "stream") is not None


def test_the_oracle_reads_usage_in_x_groq() -> None:
    body = (
        'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n'
        'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],'
        '"x_groq":{"id":"req_1","usage":{"prompt_tokens":3,"completion_tokens":1,'
        '"total_tokens":4}}}\n\ndata: [DONE]\n\n'
    )
    reply = get_dialect("openai-chat").recording_reply(body.encode())
    assert reply.usage is not None and reply.usage.total_tokens == 4


class SumsUsage(OpenAICompatibleProvider):
    """ST-5: adds up the usage of every chunk that has one (right only if each counts anew)."""

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: Any) -> str:
        before = state.usage
        text: str = super()._absorb_chunk(chunk, state)  # type: ignore[misc]
        if before is not None and chunk.get("usage") and state.usage is not None:
            state.usage = Usage(
                before.prompt_tokens + state.usage.prompt_tokens,
                before.completion_tokens + state.usage.completion_tokens,
                before.total_tokens + state.usage.total_tokens,
            )
        return text


class LastChunkUsage(OpenAICompatibleProvider):
    """ST-5: keeps the usage of the last chunk, `null` included."""

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: Any) -> str:
        text: str = super()._absorb_chunk(chunk, state)  # type: ignore[misc]
        if "usage" in chunk:
            state.usage = self._parse_usage(chunk["usage"])
        return text


@pytest.mark.parametrize(
    ("name", "bad"),
    [("variant_usage_every_chunk", SumsUsage), ("variant_chunk_after_usage", LastChunkUsage)],
)
def test_a_provider_misreading_the_variant_fails_st5(
    server: FakeServer, name: str, bad: type[Any]
) -> None:
    reference = run_check(server, OpenAICompatibleProvider, "openai-chat", name, "stream")
    assert reference.outcome.ok, reference.outcome.failure_text()
    usual = run_check(server, bad, "openai-chat", "usage_reporting", "stream")
    assert usual.outcome.ok, "the planted bug hides on the usual wire"
    caught = run_check(server, bad, "openai-chat", name, "stream")
    assert "ST-5" in {verdict.clause for verdict in caught.outcome.failures}


class ReadsUsageFieldOnly(OpenAICompatibleProvider):
    """ST-5: knows only the `usage` field (Groq's `x_groq.usage` is never looked at)."""

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: Any) -> str:
        return super()._absorb_chunk({k: v for k, v in chunk.items() if k != "x_groq"}, state)  # type: ignore[misc,no-any-return]


def test_usage_in_x_groq_is_read_by_the_reference_and_missed_by_a_usage_only_reader(
    server: FakeServer,
) -> None:
    name = "variant_usage_x_groq"
    reference = run_check(
        server, OpenAICompatibleProvider, "openai-chat", name, "stream", scenarios=SCENARIOS
    )
    assert reference.outcome.ok, reference.outcome.failure_text()
    caught = run_check(
        server, ReadsUsageFieldOnly, "openai-chat", name, "stream", scenarios=SCENARIOS
    )
    assert "ST-5" in {verdict.clause for verdict in caught.outcome.failures}


def test_vendor_fields_are_opt_in_not_bundled() -> None:
    """A provider for OpenAI's API is not judged on Groq's own field unless asked to be."""
    assert "variant_usage_x_groq" not in bundled_scenarios()
    assert "variant_usage_x_groq" in load_scenarios([vendor_scenarios_dir()])
