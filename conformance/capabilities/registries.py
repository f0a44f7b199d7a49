"""CF-1: registered names and aliases resolve, and entry-point groups are found.

A *registry* maps names to provider classes: victor's `ProviderRegistry` (`list_providers()`,
`get(name)`, `create(name, **kwargs)`, `get_aliases()` alias -> primary name), a plain mapping of
names to classes or factories, or an entry-point group (`entry-points:GROUP`, each entry point's
name is a registered name). `--registry REF` (repeatable) names one; for every provider judged in
the run the identity check then adds CF-1:

- every registered name and alias resolves (a lazy registration whose module does not import, or
  whose class is missing, is found here rather than by a user at run time);
- every alias resolves to the class its primary name does;
- each name under which the provider's class is registered creates, through the registry's own
  create function with the profile's constructor arguments, an instance of exactly that class.

A provider whose class the registry does not hold is not applicable for the last point. Providers
run from `--entry-points GROUP` get a CF-1 pass saying where they were found.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from conformance.judge.verdict import Verdict, check, not_applicable, passed
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec
from conformance.vocabulary.targets import resolve_reference

ENTRY_POINTS_PREFIX = "entry-points:"


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    #: The primary name this one is an alias of; the name itself for a primary name.
    primary: str


class Registry(ABC):
    """Names to provider classes, read the way CF-1 needs."""

    label: str

    @abstractmethod
    def entries(self) -> list[RegistryEntry]:
        """Every registered name, aliases included."""

    @abstractmethod
    def resolve(self, name: str) -> Any:
        """The class (or factory) registered under `name`; raises when it does not resolve."""

    def factory(self, name: str) -> Callable[..., Any]:
        """A callable that builds the provider registered under `name` from constructor args."""
        resolved = self.resolve(name)
        if not callable(resolved):
            raise TypeError(f"{resolved!r} is not callable")
        return resolved  # type: ignore[no-any-return]


class ObjectRegistry(Registry):
    """A victor-style registry object: list_providers()/get()/create()/get_aliases()."""

    def __init__(self, target: Any, label: str) -> None:
        self.target = target
        self.label = label

    def _names(self) -> list[str]:
        for method in ("list_providers", "list_all", "names", "keys"):
            lister = getattr(self.target, method, None)
            if callable(lister):
                return sorted(str(n) for n in lister())
        raise UsageError(f"--registry {self.label}: it has no list_providers() (or names())")

    def entries(self) -> list[RegistryEntry]:
        aliases: Mapping[str, str] = {}
        get_aliases = getattr(self.target, "get_aliases", None)
        if callable(get_aliases):
            aliases = {str(k): str(v) for k, v in dict(get_aliases()).items()}
        names = sorted(set(self._names()) | set(aliases))
        return [RegistryEntry(name, aliases.get(name, name)) for name in names]

    def resolve(self, name: str) -> Any:
        return self.target.get(name)

    def factory(self, name: str) -> Callable[..., Any]:
        create = getattr(self.target, "create", None)
        if callable(create):
            return lambda *args, **kwargs: create(name, *args, **kwargs)
        return super().factory(name)


class MappingRegistry(Registry):
    def __init__(self, mapping: Mapping[str, Any], label: str) -> None:
        self.mapping = mapping
        self.label = label

    def entries(self) -> list[RegistryEntry]:
        return [RegistryEntry(str(name), str(name)) for name in sorted(self.mapping)]

    def resolve(self, name: str) -> Any:
        return self.mapping[name]


class EntryPointRegistry(Registry):
    """An entry-point group; a name is the entry point's name before any `@dialect/profile`."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.label = f"{ENTRY_POINTS_PREFIX}{group}"

    def _points(self) -> dict[str, EntryPoint]:
        return {_label(entry): entry for entry in entry_points(group=self.group)}

    def entries(self) -> list[RegistryEntry]:
        return [RegistryEntry(name, name) for name in sorted(self._points())]

    def resolve(self, name: str) -> Any:
        return self._points()[name].load()


def _label(entry: EntryPoint) -> str:
    return entry.name.partition("@")[0].strip()


