"""The `victor` profile: building, declaring, messages in victor's own types, error classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from victor.providers import base as victor
from victor.providers.openai_compat_provider import OpenAICompatProvider

from conformance import (
    Case,
    ChatMessage,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    ToolCall,
    UsageError,
    bundled_scenarios,
    get_profile,
    run_case,
)
from conformance.profiles import Connection
from conformance.profiles.resilience import ResilienceBuild
from conformance.profiles.victor import VictorProfile

SCENARIOS = bundled_scenarios()
CONNECTION = Connection("http://127.0.0.1:9/v1", "sk-test", 3.0)


@pytest.fixture
def profile() -> VictorProfile:
    return VictorProfile()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize(
    ("error", "category"),
    [
        (victor.ProviderAuthError("no", provider="x", status_code=403), "auth"),
        (victor.ProviderRateLimitError("slow", provider="x", retry_after=7), "rate_limit"),
        (victor.ProviderTimeoutError("late", provider="x"), "timeout"),
        (victor.ProviderConnectionError("gone", provider="x"), "network"),
        (victor.ProviderInvalidResponseError("garbled", provider="x"), "invalid_response"),
        (victor.ModelNotFoundError("missing", provider="x", status_code=404), "not_found"),
        # A plain ProviderError names a category by its status only where victor has no class
        # for it (victor's classify_error passes it through unchanged: callers see no auth error).
        (victor.ProviderError("busy", provider="x", status_code=529), "server"),
        (victor.ProviderError("bad", provider="x", status_code=400), "invalid_request"),
        (victor.ProviderError("denied", provider="x", status_code=403), "unknown"),
        (victor.ProviderError("missing", provider="x", status_code=404), "unknown"),
        (victor.ProviderError("slow", provider="x", status_code=429), "unknown"),
        (victor.ProviderError("late", provider="x", status_code=504), "unknown"),
        (victor.ProviderError("what", provider="x"), "unknown"),
    ],
)
def test_category_comes_from_the_class(
    profile: VictorProfile, error: Exception, category: str
) -> None:
    observed = profile.classify(error)
    assert observed.category == category
    assert observed.provider == "x"
    assert observed.retryable is None  # victor's errors carry no retryable flag


def test_rate_limit_error_carries_retry_after_and_status(profile: VictorProfile) -> None:
    observed = profile.classify(
        victor.ProviderRateLimitError("slow", provider="x", status_code=429, retry_after=7)
    )
    assert (observed.status_code, observed.retry_after) == (429, 7.0)


def test_other_exceptions_are_not_the_profiles(profile: VictorProfile) -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    observed = profile.classify(httpx.ResponseNotRead())
    assert observed.category is None and observed.type_name == "httpx.ResponseNotRead"
    assert profile.classify(httpx.ConnectError("refused", request=request)).category is None


class _Flags:
    name = "flags"

    def __init__(self, tools: bool, streaming: bool) -> None:
        self._tools, self._streaming = tools, streaming

    def supports_tools(self) -> bool:
        return self._tools

    def supports_streaming(self) -> bool:
        return self._streaming


@pytest.mark.parametrize(
    ("tools", "streaming", "declared"),
    [
        (
            True,
            True,
            {"tools", "parallel_tool_calls", "streaming", "streaming_tool_calls", "usage"},
        ),
        (True, False, {"tools", "parallel_tool_calls", "usage"}),
        (False, True, {"streaming", "usage"}),
        (False, False, {"usage"}),
    ],
)
def test_declared_capabilities_follow_the_two_flags(
    profile: VictorProfile, tools: bool, streaming: bool, declared: set[str]
) -> None:
    assert profile.declared_capabilities(_Flags(tools, streaming)) == declared


def test_messages_are_the_providers_own_class(profile: VictorProfile) -> None:
    call = ToolCall("call_1", "get_weather", {"city": "Lviv"})
    assistant = profile.message(ChatMessage("assistant", "", tool_calls=(call,)))
    result = profile.message(ChatMessage("tool", "rain", tool_call_id="call_1"))
    assert isinstance(assistant, victor.Message) and isinstance(result, victor.Message)
    assert assistant.tool_calls == [
        {"id": "call_1", "name": "get_weather", "arguments": {"city": "Lviv"}}
    ]
    assert result.tool_call_id == "call_1"


def test_built_with_victors_arguments_and_no_shared_breaker() -> None:
    seen: dict[str, Any] = {}

    def factory(**kwargs: Any) -> OpenAICompatProvider:
        seen.update(kwargs)
        return OpenAICompatProvider(**kwargs)

    profile = VictorProfile({"organization": "acme"})
    spec = ProviderSpec("x:Y", "openai-chat", "victor", options={"organization": "acme"})
    provider = profile.build(factory, spec, CONNECTION)
    assert seen == {
        "api_key": "sk-test",
        "base_url": "http://127.0.0.1:9/v1",
        "timeout": 3,
        "max_retries": 0,
        "use_circuit_breaker": False,
        "organization": "acme",
    }
    assert provider.circuit_breaker is None


def test_resilience_builds_with_the_breaker_and_the_checks_retries() -> None:
    """The RE checks build with victor's breaker kept and the retries each check asks for."""
    profile = VictorProfile()
    spec = ProviderSpec("x:Y", "openai-chat", "victor")
    offer = profile.resilience(ResilienceBuild(OpenAICompatProvider, spec, CONNECTION, {}, 3))
    assert isinstance(offer.provider.circuit_breaker, victor.CircuitBreaker)
    assert offer.retry is not None and offer.retry.max_retries == 3
    assert offer.breaker is not None and offer.breaker.failure_threshold > 0
    assert offer.patch_time is not None and "victor.providers.resilience" in offer.patch_time
    assert offer.chain is None and offer.router is None and offer.health_check is None


