"""Dialects: wire protocols the fake server speaks, by name.

Users add one by entry point (group `provider_conformance.dialects`) or by `--dialect module:Class`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.errors import UsageError

BUILTIN: dict[str, type[Dialect]] = {
    OpenAIChatDialect.name: OpenAIChatDialect,
}

ENTRY_POINT_GROUP = "provider_conformance.dialects"


def available_dialects() -> dict[str, type[Dialect]]:
    found = dict(BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.load())
    return found


def get_dialect(name: str) -> Dialect:
    """A dialect by registered name, or by `module:Class` for one the user wrote."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"--dialect {name}: cannot import it ({exc})") from None
        if not (isinstance(cls, type) and issubclass(cls, Dialect)):
            raise UsageError(f"--dialect {name}: not a subclass of conformance.dialects.Dialect")
        return cls()
    dialects = available_dialects()
    if name not in dialects:
        known = ", ".join(sorted(dialects))
        raise UsageError(f"--dialect {name}: unknown dialect; known dialects: {known}")
    return dialects[name]()


__all__ = [
    "BUILTIN",
    "CanonicalRequest",
    "Dialect",
    "Endpoint",
    "OpenAIChatDialect",
    "available_dialects",
    "get_dialect",
]
