"""`record`: a live session through the recording proxy becomes a corpus that judges alike.

The upstream is the fake server itself (no network): a scenario is recorded through the proxy,
and the recording must give a provider the same verdicts as the scenario did, for the reference
provider and for known-bad ones; and no form of the session's key is anywhere on disk.
"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance import Case, FakeServer, ProviderUnderTest, get_dialect, run_case
from conformance.dialects.corpus import corpus_scenarios, read_recording
from conformance.recording import scrub
from conformance.recording.proxy import RecordingProxy
from conformance.scenarios import bundled_scenarios
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec

#: Shaped like a real key, not like the harness's own (which every writer redacts by shape).
CANARY = "sk-proj-CanaryKey7f3a9c1e5b2d8f4a6c0e"
REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _record(server: FakeServer, out: Path, name: str, *, stream: bool) -> Path:
    """Play bundled scenario `name` on the fake server and ask it once through the proxy."""
    scenario = bundled_scenarios()[name]
    dialect = get_dialect("openai-chat")
    with server.session(scenario, dialect, CANARY) as session:
        upstream = session.base_url.removesuffix(dialect.base_path)
        with RecordingProxy(upstream, dialect, out, log=io.StringIO()) as proxy:
            body: dict[str, object] = {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": TOOLS,
                "stream": stream,
            }
            if stream:
                body["stream_options"] = {"include_usage": True}
            httpx.post(
                f"{proxy.base_url}/chat/completions?key={CANARY}",
                json=body,
                headers={"Authorization": f"Bearer {CANARY}", "Cookie": f"session={CANARY}"},
                timeout=10,
            ).read()
        assert len(proxy.written) == 1
        return proxy.written[0]


def _failing(server: FakeServer, target: str, scenario: object, mode: str) -> set[str]:
    put = ProviderUnderTest.load(ProviderSpec(target=target, dialect="openai-chat"))
    outcome = run_case(server, put, Case(scenario, mode))  # type: ignore[arg-type]
    assert outcome.error is None, outcome.failure_text()
    return {verdict.clause for verdict in outcome.failures}


@pytest.mark.parametrize(
    ("name", "mode", "bad", "clause"),
    [
        ("tool_calls_parallel", "chat", "FirstToolCallOnly", "CH-2"),
        ("tool_calls_parallel", "stream", "ToolCallsReportedTwice", "ST-3"),
        ("usage_reporting", "stream", "IgnoresUsageOnlyChunk", "ST-5"),
        ("error_429", "chat", "RetryAfterIgnored", "ER-2"),
        ("error_429", "stream", "GenericErrorMessage", "ER-3"),
    ],
)
def test_a_recorded_session_replays_to_the_same_verdicts(
    server: FakeServer, tmp_path: Path, name: str, mode: str, bad: str, clause: str
) -> None:
    _record(server, tmp_path, name, stream=mode == "stream")
    recorded = list(corpus_scenarios(get_dialect("openai-chat"), tmp_path).values())
    assert len(recorded) == 1
    replay = recorded[0]
    assert mode in replay.modes
    original = bundled_scenarios()[name]
    assert _failing(server, REFERENCE, replay, mode) == set()
    known_bad = f"tests.known_bad.providers:{bad}"
    expected = _failing(server, known_bad, original, mode)
    assert clause in expected
    assert clause in _failing(server, known_bad, replay, mode)


def test_the_recording_carries_provenance_and_the_request(
    server: FakeServer, tmp_path: Path
) -> None:
    path = _record(server, tmp_path, "tool_call_single", stream=True)
    assert path.parent == tmp_path / "openai_chat"
    recording = read_recording(path)
    assert recording.kind == "stream"
    assert recording.provenance["dialect"] == "openai-chat"
    assert recording.provenance["model"] == "gpt-4o-mini"
    assert recording.provenance["path"].startswith("POST /v1/chat/completions?key=")
    assert recording.provenance["recorded"][:4].isdigit()
    assert [tool["name"] for tool in recording.sidecar["tools"]] == ["get_weather"]


def test_no_form_of_the_key_reaches_the_disk(server: FakeServer, tmp_path: Path) -> None:
    for name, stream in (("tool_call_single", True), ("error_401", False)):
        _record(server, tmp_path, name, stream=stream)
    forms = [CANARY, CANARY.upper(), base64.b64encode(CANARY.encode()).decode()]
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) >= 3  # two recordings and a sidecar
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for form in forms:
            assert form not in text, f"{path} holds the key"


def test_each_kind_of_credential_is_scrubbed() -> None:
    headers = [
        ("Authorization", "Bearer tok-abcdef"),
        ("x-api-key", "ak-123456"),
        ("x-goog-api-key", "gk-123456"),
        ("api-key", "az-123456"),
        ("Cookie", "a=cookie-value-1; b=cookie-value-2"),
        ("Content-Type", "application/json"),
    ]
    assert [v for _, v in scrub.scrub_headers(headers)][:5] == ["<redacted>"] * 5
    secrets = scrub.header_secrets(headers)
    assert {"tok-abcdef", "ak-123456", "cookie-value-1"} <= set(secrets)
    target = scrub.scrub_target("/v1beta/models/g:generateContent?alt=sse&key=gk-123456")
    assert "gk-123456" not in target and "alt=sse" in target
    token = b'{"access_token":"at-secret-value","token_type":"bearer","expires_in":3600}'
    assert b"at-secret-value" not in scrub.scrub_body(token, [])
    form = b"grant_type=client_credentials&client_secret=cs-secret-value"
    assert b"cs-secret-value" not in scrub.scrub_body(form, [])
    echoed = b'{"error":{"message":"Incorrect API key provided: tok-abcdef"}}'
    assert b"tok-abcdef" not in scrub.scrub_body(echoed, secrets)


def test_the_command_prints_its_base_url_first(server: FakeServer, tmp_path: Path) -> None:
    scenario = bundled_scenarios()["text_plain"]
    dialect = get_dialect("openai-chat")
    with server.session(scenario, dialect, CANARY) as session:
        upstream = session.base_url.removesuffix(dialect.base_path)
        command = [sys.executable, "-m", "conformance.cli", "record", "--upstream", upstream]
        process = subprocess.Popen(
            [*command, "--dialect", "openai-chat", "--out", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
            answer = httpx.post(
                f"{base_url}/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {CANARY}"},
                timeout=10,
            )
            assert answer.json()["choices"][0]["message"]["content"] == "Hello, conformance suite!"
        finally:
            process.terminate()
            process.communicate(timeout=10)
    assert process.returncode == 0
    assert len(list((tmp_path / "openai_chat").glob("*.http"))) == 1


def test_an_upstream_that_is_not_a_url_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--upstream api\.openai\.com: give the API.s root URL"):
        RecordingProxy("api.openai.com", get_dialect("openai-chat"), tmp_path)


def test_a_chunked_request_body_reaches_the_upstream_and_the_recording(
    server: FakeServer, tmp_path: Path
) -> None:
    scenario = bundled_scenarios()["text_plain"]
    dialect = get_dialect("openai-chat")
    body = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}'
    with server.session(scenario, dialect, CANARY) as session:
        upstream = session.base_url.removesuffix(dialect.base_path)
        with RecordingProxy(upstream, dialect, tmp_path, log=io.StringIO()) as proxy:
            answer = httpx.post(
                f"{proxy.base_url}/chat/completions",
                content=iter([body[:20], body[20:]]),  # no length known: sent chunked
                headers={"Authorization": f"Bearer {CANARY}"},
                timeout=10,
            )
        assert answer.json()["choices"][0]["message"]["content"] == "Hello, conformance suite!"
    assert read_recording(proxy.written[0]).provenance["model"] == "gpt-4o-mini"


def test_an_unreachable_upstream_is_a_502_naming_it(tmp_path: Path) -> None:
    dialect = get_dialect("openai-chat")
    with RecordingProxy("http://127.0.0.1:9", dialect, tmp_path, log=io.StringIO()) as proxy:
        answer = httpx.post(f"{proxy.base_url}/chat/completions", json={}, timeout=10)
    assert answer.status_code == 502
    assert "upstream http://127.0.0.1:9 failed" in answer.json()["error"]["message"]
    assert proxy.written == []


def test_the_upstream_is_shown_without_its_credentials() -> None:
    from conformance.recording.proxy import shown_upstream

    shown = shown_upstream("https://user:s3cret-pass@gw.example:8443/openai?api-key=s3cret-key")
    assert shown == "https://gw.example:8443/openai"


@pytest.mark.parametrize(
    ("dialect_name", "path", "headers", "body"),
    [
        (
            "gemini",
            f"/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key={CANARY}",
            {"x-goog-api-key": CANARY},
            {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        ),
        (
            "anthropic-messages",
            "/v1/messages",
            {"x-api-key": CANARY, "anthropic-version": "2023-06-01"},
            {
                "model": "claude-x",
                "max_tokens": 64,
                "stream": True,
                "messages": [{"role": "user", "content": "hi"}],
            },
        ),
    ],
)
def test_other_apis_record_and_replay_with_no_key_on_disk(
    server: FakeServer,
    tmp_path: Path,
    dialect_name: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, object],
) -> None:
    dialect = get_dialect(dialect_name)
    scenario = bundled_scenarios()["text_plain"]
    with server.session(scenario, dialect, CANARY) as session:
        upstream = session.base_url.removesuffix(dialect.base_path)
        with RecordingProxy(upstream, dialect, tmp_path, log=io.StringIO()) as proxy:
            root = proxy.base_url.removesuffix(dialect.base_path)
            answer = httpx.post(root + path, json=body, headers=headers, timeout=10)
            assert answer.status_code == 200, answer.text
    [written] = proxy.written
    assert CANARY not in written.read_text(encoding="utf-8")
    [replay] = corpus_scenarios(dialect, tmp_path).values()
    assert replay.modes == ("stream",)
    assert replay.final_reply.text == scenario.final_reply.text
