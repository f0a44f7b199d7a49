"""The transcript is the wire: it shows exactly the body bytes a client received, and says where
the server stopped, cut, reset, stalled or held, for every fault kind."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.scenarios.model import Fault, Scenario
from conformance.server.response_writer import STALL_LIMIT as _STALL_LIMIT
from conformance.server.session import Session

KEY = "sk-conformance-transcript-key"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _raw_exchange(session: Session, *, read_timeout: float = 0.05) -> bytes:
    """Send one streamed chat request on a raw socket; everything received until the server
    closes or resets, or (a stall) has stopped writing and the socket has gone quiet."""
    body = json.dumps(BODY).encode()
    path = session.base_url.removeprefix(session.root_url.split("/c/")[0]) + "/chat/completions"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    received = bytearray()
    host, port = session.root_url.removeprefix("http://").split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(read_timeout)
        sock.sendall(request)
        stalling = False
        for _ in range(400):  # a bound, not a wait: each round ends at data or a quiet socket
            try:
                data = sock.recv(65536)
            except TimeoutError:
                if stalling:
                    break  # quiet once more after the server stopped: everything has arrived
                stalling = _server_is_stalling(session)
                continue
            except ConnectionResetError:
                break
            if not data:
                break
            received += data
    return bytes(received)


def _server_is_stalling(session: Session) -> bool:
    """The server wrote all it will write and now holds the connection (so the socket, once
    quiet, holds everything that was sent)."""
    for exchange in session.snapshot():
        if any("stopped sending" in t or "never answered" in t for _, t in exchange.wire.notes):
            return True
    return False


def _body(raw: bytes) -> bytes:
    """The body a client reads from raw bytes: chunked framing removed, a torn end tolerated."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return b""
    if b"transfer-encoding: chunked" not in head.lower():
        return rest
    body = bytearray()
    while rest:
        size_line, sep, rest = rest.partition(b"\r\n")
        if not sep:
            break
        size = int(size_line, 16)
        if size == 0:
            break
        body += rest[:size]
        rest = rest[size + 2 :]
    return bytes(body)


def _with_fault(fault: Fault) -> Scenario:
    base = bundled_scenarios()["fault_stream_cut"]
    reply = replace(
        base.turns[0].reply, text_parts=("One", " two", " three", " four", " five"), fault=fault
    )
    return replace(base, turns=(replace(base.turns[0], reply=reply),))


FAULTS: dict[str, tuple[Fault, str]] = {
    "cut": (Fault(cut_after_pieces=3), "the server ended the body here"),
    "reset": (Fault(reset_after_pieces=2), "connection reset (TCP RST) by the server here"),
    "stall_mid_stream": (Fault(stall_after_pieces=2), "the server stopped sending here"),
    "stall_before_headers": (Fault(stall_before_headers=True), "never answered"),
    "hold": (Fault(hold_after_first_text=0.05), "the server held the stream here"),
    "drip": (Fault(drip_seconds=0.001), "fault drip_seconds"),
    "malformed": (Fault(malformed=True), "fault malformed"),
    "wrong_shape": (Fault(wrong_shape=True), "fault wrong_shape"),
    "none": (Fault(), ""),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_transcript_body_is_what_the_client_received(server: FakeServer, name: str) -> None:
    fault, marker = FAULTS[name]
    dialect = get_dialect("openai-chat")
    with server.session(_with_fault(fault), dialect, KEY) as session:
        raw = _raw_exchange(session)
        [exchange] = session.snapshot()
        assert _wait_done(exchange)
        transcript = session.transcript()
    received = _body(raw)
    assert bytes(exchange.wire.body) == received
    if exchange.wire.head is not None:
        assert raw.startswith(exchange.wire.head)
    else:
        assert raw == b""
    assert marker in transcript
    response = transcript.split("--- response 1 ---\n", 1)[1]
    # The body as text, in order, with nothing that never left: strip the notes, compare.
    shown = "\n".join(line for line in response.split("\n") if not line.startswith("--- "))
    for event in received.decode().split("\n\n"):
        assert event in shown
    assert response.count("data: ") == received.count(b"data: ")


def _wait_done(exchange: object) -> bool:
    import time

    for _ in range(200):
        if getattr(exchange, "done", False):
            return True
        time.sleep(0.01)
    return False


def test_a_cut_stream_shows_three_events_and_no_done(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    scenario = bundled_scenarios()["fault_stream_cut"]
    with server.session(scenario, dialect, KEY) as session:
        raw = _raw_exchange(session)
        [exchange] = session.snapshot()
        assert _wait_done(exchange)
        transcript = session.transcript()
    assert b"[DONE]" not in _body(raw)
    assert "[DONE]" not in transcript
    assert '"finish_reason":"stop"' not in transcript
    assert transcript.count("data: ") == 3
    assert "(fault cut_after_pieces=3)" in transcript


def test_a_stall_before_headers_says_nothing_was_written(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    scenario = _with_fault(Fault(stall_before_headers=True))
    with server.session(scenario, dialect, KEY) as session:
        assert _raw_exchange(session) == b""
        [exchange] = session.snapshot()
        assert _wait_done(exchange)
        transcript = session.transcript()
    assert "the server wrote no response" in transcript
    assert "the client closed the connection" in transcript
    assert f"{_STALL_LIMIT:g} s" not in transcript


def test_generated_cuts_are_described_as_the_sends_that_happened(server: FakeServer) -> None:
    dialect = get_dialect("openai-chat")
    base = bundled_scenarios()["text_plain"]
    scenario = replace(base, wire=replace(base.wire, cuts=("byte:7", "byte:20")))
    with server.session(scenario, dialect, KEY) as session:
        raw = _raw_exchange(session)
        [exchange] = session.snapshot()
        assert _wait_done(exchange)
        transcript = session.transcript()
    assert bytes(exchange.wire.body) == _body(raw)
    assert exchange.wire.sends[:2] == [7, 13]
    assert "written in 3 separate writes" in transcript
