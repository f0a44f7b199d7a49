"""A session: one scenario being played to one provider, with everything the server saw.

The server is started once per test run; each check opens a session whose token is part of the
base URL it hands the provider, so concurrent checks never see each other's requests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from conformance.dialects.base import Dialect
from conformance.scenarios.model import Reply, Scenario
from conformance.server.wire_log import WireLog
from conformance.vocabulary.wire import RecordedRequest, WireResponse


@dataclass
class Exchange:
    request: RecordedRequest
    response: WireResponse
    endpoint: str | None
    turn: int | None
    #: Which request of the turn this was: 0, or more when a provider retried (Turn.attempts).
    attempt: int = 0
    #: time.perf_counter() as each piece of the response left (same clock as the observation).
    written_at: list[float] = field(default_factory=list)
    #: When the server took the request.
    received_at: float = 0.0
    #: The response was written to its end (not stalled, reset or abandoned by the client).
    completed: bool = False
    #: The client closed the connection while the server was still holding the stream (ST-7).
    client_closed_early: bool = False
    #: The index of the piece after which the server held the stream (ST-4, ST-7).
    held_after_piece: int | None = None
    #: The server is finished with this exchange (written, stalled out, reset or abandoned).
    done: bool = False
    #: What really left for the client, and where the server stopped: the transcript's source.
    wire: WireLog = field(default_factory=WireLog)


@dataclass
class Session:
    token: str
    scenario: Scenario
    dialect: Dialect
    api_key: str
    root_url: str
    exchanges: list[Exchange] = field(default_factory=list)
    #: Keep only the last `window` exchanges (None: all). A check's session keeps everything it
    #: judges; `serve`'s default session answers for hours and must not grow with every request.
    window: int | None = None
    #: Every request the session answered, including those no longer kept.
    received: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _chat_requests: int = 0
    #: The scenario could not be played as written (ScenarioRenderError): a harness error.
    harness_error: str | None = None

    @property
    def base_url(self) -> str:
        """What the provider is configured with, as it would be with the real API's base URL."""
        return self.root_url + self.dialect.base_path

    def next_turn(self) -> tuple[int, int]:
        """(turn, attempt) for the next request to a turn endpoint (chat, generate).

        Each turn's replies (its attempts, then its reply) are played to successive requests;
        requests beyond the last reply replay the last one.
        """
        with self._lock:
            played = self._upcoming()
            self._chat_requests += 1
            return played

    def current_reply(self) -> Reply:
        """The reply the next turn request would get: what side endpoints share (its error and
        fault), without using it up."""
        with self._lock:
            turn, attempt = self._upcoming()
        return self.scenario.turns[turn].replies[attempt]

    def _upcoming(self) -> tuple[int, int]:
        order = [
            (index, attempt)
            for index, turn in enumerate(self.scenario.turns)
            for attempt in range(len(turn.replies))
        ]
        return order[min(self._chat_requests, len(order) - 1)]

    def scenario_for(self, turn: int, attempt: int) -> Scenario:
        """The scenario as the dialect should render it for this request (an attempt's reply)."""
        replies = self.scenario.turns[turn].replies
        if attempt == len(replies) - 1:
            return self.scenario
        turns = list(self.scenario.turns)
        turns[turn] = replace(turns[turn], reply=replies[attempt], attempts=())
        return replace(self.scenario, turns=tuple(turns))

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.received += 1
            self.exchanges.append(exchange)
            if self.window is not None and len(self.exchanges) > self.window:
                del self.exchanges[: len(self.exchanges) - self.window]

    @property
    def connections(self) -> set[int]:
        """The connections the kept exchanges arrived on."""
        return {exchange.request.connection_id for exchange in self.snapshot()}

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def transcript(self) -> str:
        parts = []
        dropped = self.received - len(self.snapshot())
        if dropped > 0:
            parts.append(f"({dropped} earlier exchange(s) are no longer kept)")
        for number, exchange in enumerate(self.snapshot(), start=1):
            parts.append(f"--- request {number} ---\n{exchange.request.transcript(self.secrets)}")
            written = exchange.wire.transcript(self.secrets)
            parts.append(f"--- response {number} ---\n{written}")
        return "\n".join(parts) if parts else "(the server received no request)"
