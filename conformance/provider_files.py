"""Reading a providers file (`--providers-file`), validated against its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from conformance.data_files import fixtures_dir, schema_path
from conformance.errors import UsageError
from conformance.profiles.base import ProviderSpec


def reference_providers_file() -> Path:
    return fixtures_dir() / "providers" / "reference.yaml"


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
    specs = [
        ProviderSpec(
            target=entry["target"],
            dialect=entry["dialect"],
            profile=entry.get("profile", "native"),
            label=entry.get("id", ""),
            options=entry.get("options", {}),
        )
        for entry in document["providers"]
    ]
    ids = [spec.id for spec in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise UsageError(f"--providers-file {path}: provider ids {duplicates} are not unique")
    return specs
