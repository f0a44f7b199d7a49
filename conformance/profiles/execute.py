"""The `execute` profile: synchronous providers on `requests` (the execute-style provider layer).

A provider offers `execute(model, prompt, system_prompt, parameters) -> str` and a generator
`stream_execute(...)` yielding text; its errors are one `ProviderError` class with an
`ErrorCategory` enum (`category`), `status_code`, `provider`, `retryable` and `retry_after`.
Providers are built from one config dict (`Class({"api_key": ..., "base_url": ..., "timeout":
...})`) or, when the constructor names `api_key`, from keyword arguments; a registry's create
function works with the option `create_name`.

Calls run on worker threads (`asyncio.to_thread`), so a provider blocked in `requests` never blocks
the event loop and the suite's per-check deadline still stops it. A stream is advanced one item
per thread hop; leaving it early closes the generator, which closes the response.

The interface carries a prompt, a system prompt and parameters in, text out: tools, multi-turn
conversations, stop reasons, usage and a final chunk cannot be expressed (the map below says why).

Categories are read from the enum's value (or member name): `auth`, `rate_limit`, `not_found`,
`invalid` (invalid_request), `server`, `network`, `timeout`, `invalid_response`, `unknown`. An enum
without a `timeout` member (the execute-style provider layer's has none) cannot state ER-1's
timeout for 408 and 504: those checks fail with the category it chose, which is the honest
answer for that enum.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles.base import Profile
from conformance.profiles.resilience import (
    Composite,
    Members,
    ResilienceBuild,
    ResilienceOffer,
    built_with_options,
    health_word,
    in_thread,
    missing_by_profile,
)
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

DEFAULT_ERRORS_MODULE = "llm_providers.error_handling"
DEFAULT_FALLBACK_CHAIN = "llm_providers.fallback_manager:FallbackChain"
DEFAULT_MANAGER = "llm_providers:ProviderManager"
_OWN_OPTIONS = (
    "errors_module",
    "name",
    "construct",
    "fallback",
    "fallback_chain_class",
    "manager_class",
)

#: ErrorCategory words (values or member names, lowercased) -> canonical categories.
CATEGORY_WORDS: dict[str, str] = {
    "auth": "auth",
    "auth_error": "auth",
    "authentication": "auth",
    "rate_limit": "rate_limit",
    "not_found": "not_found",
    "invalid": "invalid_request",
    "invalid_request": "invalid_request",
    "server": "server",
    "server_error": "server",
    "network": "network",
    "network_error": "network",
    "timeout": "timeout",
    "timeout_error": "timeout",
    "invalid_response": "invalid_response",
    "unknown": "unknown",
}

NOT_APPLICABLE: dict[str, str] = {
    "RQ-4": "the execute interface cannot express tools: execute(model, prompt, system_prompt, "
    "parameters)",
    "RQ-5": "the execute interface sends one prompt: no multi-turn conversation, no tool results",
    "CH-2": "the execute interface cannot express tool calls: execute() returns text",
    "CH-3": "the execute interface has no stop reason: execute() returns text",
    "CH-4": "the execute interface has no usage: execute() returns text",
    "ST-2": "the execute interface has no final chunk: stream_execute() yields text",
    "ST-3": "the execute interface cannot express tool calls: stream_execute() yields text",
    "ST-5": "the execute interface has no stop reason or usage: stream_execute() yields text",
}


def category_word(raw: Any) -> str:
    """An ErrorCategory member (or string) in canonical words; unknown words pass through."""
    candidates = [str(common.enum_value(raw)).lower()]
    member = getattr(raw, "name", None)
    if isinstance(member, str):
        candidates.append(member.lower())
    for word in candidates:
        if word in CATEGORY_WORDS:
            return CATEGORY_WORDS[word]
    return candidates[0]


class ExecuteProfile(Profile):
    name: ClassVar[str] = "execute"
    description: ClassVar[str] = (
        "synchronous execute()/stream_execute() on requests; ProviderError with ErrorCategory, "
        "retryable and retry_after (the execute-style provider layer)"
    )
    not_applicable: ClassVar[Mapping[str, str]] = NOT_APPLICABLE
    interface_capabilities: ClassVar[frozenset[str]] = frozenset({"streaming"})

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, self._attributes, self._constructor = common.split_options(self.options, _OWN_OPTIONS)
        self._own = own
        errors = common.import_option(
            self.name, "errors_module", str(own.get("errors_module", DEFAULT_ERRORS_MODULE))
        )
        (self._error_base,) = common.lookup(
            errors, ("ProviderError",), profile=self.name, option="errors_module"
        )
        construct = own.get("construct")
        if construct not in (None, "config", "kwargs"):
            raise UsageError(
                f"--profile-option construct={construct}: expected 'config' (one config dict) "
                "or 'kwargs' (keyword arguments)"
            )
        self._construct: str | None = construct
        fallback = str(own.get("fallback", "chain"))
        if fallback not in ("chain", "manager"):
            raise UsageError(
                f"--profile-option fallback={fallback}: expected 'chain' (FallbackChain) or "
                "'manager' (ProviderManager with setup_fallback_chain())"
            )
        self._fallback_via = fallback

    # -- building -------------------------------------------------------------------------

    def _settings(self, connection: Connection) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "api_key": connection.api_key,
            "base_url": connection.base_url,
            "timeout": common.timeout_value(connection.timeout),
            "max_retries": common.max_retries(self._own),
        }
        settings.update(
            {key: common.with_connection(v, connection) for key, v in self._constructor.items()}
        )
        return settings

    def _as_kwargs(self, target: Callable[..., Any]) -> bool:
        if self._construct is not None:
            return self._construct == "kwargs"
        try:
            return "api_key" in inspect.signature(target).parameters
        except (TypeError, ValueError):
            return False

    def constructor_call(
        self, target: Callable[..., Any], connection: Connection
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """(args, kwargs) the provider is built with: one config dict, or keyword arguments."""
        settings = self._settings(connection)
        if self._as_kwargs(target):
            return (), settings
        return (settings,), {}

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        args, kwargs = self.constructor_call(target, Connection("http://127.0.0.1:1/v1", "k", 1.0))
        common.check_signature(self.name, target, spec, self._own, args, kwargs)

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        args, kwargs = self.constructor_call(target, connection)
        optional = frozenset() if "max_retries" in self.options else frozenset({"max_retries"})
        provider = common.call_target(target, self._own, *args, optional=optional, **kwargs)
        common.set_attributes(provider, self._attributes, connection)
        return provider

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        streams = callable(getattr(provider, "stream_execute", None))
        return frozenset({"streaming"}) if streams else frozenset()

    def provider_name(self, provider: Any) -> object:
        """The provider's `name`; where the interface gives it none, the `name` option (the name
        the provider is registered under in its ProviderManager)."""
        name = getattr(provider, "name", None)
        if callable(name):
            name = name()
        if name is None:
            name = self._own.get("name")
        return name

    async def close(self, provider: Any) -> None:
        closer = getattr(provider, "close", None)
        if callable(closer):
            await in_thread(closer)

    # -- driving --------------------------------------------------------------------------

    @staticmethod
    def call_arguments(
        scenario: Scenario, turn: int
    ) -> tuple[str, str, str | None, dict[str, Any]]:
        """(model, prompt, system_prompt, parameters) for the scenario's turn."""
        request = scenario.request
        return (
            request.model,
            common.last_user_prompt(scenario, turn),
            common.system_prompt(scenario, turn),
            {"temperature": request.temperature, "max_tokens": request.max_tokens},
        )

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        arguments = self.call_arguments(scenario, turn)
        observed = TurnObservation(mode=mode)
        try:
            if mode == "chat":
                text = await asyncio.to_thread(lambda: provider.execute(*arguments))
                observed.text = text if isinstance(text, str) else None
            else:
                # A plain function returning a generator may send the request at once: a thread.
                generator = await asyncio.to_thread(lambda: provider.stream_execute(*arguments))
                await common.observe_stream(
                    common.iterate_in_thread(iter(generator)), scenario, observed, _chunk
                )
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify(exc)
        return observed

    def classify(self, exc: BaseException) -> ObservedError:
        if not isinstance(exc, self._error_base):
            return common.observed_error(exc, category=None)
        raw_category = getattr(exc, "category", None)
        status = getattr(exc, "status_code", None)
        retryable = getattr(exc, "retryable", None)
        provider = getattr(exc, "provider", None)
        return common.observed_error(
            exc,
            category=category_word(raw_category) if raw_category is not None else "unknown",
            status_code=status if isinstance(status, int) else None,
            retryable=retryable if isinstance(retryable, bool) else None,
            retry_after=common.number_or_none(getattr(exc, "retry_after", None)),
            provider=provider if isinstance(provider, str) else None,
        )

    # -- resilience -----------------------------------------------------------------------

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        """A `health_check()` (or `is_available()`) of the provider's own, run on a thread (RE-4),
        and the package's fallback (RE-3): its FallbackChain, or with the option
        `fallback=manager` its ProviderManager with `setup_fallback_chain()`."""
        provider = built_with_options(self, build)
        return ResilienceOffer(
            provider,
            patch_time=(),
            chain=self._fallback,
            health_check=_health_check(provider),
            missing=missing_by_profile(self.name),
        )

    def _fallback(self, members: Members) -> Composite | None:
        """Classes: options `fallback_chain_class` (default llm_providers.fallback_manager:
        FallbackChain) and `manager_class` (default llm_providers:ProviderManager).

        A package without the default chain has no chain to judge: RE-3 is not applicable, not
        failed. A chain the user named that does not import is a usage error naming the option.
        """
        via = self._fallback_via
        option = "manager_class" if via == "manager" else "fallback_chain_class"
        default = DEFAULT_MANAGER if via == "manager" else DEFAULT_FALLBACK_CHAIN
        reference = str(self._own.get(option, default))
        module_name, _, attribute = reference.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attribute, None)
        except ImportError as exc:
            if option not in self._own:
                return None
            raise UsageError(
                f"profile {self.name}: --profile-option {option}={reference}: cannot import "
                f"{module_name!r} ({exc}); give MODULE:CLASS of the chain to judge"
            ) from None
        if cls is None and option in self._own:
            raise UsageError(
                f"profile {self.name}: --profile-option {option}={reference}: {module_name!r} "
                f"has no {attribute!r}; give MODULE:CLASS of the chain to judge"
            )
        if cls is None:
            return None
        chain = _ExecuteChain(self, cls, members, via=via)
        return Composite(chain.run_turn, chain.close, chain.health)


