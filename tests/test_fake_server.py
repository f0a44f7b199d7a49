"""The fake server: real HTTP on loopback, per-session routing, exact framing, request log."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.scenarios.model import Scenario, WireOptions

KEY = "sk-conformance-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def test_it_listens_on_loopback_on_an_ephemeral_port(server: FakeServer) -> None:
    assert server.root_url.startswith("http://127.0.0.1:")
    assert server.port > 0


def test_sessions_are_isolated_and_record_every_request(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    scenarios = bundled_scenarios()
    with (
        server.session(scenarios["text_plain"], dialect, KEY) as one,
        server.session(scenarios["stop_length"], dialect, KEY) as two,
    ):
        first = httpx.post(f"{one.base_url}/chat/completions", json=BODY, headers=AUTH)
        second = httpx.post(f"{two.base_url}/chat/completions", json=BODY, headers=AUTH)
    assert first.json()["choices"][0]["message"]["content"] == "Hello, conformance suite!"
    assert second.json()["choices"][0]["finish_reason"] == "length"
    assert [e.request.path for e in one.snapshot()] == ["/v1/chat/completions"]
    assert len(two.snapshot()) == 1
    assert json.loads(one.snapshot()[0].request.body) == BODY


def test_streams_use_chunked_sse_and_end_with_done(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["usage_reporting"], dialect, KEY) as session:
        body = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
        with httpx.stream(
            "POST", f"{session.base_url}/chat/completions", json=body, headers=AUTH
        ) as response:
            assert response.headers["transfer-encoding"] == "chunked"
            assert response.headers["content-type"].startswith("text/event-stream")
            raw = response.read().decode()
    events = [block for block in raw.split("\n\n") if block]
    assert events[-1] == "data: [DONE]"
    usage_chunk = json.loads(events[-2].removeprefix("data: "))
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] == 1300


def test_usage_is_only_streamed_when_the_request_asks_for_it(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["usage_reporting"], dialect, KEY) as session:
        body = {**BODY, "stream": True}
        raw = httpx.post(f"{session.base_url}/chat/completions", json=body, headers=AUTH).text
    assert '"usage"' not in raw


def test_wrong_credentials_get_the_dialects_401(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["text_plain"], dialect, KEY) as session:
        response = httpx.post(
            f"{session.base_url}/chat/completions",
            json=BODY,
            headers={"Authorization": "Bearer sk-wrong"},
        )
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]["message"]


def test_unknown_paths_get_a_404_naming_the_right_endpoint(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["text_plain"], dialect, KEY) as session:
        response = httpx.post(f"{session.base_url}/completions", json=BODY, headers=AUTH)
    assert response.status_code == 404
    assert "POST /v1/chat/completions" in response.json()["error"]["message"]


def test_turns_are_played_in_order(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["tool_conversation"], dialect, KEY) as session:
        url = f"{session.base_url}/chat/completions"
        first = httpx.post(url, json=BODY, headers=AUTH).json()
        second = httpx.post(url, json=BODY, headers=AUTH).json()
    assert first["choices"][0]["finish_reason"] == "tool_calls"
    assert second["choices"][0]["message"]["content"] == "Yes: light rain and 7 °C in Lviv."


def test_split_bytes_writes_the_body_in_small_pieces(server: FakeServer) -> None:
    """Reads on a raw socket end inside the body: the pieces really leave one by one."""
    base = bundled_scenarios()["text_plain"]
    scenario = Scenario(
        name="split",
        title="split",
        turns=base.turns,
        request=base.request,
        wire=WireOptions(split_bytes=1),
    )
    dialect = get_dialect("openai-chat")
    with server.session(scenario, dialect, KEY) as session:
        payload = json.dumps({**BODY, "stream": True}).encode()
        path = session.base_url.removeprefix(server.root_url) + "/chat/completions"
        request = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + payload
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(request)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    # Chunked framing of one-byte pieces: "1\r\nX\r\n" for every byte of the body.
    assert b"\r\n1\r\nd\r\n1\r\na\r\n1\r\nt\r\n1\r\na\r\n" in received
    assert received.endswith(b"0\r\n\r\n")


def test_the_transcript_redacts_the_key(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    with server.session(bundled_scenarios()["text_plain"], dialect, KEY) as session:
        httpx.post(f"{session.base_url}/chat/completions?k={KEY}", json=BODY, headers=AUTH)
    transcript = session.transcript()
    assert KEY not in transcript
    assert "<redacted-api-key>" in transcript
    assert "--- response 1 ---" in transcript
