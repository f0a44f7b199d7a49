"""The `orchestrator` profile: ProviderConfig, the catch-all error, n/a clauses, resilience."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from orchestrator.providers import base as orch
from orchestrator.providers.gigachat_like import GigaChatLikeProvider
from orchestrator.providers.openai_like import OpenAILikeProvider

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
from conformance.profiles.orchestrator import NOT_APPLICABLE, OrchestratorProfile
from conformance.profiles.resilience import ResilienceBuild

SCENARIOS = bundled_scenarios()
SPEC = ProviderSpec("orchestrator.providers.openai_like:OpenAILikeProvider", "openai-chat")
#: A base URL for a provider built only for its offer: nothing is sent there.
CONNECTION_UNUSED = Connection("http://127.0.0.1:9/v1", "sk-unused", 3.0)


@pytest.fixture
def profile() -> OrchestratorProfile:
    return OrchestratorProfile()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def _status_error(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, request=request)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)


def _raised(error: Exception, cause: BaseException) -> Exception:
    try:
        raise error from cause
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "category", "retryable"),
    [
        (orch.AuthenticationError("no"), "auth", False),
        (orch.RateLimitError("slow"), "rate_limit", True),
        (orch.TimeoutError("late"), "timeout", True),
        (orch.InvalidRequestError("bad"), "invalid_request", False),
        (orch.ProviderError("something"), "unknown", None),
    ],
)
def test_the_class_is_the_category(
    profile: OrchestratorProfile, error: Exception, category: str, retryable: bool | None
) -> None:
    observed = profile.classify(error)
    assert (observed.category, observed.retryable) == (category, retryable)


def test_builtin_timeout_error_is_not_the_packages(profile: OrchestratorProfile) -> None:
    assert profile.classify(TimeoutError("builtin")).category is None


def test_status_is_read_from_the_cause_and_name_from_the_message(
    profile: OrchestratorProfile,
) -> None:
    error = _raised(orch.AuthenticationError("gigachat: HTTP 401: bad key"), _status_error(401))
    observed = profile.read_error(error, SCENARIOS["error_401"], 0, "gigachat")
    assert (observed.status_code, observed.provider) == (401, "gigachat")
    assert observed.cause_type == "httpx.HTTPStatusError"


@pytest.mark.parametrize(
    ("scenario", "error", "category"),
    [
        # No class for not_found or server: the catch-all is the right answer.
        ("error_404", orch.ProviderError("gone"), "not_found"),
        ("error_404", orch.InvalidRequestError("no such model"), "not_found"),
        ("error_503", orch.ProviderError("busy"), "server"),
        ("fault_malformed_json", orch.ProviderError("garbled"), "invalid_response"),
        # A class exists for auth and rate_limit: the catch-all is wrong there.
        ("error_403", orch.ProviderError("API error: 403"), "unknown"),
        ("error_429", orch.ProviderError("OAuth2 token request failed"), "unknown"),
        # And a wrong class stays wrong.
        ("error_503", orch.InvalidRequestError("busy?"), "invalid_request"),
    ],
)
def test_the_catch_all_reads_as_what_the_interface_cannot_name(
    profile: OrchestratorProfile, scenario: str, error: Exception, category: str
) -> None:
    assert profile.read_error(error, SCENARIOS[scenario], 0, "x").category == category


def test_config_is_the_packages_with_the_connection(profile: OrchestratorProfile) -> None:
    connection = Connection("http://127.0.0.1:9/v1", "sk-test", 3.0)
    config = OrchestratorProfile({"scope": "GIGACHAT_API_CORP", "name": "giga"}).config(
        SPEC, connection
    )
    assert isinstance(config, orch.ProviderConfig)
    assert (config.name, config.api_key, config.base_url, config.timeout, config.max_retries) == (
        "giga",
        "sk-test",
        "http://127.0.0.1:9/v1",
        3,
        0,
    )
    assert config.scope == "GIGACHAT_API_CORP"


def test_a_sub_second_timeout_is_rounded_up_for_an_int_config(
    profile: OrchestratorProfile,
) -> None:
    config = profile.config(SPEC, Connection("http://127.0.0.1:9/v1", "k", 0.4))
    assert config.timeout == 1


def test_a_config_the_package_rejects_is_a_usage_error() -> None:
    bad = OrchestratorProfile({"max_retries": "99"})
    with pytest.raises(UsageError, match="ProviderConfig"):
        bad.config(SPEC, Connection("http://127.0.0.1:9/v1", "k", 1.0))


def test_streaming_is_declared_only_by_an_own_generate_stream(
    profile: OrchestratorProfile,
) -> None:
    class NoStream(orch.BaseProvider):
        async def generate(self, prompt: str, params: Any = None) -> str:
            return ""

        async def health_check(self) -> bool:
            return True

    config = orch.ProviderConfig(name="x")
    assert profile.declared_capabilities(NoStream(config)) == frozenset()
    assert profile.declared_capabilities(OpenAILikeProvider(config)) == {"streaming"}


def test_what_the_interface_cannot_express_is_not_applicable(server: FakeServer) -> None:
    put = ProviderUnderTest.load(ProviderSpec(SPEC.target, "openai-chat", "orchestrator"))
    outcome = run_case(server, put, Case(SCENARIOS["text_plain"], "chat"))
    by_clause = {v.clause: v for v in outcome.verdicts}
    assert by_clause["CH-1"].outcome == "pass"
    for clause in ("RQ-6", "CH-3", "CH-4"):
        assert by_clause[clause].outcome == "not-applicable"
        assert by_clause[clause].message == NOT_APPLICABLE[clause]
    tools = run_case(server, put, Case(SCENARIOS["tool_call_single"], "chat"))
    assert tools.not_applicable is not None
    assert {v.outcome for v in tools.verdicts if v.clause != "SE-1"} == {"not-applicable"}


def test_framing_checks_ignore_what_a_text_stream_cannot_say(server: FakeServer) -> None:
    """ST-6 must not fail for the missing final chunk (ST-2, ST-5 are not applicable)."""
    put = ProviderUnderTest.load(ProviderSpec(SPEC.target, "openai-chat", "orchestrator"))
    outcome = run_case(server, put, Case(SCENARIOS["framing_crlf_with_comments"], "stream"))
    st6 = [v for v in outcome.verdicts if v.clause == "ST-6"]
    assert [v.outcome for v in st6] == ["pass"], outcome.failure_text()


# -- resilience hooks -----------------------------------------------------------------------------


def _build(
    server: FakeServer, scenario: str, profile: OrchestratorProfile, name: str, cls: Any
) -> tuple[Any, Any]:
    """A provider on its own session playing `scenario` (the session stays open)."""
    dialect = get_dialect("openai-chat")
    session = server.session(SCENARIOS[scenario], dialect, f"sk-{name}")
    opened = session.__enter__()
    spec = ProviderSpec(SPEC.target, "openai-chat", "orchestrator", options={"name": name})
    provider = OrchestratorProfile({**profile.options, "name": name}).build(
        cls, spec, Connection(opened.base_url, f"sk-{name}", 3.0)
    )
    return provider, session


def test_health_check_and_retry_wrapper_are_offered(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RE-1 calls through the base's `_retry_with_backoff` with config.max_retries, as built for
    the check; RE-4 asks the provider's health_check()."""
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(orch, "asyncio", types.SimpleNamespace(sleep=no_wait))
    dialect = get_dialect("openai-chat")
    with server.session(SCENARIOS["error_429"], dialect, "sk-alpha") as session:
        connection = Connection(session.base_url, "sk-alpha", 3.0)
        offer = OrchestratorProfile().resilience(
            ResilienceBuild(OpenAILikeProvider, SPEC, connection, {}, 1)
        )
        retry, health = offer.retry, offer.health_check
        assert retry is not None and retry.call is not None and health is not None
        assert retry.max_retries == 1

        async def drive() -> tuple[Any, object]:
            try:
                assert retry.call is not None
                return await retry.call(SCENARIOS["error_429"], "chat"), await health()
            finally:
                await offer.provider.close()

        observed, healthy = asyncio.run(drive())
        chats = [e for e in session.snapshot() if e.turn is not None]
    assert observed.error is not None and observed.error.category == "rate_limit"
    assert healthy is False
    # generate() retries through the same wrapper itself (as the interface's guide says), so the
    # suite does not wrap it again: 2 requests (max_retries=1), the retry after 1 s (2**0); then
    # the health check's one. Wrapped twice it made 2 x 2, a failure of the suite's making.
    assert len(chats) == 3
    assert waits == [1]


