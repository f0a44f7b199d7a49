"""A profile's advice names options that exist, and a missing chain is not applicable (execute)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.profiles import Composite, Connection, ProviderSpec, ResilienceBuild, execute
from conformance.profiles.execute import ExecuteProfile
from conformance.vocabulary.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _standins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The execute-style layer's stand-in (llm_providers) holds the errors the profile reads."""
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "standins"))


def _chain(profile: ExecuteProfile) -> Composite | None:
    """The chain the profile's resilience offer composes (over no members: nothing is called)."""
    from llm_providers.openai_provider import OpenAIProvider

    spec = ProviderSpec("x:Y", "openai-chat", "execute")
    build = ResilienceBuild(
        OpenAIProvider, spec, Connection("http://127.0.0.1:9/v1", "k", 3.0), {}, 0
    )
    offer = profile.resilience(build)
    assert offer.chain is not None
    return offer.chain([])


def test_without_a_chain_in_the_package_re3_has_nothing_to_judge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(execute, "DEFAULT_FALLBACK_CHAIN", "no_such_package.chains:Chain")
    monkeypatch.setattr(execute, "DEFAULT_MANAGER", "no_such_package:Manager")
    assert _chain(ExecuteProfile({})) is None
    assert _chain(ExecuteProfile({"fallback": "manager"})) is None


@pytest.mark.parametrize("option", ["fallback_chain_class", "manager_class"])
def test_a_chain_option_that_does_not_import_names_the_option(option: str) -> None:
    via = "manager" if option == "manager_class" else "chain"
    profile = ExecuteProfile({option: "no_such_package.chains:Chain", "fallback": via})
    with pytest.raises(UsageError) as raised:
        _chain(profile)
    message = str(raised.value)
    assert f"--profile-option {option}=no_such_package.chains:Chain" in message
    assert "MODULE:CLASS" in message


def test_no_message_advises_an_option_or_method_that_does_not_exist() -> None:
    """Grep the harness's advice: `--profile-option X=` only for options some profile reads."""
    known = {
        "create_name", "max_retries", "types_module", "errors_module", "name", "construct",
        "fallback_chain_class", "manager_class", "router", "circuit_breaker", "token",
        "fallback", "clients", "set.ATTR", "set.OAUTH_URL", "KEY", "{option}", "region",
        "organization", "prefix", "provider", "num_retries",
    }  # fmt: skip
    advised: dict[str, str] = {}
    for path in (ROOT / "conformance").rglob("*.py"):
        for match in re.finditer(r"--profile-option ([\w.{}]+)=", path.read_text("utf-8")):
            advised.setdefault(match[1], str(path))
    unknown = {k: v for k, v in advised.items() if k not in known}
    assert not unknown, unknown
    for path in (ROOT / "conformance").rglob("*.py"):
        assert "build_provider" not in path.read_text("utf-8"), path


def test_the_docs_name_packages_not_internal_seed_numbers() -> None:
    """ "seed 000/001/003" meant nothing to a reader: the docs name the interface instead."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = [
        f"{page.name}: {line.strip()}"
        for page in pages
        for line in page.read_text(encoding="utf-8").splitlines()
        if re.search(r"\b[Ss]eeds? \d{3}\b", line)
    ]
    assert not found, found
