"""The `execute` profile: synchronous providers off the loop, ErrorCategory, chains and managers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
from llm_providers import ProviderManager
from llm_providers.error_handling import ErrorCategory, ProviderError
from llm_providers.fallback_manager import AllProvidersFailedError
from llm_providers.openai_provider import OpenAIProvider

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    UsageError,
    bundled_scenarios,
    get_dialect,
    run_case,
)
from conformance.profiles import Connection
from conformance.profiles.execute import ExecuteProfile, category_word
from conformance.profiles.resilience import ResilienceBuild

SCENARIOS = bundled_scenarios()
CONNECTION = Connection("http://127.0.0.1:9/v1", "sk-test", 3.0)
#: For a provider built only for its resilience offer.
SPEC_UNUSED = ProviderSpec("x:Y", "openai-chat", "execute")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


class OtherWords(Enum):
    AUTHENTICATION = "authentication"
    TIMEOUT_ERROR = "t/o"
    QUOTA = "quota"


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        (ErrorCategory.AUTH_ERROR, "auth"),
        (ErrorCategory.INVALID_REQUEST, "invalid_request"),  # the seed's value is "invalid"
        (ErrorCategory.NETWORK_ERROR, "network"),
        (ErrorCategory.TIMEOUT, "timeout"),
        (OtherWords.AUTHENTICATION, "auth"),
        (OtherWords.TIMEOUT_ERROR, "timeout"),  # by member name when the value says nothing
        (OtherWords.QUOTA, "quota"),  # unknown words pass through, for the message to show
        ("rate_limit", "rate_limit"),
    ],
)
def test_category_words(raw: Any, word: str) -> None:
    assert category_word(raw) == word


def test_error_fields_are_read_as_they_are() -> None:
    error = ProviderError(
        "openai HTTP 429",
        category=ErrorCategory.RATE_LIMIT,
        status_code=429,
        provider="openai",
        retryable=True,
        retry_after=7,
    )
    observed = ExecuteProfile().classify(error)
    assert (observed.category, observed.status_code, observed.retryable, observed.retry_after) == (
        "rate_limit",
        429,
        True,
        7.0,
    )
    assert ExecuteProfile().classify(RuntimeError("All providers failed")).category is None


def test_built_from_one_config_dict_or_from_keywords() -> None:
    seen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def by_config(config: dict[str, Any]) -> object:
        seen.append(((config,), {}))
        return object()

    def by_keywords(*, api_key: str, base_url: str, timeout: float, max_retries: int) -> object:
        seen.append(((), {"api_key": api_key}))
        return object()

    spec = ProviderSpec("x:Y", "openai-chat", "execute")
    ExecuteProfile().build(by_config, spec, CONNECTION)
    ExecuteProfile().build(by_keywords, spec, CONNECTION)
    assert seen[0][0][0] == {
        "api_key": "sk-test",
        "base_url": "http://127.0.0.1:9/v1",
        "timeout": 3,
        "max_retries": 0,
    }
    assert seen[1][1] == {"api_key": "sk-test"}
    with pytest.raises(UsageError, match="construct=both"):
        ExecuteProfile({"construct": "both"})


def test_built_through_a_create_function(server: FakeServer) -> None:
    """The seed's `create_provider('openai', config)`, named with the create_name option."""
    spec = ProviderSpec(
        "llm_providers:create_provider",
        "openai-chat",
        "execute",
        options={"create_name": "openai"},
    )
    outcome = run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS["text_plain"], "chat"))
    assert outcome.ok and outcome.verdicts, outcome.failure_text()


class Blocking(OpenAIProvider):
    """A provider blocked in a synchronous call far past the check's deadline."""

    def execute(self, *args: Any, **kwargs: Any) -> str:
        time.sleep(3)
        return "too late"


def test_a_blocking_provider_is_stopped_by_the_check_deadline(server: FakeServer) -> None:
    spec = ProviderSpec("x:Blocking", "openai-chat", "execute", factory=Blocking)
    started = time.perf_counter()
    outcome = run_case(
        server,
        ProviderUnderTest.load(spec),
        Case(SCENARIOS["text_plain"], "chat"),
        check_timeout=0.5,
    )
    assert time.perf_counter() - started < 2.5
    assert any("did not finish within 0.5 s" in v.message for v in outcome.failures)


