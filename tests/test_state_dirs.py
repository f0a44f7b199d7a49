"""A run keeps its state in the cache directory, never in the user's working directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from conformance import FakeServer, ProviderSpec, ProviderUnderTest
from conformance.properties import PROFILES, get_property, run_property
from conformance.vocabulary.state_dirs import cache_dir, use_private_storage
from tests.known_bad.providers import AlwaysStop


@pytest.fixture
def hypothesis_home() -> Iterator[None]:
    """Restores this session's own Hypothesis storage after a test moved it."""
    before = storage_directory(intent_to_write=False).home_directory
    yield
    set_hypothesis_home_dir(before)


def test_the_cache_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PROVIDER_CONFORMANCE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "provider-conformance"
    monkeypatch.setenv("PROVIDER_CONFORMANCE_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("PROVIDER_CONFORMANCE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "provider-conformance"


@pytest.mark.usefixtures("hypothesis_home")
def test_hypothesis_storage_moves_to_the_cache_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("PROVIDER_CONFORMANCE_CACHE_DIR", str(tmp_path))
    use_private_storage()
    assert storage_directory("constants").path == tmp_path / "hypothesis" / "constants"


@pytest.mark.usefixtures("hypothesis_home")
def test_a_storage_directory_the_user_chose_is_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    set_hypothesis_home_dir(None)
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY", str(tmp_path / "chosen"))
    monkeypatch.setenv("PROVIDER_CONFORMANCE_CACHE_DIR", str(tmp_path / "cache"))
    use_private_storage()
    assert storage_directory("x").path == tmp_path / "chosen" / "x"


def test_a_regression_found_without_a_report_directory_goes_to_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("PROVIDER_CONFORMANCE_CACHE_DIR", str(cache))
    put = ProviderUnderTest.load(
        ProviderSpec(
            target=f"{AlwaysStop.__module__}:{AlwaysStop.__qualname__}",
            dialect="openai-chat",
            label="AlwaysStop",
            factory=AlwaysStop,
        )
    )
    with FakeServer() as server:
        outcome = run_property(
            server, put, get_property("property-answers"), "chat", profile=PROFILES["dev"], seed=1
        )
    assert outcome.failures, outcome.failure_text()
    saved = Path(outcome.facts["property"]["regression"])
    assert saved.parent == cache / "regressions" and saved.is_file()
    assert list(work.iterdir()) == []
