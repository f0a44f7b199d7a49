"""The CF clauses in a run: what the plugin calls instead of run_identity / run_case.

`ConfigurationChecks.from_options` reads `--capabilities FILE`, `--model NAME`, `--registry REF`
and `--entry-points GROUP`; with none of them `identity` and `case` run `run_identity` and
`run_case` unchanged. Otherwise the identity check adds CF-1 (registries, entry points) and CF-2
(the file itself), and each case runs with the file's declarations
(conformance/capabilities/checks.py).

Either way every outcome carries `facts["reproduce"]`: the command-line arguments that rebuild
its provider and run (provider, dialect, profile and its options, the capability file, model,
registries, scenario folders, timeouts), because the report's reproduce command is written long
after the run, from the outcomes alone, and a command without `--capabilities` would run another
check than the one that failed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conformance.capabilities.checks import CapabilityChecks, replace_model
from conformance.capabilities.model import CapabilityFile
from conformance.capabilities.registries import (
    Registry,
    entry_point_origin,
    entry_point_verdict,
    load_registry,
    registry_verdicts,
)
from conformance.checks.runner import (
    DEFAULT_CHECK_TIMEOUT,
    Case,
    CaseOutcome,
    ProviderUnderTest,
    new_api_key,
    run_case,
    run_identity,
    run_with_deadline,
)
from conformance.judge.verdict import Verdict, failed
from conformance.scenarios.model import Scenario
from conformance.secrets.options import shown_value
from conformance.server import FakeServer, redact
from conformance.vocabulary.spec import Connection, ProviderSpec


def provider_arguments(spec: ProviderSpec) -> list[str]:
    """`--provider` and what builds it as this run did (a providers-file entry's options too)."""
    arguments = ["--provider", spec.target, "--dialect", spec.dialect, "--profile", spec.profile]
    for key, value in spec.options.items():
        # --profile-option carries text; other values are written as JSON, the closest text.
        # A credential is shown as its env:NAME reference, or as <redacted> (secret_options.py).
        arguments += ["--profile-option", f"{key}={shown_value(key, value)}"]
    return arguments


#: What a `-k` word may hold (pytest's expression grammar): an id outside it is not selectable.
_K_WORD = re.compile(r"[\w:+\-./\\\[\]]+")


@dataclass
class ConfigurationChecks:
    capabilities: CapabilityChecks | None = None
    registries: list[Registry] = field(default_factory=list)
    entry_point_groups: list[str] = field(default_factory=list)
    #: The run's options that shape a check (`reproduce_arguments`, conformance/plugin/options.py):
    #: every outcome's `facts["reproduce"]` ends with them.
    arguments: list[str] = field(default_factory=list)
    #: --providers-file of the run, and the ids of the providers it listed.
    providers_file: str | None = None
    listed: frozenset[str] = frozenset()

    @classmethod
    def from_options(
        cls, option: Any, arguments: Sequence[str] = (), listed: Sequence[str] = ()
    ) -> ConfigurationChecks:
        """From pytest's option namespace; missing options (older plugins) count as unset.

        `arguments` are handed in by the plugin, which owns the option table. `listed`: the ids
        of the providers --providers-file gave, which a reproduce command rebuilds from that
        file (a factory, options of any type) rather than from --provider.
        """
        path = getattr(option, "capabilities", None)
        model = getattr(option, "capabilities_model", None)
        capabilities = CapabilityChecks(CapabilityFile.load(Path(path)), model) if path else None
        registries = [load_registry(ref) for ref in getattr(option, "registry", None) or ()]
        groups = list(getattr(option, "entry_points", None) or ())
        listing = getattr(option, "providers_file", None)
        return cls(
            capabilities,
            registries,
            groups,
            list(arguments),
            str(listing) if listing else None,
            frozenset(listed),
        )

    @property
    def active(self) -> bool:
        return bool(self.capabilities or self.registries or self.entry_point_groups)

    def scenarios(self, scenarios: dict[str, Scenario], model: str | None) -> dict[str, Scenario]:
        """The run's scenarios, asked as `--model` when given."""
        return replace_model(scenarios, model) if model else scenarios

    def reproduce(self, spec: ProviderSpec) -> list[str]:
        """The arguments after `provider-conformance run` that rerun a check of `spec`."""
        if self.providers_file is not None and self._selectable(spec.id):
            # The file's entry (a factory, typed options), and of its providers this one: its
            # test ids start `[ID:` or `[ID@`, and no other listed id starts with ID.
            only = f"[{spec.id}"
            return ["--providers-file", self.providers_file, "-k", only, *self.arguments]
        return [*provider_arguments(spec), *self.arguments]

    def _selectable(self, provider: str) -> bool:
        """Whether `-k [ID` picks exactly this listed provider's checks."""
        return (
            provider in self.listed
            and _K_WORD.fullmatch(provider) is not None
            and not any(o != provider and o.startswith(provider) for o in self.listed)
        )

    # -- the checks -----------------------------------------------------------------------

    def identity(self, put: ProviderUnderTest, server: FakeServer) -> CaseOutcome:
        outcome = self._identity(put, server)
        outcome.facts["reproduce"] = self.reproduce(put.spec)
        return outcome

    def case(
        self, server: FakeServer, put: ProviderUnderTest, case: Case, **options: float
    ) -> CaseOutcome:
        outcome = self._case(server, put, case, **options)
        outcome.facts["reproduce"] = self.reproduce(put.spec)
        return outcome

    def _identity(self, put: ProviderUnderTest, server: FakeServer) -> CaseOutcome:
        if not self.active:
            return run_identity(put, server)
        wrapper = self.capabilities.wrap(put.profile, None, None) if self.capabilities else None
        checked = replace(put, profile=wrapper) if wrapper is not None else put
        outcome = run_identity(checked, server)
        if outcome.error is not None:
            return outcome
        if self.capabilities is not None and wrapper is not None:
            verdicts, facts = self.capabilities.identity_verdicts(wrapper)
            outcome.verdicts += verdicts
            outcome.facts.update(facts)
        outcome.verdicts += self._registry_verdicts(put, server)
        origin = entry_point_origin(put.spec, self.entry_point_groups)
        if origin is not None:
            outcome.verdicts.append(entry_point_verdict(*origin))
        return outcome

    def _case(
        self, server: FakeServer, put: ProviderUnderTest, case: Case, **options: float
    ) -> CaseOutcome:
        if self.capabilities is None:
            return run_case(server, put, case, **options)
        wrapper = self.capabilities.wrap(put.profile, case.scenario, case.mode)
        outcome = run_case(server, replace(put, profile=wrapper), case, **options)
        if "declared" in outcome.facts:
            # The runner saw the probe's added capabilities too; the report's declared ones are
            # the file's, whichever check's facts it reads first.
            outcome.facts["declared"] = sorted(wrapper.declarations.declared)
        if outcome.error is not None or outcome.not_applicable is not None:
            return outcome
        verdicts, reason, facts = self.capabilities.case_verdicts(
            wrapper, case.scenario, case.mode, outcome.verdicts
        )
        outcome.verdicts = verdicts
        outcome.not_applicable = reason
        outcome.facts.update(facts)
        return outcome

    def _registry_verdicts(self, put: ProviderUnderTest, server: FakeServer) -> list[Verdict]:
        if not self.registries:
            return []
        api_key = new_api_key()
        connection = Connection(
            f"{server.root_url}/c/identity{put.dialect.base_path}", api_key, 1.0
        )
        # Through a registry the class is called directly: without the spec's create_name.
        options = {k: v for k, v in put.spec.options.items() if k != "create_name"}
        plain = replace(put.spec, options=options)
        profile = type(put.profile)(options)
        verdicts: list[Verdict] = []

        async def judge() -> None:
            provider = put.profile.build(put.target, put.spec, connection)
            try:
                cls = type(provider)
            finally:
                await put.profile.close(provider)
            built: list[Any] = []

            def build_through(factory: Any) -> Any:
                instance = profile.build(factory, plain, connection)
                built.append(instance)
                return instance

            try:
                for registry in self.registries:
                    verdicts.extend(registry_verdicts(registry, cls, build_through))
            finally:
                for instance in built:
                    await profile.close(instance)

        try:
            run_with_deadline(judge, DEFAULT_CHECK_TIMEOUT)
        except Exception as exc:
            message = redact(f"{type(exc).__name__}: {exc}", [api_key])
            verdicts.append(failed("CF-1", f"checking the registries failed: {message}"))
        return [replace(v, message=redact(v.message, [api_key])) for v in verdicts]
