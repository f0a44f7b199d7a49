"""One `module:attribute` resolver (conformance/vocabulary/targets.py) behind every place a user
names code: each failure is one line naming the option at fault, the same way everywhere."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.capabilities.registries import load_registry
from conformance.dialects import get_dialect
from conformance.plugin.provider_files import resolve_factory
from conformance.profiles import get_profile
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import ProviderSpec
from conformance.vocabulary.targets import resolve_target

RESOLVERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "provider": (
        "--provider",
        lambda ref: resolve_target(ProviderSpec(target=ref, dialect="openai-chat")),
    ),
    "factory": ("providers.yaml: factory", lambda ref: resolve_factory(ref, "providers.yaml")),
    "dialect": ("--dialect", get_dialect),
    "profile": ("--profile", get_profile),
    "registry": ("--registry", load_registry),
}


@pytest.fixture
def broken_module(tmp_path: Path) -> Iterator[str]:
    """A module that raises while it imports (not an ImportError)."""
    (tmp_path / "raises_on_import_7731.py").write_text("raise RuntimeError('boom at import')\n")
    sys.path.insert(0, str(tmp_path))
    yield "raises_on_import_7731"
    sys.path.remove(str(tmp_path))
    sys.modules.pop("raises_on_import_7731", None)


def _error(resolve: Callable[[str], Any], reference: str) -> str:
    with pytest.raises(UsageError) as caught:
        resolve(reference)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("kind", sorted(RESOLVERS))
def test_a_module_that_fails_to_import_is_one_line(kind: str, broken_module: str) -> None:
    where, resolve = RESOLVERS[kind]
    message = _error(resolve, f"{broken_module}:Thing")
    assert message.startswith(where), message
    assert f"module '{broken_module}' does not import (RuntimeError: boom at import)" in message


@pytest.mark.parametrize("kind", sorted(RESOLVERS))
def test_a_missing_attribute_names_module_and_attribute(kind: str) -> None:
    where, resolve = RESOLVERS[kind]
    message = _error(resolve, "json:NoSuchThing")
    assert message.startswith(where), message
    assert "module 'json' has no attribute 'NoSuchThing'" in message


@pytest.mark.parametrize("kind", ["provider", "factory", "registry"])
def test_a_reference_without_a_colon_says_what_form_is_expected(kind: str) -> None:
    where, resolve = RESOLVERS[kind]
    message = _error(resolve, "json")
    assert message.startswith(where) and "expected" in message and "for example" in message


def test_a_class_of_the_wrong_kind_is_named() -> None:
    assert "is not a conformance.Dialect subclass" in _error(get_dialect, "json:JSONDecoder")
    assert "is not a conformance.profiles.Profile subclass" in _error(
        get_profile, "json:JSONDecoder"
    )
    assert "'loads.__doc__' is not a class or factory" in _error(
        RESOLVERS["provider"][1], "json:loads.__doc__"
    )
