"""The `victor` profile: provider classes on victor's provider interface (tutorial, API reference).

A victor provider is `Class(api_key=, base_url=, timeout=, max_retries=, **kwargs)` (or whatever a
registry's `create(name, **kwargs)` builds) with async `chat(messages, *, model, temperature,
max_tokens, tools)` returning a `CompletionResponse`, async `stream(...)` yielding `StreamChunk`s
with `is_final`, `close()`, and `supports_tools()` / `supports_streaming()`. Tool calls travel as
dicts `{id, name, arguments}`. Errors are classes: `ProviderAuthError`, `ProviderRateLimitError`
(with `retry_after`), `ProviderTimeoutError`, `ProviderConnectionError`,
`ProviderInvalidResponseError`, and a plain `ProviderError` that carries `status_code`.

The harness builds the messages and tool definitions with the provider's own classes, found by
module name (`types_module`, default `victor.providers.base`), so the real victor package and a
copy that follows it are judged alike.

An exception's category comes from its class, as victor's own `classify_error` reads it: that
function passes any `ProviderError` through unchanged, and its retry strategy and circuit breaker
act on the class. So a plain `ProviderError` with `status_code=403` is not an auth error to any
caller: it is `unknown`. The status attribute names a category only where the interface has no
class for it (5xx server, 400 invalid_request): there the catch-all is the only answer it can give.
victor's errors have no retryable flag, so ER-1 judges their category only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles.base import Profile
from conformance.profiles.resilience import (
    ResilienceBuild,
    ResilienceOffer,
    RetryOffer,
    breaker_offer,
    built_with_options,
    class_modules,
    missing_by_profile,
    retries_of,
)
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import CAPABILITIES, ChatMessage, Mode
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

DEFAULT_TYPES_MODULE = "victor.providers.base"
#: Where victor keeps the sleep and clocks of its retries and breakers (victor 0.9): the RE checks
#: replace them with their fake clock. Modules a package does not have are skipped.
TIMING_MODULES = (
    "victor.providers.resilience",
    "victor.providers.circuit_breaker",
    "victor.core.retry",
    "victor.core.circuit_breaker",
)
_OWN_OPTIONS = ("types_module", "errors_module", "circuit_breaker")

#: Error class names, most specific meaning first, with the canonical category each one states.
#: victor has spelled the auth error both ways; whichever the module has is used.
ERROR_CLASSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ProviderAuthError", "ProviderAuthenticationError"), "auth"),
    (("ProviderRateLimitError",), "rate_limit"),
    (("ProviderTimeoutError",), "timeout"),
    (("ProviderConnectionError",), "network"),
    (("ProviderInvalidResponseError",), "invalid_response"),
    # A missing model: victor 0.9 has ModelNotFoundError; ProviderNotFoundError is accepted too.
    (("ModelNotFoundError", "ProviderNotFoundError"), "not_found"),
)


class VictorProfile(Profile):
    name: ClassVar[str] = "victor"
    description: ClassVar[str] = (
        "victor.providers.base: async chat()/stream()/close(), supports_tools(), "
        "supports_streaming(), ProviderError classes"
    )
    #: The interface can carry every capability the suite judges.
    interface_capabilities: ClassVar[frozenset[str]] = frozenset(CAPABILITIES)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, self._attributes, self._constructor = common.split_options(self.options, _OWN_OPTIONS)
        self._own = own
        types_name = str(own.get("types_module", DEFAULT_TYPES_MODULE))
        self._types = common.import_option(self.name, "types_module", types_name)
        errors = common.import_option(
            self.name, "errors_module", str(own.get("errors_module", types_name))
        )
        self._message, self._tool = common.lookup(
            self._types, ("Message", "ToolDefinition"), profile=self.name, option="types_module"
        )
        (self._error_base,) = common.lookup(
            errors, ("ProviderError",), profile=self.name, option="errors_module"
        )
        self._categories: dict[type, str] = {}
        for names, category in ERROR_CLASSES:
            for class_name in names:
                cls = getattr(errors, class_name, None)
                if isinstance(cls, type):
                    self._categories.setdefault(cls, category)

    # -- building -------------------------------------------------------------------------

    def constructor_arguments(
        self, target: Callable[..., Any], connection: Connection
    ) -> dict[str, Any]:
        """What `build` passes: also what a registry's create function is called with (CF-1)."""
        kwargs: dict[str, Any] = {
            "api_key": connection.api_key,
            "base_url": connection.base_url,
            "timeout": common.timeout_value(connection.timeout),
            "max_retries": common.max_retries(self._own),
        }
        # victor's BaseProvider keeps one circuit breaker per provider *class*: error scenarios
        # would open it for every later check. The RE checks keep it (resilience()).
        if self._own.get("circuit_breaker") != "keep" and common.accepts_keyword(
            target, "use_circuit_breaker"
        ):
            kwargs["use_circuit_breaker"] = False
        kwargs.update(
            {key: common.with_connection(v, connection) for key, v in self._constructor.items()}
        )
        return kwargs

    def harness_keywords(self) -> frozenset[str]:
        """Keywords passed without the user asking: a class that sets one itself keeps its own."""
        added = {"use_circuit_breaker"}
        if "max_retries" not in self.options:
            added.add("max_retries")
        return frozenset(added)

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        probe = Connection("http://127.0.0.1:1/v1", "k", 1.0)
        common.check_signature(
            self.name, target, spec, self._own, (), self.constructor_arguments(target, probe)
        )

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        provider = common.call_target(
            target,
            self._own,
            optional=self.harness_keywords(),
            **self.constructor_arguments(target, connection),
        )
        common.set_attributes(provider, self._attributes, connection)
        return provider

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """victor declares two flags; the rest follows from its types.

        Tool calls are a list (parallel calls), `stream()` takes the tools (tool calls over the
        stream), and both CompletionResponse and StreamChunk carry usage. A capability file
        (`--capabilities`) refines this per model.
        """
        tools = bool(_call_flag(provider, "supports_tools"))
        streaming = bool(_call_flag(provider, "supports_streaming"))
        declared = {"usage"}
        if tools:
            declared |= {"tools", "parallel_tool_calls"}
        if streaming:
            declared.add("streaming")
        if tools and streaming:
            declared.add("streaming_tool_calls")
        return frozenset(declared)

    def provider_name(self, provider: Any) -> object:
        return provider.name

    async def close(self, provider: Any) -> None:
        await common.await_close(provider, "victor")

    # -- driving --------------------------------------------------------------------------

    def message(self, message: ChatMessage) -> Any:
        """A conversation message as the provider's own `Message` class."""
        fields: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            fields["tool_calls"] = [
                {"id": call.id, "name": call.name, "arguments": dict(call.arguments)}
                for call in message.tool_calls
            ]
        if message.tool_call_id is not None:
            fields["tool_call_id"] = message.tool_call_id
        return self._message(**fields)

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        messages = [self.message(m) for m in scenario.messages_for_turn(turn)]
        request = scenario.request
        tools = [
            self._tool(name=t.name, description=t.description, parameters=dict(t.parameters))
            for t in request.tools
        ] or None
        arguments: dict[str, Any] = {
            "model": request.model,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "tools": tools,
        }
        observed = TurnObservation(mode=mode)
        try:
            if mode == "chat":
                response = await provider.chat(messages, **arguments)
                observed.text = response.content
                observed.tool_calls = common.tool_calls_from_dicts(response.tool_calls)
                observed.stop_reason = common.stop_from(response.stop_reason)
                observed.usage = common.usage_from(getattr(response, "usage", None))
            else:
                await common.observe_stream(
                    provider.stream(messages, **arguments), scenario, observed, _chunk
                )
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify(exc)
        return observed

    def classify(self, exc: BaseException) -> ObservedError:
        if not isinstance(exc, self._error_base):
            return common.observed_error(exc, category=None)
        status = getattr(exc, "status_code", None)
        category = next(
            (self._categories[cls] for cls in type(exc).__mro__ if cls in self._categories),
            None,
        )
        if category is None:
            category = self.catch_all_category(status)
        return common.observed_error(
            exc,
            category=category,
            status_code=status if isinstance(status, int) else None,
            retry_after=common.number_or_none(getattr(exc, "retry_after", None)),
            provider=_text_or_none(getattr(exc, "provider", None)),
        )

    def catch_all_category(self, status: object) -> str:
        """A plain `ProviderError`'s category: its status's, only where the interface has no class
        for that category; `unknown` where it has one (callers tell those apart by class)."""
        category = common.status_category(status)
        if category is None or category in self._categories.values():
            return "unknown"
        return category

    # -- resilience -----------------------------------------------------------------------

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        """victor's resilience: retries inside its calls (`max_retries`, RE-1) and its circuit
        breaker (RE-2), both timed through victor's own modules, whose sleep and clocks the
        checks replace (victor's classes take no clock).

        The default suite builds providers with `use_circuit_breaker=False` and `max_retries=0`;
        the RE checks build them with the breaker kept (victor keys it by class and base URL, and
        every check has its own URL, so no check sees another's breaker) and with the retries
        each check needs. victor providers have no health_check and no chain of their own.
        """
        provider = built_with_options(self, build, {"circuit_breaker": "keep"})
        breaker = getattr(provider, "circuit_breaker", None)
        if breaker is None:
            breaker = getattr(provider, "_circuit_breaker", None)
        retries = retries_of(getattr(provider, "max_retries", None))
        breaker_modules = class_modules(breaker) if breaker is not None else ()
        return ResilienceOffer(
            provider,
            patch_time=TIMING_MODULES + breaker_modules,
            retry=RetryOffer(retries) if retries else None,
            breaker=breaker_offer(breaker),
            missing=missing_by_profile(self.name),
        )


def _call_flag(provider: Any, method: str) -> object:
    flag = getattr(provider, method, None)
    return flag() if callable(flag) else flag


def _text_or_none(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _chunk(chunk: Any) -> ObservedChunk:
    return ObservedChunk(
        text=getattr(chunk, "content", "") or "",
        tool_calls=common.tool_calls_from_dicts(getattr(chunk, "tool_calls", None)),
        is_final=bool(getattr(chunk, "is_final", False)),
        stop_reason=common.stop_from(getattr(chunk, "stop_reason", None)),
        usage=common.usage_from(getattr(chunk, "usage", None)),
    )
