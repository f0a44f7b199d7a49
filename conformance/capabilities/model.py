"""Capability files in the model_capabilities.yaml form (victor's): loading, validation, resolution.

Resolution for a provider name and a model name, later layers overriding earlier ones:

1. `defaults` (its `training`, `provider_support` and `settings` sections, flattened)
2. `provider_defaults.<provider>`
3. then for every pattern of `models` that matches the model, least specific first:
   `models.<pattern>.training`, `models.<pattern>.providers.<provider>`, `models.<pattern>.settings`

Patterns are fnmatch globs (`*`, `?`, `[...]`) matched case-insensitively. Every matching pattern
applies, so a general pattern ("gpt-4*") sets what a specific one ("gpt-4o-mini*") does not
override. *Most specific* is the first of these that differs, compared in order:

- more literal characters (characters that are not `*`, `?` or a `[...]` class);
- more single-character wildcards (`?` and `[...]` each match exactly one character);
- fewer `*`;
- later in the file (so that of two equally specific patterns the later one wins, as YAML readers
  expect of later text).

Two matching patterns that are equally specific by the first three and set one capability key to
different values are *ambiguous*: the file order decides, and CF-2 says so.

Every resolved value keeps its source (a JSON pointer into the file), so a message can say which
line of the file declared what the suite found broken.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from conformance.vocabulary.data_files import schema_path
from conformance.vocabulary.errors import UsageError

SCHEMA_FILE = "model_capabilities.schema.json"

#: File key -> the suite's capability (conformance.vocabulary.canonical.CAPABILITIES). `streaming`
#: and
#: `usage` are not in victor's format; a file may state them, else the provider's own word holds.
CAPABILITY_KEYS: dict[str, str] = {
    "native_tool_calls": "tools",
    "streaming_tool_calls": "streaming_tool_calls",
    "parallel_tool_calls": "parallel_tool_calls",
    "streaming": "streaming",
    "usage": "usage",
}

#: Keys the suite cannot observe on the wire; listed as "not judged" rather than ignored silently.
NOT_OBSERVABLE_KEYS = ("tool_choice_param",)

#: What a key a person meant as one of ours is checked against (for "did you mean ...").
_KNOWN_LAYER_KEYS = (*CAPABILITY_KEYS, *NOT_OBSERVABLE_KEYS)

_SECTIONS = ("training", "provider_support", "settings")


@dataclass(frozen=True)
class Setting:
    value: Any
    #: Where the value was set: a JSON pointer into the file, e.g. /models/gpt-4o*/providers/x/...
    source: str


@dataclass(frozen=True)
class Resolution:
    """What a capability file says about one provider and model, with where it says it."""

    provider: str
    model: str
    values: Mapping[str, Setting]
    #: The matching model patterns, in the order they were applied (the most specific last).
    patterns: tuple[str, ...]
    #: Problems of the resolution itself (ambiguous patterns, contradicting keys): CF-2 failures.
    problems: tuple[str, ...] = ()

    def declared(self) -> dict[str, Setting]:
        """The suite's capabilities the file states (True or False), with their sources."""
        return {
            capability: self.values[key]
            for key, capability in CAPABILITY_KEYS.items()
            if key in self.values
        }

    def describe(self) -> str:
        patterns = ", ".join(repr(p) for p in self.patterns) or "no model pattern"
        return f"provider {self.provider!r}, model {self.model!r} ({patterns})"


class _DuplicateKeyLoader(yaml.SafeLoader):
    """A SafeLoader that records duplicate mapping keys instead of keeping the last silently."""

    duplicates: list[str]


