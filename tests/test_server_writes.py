"""How many sends a response takes: one per piece only where the scenario needs read boundaries
(fragmentation, a drip, a hold); otherwise the pieces are coalesced, so the server is never the
bottleneck on a long stream. Faults still act at exactly their piece."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace

import httpx
import pytest

from conformance import FakeServer, get_dialect
from conformance.scenarios.model import Fault, Reply, RequestSpec, Scenario, Turn, WireOptions
from conformance.server.session import Exchange, Session
from conformance.vocabulary.canonical import ChatMessage

KEY = "sk-conformance-writes-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
DIALECT = get_dialect("openai-chat")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


PLAIN = Fault()
NO_OPTIONS = WireOptions()


def _long(parts: int = 2000, fault: Fault = PLAIN, wire: WireOptions = NO_OPTIONS) -> Scenario:
    reply = Reply(text_parts=tuple(f"w{n} " for n in range(parts)), fault=fault)
    return Scenario(
        name="long_stream",
        title="long stream",
        turns=(Turn(reply=reply),),
        request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
        wire=wire,
    )


def _stream(session: Session) -> tuple[bytes, Exchange]:
    with httpx.stream(
        "POST", f"{session.base_url}/chat/completions", json=BODY, headers=AUTH
    ) as response:
        body = response.read()
    [exchange] = session.snapshot()
    return body, exchange


def test_a_long_plain_stream_is_written_in_few_sends(server: FakeServer) -> None:
    with server.session(_long(), DIALECT, KEY) as session:
        body, exchange = _stream(session)
    assert body == exchange.response.body == bytes(exchange.wire.body)
    assert len(exchange.response.pieces) > 2000
    assert len(exchange.wire.sends) <= 10
    # Every piece still has its write time (the judges index them by piece).
    assert len(exchange.written_at) == len(exchange.response.pieces)


def test_split_bytes_still_writes_each_piece_in_its_own_send(server: FakeServer) -> None:
    with server.session(_long(20, wire=WireOptions(split_bytes=7)), DIALECT, KEY) as session:
        body, exchange = _stream(session)
    assert body == exchange.response.body
    assert exchange.wire.sends == [len(piece) for piece in exchange.response.pieces]


@pytest.mark.parametrize(
    "fault",
    [Fault(cut_after_pieces=700), Fault(reset_after_pieces=700), Fault(stall_after_pieces=700)],
)
def test_a_fault_still_acts_at_exactly_its_piece(server: FakeServer, fault: Fault) -> None:
    with server.session(_long(fault=fault), DIALECT, KEY) as session:
        received = bytearray()
        with (
            pytest.raises(httpx.HTTPError) if fault.cut_after_pieces is None else nullcontext(),
            httpx.stream(
                "POST",
                f"{session.base_url}/chat/completions",
                json=BODY,
                headers=AUTH,
                timeout=1.0,  # ends the stalled case: the silence after the last piece
            ) as response,
        ):
            for chunk in response.iter_raw():
                received += chunk
        [exchange] = session.snapshot()
    sent = b"".join(exchange.response.pieces[:700])
    assert bytes(exchange.wire.body) == sent
    assert len(exchange.written_at) == 700
    if fault.reset_after_pieces is not None:
        # A reset discards what the client had not read yet: it may have fewer bytes, never others.
        assert sent.startswith(bytes(received))
    else:
        assert bytes(received) == sent


def test_a_drip_and_a_hold_keep_one_send_per_piece(server: FakeServer) -> None:
    for fault in (Fault(drip_seconds=0.0001), Fault(hold_after_first_text=0.01)):
        scenario = _long(5, fault=fault)
        with server.session(scenario, DIALECT, KEY) as session:
            _body, exchange = _stream(session)
        assert len(exchange.wire.sends) == len(exchange.response.pieces), fault


def test_generated_cuts_are_exactly_the_sends(server: FakeServer) -> None:
    scenario = _long(50, wire=WireOptions(cuts=("byte:100", "byte:3000")))
    with server.session(replace(scenario), DIALECT, KEY) as session:
        body, exchange = _stream(session)
    assert body == bytes(exchange.wire.body)
    assert exchange.wire.sends == [100, 2900, len(body) - 3000]
