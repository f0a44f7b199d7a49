"""The `orchestrator` profile: providers of multi-llm-orchestrator's interface.

A provider is built from one `ProviderConfig(name=, api_key=, base_url=, timeout=, max_retries=,
model=)` and offers async `generate(prompt, params) -> str`, `generate_stream(prompt, params)`
yielding text, and `health_check() -> bool`. Its errors are the package's own classes:
`AuthenticationError`, `RateLimitError`, `TimeoutError` (not the builtin), `InvalidRequestError`,
and `ProviderError`, which they all extend.

The interface carries a prompt and parameters in, text out. So tools, multi-turn conversations,
system prompts, stop reasons, usage, a final chunk and retry-after values cannot be expressed: those
clauses are not applicable (the map below says why), never passed.

Reading its errors:

- The class is the category: auth, rate_limit, timeout, invalid_request. The base retries
  RateLimitError and TimeoutError only, so those two are the retryable ones.
- `ProviderError` itself is the interface's catch-all. For a failure whose category has no class
  here (404 not found, 5xx, network, malformed answers) the catch-all is the right answer, and it
  is read as that category; 404 read as `InvalidRequestError` is accepted too. For a failure whose
  category has a class (403 is auth, 429 is rate_limit) the catch-all is wrong: `unknown`.
- The errors have no status attribute: the status is read from the exception's cause chain (the
  `httpx.HTTPStatusError` it was raised from), the provider's name from its message.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles.base import Profile
from conformance.profiles.orchestrator_retry import retry_offer
from conformance.profiles.resilience import (
    Composite,
    Members,
    ResilienceBuild,
    ResilienceOffer,
    built_with_options,
    health_word,
    missing_by_profile,
)
from conformance.scenarios.model import DEFAULT_MODEL, Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

DEFAULT_TYPES_MODULE = "orchestrator.providers.base"
DEFAULT_ROUTER = "orchestrator:Router"
_OWN_OPTIONS = ("types_module", "errors_module", "name", "router")

#: Error class name -> (canonical category, retryable as the base's retry treats it).
ERROR_CLASSES: dict[str, tuple[str, bool]] = {
    "AuthenticationError": ("auth", False),
    "RateLimitError": ("rate_limit", True),
    "TimeoutError": ("timeout", True),
    "InvalidRequestError": ("invalid_request", False),
}

#: Categories the interface has no class for: the catch-all ProviderError names them correctly.
#: not_found may also be read as InvalidRequestError ("the request named something missing").
_UNNAMED = frozenset({"not_found", "server", "network", "invalid_response", "unknown"})

NOT_APPLICABLE: dict[str, str] = {
    "RQ-4": "the orchestrator interface cannot express tools: generate(prompt, params) takes none",
    "RQ-5": "the orchestrator interface sends one prompt: no multi-turn conversation, no tool "
    "results",
    "RQ-6": "the orchestrator interface has no system prompt: generate(prompt, params)",
    "CH-2": "the orchestrator interface cannot express tool calls: generate() returns text",
    "CH-3": "the orchestrator interface has no stop reason: generate() returns text",
    "CH-4": "the orchestrator interface has no usage: generate() returns text",
    "ST-2": "the orchestrator interface has no final chunk: generate_stream() yields text",
    "ST-3": "the orchestrator interface cannot express tool calls: generate_stream() yields text",
    "ST-5": "the orchestrator interface has no stop reason or usage: generate_stream() yields text",
    "ER-2": "the orchestrator interface's errors carry no retry-after value (RateLimitError is "
    "a plain exception; the base waits 2**attempt seconds of its own)",
}


class OrchestratorProfile(Profile):
    name: ClassVar[str] = "orchestrator"
    description: ClassVar[str] = (
        "Multi-LLM Orchestrator: Class(ProviderConfig), async generate()/generate_stream()/"
        "health_check(), AuthenticationError, RateLimitError, TimeoutError, InvalidRequestError"
    )
    not_applicable: ClassVar[Mapping[str, str]] = NOT_APPLICABLE
    interface_capabilities: ClassVar[frozenset[str]] = frozenset({"streaming"})

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, self._attributes, self._config_fields = common.split_options(
            self.options, _OWN_OPTIONS
        )
        self._own = own
        types_name = str(own.get("types_module", DEFAULT_TYPES_MODULE))
        self._types = common.import_option(self.name, "types_module", types_name)
        errors = common.import_option(
            self.name, "errors_module", str(own.get("errors_module", types_name))
        )
        self._config, self._params = common.lookup(
            self._types,
            ("ProviderConfig", "GenerationParams"),
            profile=self.name,
            option="types_module",
        )
        (self._error_base,) = common.lookup(
            errors, ("ProviderError",), profile=self.name, option="errors_module"
        )
        self._classes: dict[type, tuple[str, bool]] = {}
        for class_name, reading in ERROR_CLASSES.items():
            cls = getattr(errors, class_name, None)
            if isinstance(cls, type):
                self._classes[cls] = reading
        invalid = getattr(errors, "InvalidRequestError", None)
        self._invalid_request: type | None = invalid if isinstance(invalid, type) else None
        base = getattr(self._types, "BaseProvider", None)
        self._base_stream = getattr(base, "generate_stream", None)
        #: Timeouts the config would only take rounded up to whole seconds: asked -> built.
        self._rounded: dict[float, float] = {}

    # -- building -------------------------------------------------------------------------

    def config(self, spec: ProviderSpec, connection: Connection) -> Any:
        """The `ProviderConfig` the provider is built with (also used by registries, CF-1)."""
        fields: dict[str, Any] = {
            "name": str(self._own.get("name") or spec.id),
            "api_key": connection.api_key,
            "base_url": connection.base_url,
            "timeout": common.timeout_value(connection.timeout),
            "max_retries": common.max_retries(self._own),
            "model": DEFAULT_MODEL,
        }
        fields.update(
            {key: common.with_connection(v, connection) for key, v in self._config_fields.items()}
        )
        try:
            return self._config(**fields)
        except Exception as exc:  # pydantic's ValidationError, a dataclass's TypeError ...
            if not float(connection.timeout).is_integer():
                # The published config types the timeout as whole seconds >= 1: a scenario's
                # short timeout is rounded up, and ER-4 judges against the rounded one.
                fields["timeout"] = max(1, math.ceil(connection.timeout))
                with contextlib.suppress(Exception):
                    built = self._config(**fields)
                    self._rounded[connection.timeout] = float(fields["timeout"])
                    return built
            raise UsageError(
                f"profile {self.name}: ProviderConfig({', '.join(fields)}) is rejected: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            ) from None

    def built_timeout(self, timeout: float) -> float:
        return self._rounded.get(timeout, timeout)

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        probe = self.config(spec, Connection("http://127.0.0.1:1/v1", "k", 1.0))
        common.check_signature(self.name, target, spec, self._own, (probe,), {})

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        provider = common.call_target(target, self._own, self.config(spec, connection))
        common.set_attributes(provider, self._attributes, connection)
        return provider

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """Streaming when the class has a generate_stream() of its own (not the base's)."""
        method = getattr(type(provider), "generate_stream", None)
        if method is None or (self._base_stream is not None and method is self._base_stream):
            return frozenset()
        return frozenset({"streaming"})

    def provider_name(self, provider: Any) -> object:
        config = getattr(provider, "config", None)
        return getattr(config, "name", None)

    async def close(self, provider: Any) -> None:
        """The interface closes through its async context manager (`__aexit__`), if it has one."""
        for method in ("aclose", "close"):
            closer = getattr(provider, method, None)
            if callable(closer):
                result = closer()
                if hasattr(result, "__await__"):
                    await result
                return
        exit_ = getattr(provider, "__aexit__", None)
        if exit_ is not None:
            await exit_(None, None, None)

    # -- driving --------------------------------------------------------------------------

    @property
    def request_parameters(self) -> frozenset[str]:
        # GenerationParams carries top_p and stop (a pydantic model or a dataclass).
        fields = getattr(self._params, "model_fields", None) or getattr(
            self._params, "__dataclass_fields__", {}
        )
        return frozenset({"top_p", "stop"} & set(fields))

    def _params_for(self, scenario: Scenario) -> Any:
        request = scenario.request
        extra: dict[str, Any] = {}
        if request.top_p is not None and "top_p" in self.request_parameters:
            extra["top_p"] = request.top_p
        if request.stop and "stop" in self.request_parameters:
            extra["stop"] = list(request.stop)
        return self._params(temperature=request.temperature, max_tokens=request.max_tokens, **extra)

    @staticmethod
    def _use_model(provider: Any, model: str) -> None:
        """The model lives in the config: set the scenario's before each call."""
        config = getattr(provider, "config", None)
        if config is not None and getattr(config, "model", model) != model:
            with contextlib.suppress(Exception):  # a frozen config: RQ-3 shows the model sent
                config.model = model

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        observed = TurnObservation(mode=mode)
        try:
            await self.invoke(provider, scenario, turn, mode, observed)
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.read_error(exc, scenario, turn, self.provider_name(provider))
        return observed

    async def invoke(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode, observed: TurnObservation
    ) -> None:
        """One call, filling `observed`; the provider's exception propagates as it was raised (a
        retry wrapper such as `_retry_with_backoff` decides by its class)."""
        self._use_model(provider, scenario.request.model)
        prompt = common.last_user_prompt(scenario, turn)
        params = self._params_for(scenario)
        observed.text, observed.chunks = None, []
        if mode == "chat":
            text = await provider.generate(prompt, params)
            observed.text = text if isinstance(text, str) else None
        else:
            await common.observe_stream(
                provider.generate_stream(prompt, params), scenario, observed, _chunk
            )

    def read_error(
        self, exc: BaseException, scenario: Scenario, turn: int, name: object
    ) -> ObservedError:
        """`classify`, plus what only the scenario settles: the catch-all, and the name."""
        observed = self.classify(exc)
        if not observed.is_profile_error:
            return observed
        expected = common.expected_category(scenario, turn)
        if expected in _UNNAMED and observed.category != expected:
            catch_all = observed.category == "unknown"
            as_invalid = (
                expected == "not_found"
                and self._invalid_request is not None
                and isinstance(exc, self._invalid_request)
            )
            if catch_all or as_invalid:
                observed = replace(observed, category=expected)
        if observed.provider is None and isinstance(name, str) and name and name in str(exc):
            observed = replace(observed, provider=name)
        return observed

    def classify(self, exc: BaseException) -> ObservedError:
        if not isinstance(exc, self._error_base):
            return common.observed_error(exc, category=None)
        reading = next(
            (self._classes[cls] for cls in type(exc).__mro__ if cls in self._classes), None
        )
        if reading is not None:
            category, retryable = reading
            flag: bool | None = retryable
        else:
            category = "unknown"
            own = getattr(exc, "retryable", None)
            flag = own if isinstance(own, bool) else None
        status = getattr(exc, "status_code", None)
        provider = getattr(exc, "provider", None)
        return common.observed_error(
            exc,
            category=category,
            status_code=status if isinstance(status, int) else common.status_from_cause(exc),
            retryable=flag,
            retry_after=common.number_or_none(getattr(exc, "retry_after", None)),
            provider=provider if isinstance(provider, str) else None,
            # The package's errors are plain exceptions: no place for a name or a status.
            names_provider=isinstance(provider, str),
            states_status=isinstance(status, int),
        )

    # -- resilience -----------------------------------------------------------------------

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        """health_check() for RE-4, the base's `_retry_with_backoff` around one call for RE-1
        (with `config.max_retries`), and the package's Router as a fallback chain for RE-3.
        The classes take no clock: the sleep their modules look up is replaced by the checks."""
        provider = built_with_options(self, build)
        health = getattr(provider, "health_check", None)
        return ResilienceOffer(
            provider,
            patch_time=(),
            retry=retry_offer(self, provider),
            chain=self._router_chain,
            health_check=health if callable(health) else None,
            missing=missing_by_profile(self.name),
        )

    def _router_chain(self, members: Members) -> Composite | None:
        """The package's Router over `members` (option `router`, default orchestrator:Router).

        The Router knows its providers by `config.name`: each member's config name is set to the
        member's name, so that its health reads back by that name.
        """
        reference = str(self._own.get("router", DEFAULT_ROUTER))
        module_name, _, attribute = reference.partition(":")
        module = common.import_option(self.name, "router", module_name)
        router_class = getattr(module, attribute, None)
        if router_class is None:
            return None
        chain = _RouterChain(self, router_class, members)
        return Composite(chain.run_turn, chain.close, chain.health)


class _RouterChain:
    """orchestrator's Router driven as one provider (RE-3)."""

    def __init__(self, profile: OrchestratorProfile, router_class: Any, members: Any) -> None:
        self._profile = profile
        self._members = list(members)
        self._router = router_class(strategy="first-available")
        for name, provider in self._members:
            # The Router knows its providers by config.name: the members' names, so that its
            # health reads back by them (members built from one spec share a config name).
            config = getattr(provider, "config", None)
            if config is not None and getattr(config, "name", name) != name:
                with contextlib.suppress(Exception):
                    config.name = name
            self._router.add_provider(provider)

    async def run_turn(self, scenario: Scenario, turn: int, mode: Mode) -> TurnObservation:
        observed = TurnObservation(mode=mode)
        prompt = common.last_user_prompt(scenario, turn)
        params = self._profile._params_for(scenario)
        for _, provider in self._members:
            OrchestratorProfile._use_model(provider, scenario.request.model)
        try:
            if mode == "chat":
                text = await self._router.route(prompt, params)
                observed.text = text if isinstance(text, str) else None
            else:
                stream = getattr(self._router, "route_stream", None)
                if stream is None:
                    raise NotImplementedError("this Router has no route_stream()")
                await common.observe_stream(stream(prompt, params), scenario, observed, _chunk)
        except Exception as exc:
            observed.error = self._profile.read_error(exc, scenario, turn, None)
        return observed

    async def health(self) -> Mapping[str, str]:
        metrics = getattr(self._router, "get_metrics", None)
        if callable(metrics):
            return {str(name): health_word(m) for name, m in metrics().items()}
        answers: dict[str, str] = {}
        for name, provider in self._members:
            healthy = await provider.health_check()
            answers[name] = "healthy" if healthy is True else "unhealthy"
        return answers

    async def close(self) -> None:
        for _, provider in self._members:
            await self._profile.close(provider)


def _chunk(item: Any) -> ObservedChunk:
    return ObservedChunk(text=item if isinstance(item, str) else str(item))
