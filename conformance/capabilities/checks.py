"""CF-2 in a run: the capability file's declarations become the provider's, and are verified.

With `--capabilities FILE`, a provider's declared capabilities are what the file resolves to for
the provider's name and the model (`--model`, else the scenario's), mapped as
`conformance.capabilities.model.CAPABILITY_KEYS` says; capabilities the file does not state keep
the provider's own declaration, and capabilities the profile's interface cannot express are left
out (noted, not judged).

Every scenario still runs, also those needing a capability the file does not declare. Such a check
is a *probe*: its verdicts become not applicable (the provider never claimed the capability), with
the probe's result in the message, `works-but-undeclared` when every clause passed. A check whose
capabilities the file declares is judged as usual, and CF-2 fails when a clause exercising a
declared capability fails (the report's declared-but-broken cell names that clause).

The identity check adds CF-2 for the file itself: it validates (schema, duplicate keys, keys that
look like misspelt capability keys), names the provider, and resolves without ambiguity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from conformance.judge.verdict import Verdict, check, failed, not_applicable
from conformance.profiles.base import Profile
from conformance.profiles.resilience import ResilienceBuild, ResilienceOffer
from conformance.scenarios.model import DEFAULT_MODEL, Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.clauses import CLAUSES
from conformance.vocabulary.observation import ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

from .model import (
    CAPABILITY_KEYS,
    NOT_OBSERVABLE_KEYS,
    CapabilityFile,
    Resolution,
    source_layer,
)

#: Verdicts a probe keeps as they are: a leaked key is a leak whatever the provider declares.
_KEPT_IN_PROBES = frozenset({"SE-1", "ID-1"})

#: Capabilities no clause is about: the clauses that verify them in the checks that need them
#: (docs/capabilities.md, "Mapping to the suite's capabilities").
_VERIFIED_THROUGH: Mapping[str, frozenset[str]] = {
    "parallel_tool_calls": frozenset({"CH-2", "ST-3"}),
}


def verifies(clause: str, capability: str) -> bool:
    """Whether a failure of `clause` in a check needing `capability` breaks that capability."""
    known = CLAUSES.get(clause)
    return (
        known is not None and known.capability == capability
    ) or clause in _VERIFIED_THROUGH.get(capability, ())


def broken_capabilities(needed: frozenset[str], verdicts: list[Verdict]) -> dict[str, list[str]]:
    """Capability -> the failed clauses that verify it, for the capabilities a check needed."""
    broken = {
        capability: sorted(
            {v.clause for v in verdicts if v.failed and verifies(v.clause, capability)}
        )
        for capability in sorted(needed)
    }
    return {capability: clauses for capability, clauses in broken.items() if clauses}


@dataclass
class FileDeclarations:
    """What one build of the provider was declared to be by the file (filled when it is asked)."""

    resolution: Resolution | None = None
    provider_name: str = ""
    #: The provider's own declaration (its class, through the profile).
    own: frozenset[str] = frozenset()
    #: The capabilities the file makes the provider declare.
    declared: frozenset[str] = frozenset()
    #: Declared by the file but not expressible in the profile's interface.
    inexpressible: frozenset[str] = frozenset()


class DeclaredByFile(Profile):
    """A profile whose declared capabilities come from a capability file.

    `also` adds capabilities for one check only, so that a scenario runs although the file does not
    declare what it needs (a probe); `declarations` records what the file said, for the verdicts.
    Everything else is the wrapped profile's.
    """

    name: ClassVar[str] = "declared-by-file"
    description: ClassVar[str] = "a profile whose declared capabilities come from a capability file"

    def __init__(
        self,
        inner: Profile,
        file: CapabilityFile,
        model: str,
        *,
        also: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(inner.options)
        self.inner = inner
        self.file = file
        self.model = model
        self.also = also
        self.declarations = FileDeclarations()
        self.name = inner.name  # type: ignore[misc]
        self.description = inner.description  # type: ignore[misc]
        self.not_applicable = inner.not_applicable  # type: ignore[misc]

    def __getattr__(self, attribute: str) -> Any:
        # interface_capabilities, request_parameters ... of the wrapped profile.
        if attribute == "inner":  # not set yet (copying): no recursion
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        return self.inner.build(target, spec, connection)

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        return self.inner.resilience(build)

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        self.inner.check_target(target, spec)

    def provider_name(self, provider: Any) -> object:
        return self.inner.provider_name(provider)

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        return await self.inner.run_turn(provider, scenario, turn, mode)

    async def close(self, provider: Any) -> None:
        await self.inner.close(provider)

    def classify(self, exc: BaseException) -> ObservedError:
        return self.inner.classify(exc)

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        own = self.inner.declared_capabilities(provider)
        name = self.inner.provider_name(provider)
        name = name if isinstance(name, str) else ""
        if not self.file.valid or name not in self.file.provider_names():
            # A file that is invalid, or says nothing about this provider, declares nothing for
            # it: the provider's own declaration holds, and nothing is probed.
            self.declarations = FileDeclarations(None, name, own, own)
            return own
        resolution = self.file.resolve(name, self.model)
        declared = set(own)
        for capability, setting in resolution.declared().items():
            (declared.add if setting.value is True else declared.discard)(capability)
        interface = getattr(self.inner, "interface_capabilities", None)
        inexpressible: frozenset[str] = frozenset()
        if isinstance(interface, frozenset):
            inexpressible = frozenset(declared - interface)
            declared &= interface
        self.declarations = FileDeclarations(
            resolution, name, own, frozenset(declared), inexpressible
        )
        return frozenset(declared) | self.also


@dataclass
class CapabilityChecks:
    """The run's capability file and model, applied to each check (the plugin holds one)."""

    file: CapabilityFile
    model: str | None = None

    def model_for(self, scenario: Scenario | None) -> str:
        if self.model:
            return self.model
        return scenario.request.model if scenario is not None else DEFAULT_MODEL

    def wrap(
        self, profile: Profile, scenario: Scenario | None, mode: Mode | None
    ) -> DeclaredByFile:
        """The profile to run one check with: the identity check (no scenario) or a case."""
        also = set(scenario.requirements(mode)) if scenario and mode else set()
        interface = getattr(profile, "interface_capabilities", None)
        if isinstance(interface, frozenset):
            # A capability the interface cannot express is not probed: the check stays n/a.
            also &= interface
        return DeclaredByFile(profile, self.file, self.model_for(scenario), also=frozenset(also))

    # -- verdicts ---------------------------------------------------------------------------

    def identity_verdicts(self, wrapper: DeclaredByFile) -> tuple[list[Verdict], dict[str, Any]]:
        """CF-2 for the file itself, and the facts that show declared against observed."""
        found = wrapper.declarations
        where = str(self.file.path)
        problems = [f"{where}: {p}" for p in self.file.problems[:8]]
        if len(self.file.problems) > 8:
            problems.append(f"{where}: … and {len(self.file.problems) - 8} more problems")
        resolution = found.resolution
        if resolution is not None:
            problems += [f"{where}: {p}" for p in resolution.problems]
        if self.file.valid and resolution is None:
            named = ", ".join(self.file.provider_names()) or "none"
            verdicts = [
                not_applicable(
                    "CF-2",
                    f"{where} says nothing about provider {found.provider_name!r} (it names: "
                    f"{named}): the provider's own declarations hold",
                )
            ]
        else:
            verdicts = [check("CF-2", problems)]
        sources = {}
        for capability, setting in (resolution.declared() if resolution else {}).items():
            layer, pattern = source_layer(setting.source)
            sources[capability] = {
                "value": setting.value,
                "source": setting.source,
                "layer": layer,
                "pattern": pattern,
            }
        facts: dict[str, Any] = {
            "capabilities": {
                "file": where,
                "provider": found.provider_name,
                "names_provider": resolution is not None,
                "model": wrapper.model,
                "patterns": list(resolution.patterns) if resolution else [],
                "declared": sorted(found.declared),
                "sources": sources,
                "class_declares": sorted(found.own),
                "inexpressible": sorted(found.inexpressible),
                "not_judged": [
                    k for k in NOT_OBSERVABLE_KEYS if resolution and k in resolution.values
                ],
            }
        }
        return verdicts, facts

    def case_verdicts(
        self, wrapper: DeclaredByFile, scenario: Scenario, mode: Mode, verdicts: list[Verdict]
    ) -> tuple[list[Verdict], str | None, dict[str, Any]]:
        """(verdicts, not-applicable reason, facts) for one check, as CF-2 reads it.

        A check that is not a probe records, in `facts["capability_check"]`, the declared
        capabilities it exercised and which of them a failing clause broke: the report's
        declared-against-observed block counts them.
        """
        found = wrapper.declarations
        needed = scenario.requirements(mode)
        exercised = {
            "capability_check": {
                "capabilities": sorted(needed),
                "broken": broken_capabilities(needed, verdicts),
            }
        }
        observed = exercised if needed else {}
        if found.resolution is None:
            return verdicts, None, observed  # the file declares nothing for it (identity says why)
        undeclared = needed - found.declared
        whom = f"{self.file.path} for provider {found.provider_name!r}, model {wrapper.model!r}"
        if undeclared:
            return self._probe(sorted(undeclared), whom, verdicts)
        # CF-2 is about what the file states; a capability the provider declares itself is not.
        stated = {
            capability: setting
            for capability, setting in (
                found.resolution.declared() if found.resolution else {}
            ).items()
            if setting.value is True and capability in needed
        }
        if not stated:
            return verdicts, None, observed
        broken = [v for v in verdicts if v.failed and any(verifies(v.clause, c) for c in stated)]
        if broken:
            clauses = ", ".join(sorted({v.clause for v in broken}))
            sources = "; ".join(f"{cap} at {stated[cap].source}" for cap in sorted(stated))
            cf2 = failed(
                "CF-2",
                f"declared-but-broken: {whom} declares {', '.join(sorted(stated))} ({sources}), "
                f"but {clauses} failed: {broken[0].message[:200]}",
            )
        else:
            cf2 = check("CF-2", [])
        return [*verdicts, cf2], None, observed

    def _probe(
        self, undeclared: list[str], whom: str, verdicts: list[Verdict]
    ) -> tuple[list[Verdict], str, dict[str, Any]]:
        broken = [v for v in verdicts if v.failed and v.clause not in _KEPT_IN_PROBES]
        capabilities = ", ".join(undeclared)
        if broken:
            clauses = ", ".join(sorted({v.clause for v in broken}))
            result = f"not declared, and broken too ({clauses} failed: {broken[0].message[:160]})"
        else:
            result = "works-but-undeclared (every clause passed)"
        reason = f"{capabilities} not declared by {whom}; probe: {result}"
        kept = [v for v in verdicts if v.clause in _KEPT_IN_PROBES]
        probed = [
            not_applicable(v.clause, reason) for v in verdicts if v.clause not in _KEPT_IN_PROBES
        ]
        facts = {
            "capability_probe": {
                "capabilities": undeclared,
                "works": not broken,
                "failed_clauses": sorted({v.clause for v in broken}),
            }
        }
        return [*kept, *probed, not_applicable("CF-2", reason)], reason, facts


def capability_key_for(capability: str) -> str | None:
    """The file key that states one of the suite's capabilities."""
    return next((key for key, cap in CAPABILITY_KEYS.items() if cap == capability), None)


def replace_model(scenarios: Mapping[str, Scenario], model: str) -> dict[str, Scenario]:
    """Every scenario asked as `model` (`--model`): the request's model and the file's lookup."""
    return {
        name: replace(scenario, request=replace(scenario.request, model=model))
        for name, scenario in scenarios.items()
    }