def _construct_mapping(loader: _DuplicateKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str | int | float | bool) and key in seen:
            loader.duplicates.append(
                f"duplicate key {key!r} at line {key_node.start_mark.line + 1}: YAML keeps only "
                "the last one, so the earlier entry is silently ignored"
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_DuplicateKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path(SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _pointer(parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def source_layer(source: str) -> tuple[str, str | None]:
    """(layer, model pattern) of a resolved value's source pointer.

    A reader of the report asks "which part of the file said so": the top-level section
    (`defaults`, `provider_defaults`, `models`) and, for `models`, the pattern that matched, which
    the pointer holds escaped (a pattern may contain `/`).
    """
    parts = [p.replace("~1", "/").replace("~0", "~") for p in source.split("/")[1:]]
    if not parts:
        return "", None
    return parts[0], parts[1] if parts[0] == "models" and len(parts) > 1 else None


@dataclass
class CapabilityFile:
    """A loaded capability file; `problems` lists what makes it invalid (CF-2), if anything."""

    path: Path
    document: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> CapabilityFile:
        """Read and validate `path`; an unreadable file or broken YAML is a usage error."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--capabilities {path}: cannot read it ({exc.strerror})") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, path: Path) -> CapabilityFile:
        loader = _DuplicateKeyLoader(text)
        loader.duplicates = []
        try:
            document = loader.get_single_data()
        except yaml.YAMLError as exc:
            raise UsageError(f"--capabilities {path}: not valid YAML ({exc})") from None
        finally:
            loader.dispose()
        if not isinstance(document, dict):
            raise UsageError(f"--capabilities {path}: expected a mapping at the top level")
        loaded = cls(path, document)
        loaded.problems += loader.duplicates
        loaded.problems += [
            f"invalid at {_pointer(error.absolute_path)}: {error.message}"
            for error in sorted(_validator().iter_errors(document), key=lambda e: list(e.path))
        ]
        loaded.problems += loaded._misspelt_keys()
        return loaded

    @property
    def valid(self) -> bool:
        return not self.problems

    # -- what the file names ----------------------------------------------------------------

    def _mapping(self, *keys: str) -> Mapping[str, Any]:
        node: Any = self.document
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node if isinstance(node, Mapping) else {}

    def _provider_layers(self) -> list[tuple[str, Mapping[str, Any]]]:
        layers = [
            (_pointer(["provider_defaults", name]), layer)
            for name, layer in self._mapping("provider_defaults").items()
            if isinstance(layer, Mapping)
        ]
        for pattern, entry in self._mapping("models").items():
            providers = entry.get("providers") if isinstance(entry, Mapping) else None
            for name, layer in (providers or {}).items():
                if isinstance(layer, Mapping):
                    layers.append((_pointer(["models", pattern, "providers", name]), layer))
        support = self._mapping("defaults", "provider_support")
        return [*layers, (_pointer(["defaults", "provider_support"]), support)]

    def provider_names(self) -> list[str]:
        """Every provider the file says something about."""
        names = set(self._mapping("provider_defaults"))
        for entry in self._mapping("models").values():
            if isinstance(entry, Mapping) and isinstance(entry.get("providers"), Mapping):
                names |= set(entry["providers"])
        return sorted(str(n) for n in names)

    def _misspelt_keys(self) -> list[str]:
        """Keys that are almost one of ours: a typo there silently declares nothing."""
        problems = []
        for where, layer in self._provider_layers():
            for key in layer:
                if key in _KNOWN_LAYER_KEYS:
                    continue
                close = difflib.get_close_matches(str(key), _KNOWN_LAYER_KEYS, n=1, cutoff=0.85)
                if close:
                    problems.append(
                        f"unknown key {key!r} at {where} (did you mean {close[0]!r}?): it declares "
                        "nothing the suite reads"
                    )
        return problems

    # -- resolution -------------------------------------------------------------------------

    def matching_patterns(self, model: str) -> list[str]:
        """The patterns matching `model`, least specific first (the order they are applied)."""
        order = {pattern: n for n, pattern in enumerate(self._mapping("models"))}
        matching = [p for p in order if fnmatch.fnmatchcase(model.lower(), str(p).lower())]
        return sorted(matching, key=lambda p: (*specificity(p), order[p]))

    def resolve(self, provider: str, model: str) -> Resolution:
        values: dict[str, Setting] = {}

        def apply(layer: Any, parts: list[str]) -> None:
            if isinstance(layer, Mapping):
                for key, value in layer.items():
                    _merge(values, str(key), value, _pointer([*parts, key]))

        for section in _SECTIONS:
            apply(self._mapping("defaults", section), ["defaults", section])
        apply(self._mapping("provider_defaults", provider), ["provider_defaults", provider])
        patterns = self.matching_patterns(model)
        for pattern in patterns:
            entry = self._mapping("models", pattern)
            apply(entry.get("training"), ["models", pattern, "training"])
            providers = entry.get("providers")
            if isinstance(providers, Mapping):
                apply(providers.get(provider), ["models", pattern, "providers", provider])
            apply(entry.get("settings"), ["models", pattern, "settings"])
        problems = self._ambiguities(provider, patterns) + _contradictions(values)
        return Resolution(provider, model, values, tuple(patterns), tuple(problems))

    def _ambiguities(self, provider: str, patterns: list[str]) -> list[str]:
        problems = []
        for first, second in itertools.pairwise(patterns):
            if specificity(first) != specificity(second):
                continue
            a = self._mapping("models", first, "providers", provider)
            b = self._mapping("models", second, "providers", provider)
            for key in CAPABILITY_KEYS:
                if key in a and key in b and a[key] != b[key]:
                    problems.append(
                        f"patterns {first!r} and {second!r} are equally specific and disagree on "
                        f"providers.{provider}.{key} ({a[key]!r} vs {b[key]!r}); only the file "
                        "order decides"
                    )
        return problems


_CLASS = re.compile(r"\[[^\]]*\]")


def specificity(pattern: str) -> tuple[int, int, int]:
    """(literal characters, single-character wildcards, -stars): larger is more specific."""
    classes = len(_CLASS.findall(pattern))
    rest = _CLASS.sub("", pattern)
    stars = rest.count("*")
    questions = rest.count("?")
    literals = len(rest) - stars - questions
    return (literals, classes + questions, -stars)


def _merge(values: dict[str, Setting], key: str, value: Any, source: str) -> None:
    """Later layers override earlier ones; nested mappings (serialization) merge key by key."""
    current = values.get(key)
    if isinstance(value, Mapping) and current is not None and isinstance(current.value, Mapping):
        value = {**current.value, **value}
    values[key] = Setting(value, source)


def _contradictions(values: Mapping[str, Setting]) -> list[str]:
    """Resolved flags that cannot both hold: tool calls over a stream without tool calls."""
    problems: list[str] = []
    native = values.get("native_tool_calls")
    if native is None or native.value is not False:
        return problems
    for key in ("streaming_tool_calls", "parallel_tool_calls"):
        setting = values.get(key)
        if setting is not None and setting.value is True:
            problems.append(
                f"{key} is true ({setting.source}) but native_tool_calls is false "
                f"({native.source}): there are no tool calls to stream or run in parallel"
            )
    return problems