def _health_check(provider: Any) -> Callable[[], Awaitable[object]] | None:
    for method in ("health_check", "is_available"):
        check = getattr(provider, method, None)
        if callable(check):

            async def health(check: Callable[[], object] = check) -> object:
                return await in_thread(check)

            return health
    return None


class _ExecuteChain:
    """FallbackChain or ProviderManager driven as one provider (RE-3)."""

    def __init__(self, profile: ExecuteProfile, cls: Any, members: Any, *, via: str) -> None:
        self._profile = profile
        self._members = list(members)
        self._via = via
        if via == "manager":
            self._target = cls()
            self._target.providers = dict(self._members)
            self._target.setup_fallback_chain([name for name, _ in self._members])
            self._call = self._target.execute_with_fallback
            self._stream = self._target.stream_execute_with_fallback
            self._status = self._target.get_provider_status
        else:
            self._target = cls(self._members)
            self._call = self._target.execute
            self._stream = self._target.stream_execute
            self._status = self._target.get_status

    async def run_turn(self, scenario: Scenario, turn: int, mode: Mode) -> TurnObservation:
        arguments = ExecuteProfile.call_arguments(scenario, turn)
        observed = TurnObservation(mode=mode)
        try:
            if mode == "chat":
                text = await asyncio.to_thread(lambda: self._call(*arguments))
                observed.text = text if isinstance(text, str) else None
            else:
                generator = await asyncio.to_thread(lambda: self._stream(*arguments))
                await common.observe_stream(
                    common.iterate_in_thread(iter(generator)), scenario, observed, _chunk
                )
        except Exception as exc:
            observed.error = self._profile.classify(exc)
        return observed

    async def health(self) -> Mapping[str, str]:
        status = await in_thread(self._status)
        return {str(name): health_word(entry) for name, entry in dict(status).items()}

    async def close(self) -> None:
        for _, provider in self._members:
            await self._profile.close(provider)


def _chunk(item: Any) -> ObservedChunk:
    return ObservedChunk(text=item if isinstance(item, str) else str(item))