def test_a_users_max_retries_stands_and_no_retries_are_not_offered() -> None:
    profile = VictorProfile({"max_retries": "0"})
    spec = ProviderSpec("x:Y", "openai-chat", "victor", options=profile.options)
    offer = profile.resilience(ResilienceBuild(OpenAICompatProvider, spec, CONNECTION, {}, 3))
    assert offer.provider.max_retries == 0
    assert offer.retry is None
    assert "profile victor: the provider does not retry" in offer.why_missing("RE-1")


def test_built_through_a_registrys_create_function(server: FakeServer) -> None:
    """ProviderRegistry.create(name, **kwargs), named with the create_name option."""
    spec = ProviderSpec(
        target="victor.providers.registry:ProviderRegistry.create",
        dialect="openai-chat",
        profile="victor",
        label="via-registry",
        options={"create_name": "openai-compatible"},
    )
    put = ProviderUnderTest.load(spec)
    outcome = run_case(server, put, Case(SCENARIOS["tool_call_single"], "stream"))
    assert outcome.ok and outcome.verdicts, outcome.failure_text()


def test_a_module_without_victors_types_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"types_module 'json'.*no 'Message'"):
        get_profile("victor", {"types_module": "json"})
    with pytest.raises(
        UsageError, match=r"types_module 'no_such_victor\.providers\.base' does not import"
    ):
        get_profile("victor", {"types_module": "no_such_victor.providers.base"})


def test_a_class_that_cannot_take_the_arguments_is_a_usage_error() -> None:
    class Positional:
        def __init__(self, config: dict[str, Any]) -> None: ...

    spec = ProviderSpec("x:Positional", "openai-chat", "victor")
    with pytest.raises(UsageError, match="cannot build it"):
        VictorProfile().check_target(Positional, spec)


def test_keywords_the_harness_adds_never_break_a_class_that_sets_them(
    server: FakeServer,
) -> None:
    """`super().__init__(..., use_circuit_breaker=False, max_retries=0, **kwargs)`: the class's own
    values stand; building through a create function works the same way."""
    from victor.providers.openai_compat_provider import SelfManagedProvider

    profile = VictorProfile()
    spec = ProviderSpec("x:SelfManagedProvider", "openai-chat", "victor")
    provider = profile.build(SelfManagedProvider, spec, CONNECTION)
    assert provider.circuit_breaker is None and provider.max_retries == 0
    assert provider.base_url == CONNECTION.base_url

    put = ProviderUnderTest.load(
        ProviderSpec(
            "victor.providers.openai_compat_provider:SelfManagedProvider", "openai-chat", "victor"
        )
    )
    outcome = run_case(server, put, Case(SCENARIOS["tool_call_single"], "stream"))
    assert outcome.ok and outcome.verdicts, outcome.failure_text()


def test_a_keyword_the_user_asked_for_is_never_dropped() -> None:
    """Only keywords the harness added of its own accord are retried without."""
    from victor.providers.openai_compat_provider import SelfManagedProvider

    profile = VictorProfile({"max_retries": "2"})
    spec = ProviderSpec("x:SelfManagedProvider", "openai-chat", "victor", options=profile.options)
    with pytest.raises(TypeError, match="multiple values for keyword argument 'max_retries'"):
        profile.build(SelfManagedProvider, spec, CONNECTION)
