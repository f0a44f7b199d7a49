"""Every kind of recording is a scenario: streams, bodies, recorded HTTP errors, with sidecars.

A user drops a response from their own traffic in a folder: it is judged (and a provider that
misreads it is caught), served to any client (a request streaming the other way gets a 400 that
says so), listed, shown with its expected reading, and replayed as a file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance import Case, FakeServer, ProviderUnderTest, get_dialect, run_case
from conformance.cli import main
from conformance.dialects.corpus import catalogue, corpus_scenarios, file_scenario, read_recording
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"
KEY = "sk-conformance-corpus"

BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "  Hello there.  ", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13},
}

RATE_LIMITED = (
    "HTTP/1.1 429 Too Many Requests\n"
    "Content-Type: application/json\n"
    "Content-Length: 99\n"
    "Retry-After: 7\n"
    "x-request-id: req_1\n"
    "\n"
    '{"error":{"message":"Rate limit reached for gpt-4o","type":"requests",'
    '"param":null,"code":"rate_limit_exceeded"}}'
)

DATED = (
    "# recorded: 2026-12-07T22:00:00Z\n"
    "# dialect: openai-chat\n"
    "# model: gpt-4o\n"
    "HTTP/1.1 503 Service Unavailable\n"
    "Date: Mon, 07 Dec 2026 22:00:00 GMT\n"
    "Retry-After: Mon, 07 Dec 2026 22:00:20 GMT\n"
    "Content-Type: text/html\n"
    "\n"
    "<html><body>upstream connect error</body></html>"
)


@pytest.fixture
def corpus(tmp_path: Path, wire_corpus: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "openai_chat").mkdir(parents=True)
    (folder / "errors").mkdir()
    (folder / "openai_chat" / "mine__padded_answer.json").write_text(json.dumps(BODY))
    (folder / "errors" / "openai__429_rate_limited.http").write_text(RATE_LIMITED)
    (folder / "errors" / "openai__503_proxy_page.http").write_text(DATED)
    source = wire_corpus / "openai_chat" / "openai_chat__refusal_deltas.sse"
    if source.is_file():
        (folder / "openai_chat" / source.name).write_bytes(source.read_bytes())
    return folder


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _put(target: str = REFERENCE) -> ProviderUnderTest:
    return ProviderUnderTest.load(ProviderSpec(target=target, dialect="openai-chat"))


def test_a_body_an_error_and_a_stream_are_each_a_scenario(corpus: Path) -> None:
    scenarios = corpus_scenarios(get_dialect("openai-chat"), corpus)
    body = scenarios["wire-mine__padded_answer"]
    assert body.modes == ("chat",)
    assert body.expected_result()["text"] == "  Hello there.  "
    assert body.expected_result()["usage"] == {
        "prompt_tokens": 9,
        "completion_tokens": 4,
        "total_tokens": 13,
    }
    limited = scenarios["wire-openai__429_rate_limited"]
    assert limited.modes == ("chat", "stream")
    assert "ER-2" in limited.focus
    expected = limited.expected_result()["error"]
    assert expected["category"] == "rate_limit"
    assert expected["retry_after"] == 7
    assert expected["message"] == "Rate limit reached for gpt-4o"


def test_an_http_date_retry_after_is_stated_again_as_far_ahead(corpus: Path) -> None:
    """A recorded date is long past: the server states the recorded delay from now instead."""
    scenario = corpus_scenarios(get_dialect("openai-chat"), corpus)["wire-openai__503_proxy_page"]
    error = scenario.final_reply.error
    assert error is not None and error.retry_after == 20 and error.retry_after_form == "http-date"
    assert "Retry-After" not in error.headers and error.content_type == "text/html"
    assert error.message is None  # an HTML page carries no API message
    assert "ER-5" in scenario.focus and scenario.request.model == "gpt-4o"


def test_provenance_names_the_dialect_whatever_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "anywhere.http"
    path.write_text(DATED)
    recording = read_recording(path)
    assert recording.dialect == "openai-chat" and recording.provenance["model"] == "gpt-4o"
    with pytest.raises(UsageError, match="give --dialect openai-chat"):
        file_scenario(get_dialect("anthropic-messages"), path)


def test_a_sidecar_names_the_request(corpus: Path) -> None:
    sidecar = corpus / "openai_chat" / "mine__padded_answer.request.yaml"
    sidecar.write_text(
        "model: gpt-4o-mini\ntools:\n  - name: get_weather\n    description: Weather.\n"
    )
    scenario = corpus_scenarios(get_dialect("openai-chat"), corpus)["wire-mine__padded_answer"]
    assert scenario.request.model == "gpt-4o-mini"
    assert [tool.name for tool in scenario.request.tools] == ["get_weather"]
    sidecar.write_text("modle: x\n")
    with pytest.raises(UsageError, match="unknown key 'modle'"):
        corpus_scenarios(get_dialect("openai-chat"), corpus)


def test_a_broken_recording_names_its_file(corpus: Path) -> None:
    (corpus / "openai_chat" / "broken.json").write_text("{not json")
    with pytest.raises(UsageError, match=r"broken\.json: cannot read it as a openai-chat"):
        corpus_scenarios(get_dialect("openai-chat"), corpus)


def test_the_reference_passes_every_kind_and_known_bad_providers_are_caught(
    server: FakeServer, corpus: Path
) -> None:
    scenarios = corpus_scenarios(get_dialect("openai-chat"), corpus)
    reference = _put()
    for scenario in scenarios.values():
        for mode in scenario.modes:
            outcome = run_case(server, reference, Case(scenario, mode))
            assert outcome.ok, outcome.failure_text()
    stripping = _put("tests.known_bad.providers:StripsContent")
    body = run_case(server, stripping, Case(scenarios["wire-mine__padded_answer"], "chat"))
    assert "CH-1" in {v.clause for v in body.failures}
    generic = _put("tests.known_bad.providers:GenericErrorMessage")
    error = run_case(server, generic, Case(scenarios["wire-openai__429_rate_limited"], "chat"))
    assert "ER-3" in {v.clause for v in error.failures}
    constant = _put("tests.known_bad.providers:RetryAfterIgnored")
    error = run_case(server, constant, Case(scenarios["wire-openai__429_rate_limited"], "stream"))
    assert "ER-2" in {v.clause for v in error.failures}


def test_a_request_streaming_the_other_way_gets_a_400_naming_the_mismatch(
    server: FakeServer, corpus: Path
) -> None:
    scenarios = corpus_scenarios(get_dialect("openai-chat"), corpus)
    dialect = get_dialect("openai-chat")
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {KEY}"}
    with server.session(scenarios["wire-mine__padded_answer"], dialect, KEY) as session:
        url = f"{session.base_url}/chat/completions"
        streamed = httpx.post(url, json={**request, "stream": True}, headers=headers)
        assert streamed.status_code == 400
        assert "is a non-streamed answer" in streamed.json()["error"]["message"]
        plain = httpx.post(url, json=request, headers=headers)
        assert plain.status_code == 200 and plain.json() == BODY
    if "wire-openai_chat__refusal_deltas" not in scenarios:
        return
    with server.session(scenarios["wire-openai_chat__refusal_deltas"], dialect, KEY) as session:
        plain = httpx.post(f"{session.base_url}/chat/completions", json=request, headers=headers)
        assert plain.status_code == 400
        assert "this recording is a stream" in plain.json()["error"]["message"]


def test_the_shared_corpus_lists_every_kind(wire_corpus: Path) -> None:
    if not wire_corpus.is_dir():
        pytest.skip(f"no corpus at {wire_corpus}")
    found = catalogue(wire_corpus)
    dialects = {name: dialect for name, (dialect, _) in found.items()}
    assert dialects["wire-anthropic__529_overloaded_error"] == "anthropic-messages"
    assert dialects["wire-groq__400_tool_use_failed"] == "openai-chat"
    assert dialects["wire-ollama__chat_tool_call_id_index_thinking"] == "ollama-chat"
    bad_key = found["wire-gemini__400_api_key_invalid_on_sse_request"][1].expected_result()
    assert bad_key["error"]["category"] == "auth"  # API_KEY_INVALID, whatever the 400 says
    body_529 = found["wire-anthropic__529_overloaded_error_body_with_request_id"][1]
    assert body_529.expected_result()["error"]["status"] == 529
    headers_only = found["wire-openai__200_stream_headers_x_ratelimit"][1]
    assert headers_only.final_reply.tool_calls  # its body is the recording it names


def test_list_and_show_know_recordings(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "scenarios", "--wire-corpus", str(corpus)]) == 0
    listed = capsys.readouterr().out.split()
    assert {"wire-mine__padded_answer", "wire-openai__429_rate_limited"} <= set(listed)
    assert "text_plain" in listed
    shown = ["show", "scenario", "wire-openai__429_rate_limited", "--json"]
    assert main([*shown, "--wire-corpus", str(corpus)]) == 0
    expected = json.loads(capsys.readouterr().out)["expected"]["error"]
    assert expected["status"] == 429 and expected["retry_after"] == 7
    assert main(shown) == 2
    assert "need --wire-corpus DIR" in capsys.readouterr().err


def test_replay_takes_a_recording_file(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = corpus / "errors" / "openai__429_rate_limited.http"
    argv = ["replay", str(recording), "--provider", REFERENCE, "--dialect", "openai-chat"]
    assert main(argv) == 0, capsys.readouterr()
    bad = ["replay", str(recording), "--provider", "tests.known_bad.providers:GenericErrorMessage"]
    assert main([*bad, "--dialect", "openai-chat"]) == 1
    wrong = ["replay", str(recording), "--provider", REFERENCE, "--dialect", "anthropic-messages"]
    assert main(wrong) == 2
    assert "not a recording of dialect anthropic-messages" in capsys.readouterr().err


def test_a_loose_recording_plays_in_the_run_dialect_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file outside a corpus folder, naming no dialect, is `--dialect`'s: read by another
    API's oracle it would expect nonsense of that API's providers."""
    loose = tmp_path / "answer.json"
    loose.write_text(json.dumps(BODY))
    assert main(["replay", str(loose), "-v"]) == 0, capsys.readouterr()
    ran = [line for line in capsys.readouterr().out.splitlines() if "wire-answer" in line]
    assert ran and all(
        "[openai-compatible:" in line or "[resilient-openai:" in line for line in ran
    ), ran


SERVED = ("--scenario", "wire-mine__padded_answer")


def test_serve_plays_a_recording_in_its_own_dialect(corpus: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--wire-corpus", str(corpus), *SERVED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.endswith("/v1")  # openai-chat's, though serve's default is every dialect
        answer = httpx.post(
            f"{base_url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            headers={"Authorization": "Bearer sk-conformance-serve"},
            timeout=10,
        )
        assert answer.json() == BODY
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0