def test_system_prompt_is_applicable_in_this_interface(server: FakeServer) -> None:
    spec = ProviderSpec("llm_providers.openai_provider:OpenAIProvider", "openai-chat", "execute")
    outcome = run_case(server, ProviderUnderTest.load(spec), Case(SCENARIOS["text_plain"], "chat"))
    outcomes = {v.clause: v.outcome for v in outcome.verdicts}
    assert outcomes["RQ-6"] == "pass"
    assert outcomes["CH-3"] == outcomes["CH-4"] == "not-applicable"


# -- resilience offer -----------------------------------------------------------------------------


def _members(server: FakeServer, scenarios: list[str]) -> tuple[list[tuple[str, Any]], list[Any]]:
    dialect = get_dialect("openai-chat")
    members, sessions = [], []
    for number, scenario in enumerate(scenarios):
        session = server.session(SCENARIOS[scenario], dialect, f"sk-{number}")
        opened = session.__enter__()
        sessions.append(session)
        provider = ExecuteProfile().build(
            OpenAIProvider,
            ProviderSpec("x:Y", "openai-chat", "execute"),
            Connection(opened.base_url, f"sk-{number}", 3.0),
        )
        members.append((f"p{number}", provider))
    return members, sessions


@pytest.mark.parametrize("via", ["chain", "manager"])
def test_fallback_chain_and_manager_are_exposed(server: FakeServer, via: str) -> None:
    members, sessions = _members(server, ["error_503", "text_plain"])
    offer = ExecuteProfile({"fallback": via}).resilience(
        ResilienceBuild(OpenAIProvider, SPEC_UNUSED, CONNECTION, {}, 0)
    )
    assert offer.chain is not None
    chain = offer.chain(members)
    assert chain is not None

    async def drive() -> tuple[list[str | None], dict[str, str]]:
        texts = []
        for mode in ("chat", "chat", "stream"):
            observed = await chain.run_turn(SCENARIOS["text_plain"], 0, mode)  # type: ignore[arg-type]
            assert observed.error is None, observed.error
            texts.append(observed.text if mode == "chat" else observed.streamed_text)
        return texts, dict(await chain.health())

    try:
        texts, health = asyncio.run(drive())
    finally:
        for session in sessions:
            session.__exit__(None, None, None)
    assert texts == ["Hello, conformance suite!"] * 3
    assert health == {"p0": "degraded", "p1": "healthy"}


def test_when_all_fail_the_error_names_each_failure(server: FakeServer) -> None:
    members, sessions = _members(server, ["error_503", "error_401"])
    offer = ExecuteProfile().resilience(
        ResilienceBuild(OpenAIProvider, SPEC_UNUSED, CONNECTION, {}, 0)
    )
    assert offer.chain is not None
    chain = offer.chain(members)
    assert chain is not None
    try:
        observed = asyncio.run(chain.run_turn(SCENARIOS["error_503"], 0, "chat"))
    finally:
        for session in sessions:
            session.__exit__(None, None, None)
    assert observed.error is not None and observed.error.is_profile_error
    assert observed.error.type_name.endswith(AllProvidersFailedError.__qualname__)
    assert "p0: openai HTTP 503" in observed.error.message
    assert "p1: openai HTTP 401" in observed.error.message


def test_health_check_of_the_providers_own_runs_off_the_loop() -> None:
    class WithHealth(OpenAIProvider):
        def health_check(self) -> bool:
            time.sleep(0.05)
            return True

    profile = ExecuteProfile()
    offer = profile.resilience(ResilienceBuild(WithHealth, SPEC_UNUSED, CONNECTION, {}, 0))
    assert offer.health_check is not None
    assert asyncio.run(offer.health_check()) is True
    plain = profile.resilience(ResilienceBuild(OpenAIProvider, SPEC_UNUSED, CONNECTION, {}, 0))
    assert plain.health_check is None and plain.retry is None and plain.breaker is None


def test_an_unknown_fallback_option_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="fallback=ring: expected 'chain'"):
        ExecuteProfile({"fallback": "ring"})


def test_provider_manager_is_the_seeds() -> None:
    manager = ProviderManager()
    manager.add_provider("openai", {"api_key": "k", "base_url": "http://127.0.0.1:9/v1"})
    manager.setup_fallback_chain(["openai", "missing"])
    assert list(manager.get_provider_status()) == ["openai"]