def test_health_check_of_an_oauth_provider_follows_its_token_endpoint(server: FakeServer) -> None:
    dialect = get_dialect("conformance.dialects.oauth_token:OAuthTokenErrorsOpenAIChat")
    profile = OrchestratorProfile({"set.OAUTH_URL": "{base_url}/oauth"})
    answers = []
    for scenario in ("text_plain", "error_503"):
        with server.session(SCENARIOS[scenario], dialect, "sk-h") as session:
            connection = Connection(session.base_url, "sk-h", 3.0)
            build = ResilienceBuild(GigaChatLikeProvider, SPEC, connection, {}, None)
            offer = profile.resilience(build)

            async def check(offer: Any = offer) -> object:
                try:
                    assert offer.health_check is not None
                    return await offer.health_check()
                finally:
                    await offer.provider.close()

            answers.append(asyncio.run(check()))
    assert answers == [True, False]


def test_the_router_is_a_fallback_chain(server: FakeServer) -> None:
    profile = OrchestratorProfile()
    failing, s1 = _build(server, "error_503", profile, "first", OpenAILikeProvider)
    working, s2 = _build(server, "text_plain", profile, "second", OpenAILikeProvider)
    offer = profile.resilience(ResilienceBuild(OpenAILikeProvider, SPEC, CONNECTION_UNUSED, {}, 0))
    assert offer.chain is not None
    chain = offer.chain([("first", failing), ("second", working)])
    assert chain is not None

    async def drive() -> tuple[list[str | None], dict[str, str]]:
        texts = []
        for _ in range(2):
            observed = await chain.run_turn(SCENARIOS["text_plain"], 0, "chat")
            assert observed.error is None
            texts.append(observed.text)
        health = dict(await chain.health())
        await chain.close()
        return texts, health

    try:
        texts, health = asyncio.run(drive())
    finally:
        s1.__exit__(None, None, None)
        s2.__exit__(None, None, None)
    assert texts == ["Hello, conformance suite!"] * 2
    assert health == {"first": "degraded", "second": "healthy"}


def test_router_health_is_read_from_its_metrics_health_status() -> None:
    """The published Router answers get_metrics() with ProviderMetrics objects: the health is their
    `health_status` property, not the object (which read as 'unknown (<ProviderMetrics ...>)')."""
    from conformance.profiles.resilience import health_word

    class ProviderMetrics:
        total_requests = 9

        @property
        def health_status(self) -> str:
            return "unhealthy"

    assert health_word(ProviderMetrics()) == "unhealthy"
    assert health_word({"health": "degraded"}) == "degraded"
    assert health_word("healthy") == "healthy"
