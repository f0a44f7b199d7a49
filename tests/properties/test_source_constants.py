"""The suite's examples do not depend on which local source files happen to be imported.

Hypothesis mixes literals from local modules into its draws; a checkout (editable install) and a
wheel install of the harness, or two users' projects, would otherwise draw different examples from
the same seed (conformance/properties/source_constants.py).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from conformance.properties.source_constants import without_local_constants

PLANTED = [f"planted-constant-{n:03d}" for n in range(200)]


@pytest.fixture
def local_module(tmp_path: Path) -> Iterator[None]:
    """A module outside site-packages and test folders: Hypothesis counts it as local source."""
    folder = tmp_path / "project"
    folder.mkdir()
    body = "\n".join(f"C{n} = {text!r}" for n, text in enumerate(PLANTED))
    (folder / "planted_strings.py").write_text(body + "\n", encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        importlib.import_module("planted_strings")
        yield
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("planted_strings", None)


def _drawn() -> list[str]:
    drawn: list[str] = []

    @seed(20261208)
    @settings(max_examples=300, database=None, derandomize=True)
    @given(st.text())
    def search(text: str) -> None:
        drawn.append(text)

    search()
    return drawn


def test_without_local_constants_no_literal_of_local_source_is_drawn(local_module: None) -> None:
    with without_local_constants():
        drawn = _drawn()
    assert not set(drawn) & set(PLANTED)


def test_hypothesis_draws_them_otherwise(local_module: None) -> None:
    """The test above can fail: plain Hypothesis does draw the planted literals."""
    assert set(_drawn()) & set(PLANTED)


def test_the_switch_is_undone_after_the_block(local_module: None) -> None:
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    with without_local_constants():
        assert providers._get_local_constants is not original
    assert providers._get_local_constants is original
