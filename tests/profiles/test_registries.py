"""CF-1: registries' names and aliases resolve and create the expected class; entry points run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from victor.providers.openai_compat_provider import OpenAICompatProvider
from victor.providers.registry import ProviderRegistry

from conformance import FakeServer, ProviderSpec, ProviderUnderTest, UsageError
from conformance.capabilities.registries import (
    EntryPointRegistry,
    MappingRegistry,
    ObjectRegistry,
    load_registry,
    registry_verdicts,
)
from conformance.capabilities.run import ConfigurationChecks

ROOT = Path(__file__).resolve().parents[2]
STANDINS = ROOT / "tests" / "standins"
KNOWN_BAD = ROOT / "tests"

#: A mapping registry, for the `module:attribute` form.
PLAIN_REGISTRY = {"openai_compat": OpenAICompatProvider}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _build(factory: Any) -> Any:
    return factory(api_key="sk-x", base_url="http://127.0.0.1:9/v1", timeout=1)


def test_registry_references() -> None:
    assert isinstance(load_registry("victor.providers.registry:ProviderRegistry"), ObjectRegistry)
    assert isinstance(load_registry(f"{__name__}:PLAIN_REGISTRY"), MappingRegistry)
    assert isinstance(load_registry("entry-points:victor.providers"), EntryPointRegistry)
    for bad, message in [
        ("victor.providers.registry", "expected module:attribute"),
        ("no_such_module:Registry", "does not import"),
        ("victor.providers.registry:Nope", "has no attribute"),
        ("json:dumps", "neither a mapping"),
        ("entry-points:", "expected entry-points:GROUP"),
    ]:
        with pytest.raises(UsageError, match=message):
            load_registry(bad)


def test_victors_registry_names_and_aliases_create_the_class() -> None:
    registry = ObjectRegistry(ProviderRegistry, "victor.providers.registry:ProviderRegistry")
    (verdict,) = registry_verdicts(registry, OpenAICompatProvider, _build)
    assert verdict.outcome == "pass", verdict.message
    assert "'openai-compatible', 'openai_compat' create" in verdict.message


def test_a_misregistered_alias_and_a_broken_lazy_entry_fail() -> None:
    sys.path.insert(0, str(KNOWN_BAD))
    try:
        from known_bad.victor_style import MisregisteredAliasRegistry
    finally:
        sys.path.remove(str(KNOWN_BAD))
    registry = ObjectRegistry(MisregisteredAliasRegistry, "known_bad:MisregisteredAliasRegistry")
    (verdict,) = registry_verdicts(registry, OpenAICompatProvider, _build)
    assert verdict.outcome == "fail"
    assert "name 'legacy' does not resolve (ProviderNotFoundError" in verdict.message
    assert (
        "alias 'openai-compatible' resolves to known_bad.victor_style.UnreadStreamError, but its "
        "primary name 'openai_compat' to victor.providers.openai_compat_provider."
        "OpenAICompatProvider" in verdict.message
    )


def test_a_class_the_registry_does_not_hold_is_not_applicable() -> None:
    class Elsewhere(OpenAICompatProvider):
        pass

    registry = MappingRegistry(PLAIN_REGISTRY, "plain")
    (verdict,) = registry_verdicts(registry, Elsewhere, _build)
    assert verdict.outcome == "not-applicable"
    assert "registers no name for" in verdict.message


def test_a_create_function_that_builds_another_class_fails() -> None:
    class Wrong:
        @staticmethod
        def list_providers() -> list[str]:
            return ["openai_compat"]

        @staticmethod
        def get(name: str) -> type:
            return OpenAICompatProvider

        @staticmethod
        def create(name: str, **kwargs: Any) -> object:
            return object()

    (verdict,) = registry_verdicts(ObjectRegistry(Wrong, "wrong"), OpenAICompatProvider, _build)
    assert verdict.outcome == "fail"
    assert "create('openai_compat') built a builtins.object" in verdict.message


def test_the_identity_check_adds_cf1_per_registry(server: FakeServer) -> None:
    spec = ProviderSpec(
        "victor.providers.openai_compat_provider:OpenAICompatProvider", "openai-chat", "victor"
    )
    checks = ConfigurationChecks(
        registries=[load_registry("victor.providers.registry:ProviderRegistry")]
    )
    outcome = checks.identity(ProviderUnderTest.load(spec), server)
    assert outcome.ok, outcome.failure_text()
    assert [v.clause for v in outcome.verdicts] == ["ID-1", "CF-1"]


# -- entry points, end to end ---------------------------------------------------------------------


def _distribution(folder: Path) -> None:
    """An installed distribution publishing two victor providers, as a plugin package would."""
    info = folder / "victor_plugins-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: victor-plugins\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[victor.providers]\n"
        "openai_compat = victor.providers.openai_compat_provider:OpenAICompatProvider\n"
        "custom_llm = seed_custom_llm:CustomLLMProvider\n",
        encoding="utf-8",
    )


def test_entry_point_providers_are_found_and_run(tmp_path: Path) -> None:
    _distribution(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(STANDINS), str(ROOT)]),
    }
    command = [sys.executable, "-m", "conformance.cli", "run", "--entry-points", "victor.providers"]
    command += ["--profile", "victor", "--registry", "entry-points:victor.providers"]
    command += ["--scenario", "text_plain", "--no-provider-coverage", "--progress", "off"]
    command += ["--report-dir", str(tmp_path / "report")]
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
    )
    report = json.loads((tmp_path / "report" / "compatibility.json").read_text(encoding="utf-8"))
    rows = {p["id"]: p for p in report["providers"]}
    assert set(rows) == {"openai_compat", "custom_llm"}, result.stdout + result.stderr
    for row in rows.values():
        assert row["profile"] == "victor"
        assert row["clauses"]["CF-1"] == "pass"
    assert rows["openai_compat"]["conforms"]
    # The tutorial's provider runs too, and fails as it does (two final chunks in text_plain).
    assert rows["custom_llm"]["clauses"]["ST-2"] == "declared-but-broken"
    assert result.returncode == 1
