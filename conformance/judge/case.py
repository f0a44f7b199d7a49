"""Everything one check produced, handed to the clause judges as a single value."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.dialects.base import Dialect
from conformance.scenarios.model import Scenario
from conformance.server.session import Exchange
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import Observation


@dataclass(frozen=True)
class CaseRecord:
    scenario: Scenario
    mode: Mode
    observation: Observation
    exchanges: tuple[Exchange, ...]
    dialect: Dialect
    api_key: str
    declared: frozenset[str]
    #: The timeout the provider was built with (ER-4 allows it plus a small slack).
    provider_timeout: float = 0.0
    #: Clauses the profile's interface cannot express (they are reported not applicable); a
    #: clause derived from others (ST-6) must not fail for them.
    inexpressible: frozenset[str] = frozenset()
    #: The interface's total is prompt + completion by definition (Profile.usage_total_is_sum).
    usage_total_is_sum: bool = False
    #: Optional request parameters the profile passes to the provider (Profile.request_parameters).
    parameters: frozenset[str] = frozenset()

    @property
    def chat_exchanges(self) -> tuple[Exchange, ...]:
        return tuple(e for e in self.exchanges if e.turn is not None)
