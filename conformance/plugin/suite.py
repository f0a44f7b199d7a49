"""The subclassable test class: the suite's checks as pytest tests.

Use it the way langchain-tests is used: subclass it in your own test file, say how to build your
provider, and pytest runs every check::

    from conformance import ProviderConformanceSuite
    from mypkg.llm import MyProvider

    class TestMyProvider(ProviderConformanceSuite):
        provider_class = MyProvider
        dialect = "openai-chat"

`pytest --provider mypkg.llm:MyProvider` runs the very same tests through a subclass the plugin
configures from the command line (conformance/plugin/configured_tests.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from conformance.checks.runner import Case
from conformance.vocabulary.spec import ProviderSpec

if TYPE_CHECKING:
    from conformance.plugin.checks import ConformanceChecks
    from conformance.properties import Property
    from conformance.resilience import ResilienceCheck
    from conformance.vocabulary.canonical import Mode


class ProviderConformanceSuite:
    #: The provider class, or any factory taking the profile's constructor arguments.
    provider_class: ClassVar[Callable[..., Any] | None] = None
    #: Extra keyword arguments for the provider (and profile options such as `types_module`).
    provider_options: ClassVar[Mapping[str, Any]] = {}
    dialect: ClassVar[str] = "openai-chat"
    profile: ClassVar[str] = "native"
    #: Run only these scenarios (all bundled ones by default).
    scenarios: ClassVar[Sequence[str] | None] = None
    #: Run only these properties (`answers`, `errors`); all by default, `[]` for none.
    properties: ClassVar[Sequence[str] | None] = None
    #: A label for reports and test ids; defaults to the class name of the provider.
    provider_label: ClassVar[str] = ""

    @classmethod
    def conformance_specs(cls, config: pytest.Config) -> list[ProviderSpec]:
        """The providers this class judges; override to judge several."""
        factory = cls.provider_class
        if factory is None:
            raise pytest.UsageError(
                f"{cls.__qualname__}: set provider_class (the provider class or a factory) "
                "or override conformance_specs"
            )
        target = f"{factory.__module__}:{getattr(factory, '__qualname__', repr(factory))}"
        label = cls.provider_label or getattr(factory, "__name__", "provider")
        return [
            ProviderSpec(
                target=target,
                dialect=cls.dialect,
                profile=cls.profile,
                label=label,
                options=dict(cls.provider_options),
                factory=factory,
            )
        ]

    @classmethod
    def conformance_scenarios(cls, config: pytest.Config) -> Sequence[str] | None:
        return cls.scenarios

    @classmethod
    def conformance_properties(cls, config: pytest.Config) -> Sequence[str] | None:
        return cls.properties

    def test_identity(self, conformance_spec: ProviderSpec, conformance: ConformanceChecks) -> None:
        """ID-1: the provider has a name; SE-1: its repr holds no key."""
        conformance.check_identity(conformance_spec)

    def test_scenario(
        self, conformance_check: tuple[ProviderSpec, Case], conformance: ConformanceChecks
    ) -> None:
        """Every clause a scenario exercises, in one mode (chat or stream)."""
        spec, case = conformance_check
        conformance.check_case(spec, case)

    def test_property(
        self,
        conformance_property: tuple[ProviderSpec, Property, Mode],
        conformance: ConformanceChecks,
    ) -> None:
        """Generated answers (any framing, any split, any interleaving) and errors (any status,
        Retry-After and body): the clauses hold for every example (conformance/properties)."""
        spec, prop, mode = conformance_property
        conformance.check_property(spec, prop, mode)

    def test_resilience(
        self,
        conformance_resilience: tuple[ProviderSpec, ResilienceCheck, str],
        conformance: ConformanceChecks,
    ) -> None:
        """RE-1..RE-4 for providers, chains and routers that offer retries, breakers, health."""
        spec, check, mode = conformance_resilience
        conformance.check_resilience(spec, check, mode)
