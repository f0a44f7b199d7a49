"""The Profile seam: how the harness drives one programming interface.

A profile builds the provider under test, sends the scenario's conversation through the
provider's own types, and turns whatever comes back (results, chunks, exceptions) into the
canonical observation. It is the only code that knows the interface; it says which clauses the
interface cannot express, and those are reported not applicable, never passed.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from conformance.profiles.resilience import ResilienceBuild, ResilienceOffer, offers_nothing
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec


class Profile(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    #: Clause id -> why this interface cannot express it.
    not_applicable: ClassVar[Mapping[str, str]] = {}
    #: Why the interface's total tokens are prompt + completion by definition, with no place for
    #: the server's own total (None: the interface keeps it). CH-4 and ST-5 then expect that sum:
    #: the part of the clause the interface cannot express is not judged, the rest still is.
    usage_total_is_sum: ClassVar[str | None] = None

    @property
    def request_parameters(self) -> frozenset[str]:
        """Optional request parameters (RequestSpec's "top_p", "stop") this interface takes and
        the profile passes on; RQ-3 checks those reach the wire."""
        return frozenset()

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})

    @abstractmethod
    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        """Construct the provider under test from `target` (the class or factory)."""

    @abstractmethod
    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        """Raise UsageError if `target` cannot be built the way this profile builds providers."""

    @abstractmethod
    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """The capabilities the provider says it has."""

    @abstractmethod
    def provider_name(self, provider: Any) -> object:
        """The provider's `name` as it reports it (ID-1 judges it)."""

    @abstractmethod
    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        """Send turn `turn` of the scenario's conversation and observe the outcome."""

    @abstractmethod
    async def close(self, provider: Any) -> None:
        """Release the provider's resources."""

    @abstractmethod
    def classify(self, exc: BaseException) -> ObservedError:
        """Describe an exception; category None when it is not one of the profile's types."""

    def built_timeout(self, timeout: float) -> float:
        """The timeout a provider asked to use `timeout` was really built with (ER-4 allows that
        plus its slack): an interface that only takes whole seconds rounds a short one up."""
        return timeout

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        """The one resilience seam: build the provider for an RE check and say what it offers
        (retries, breaker, chain, router, health check; conformance/profiles/resilience.py).

        The RE checks know no profile but through this answer. This default offers nothing, so
        every RE clause is not applicable for an interface whose profile does not say more.
        """
        return offers_nothing(self, build)


def check_buildable(
    target: Callable[..., Any], spec: ProviderSpec, required: Mapping[str, Any]
) -> None:
    """Fail early, with one clear line, when `target` cannot take the arguments a profile passes."""
    if not callable(target):
        raise UsageError(f"--provider {spec.target}: {target!r} is not a class or factory")
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return  # builtins and C types: find out when building
    try:
        signature.bind(**required, **spec.options)
    except TypeError as exc:
        names = ", ".join(required)
        raise UsageError(
            f"--provider {spec.target}: cannot be built with {names} ({exc}); give a factory "
            "that takes them, or pass what else it needs with --profile-option KEY=VALUE"
        ) from None


def accepts(target: Callable[..., Any], parameter: str) -> bool:
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return parameter in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )
