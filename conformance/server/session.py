"""A session: one scenario being played to one provider, with everything the server saw.

The server is started once per test run; each check opens a session whose token is part of the
base URL it hands the provider, so concurrent checks never see each other's requests.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from conformance.dialects.base import Dialect
from conformance.scenarios.model import Scenario
from conformance.wire import RecordedRequest, WireResponse


@dataclass
class Exchange:
    request: RecordedRequest
    response: WireResponse
    endpoint: str | None
    turn: int | None


@dataclass
class Session:
    token: str
    scenario: Scenario
    dialect: Dialect
    api_key: str
    root_url: str
    exchanges: list[Exchange] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _chat_requests: int = 0

    @property
    def base_url(self) -> str:
        """What the provider is configured with, as it would be with the real API's base URL."""
        return self.root_url + self.dialect.base_path

    def next_turn(self) -> int:
        """Turns are played in order; requests beyond the last turn replay the last turn."""
        with self._lock:
            turn = min(self._chat_requests, len(self.scenario.turns) - 1)
            self._chat_requests += 1
            return turn

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            self.connections.add(exchange.request.connection_id)

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.api_key,)

    def transcript(self) -> str:
        parts = []
        for number, exchange in enumerate(self.snapshot(), start=1):
            parts.append(f"--- request {number} ---\n{exchange.request.transcript(self.secrets)}")
            parts.append(f"--- response {number} ---\n{exchange.response.transcript(self.secrets)}")
        return "\n".join(parts) if parts else "(the server received no request)"
