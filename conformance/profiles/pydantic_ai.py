"""The `pydantic-ai` profile: pydantic-ai's model classes, through their providers' base URL.

The target is a model class (`pydantic_ai.models.openai:OpenAIChatModel`, `...anthropic:
AnthropicModel`, `...google:GoogleModel`, ...). Each check builds it as pydantic-ai's docs do,
`Model(model_name, provider=Provider(base_url=..., api_key=...))`, and sends the conversation
through pydantic-ai's direct API (`pydantic_ai.direct.model_request` / `model_request_stream`):
the same `Model.request` / `request_stream` an agent calls, without an agent's own loop (tool
execution, output validation, retries of invalid output) in the way of what the model returned.

What a caller reads: `ModelResponse.parts` (`TextPart`, `ToolCallPart`), `usage`
(input/output tokens), `finish_reason`; a stream's text from `PartStartEvent` / `PartDeltaEvent`
as it arrives, and the rest from `StreamedResponse.get()` once it ends. Errors are the package's
own: `ModelAPIError` and its category classes (`ModelRateLimitError`, `ModelAuthenticationError`,
... with `retry_after`), `ModelHTTPError` (`status_code`), `UnexpectedModelBehavior`.

Nothing of pydantic-ai is imported with this module: the package is imported when a provider is
built, so the profile loads (and says what to install) without it.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles.base import Profile
from conformance.profiles.pydantic_ai_reading import (
    event_text as _event_text,
)
from conformance.profiles.pydantic_ai_reading import (
    finish as _finish,
)
from conformance.profiles.pydantic_ai_reading import (
    text as _text,
)
from conformance.profiles.pydantic_ai_reading import (
    tool_calls as _tool_calls,
)
from conformance.profiles.pydantic_ai_reading import (
    usage as _usage,
)
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import CAPABILITIES, ChatMessage, Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

PACKAGE = "pydantic_ai"
INSTALL = 'pip install "pydantic-ai-slim[openai,anthropic,google]"'

#: The pydantic-ai provider class each dialect's base URL is given to, by default.
PROVIDERS: dict[str, str] = {
    "openai-chat": "pydantic_ai.providers.openai:OpenAIProvider",
    "openai-responses": "pydantic_ai.providers.openai:OpenAIProvider",
    "openai-gateway": "pydantic_ai.providers.openai:OpenAIProvider",
    "anthropic-messages": "pydantic_ai.providers.anthropic:AnthropicProvider",
    "gemini": "pydantic_ai.providers.google:GoogleProvider",
    "azure-openai": "pydantic_ai.providers.azure:AzureProvider",
}
DEFAULT_API_VERSION = "2024-10-21"
_OWN_OPTIONS = ("provider", "api_version", "package")

#: pydantic-ai's error classes, most specific first, with the category each one states.
ERROR_CLASSES: tuple[tuple[str, str], ...] = (
    ("ModelRequestTimeout", "timeout"),
    ("ModelTimeoutError", "timeout"),
    ("ModelConnectionError", "network"),
    ("ModelRateLimitError", "rate_limit"),
    # Quota or billing exhausted: refused as sent until the account changes; waiting does not help.
    ("ModelQuotaExceededError", "invalid_request"),
    ("ModelAuthenticationError", "auth"),
    ("ModelNotFoundError", "not_found"),
    ("ModelContextWindowExceededError", "invalid_request"),
    ("ModelRequestRejectedError", "invalid_request"),
    ("ModelUnavailableError", "server"),
    ("ModelServerError", "server"),
    ("UnexpectedModelBehavior", "invalid_response"),
)
#: The package's errors about a model call; anything else escaping is ER-8.
ERROR_BASES = ("ModelAPIError", "UnexpectedModelBehavior")

#: pydantic-ai's finish reasons, in the canonical words.

NOT_APPLICABLE: dict[str, str] = {
    "ST-2": "pydantic-ai streams part events (PartStartEvent, PartDeltaEvent); the complete "
    "response is StreamedResponse.get() after the stream, not a final chunk",
}


@dataclass
class PydanticAIModel:
    """The provider under test: a model class and the pydantic-ai provider it talks through."""

    model_class: Callable[..., Any]
    provider: Any
    timeout: float
    entered: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        name = getattr(self.provider, "name", None)
        return str(name) if name else type(self.provider).__name__

    def __repr__(self) -> str:  # never the key (SE-1)
        return f"PydanticAIModel({getattr(self.model_class, '__name__', '?')}, {self.name!r})"


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise UsageError(
            f"profile pydantic-ai: cannot import {name!r} ({exc}); install pydantic-ai with the "
            f"extras of the APIs you judge: {INSTALL}"
        ) from None


def _resolve(reference: str, option: str) -> Any:
    module_name, _, attr = reference.partition(":")
    value = getattr(_import(module_name), attr, None)
    if value is None:
        raise UsageError(
            f"profile pydantic-ai: {option} {reference!r}: {module_name} has no {attr}"
        )
    return value


class PydanticAIProfile(Profile):
    name: ClassVar[str] = "pydantic-ai"
    description: ClassVar[str] = (
        "pydantic-ai Model classes (OpenAIChatModel, AnthropicModel, GoogleModel, ...) through "
        "their provider's base_url: model_request / model_request_stream, ModelAPIError classes"
    )
    not_applicable: ClassVar[Mapping[str, str]] = NOT_APPLICABLE
    usage_total_is_sum: ClassVar[str | None] = (
        "RequestUsage.total_tokens is input_tokens + output_tokens by definition (usage.py)"
    )
    interface_capabilities: ClassVar[frozenset[str]] = frozenset(CAPABILITIES)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, self._attributes, self._provider_options = common.split_options(
            self.options, _OWN_OPTIONS
        )
        self._own = own
        self._categories: dict[type, str] | None = None
        self._bases: tuple[type, ...] = ()
        self._http_error: type | None = None

    @property
    def package(self) -> str:
        """Where pydantic-ai's modules are (`package=` for a stand-in with its layout)."""
        return str(self._own.get("package", PACKAGE))

    @property
    def request_parameters(self) -> frozenset[str]:
        return frozenset({"top_p", "stop"})

    # -- building -------------------------------------------------------------------------

    def provider_class(self, spec: ProviderSpec) -> Callable[..., Any]:
        reference = self._own.get("provider")
        if reference is None and spec.dialect in PROVIDERS:
            reference = PROVIDERS[spec.dialect].replace(PACKAGE, self.package, 1)
        if reference is None:
            raise UsageError(
                f"--dialect {spec.dialect}: profile pydantic-ai has no provider class for it; "
                "name one with --profile-option provider=pydantic_ai.providers.MODULE:CLASS"
            )
        value = _resolve(str(reference), "provider")
        if not callable(value):
            raise UsageError(f"profile pydantic-ai: provider {reference!r} is not a class")
        return value  # type: ignore[no-any-return]

    def _load_errors(self) -> None:
        if self._categories is not None:
            return
        errors = _import(f"{self.package}.exceptions")
        categories: dict[type, str] = {}
        for class_name, category in ERROR_CLASSES:
            cls = getattr(errors, class_name, None)
            if isinstance(cls, type):
                categories.setdefault(cls, category)
        self._bases = tuple(
            cls for n in ERROR_BASES if isinstance(cls := getattr(errors, n, None), type)
        )
        http_error = getattr(errors, "ModelHTTPError", None)
        self._http_error = http_error if isinstance(http_error, type) else None
        self._categories = categories

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        if not callable(target):
            raise UsageError(f"--provider {spec.target}: {target!r} is not a model class")
        self.provider_class(spec)
        self._load_errors()

    def provider_arguments(self, spec: ProviderSpec, connection: Connection) -> dict[str, Any]:
        """What the pydantic-ai provider is built with: the base URL and key, as its docs show."""
        if spec.dialect == "azure-openai" and self._own.get("provider") is None:
            arguments: dict[str, Any] = {
                "azure_endpoint": connection.base_url,
                "api_version": str(self._own.get("api_version", DEFAULT_API_VERSION)),
                "api_key": connection.api_key,
            }
        else:
            arguments = {"base_url": connection.base_url, "api_key": connection.api_key}
        arguments.update(
            {k: common.with_connection(v, connection) for k, v in self._provider_options.items()}
        )
        return arguments

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        self._load_errors()
        provider = self.provider_class(spec)(**self.provider_arguments(spec, connection))
        common.set_attributes(provider, self._attributes, connection)
        return PydanticAIModel(target, provider, connection.timeout)

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """Every model class takes function tools and streams (request_stream), with usage."""
        return frozenset(CAPABILITIES)

    def provider_name(self, provider: Any) -> object:
        return provider.name

    async def close(self, provider: Any) -> None:
        """A pydantic-ai provider owns its HTTP client for as long as it is entered
        (`async with provider:`); leaving it closes the client."""
        if provider.entered:
            provider.entered = False
            await provider.provider.__aexit__(None, None, None)

    # -- driving --------------------------------------------------------------------------

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        observed = TurnObservation(mode=mode)
        try:
            if not provider.entered and hasattr(provider.provider, "__aenter__"):
                await provider.provider.__aenter__()
                provider.entered = True
            direct = _import(f"{self.package}.direct")
            model = provider.model_class(scenario.request.model, provider=provider.provider)
            messages = self.messages(scenario, turn)
            settings = self.settings(scenario, provider.timeout)
            parameters = self.parameters(scenario)
            if mode == "chat":
                response = await direct.model_request(
                    model, messages, model_settings=settings, model_request_parameters=parameters
                )
                observed.text = _text(response)
                observed.tool_calls = _tool_calls(response)
                observed.stop_reason = _finish(response)
                observed.usage = _usage(response)
            else:
                await self._stream(
                    direct, model, messages, settings, parameters, scenario, observed
                )
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify(exc)
        return observed

    async def _stream(
        self,
        direct: ModuleType,
        model: Any,
        messages: list[Any],
        settings: dict[str, Any],
        parameters: Any,
        scenario: Scenario,
        observed: TurnObservation,
    ) -> None:
        async with direct.model_request_stream(
            model, messages, model_settings=settings, model_request_parameters=parameters
        ) as stream:
            async for event in stream:
                text = _event_text(event)
                if text is None:
                    continue
                observed.chunks.append(ObservedChunk(text=text, at=time.perf_counter()))
                if common.caller_is_done(scenario, observed.chunks):
                    return  # leaving the `async with` closes the response (ST-7)
            response = stream.get()
        observed.chunks.append(
            ObservedChunk(
                tool_calls=_tool_calls(response),
                is_final=True,
                stop_reason=_finish(response),
                usage=_usage(response),
                at=time.perf_counter(),
            )
        )

    def messages(self, scenario: Scenario, turn: int) -> list[Any]:
        """The conversation as pydantic-ai's message history: requests and responses of parts."""
        types = _import(f"{self.package}.messages")
        history: list[Any] = []
        names: dict[str, str] = {}
        pending: list[Any] = []

        def flush() -> None:
            if pending:
                history.append(types.ModelRequest(parts=list(pending)))
                pending.clear()

        for message in scenario.messages_for_turn(turn):
            if message.role == "assistant":
                flush()
                history.append(types.ModelResponse(parts=self._assistant_parts(types, message)))
                names.update({c.id: c.name for c in message.tool_calls})
            elif message.role == "system":
                pending.append(types.SystemPromptPart(content=message.content))
            elif message.role == "tool":
                call_id = message.tool_call_id or ""
                pending.append(
                    types.ToolReturnPart(
                        tool_name=names.get(call_id, ""),
                        content=message.content,
                        tool_call_id=call_id,
                    )
                )
            else:
                pending.append(types.UserPromptPart(content=message.content))
        flush()
        return history

    @staticmethod
    def _assistant_parts(types: ModuleType, message: ChatMessage) -> list[Any]:
        parts: list[Any] = []
        if message.content:
            parts.append(types.TextPart(content=message.content))
        parts += [
            types.ToolCallPart(tool_name=c.name, args=dict(c.arguments), tool_call_id=c.id)
            for c in message.tool_calls
        ]
        return parts

    @staticmethod
    def settings(scenario: Scenario, timeout: float) -> dict[str, Any]:
        """ModelSettings: sampling as given, the check's timeout, and no SDK retries (one request
        is one answer; retries are judged by the RE clauses)."""
        request = scenario.request
        settings: dict[str, Any] = {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "timeout": timeout,
            "max_retries": 0,
        }
        if request.top_p is not None:
            settings["top_p"] = request.top_p
        if request.stop:
            settings["stop_sequences"] = list(request.stop)
        return settings

    def parameters(self, scenario: Scenario) -> Any:
        models = _import(f"{self.package}.models")
        tools = _import(f"{self.package}.tools")
        return models.ModelRequestParameters(
            function_tools=[
                tools.ToolDefinition(
                    name=t.name,
                    description=t.description,
                    parameters_json_schema=dict(t.parameters),
                )
                for t in scenario.request.tools
            ],
            allow_text_output=True,
        )

    def classify(self, exc: BaseException) -> ObservedError:
        if self._categories is None or not isinstance(exc, self._bases):
            return common.observed_error(exc, category=None)
        category = next(
            (self._categories[c] for c in type(exc).__mro__ if c in self._categories), None
        )
        status = getattr(exc, "status_code", None)
        is_http = self._http_error is not None and isinstance(exc, self._http_error)
        return common.observed_error(
            exc,
            # A bare ModelHTTPError or ModelAPIError: pydantic-ai's errors that belong to a
            # category are that category's class too, so one that is none is not categorised.
            category=category or "unknown",
            status_code=status
            if isinstance(status, int) and not isinstance(status, bool)
            else None,
            retry_after=common.number_or_none(getattr(exc, "retry_after", None)),
            # ModelAPIError names the model, not the provider; only its HTTP errors have a status.
            names_provider=False,
            states_status=is_http,
        )


__all__ = ["PROVIDERS", "PydanticAIModel", "PydanticAIProfile"]
