"""The properties every provider is held to, each citing the clauses it judges.

A property is a strategy of scenarios plus the clauses that must hold for every one of them; the
example scenarios catch the bugs someone thought of, the properties the ones nobody did.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode

if TYPE_CHECKING:  # the strategies are imported when a property runs (hypothesis: start-up time)
    from hypothesis import strategies as st

StrategyFactory = Callable[[Mode, Collection[str]], "st.SearchStrategy[Scenario]"]


@dataclass(frozen=True)
class Property:
    name: str
    title: str
    #: The clauses judged for each example, per mode.
    clauses: dict[str, tuple[str, ...]]
    strategy: StrategyFactory
    modes: tuple[Mode, ...] = ("chat", "stream")

    @property
    def id(self) -> str:
        return f"property-{self.name}"

    def requirements(self, mode: Mode) -> frozenset[str]:
        """What the provider must declare for the property to apply at all in this mode."""
        return frozenset({"streaming"}) if mode == "stream" else frozenset()


def _answers(mode: Mode, declared: Collection[str]) -> st.SearchStrategy[Scenario]:
    from conformance.strategies.scenarios import answer_scenarios

    return answer_scenarios(mode, capabilities=declared, name=f"property-answers-{mode}")


def _errors(mode: Mode, declared: Collection[str]) -> st.SearchStrategy[Scenario]:
    from conformance.strategies.scenarios import error_scenarios

    return error_scenarios(mode, name=f"property-errors-{mode}")


PROPERTIES: tuple[Property, ...] = (
    Property(
        "answers",
        "Any answer, framed and cut anyhow, reads the same",
        {
            "chat": ("CH-1", "CH-2", "CH-3", "CH-4", "ER-8"),
            "stream": ("ST-1", "ST-2", "ST-3", "ST-5", "ST-6", "ER-8"),
        },
        _answers,
    ),
    Property(
        "errors",
        "Any 4xx or 5xx maps by the ER-1 / ER-2 table",
        {"chat": ("ER-1", "ER-2", "ER-8"), "stream": ("ER-1", "ER-2", "ER-8")},
        _errors,
    ),
)


def get_property(name: str) -> Property:
    for prop in PROPERTIES:
        if name in (prop.name, prop.id):
            return prop
    raise KeyError(name)
