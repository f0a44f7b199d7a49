"""Every recorded body is judged: Anthropic and Gemini `.json` answers, like OpenAI's and Ollama's.

A user drops a non-streamed answer from their own traffic in the dialect's folder: it is listed,
shown with its expected reading, passed by the reference provider and failed by a provider that
misreads it. A file the harness cannot play (Gemini's JSON-array stream) is listed as not judged,
with the reason, never dropped silently; a body the reader cannot read is an error naming it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import Case, FakeServer, ProviderUnderTest, get_dialect, run_case
from conformance.cli import main
from conformance.dialects.corpus import catalogue, corpus_scenarios, file_scenario
from conformance.dialects.corpus_unjudged import not_judged
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec

ANTHROPIC_REFERENCE = "reference_providers.anthropic_messages:AnthropicProvider"
GEMINI_REFERENCE = "reference_providers.gemini:GeminiProvider"

TOOLS = (
    "tools:\n"
    "  - name: get_weather\n"
    "    description: Weather in a city\n"
    "    parameters: {type: object, properties: {city: {type: string}}}\n"
)

ANTHROPIC_BODY = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5",
    "content": [
        {"type": "text", "text": "  Let me check.  "},
        {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Oslo"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 21, "output_tokens": 9},
}

GEMINI_BODY = {
    "candidates": [
        {
            "content": {
                "role": "model",
                "parts": [
                    {"text": "Checking."},
                    {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}},
                ],
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 7, "totalTokenCount": 19},
    "modelVersion": "gemini-2.0-flash",
}

GEMINI_ARRAY = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "C"}]}}]},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "at"}]}}]},
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for name, body in (
        ("anthropic/mine__tool_answer", ANTHROPIC_BODY),
        ("gemini/mine__function_call", GEMINI_BODY),
    ):
        path = folder / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body))
        path.with_name(path.stem + ".request.yaml").write_text(TOOLS)
    (folder / "gemini" / "mine__array_stream.json").write_text(json.dumps(GEMINI_ARRAY))
    return folder


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _put(target: str, dialect: str) -> ProviderUnderTest:
    return ProviderUnderTest.load(ProviderSpec(target=target, dialect=dialect))


def test_an_anthropic_body_reads_text_tool_use_stop_and_usage(corpus: Path) -> None:
    scenario = corpus_scenarios(get_dialect("anthropic-messages"), corpus)["wire-mine__tool_answer"]
    assert scenario.modes == ("chat",)
    assert "tools" in scenario.requires
    expected = scenario.expected_result()
    assert expected["text"] == "  Let me check.  "
    assert expected["tool_calls"] == [
        {"id": "toolu_01", "name": "get_weather", "arguments": {"city": "Oslo"}}
    ]
    assert expected["stop_reason"] == "tool_calls"
    assert expected["usage"] == {"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30}


def test_a_gemini_body_reads_parts_finish_reason_and_usage(corpus: Path) -> None:
    scenario = corpus_scenarios(get_dialect("gemini"), corpus)["wire-mine__function_call"]
    expected = scenario.expected_result()
    assert expected["text"] == "Checking."
    assert [(c["name"], c["arguments"]) for c in expected["tool_calls"]] == [
        ("get_weather", {"city": "Oslo"})
    ]
    assert expected["stop_reason"] == "tool_calls"  # STOP with a function call
    assert expected["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    vertex = get_dialect("gemini-vertex").recording_body_reply(json.dumps(GEMINI_BODY).encode())
    assert vertex == get_dialect("gemini").recording_body_reply(json.dumps(GEMINI_BODY).encode())


@pytest.mark.parametrize(
    ("dialect", "reference", "known_bad", "name", "clause"),
    [
        (
            "anthropic-messages",
            ANTHROPIC_REFERENCE,
            "tests.known_bad.anthropic_messages:AlwaysStop",
            "wire-mine__tool_answer",
            "CH-3",
        ),
        (
            "gemini",
            GEMINI_REFERENCE,
            "tests.known_bad.gemini:DropsFunctionCallArgs",
            "wire-mine__function_call",
            "CH-2",
        ),
    ],
)
def test_the_reference_passes_a_body_and_a_known_bad_provider_is_caught(
    server: FakeServer,
    corpus: Path,
    dialect: str,
    reference: str,
    known_bad: str,
    name: str,
    clause: str,
) -> None:
    scenario = corpus_scenarios(get_dialect(dialect), corpus)[name]
    outcome = run_case(server, _put(reference, dialect), Case(scenario, "chat"))
    assert outcome.ok, outcome.failure_text()
    caught = run_case(server, _put(known_bad, dialect), Case(scenario, "chat"))
    assert clause in {v.clause for v in caught.failures}


def test_a_json_array_stream_is_listed_as_not_judged_with_its_reason(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    array = corpus / "gemini" / "mine__array_stream.json"
    assert "without alt=sse" in not_judged(corpus)[array]
    assert "wire-mine__array_stream" not in catalogue(corpus)
    assert main(["list", "scenarios", "--wire-corpus", str(corpus)]) == 0
    listed = capsys.readouterr()
    assert {"wire-mine__tool_answer", "wire-mine__function_call"} <= set(listed.out.split())
    assert f"not judged: {array}: a Gemini stream recorded without alt=sse" in listed.err
    with pytest.raises(UsageError, match=r"mine__array_stream\.json: not judged"):
        file_scenario(get_dialect("gemini"), array)


def test_show_gives_the_expected_reading_of_a_body(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = ["show", "scenario", "wire-mine__tool_answer", "--json"]
    assert main([*shown, "--wire-corpus", str(corpus)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["expected"]["stop_reason"] == "tool_calls"
    assert data["expected"]["tool_calls"][0]["arguments"] == {"city": "Oslo"}


def test_a_file_in_a_folder_no_dialect_reads_is_listed_with_why(corpus: Path) -> None:
    stray = corpus / "ollama" / "ollama__generate_stream.ndjson"
    stray.parent.mkdir()
    stray.write_text('{"response": "hi", "done": true}\n')
    assert (
        "ollama-chat reads the files of ollama/ named ollama__chat_stream_*"
        in (not_judged(corpus)[stray])
    )


@pytest.mark.parametrize(
    ("folder", "body"),
    [
        ("anthropic", {"type": "message", "role": "assistant"}),  # no content
        ("gemini", {"modelVersion": "gemini-2.0-flash"}),  # no candidates, no error
        ("gemini", "just a string"),
    ],
)
def test_a_body_the_reader_cannot_read_is_an_error_naming_the_file(
    tmp_path: Path, folder: str, body: object
) -> None:
    path = tmp_path / folder / "broken.json"
    path.parent.mkdir()
    path.write_text(json.dumps(body))
    with pytest.raises(UsageError, match=r"broken\.json: cannot read it as a"):
        catalogue(tmp_path)
