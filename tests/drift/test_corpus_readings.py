"""Drift: three readers of each recorded OpenAI stream agree, or the disagreement is known.

For every recording of the corpus's `openai_chat/` and `openai_responses/` folders (and for the
vendor-variant scenarios whose shapes real servers send), the harness's expected reading (the
dialect's plain oracle), the reference provider's and the official `openai` client's own stream
accumulators (`client.chat.completions.stream(...).get_final_completion()`,
`client.responses.stream(...).get_final_response()`) must report the same text, tool calls, stop
reason and usage. Where the SDK itself misreads real traffic the difference is listed in
SDK_QUIRKS with its reason (docs/sdk-quirks.md); a listed quirk that stops happening fails, so the
list stays true.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import Case, FakeServer, ProviderUnderTest, get_dialect, run_case
from conformance.dialects.corpus import corpus_scenarios
from conformance.scenarios import Scenario, bundled_scenarios, load_scenarios
from conformance.vocabulary.data_files import vendor_scenarios_dir
from conformance.vocabulary.spec import ProviderSpec

openai = pytest.importorskip("openai")

DIALECT = get_dialect("openai-chat")
REFERENCE = ProviderSpec(
    target="reference_providers.openai_compatible:OpenAICompatibleProvider", dialect="openai-chat"
)

#: Scenario -> (what the SDK reads differently, why). Each is in docs/sdk-quirks.md.
SDK_QUIRKS: dict[str, tuple[str, str]] = {
    "variant_usage_x_groq": (
        "usage",
        "the accumulator reads only `usage`; Groq's `x_groq.usage` stays an unread extra",
    ),
    "variant_chunk_after_usage": (
        "usage",
        "the accumulator keeps the last chunk's `usage`, and the chunk after the usage chunk "
        "says null",
    ),
    "wire-openai_chat__finish_reason_length": (
        "raises",
        "the stream helper raises LengthFinishReasonError for an answer cut at max_tokens "
        "instead of returning the cut answer",
    ),
    "tool_calls_without_index": (
        "raises",
        "the accumulator indexes tool calls by `index` and raises on a call without one",
    ),
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _scenarios(corpus: Path) -> dict[str, Scenario]:
    found = (
        {
            name: scenario
            for name, scenario in corpus_scenarios(DIALECT, corpus).items()
            if scenario.modes == ("stream",) and scenario.final_reply.error is None
        }
        if corpus.is_dir()
        else {}
    )
    bundled = {**bundled_scenarios(), **load_scenarios([vendor_scenarios_dir()])}
    for name in (
        "variant_usage_every_chunk",
        "variant_finish_reason_twice",
        "variant_usage_x_groq",
    ):
        found[name] = bundled[name]
    for name in SDK_QUIRKS:
        if name in bundled:
            found[name] = bundled[name]
    return found


def _cases(corpus: Path) -> list[str]:
    return sorted(_scenarios(corpus))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # As the `wire_corpus` fixture (tests/conftest.py) finds it.
    corpus = Path(
        metafunc.config.getoption("--wire-corpus")
        or os.environ.get("CONFORMANCE_WIRE_CORPUS")
        or Path(__file__).resolve().parents[3] / "shared" / "wire"
    )
    if "name" in metafunc.fixturenames:
        metafunc.parametrize("name", _cases(corpus))
    if "responses_name" in metafunc.fixturenames:
        metafunc.parametrize("responses_name", sorted(_responses_scenarios(corpus)))


def _sdk_reading(server: FakeServer, scenario: Scenario) -> dict[str, Any]:
    key = f"sk-conformance-sdk-{secrets.token_hex(8)}"
    with server.session(scenario, DIALECT, key) as session:
        client = openai.OpenAI(base_url=session.base_url, api_key=key, max_retries=0, timeout=10)
        with client.chat.completions.stream(
            model=scenario.request.model,
            messages=[{"role": "user", "content": "Replay a recorded answer."}],
            stream_options={"include_usage": True},
        ) as stream:
            completion = stream.get_final_completion()
    choice = completion.choices[0]
    usage = completion.usage
    return {
        "text": choice.message.content or "",
        "tool_calls": [
            {
                "id": call.id,
                "name": call.function.name,
                "arguments": json.loads(call.function.arguments or "{}"),
            }
            for call in choice.message.tool_calls or ()
        ],
        "usage": (
            {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            if usage is not None
            else None
        ),
        "stop_reason": choice.finish_reason,
    }


def _expected(scenario: Scenario) -> dict[str, Any]:
    expected = scenario.expected_result()
    return {key: expected[key] for key in ("text", "tool_calls", "usage", "stop_reason")}


def test_the_three_readings_agree(server: FakeServer, wire_corpus: Path, name: str) -> None:
    scenario = _scenarios(wire_corpus)[name]
    reference = run_case(server, ProviderUnderTest.load(REFERENCE), Case(scenario, "stream"))
    assert reference.ok, reference.failure_text()
    expected = _expected(scenario)
    quirk = SDK_QUIRKS.get(name)
    try:
        sdk = _sdk_reading(server, scenario)
    except Exception as exc:  # the SDK's own failure, compared below with the known quirks
        assert quirk is not None and quirk[0] == "raises", f"the openai SDK raised {exc!r}"
        return
    if quirk is None:
        assert sdk == expected
        return
    field, why = quirk
    assert field != "raises", f"no longer raises ({why}): remove the quirk"
    assert sdk[field] != expected[field], f"the SDK now reads {field} right: remove the quirk"
    assert {k: v for k, v in sdk.items() if k != field} == {
        k: v for k, v in expected.items() if k != field
    }


# -- OpenAI Responses: the SDK's `responses.stream(...).get_final_response()` -------------------

RESPONSES = get_dialect("openai-responses")
RESPONSES_REFERENCE = ProviderSpec(
    target="reference_providers.openai_responses:OpenAIResponsesProvider",
    dialect="openai-responses",
)
_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _responses_scenarios(corpus: Path) -> dict[str, Scenario]:
    found = (
        {
            name: scenario
            for name, scenario in corpus_scenarios(RESPONSES, corpus).items()
            if scenario.modes == ("stream",) and scenario.final_reply.error is None
        }
        if corpus.is_dir()
        else {}
    )
    bundled = {**bundled_scenarios(), **load_scenarios([vendor_scenarios_dir()])}
    for name in ("variant_arguments_only_in_done", "variant_response_id_changes"):
        found[name] = bundled[name]
    return found


def _responses_sdk_reading(server: FakeServer, scenario: Scenario) -> dict[str, Any]:
    key = f"sk-conformance-sdk-{secrets.token_hex(8)}"
    with server.session(scenario, RESPONSES, key) as session:
        client = openai.OpenAI(base_url=session.base_url, api_key=key, max_retries=0, timeout=10)
        with client.responses.stream(model=scenario.request.model, input="Replay.") as stream:
            final = stream.get_final_response()
    calls = [
        {"id": item.call_id, "name": item.name, "arguments": json.loads(item.arguments or "{}")}
        for item in final.output
        if item.type == "function_call"
    ]
    if final.status == "incomplete":
        reason = final.incomplete_details.reason if final.incomplete_details else None
        stop = _INCOMPLETE.get(str(reason), str(reason))
    else:
        stop = "tool_calls" if calls else "stop"
    usage = final.usage
    return {
        "text": final.output_text,
        "tool_calls": calls,
        "usage": (
            {
                "prompt_tokens": usage.input_tokens,
                "completion_tokens": usage.output_tokens,
                "total_tokens": usage.total_tokens,
            }
            if usage is not None
            else None
        ),
        "stop_reason": stop,
    }


#: Scenario -> why the SDK raises on it (docs/sdk-quirks.md).
RESPONSES_SDK_QUIRKS: dict[str, str] = {
    "variant_response_id_changes": "the stream helper raises 'Lifecycle response identity "
    "changed' when response.completed carries another id than response.created",
}


def test_the_three_responses_readings_agree(
    server: FakeServer, wire_corpus: Path, responses_name: str
) -> None:
    scenario = _responses_scenarios(wire_corpus)[responses_name]
    put = ProviderUnderTest.load(RESPONSES_REFERENCE)
    reference = run_case(server, put, Case(scenario, "stream"))
    assert reference.ok, reference.failure_text()
    quirk = RESPONSES_SDK_QUIRKS.get(responses_name)
    if quirk is None:
        assert _responses_sdk_reading(server, scenario) == _expected(scenario)
        return
    with pytest.raises(RuntimeError):  # the known quirk: once fixed, remove it here and in docs
        _responses_sdk_reading(server, scenario)
