"""Where the providers of a run come from besides `--provider`: a providers file and entry points.

A providers file (`--providers-file`, schemas/providers.schema.json) lists providers by `target`
(a class) or by `factory` (a callable that builds one, for providers whose constructor is not the
profile's `(api_key=, base_url=, timeout=)`), each with its dialect, profile and `options`.

An entry-point group (`--entry-points GROUP`) publishes providers from installed packages. Each
entry point's value is `module:Class` (or a factory); its name is the provider's id, optionally
followed by `@dialect` or `@dialect/profile`. Where the name does not say, the class's own
`conformance_dialect` and `conformance_profile` attributes do, and then `--dialect` / `--profile`.
`conformance_options` on the class gives its options (`--profile-option` adds to them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance.secrets.options import resolve_options
from conformance.vocabulary.data_files import fixtures_dir, schema_path
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec
from conformance.vocabulary.targets import resolve_callable


def reference_providers_file() -> Path:
    return fixtures_dir() / "providers" / "reference.yaml"


def resolve_factory(reference: str, where: str) -> Callable[..., Any]:
    """`module:callable` (dots allowed after the colon) to the callable, or a one-line error."""
    return resolve_callable(reference, f"{where}: factory {reference}", what="callable")  # type: ignore[no-any-return]


def load_providers_file(path: Path) -> list[ProviderSpec]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"--providers-file {path}: cannot read it ({exc})") from None
    schema = json.loads(schema_path("providers.schema.json").read_text(encoding="utf-8"))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        pointer = "/" + "/".join(str(p) for p in best.absolute_path)
        raise UsageError(
            f"--providers-file {path}: invalid at {pointer}: {best.message} "
            "(see schemas/providers.schema.json)"
        )
    specs = []
    for number, entry in enumerate(document["providers"]):
        factory_ref = entry.get("factory")
        factory = (
            resolve_factory(factory_ref, f"--providers-file {path}: /providers/{number}")
            if factory_ref
            else None
        )
        specs.append(
            ProviderSpec(
                # With a factory, the report names the factory: it is what builds the provider.
                target=factory_ref or entry["target"],
                dialect=entry["dialect"],
                profile=entry.get("profile", "native"),
                label=entry.get("id", ""),
                options=resolve_options(
                    entry.get("options", {}), f"--providers-file {path}: /providers/{number}"
                ),
                factory=factory,
            )
        )
    ensure_unique_ids(specs, f"--providers-file {path}")
    return specs


def ensure_unique_ids(specs: Sequence[ProviderSpec], where: str) -> None:
    """Two providers with one id would pool their checks in one report row."""
    ids = [spec.id for spec in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(
            f"{where}: provider ids {duplicates} are not unique (give each an id, or an entry "
            "point name, of its own)"
        )


def _entry_point_spec(
    entry: EntryPoint,
    group: str,
    *,
    dialect: str,
    profile: str,
    options: Mapping[str, Any],
) -> ProviderSpec:
    where = f"--entry-points {group}: {entry.name} = {entry.value}"
    label, _, suffix = entry.name.partition("@")
    named_dialect, _, named_profile = suffix.partition("/")
    try:
        target = entry.load()
    except Exception as exc:
        dist = f" (from {entry.dist.name})" if entry.dist is not None else ""
        raise UsageError(f"{where}{dist}: does not load ({type(exc).__name__}: {exc})") from None
    if not callable(target):
        raise UsageError(f"{where}: not a class or factory")
    own_options = getattr(target, "conformance_options", None) or {}
    if not isinstance(own_options, Mapping):
        raise UsageError(f"{where}: conformance_options must be a mapping")
    return ProviderSpec(
        target=f"{entry.module}:{entry.attr}",
        dialect=named_dialect or str(getattr(target, "conformance_dialect", "") or dialect),
        profile=named_profile or str(getattr(target, "conformance_profile", "") or profile),
        label=label.strip(),
        options=resolve_options({**own_options, **options}, where),
    )


def load_entry_point_providers(
    group: str,
    *,
    dialect: str = "openai-chat",
    profile: str = "native",
    options: Mapping[str, Any] | None = None,
) -> list[ProviderSpec]:
    """Every provider published under `group`, ordered by entry-point name."""
    found = sorted(entry_points(group=group), key=lambda e: e.name)
    if not found:
        raise UsageError(
            f"--entry-points {group}: no entry points in this group; is the package that "
            "publishes them installed in this environment?"
        )
    specs = [
        _entry_point_spec(entry, group, dialect=dialect, profile=profile, options=options or {})
        for entry in found
    ]
    ensure_unique_ids(specs, f"--entry-points {group}")
    return specs
