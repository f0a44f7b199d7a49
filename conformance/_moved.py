"""Old module paths of the 0.1 layout, kept importable for one release with a DeprecationWarning.

The package was reorganised into layers (vocabulary, secrets, ..., plugin). Code written against
the old flat layout (`conformance.runner`, `conformance.pytest_plugin`, ...) keeps working: an
import of an old path finds this table, warns once, and hands back the module at its new path
(the same module object, so patches and isinstance checks still agree).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

#: Old dotted path -> new dotted path. Remove in the release after next.
MOVED: dict[str, str] = {
    "conformance.canonical": "conformance.vocabulary.canonical",
    "conformance.observation": "conformance.vocabulary.observation",
    "conformance.clauses": "conformance.vocabulary.clauses",
    "conformance.clause_hints": "conformance.vocabulary.clause_hints",
    "conformance.wire": "conformance.vocabulary.wire",
    "conformance.fragmentation": "conformance.vocabulary.fragmentation",
    "conformance.errors": "conformance.vocabulary.errors",
    "conformance.status_table": "conformance.vocabulary.status_table",
    "conformance.retry_after": "conformance.vocabulary.retry_after",
    "conformance.data_files": "conformance.vocabulary.data_files",
    "conformance.provider_traceback": "conformance.profiles.provider_traceback",
    "conformance.state_dirs": "conformance.vocabulary.state_dirs",
    "conformance.targets": "conformance.vocabulary.targets",
    "conformance.redaction": "conformance.vocabulary.redaction",
    "conformance.secret_options": "conformance.secrets.options",
    "conformance.log_collection": "conformance.secrets.log_collection",
    "conformance.sse_standard": "conformance.strategies.sse_standard",
    "conformance.registries": "conformance.capabilities.registries",
    "conformance.runner": "conformance.checks.runner",
    "conformance.report.harness_errors": "conformance.checks.harness_errors",
    "conformance.gating": "conformance.report.baseline",
    "conformance.pytest_plugin": "conformance.plugin.hooks",
    "conformance.suite": "conformance.plugin.suite",
    "conformance.matrix": "conformance.plugin.matrix",
    "conformance.progress": "conformance.plugin.progress",
    "conformance.quiet_logs": "conformance.plugin.quiet_logs",
    "conformance.selection": "conformance.plugin.selection",
    "conformance.configured_tests": "conformance.plugin.configured_tests",
    "conformance.option_checks": "conformance.plugin.option_checks",
    "conformance.provider_files": "conformance.plugin.provider_files",
    "conformance.sharding": "conformance.plugin.shards",
    "conformance.pytest_redaction": "conformance.plugin.scrubbing",
    "conformance.isolation.starvation": "conformance.checks.starvation",
    "conformance.isolation.watchdog": "conformance.checks.watchdog",
    "conformance.scenarios.recordings": "conformance.dialects.corpus",
    "conformance.secrets.redaction": "conformance.vocabulary.redaction",
}


class _MovedModuleLoader(importlib.abc.Loader):
    def __init__(self, new_name: str) -> None:
        self._new_name = new_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self._new_name}; import it from there "
            "(the old path goes away in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(self._new_name)

    def exec_module(self, module: ModuleType) -> None:
        # The module at its new path is already executed; nothing to run twice.
        return None


class _MovedModuleFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        new_name = MOVED.get(fullname)
        if new_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _MovedModuleLoader(new_name))


def install() -> None:
    """Put the finder on sys.meta_path once (idempotent: reloads must not stack finders)."""
    if not any(isinstance(finder, _MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModuleFinder())
