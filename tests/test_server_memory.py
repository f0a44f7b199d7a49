"""`serve` answers for hours: what the server keeps must not grow with every request."""

from __future__ import annotations

import gc
import itertools
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from conformance import FakeServer, bundled_scenarios, get_dialect
from conformance.server.http_server import DEFAULT_SESSION_WINDOW
from conformance.server.session import Exchange
from conformance.vocabulary.wire import RecordedRequest

KEY = "sk-conformance-memory-key"
BODY = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
DIALECT = get_dialect("openai-chat")


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


def _request(sequence: int) -> RecordedRequest:
    return RecordedRequest(
        "POST",
        "/v1/chat/completions",
        "/v1/chat/completions",
        (("Authorization", f"Bearer {KEY}"), ("Content-Type", "application/json")),
        BODY,
        connection_id=sequence,
        sequence=sequence,
    )


def test_ten_thousand_requests_leave_a_bounded_window(server: FakeServer) -> None:
    session = server.play_default(bundled_scenarios()["text_plain"], DIALECT, KEY)
    for sequence in range(1, 10_001):
        response, exchange = server._respond(_request(sequence))
        assert response.status == 200 and exchange is not None
        exchange.done = True
    kept = session.snapshot()
    assert session.received == 10_000
    assert len(kept) == DEFAULT_SESSION_WINDOW
    assert kept[-1].request.sequence == 10_000
    del kept, response, exchange
    gc.collect()
    alive = sum(isinstance(o, Exchange) for o in gc.get_objects())
    assert alive <= DEFAULT_SESSION_WINDOW + 5
    assert "9800 earlier exchange(s) are no longer kept" in session.transcript()


def test_closed_connections_are_forgotten(server: FakeServer) -> None:
    session = server.play_default(bundled_scenarios()["text_plain"], DIALECT, KEY, window=10)
    headers = {"Authorization": f"Bearer {KEY}", "Connection": "close"}
    for _ in range(50):
        with httpx.Client() as client:
            client.post(f"{server.root_url}/v1/chat/completions", content=BODY, headers=headers)
    for _ in itertools.repeat(None, 2000):  # the handler's finally runs just after the reply
        if len(server._connection_sessions) <= 1 and not server.open_connections(session):
            break
        time.sleep(0.005)
    assert not server.open_connections(session)
    assert len(server._connection_sessions) <= 1
    assert len(session.snapshot()) == 10 and session.received == 50


def test_a_check_session_keeps_everything() -> None:
    with (
        FakeServer() as server,
        server.session(bundled_scenarios()["text_plain"], DIALECT, KEY) as session,
    ):
        for sequence in range(1, 301):
            request = _request(sequence)
            target = f"/c/{session.token}{request.path}"
            server._respond(RecordedRequest(**{**request.__dict__, "target": target}))
        assert len(session.snapshot()) == 300


def test_starting_twice_listens_once_on_the_port_asked() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = FakeServer(port=port).start()
    with server:  # `serve` starts, then enters: the second start must not listen again
        assert server.port == port
        assert httpx.get(f"{server.root_url}/v1/models").status_code == 404