def load_registry(reference: str) -> Registry:
    """`entry-points:GROUP`, or `module:attribute` naming a registry object or a mapping."""
    if reference.startswith(ENTRY_POINTS_PREFIX):
        group = reference[len(ENTRY_POINTS_PREFIX) :]
        if not group:
            raise UsageError(f"--registry {reference}: expected entry-points:GROUP")
        return EntryPointRegistry(group)
    target = resolve_reference(
        reference,
        f"--registry {reference}",
        form="module:attribute or entry-points:GROUP",
        example="victor.providers.registry:ProviderRegistry",
    )
    if isinstance(target, Mapping):
        return MappingRegistry(target, reference)
    if callable(getattr(target, "get", None)):
        return ObjectRegistry(target, reference)
    raise UsageError(
        f"--registry {reference}: neither a mapping nor an object with get(name) and "
        "list_providers()"
    )


def _shown(value: Any) -> str:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def judge_names(registry: Registry) -> tuple[list[str], dict[str, Any]]:
    """(problems, resolved class by name): every name and alias resolves, aliases agree."""
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    entries = registry.entries()
    for entry in entries:
        try:
            resolved[entry.name] = registry.resolve(entry.name)
        except Exception as exc:
            problems.append(
                f"{registry.label}: name {entry.name!r} does not resolve "
                f"({type(exc).__name__}: {str(exc)[:200]})"
            )
    for entry in entries:
        if entry.primary == entry.name or entry.name not in resolved:
            continue
        if entry.primary not in resolved:
            problems.append(
                f"{registry.label}: alias {entry.name!r} names primary {entry.primary!r}, which "
                "does not resolve"
            )
        elif resolved[entry.name] is not resolved[entry.primary]:
            problems.append(
                f"{registry.label}: alias {entry.name!r} resolves to "
                f"{_shown(resolved[entry.name])}, but its primary name {entry.primary!r} to "
                f"{_shown(resolved[entry.primary])}"
            )
    return problems, resolved


def names_of(resolved: Mapping[str, Any], cls: type) -> list[str]:
    return sorted(name for name, target in resolved.items() if target is cls)


def creation_problem(registry: Registry, name: str, built: Any, cls: type) -> str | None:
    if type(built) is cls:
        return None
    return (
        f"{registry.label}: create({name!r}) built a {_shown(type(built))}, expected {_shown(cls)}"
    )


def registry_verdicts(
    registry: Registry,
    cls: type,
    build_through: Callable[[Callable[..., Any]], Any],
) -> list[Verdict]:
    """CF-1 for one provider class against one registry.

    `build_through(factory)` builds a provider the way the profile does, with `factory` in place
    of the class, and returns it (closed afterwards by the caller's arrangement).
    """
    problems, resolved = judge_names(registry)
    names = names_of(resolved, cls)
    for name in names:
        try:
            built = build_through(registry.factory(name))
        except Exception as exc:
            problems.append(
                f"{registry.label}: create({name!r}) failed: {type(exc).__name__}: {str(exc)[:200]}"
            )
            continue
        problem = creation_problem(registry, name, built, cls)
        if problem:
            problems.append(problem)
    shown = ", ".join(repr(n) for n in names)
    verdicts = [
        check(
            "CF-1",
            problems,
            f"{registry.label}: {len(resolved)} name(s) resolve; {shown} create {_shown(cls)}"
            if names
            else "",
        )
    ]
    if not names and not problems:
        verdicts = [
            not_applicable(
                "CF-1",
                f"{registry.label} registers no name for {_shown(cls)} (its names resolve)",
            )
        ]
    return verdicts


def entry_point_origin(spec: ProviderSpec, groups: Sequence[str]) -> tuple[str, EntryPoint] | None:
    """The entry point (and its group) a spec of `--entry-points` came from, if any."""
    for group in groups:
        for entry in entry_points(group=group):
            if f"{entry.module}:{entry.attr}" == spec.target and _label(entry) == spec.id:
                return group, entry
    return None


def entry_point_verdict(group: str, entry: EntryPoint) -> Verdict:
    dist = f" (distribution {entry.dist.name})" if entry.dist is not None else ""
    return passed(
        "CF-1", f"found in entry-point group {group!r} as {entry.name} = {entry.value}{dist}"
    )
