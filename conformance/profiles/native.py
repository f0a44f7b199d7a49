"""The `native` profile: providers written on the project's own contract (reference_providers).

The harness never imports reference_providers: this profile looks the contract's types up by
module name (options `types_module` and `errors_module`), so a provider that vendors its own copy
of the contract is judged the same way. Its resilience is found by attribute name
(`native_resilience`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from conformance.profiles._common import await_close, caller_is_done, import_option
from conformance.profiles.base import Profile, accepts, check_buildable
from conformance.profiles.native_resilience import native_offer
from conformance.profiles.provider_traceback import provider_traceback
from conformance.profiles.resilience import ResilienceBuild, ResilienceOffer
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import CAPABILITIES, ChatMessage, Mode, ToolCall, Usage
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

DEFAULT_TYPES_MODULE = "reference_providers.contract"
DEFAULT_ERRORS_MODULE = "reference_providers.errors"
_PROFILE_OPTIONS = ("types_module", "errors_module")


class NativeProfile(Profile):
    name: ClassVar[str] = "native"
    description: ClassVar[str] = (
        "async chat()/stream()/close() on the provider-conformance native contract"
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        options = self.options
        self._types = import_option(
            "native", "types_module", str(options.get("types_module", DEFAULT_TYPES_MODULE))
        )
        errors = import_option(
            "native", "errors_module", str(options.get("errors_module", DEFAULT_ERRORS_MODULE))
        )
        self._error_base: type[BaseException] = errors.ProviderError

    # -- building -------------------------------------------------------------------------

    @staticmethod
    def _constructor_options(spec: ProviderSpec) -> dict[str, Any]:
        return {k: v for k, v in spec.options.items() if k not in _PROFILE_OPTIONS}

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        plain = ProviderSpec(
            spec.target, spec.dialect, spec.profile, options=self._constructor_options(spec)
        )
        check_buildable(target, plain, {"api_key": "k", "base_url": "u", "timeout": 1.0})

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        kwargs: dict[str, Any] = {
            "api_key": connection.api_key,
            "base_url": connection.base_url,
            "timeout": connection.timeout,
        }
        # Retries are judged by the resilience clauses; everywhere else one request is one answer.
        if accepts(target, "max_retries"):
            kwargs["max_retries"] = 0
        kwargs.update(self._constructor_options(spec))
        return target(**kwargs)

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        return native_offer(self, build)

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        declared = provider.capabilities()
        return frozenset(name for name in CAPABILITIES if getattr(declared, name, False))

    def provider_name(self, provider: Any) -> object:
        return provider.name

    async def close(self, provider: Any) -> None:
        await await_close(provider, "native")

    # -- driving --------------------------------------------------------------------------

    def _message(self, message: ChatMessage) -> Any:
        types = self._types
        calls = tuple(
            types.ToolCall(id=c.id, name=c.name, arguments=dict(c.arguments))
            for c in message.tool_calls
        )
        return types.Message(
            role=message.role,
            content=message.content,
            tool_calls=calls,
            tool_call_id=message.tool_call_id,
        )

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        messages = [self._message(m) for m in scenario.messages_for_turn(turn)]
        request = scenario.request
        tools = [
            self._types.ToolDefinition(
                name=t.name, description=t.description, parameters=dict(t.parameters)
            )
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
                observed.tool_calls = _calls(response.tool_calls)
                observed.stop_reason = _stop(response.stop_reason)
                observed.usage = _usage(response.usage)
            else:
                stream = provider.stream(messages, **arguments)
                async for chunk in stream:
                    observed.chunks.append(
                        ObservedChunk(
                            text=chunk.content or "",
                            tool_calls=_calls(chunk.tool_calls),
                            is_final=bool(chunk.is_final),
                            stop_reason=_stop(chunk.stop_reason),
                            usage=_usage(chunk.usage),
                            at=time.perf_counter(),
                        )
                    )
                    if caller_is_done(scenario, observed.chunks):
                        # Leave early, as a caller that got what it needed does (ST-7).
                        aclose = getattr(stream, "aclose", None)
                        if aclose is not None:
                            await aclose()
                        break
        except Exception as exc:  # every exception is an observation, judged by ER clauses
            observed.error = self.classify(exc)
        return observed

    def classify(self, exc: BaseException) -> ObservedError:
        cause = exc.__cause__ or exc.__context__
        own = isinstance(exc, self._error_base)
        category = getattr(exc, "category", None) if own else None
        if isinstance(category, enum.Enum):
            category = category.value
        return ObservedError(
            type_name=f"{type(exc).__module__}.{type(exc).__qualname__}",
            category=(str(category) if category is not None else "unknown") if own else None,
            status_code=getattr(exc, "status_code", None) if own else None,
            retryable=getattr(exc, "retryable", None) if own else None,
            retry_after=getattr(exc, "retry_after", None) if own else None,
            provider=getattr(exc, "provider", None) if own else None,
            message=str(exc),
            cause_type=f"{type(cause).__module__}.{type(cause).__qualname__}" if cause else None,
            representation=repr(exc),
            traceback=provider_traceback(exc),
        )


def _calls(raw: Any) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(str(call.id), str(call.name), dict(call.arguments)) for call in (raw or ())
    )


def _stop(raw: Any) -> str | None:
    if isinstance(raw, enum.Enum):
        raw = raw.value
    return None if raw is None else str(raw)


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    return Usage(int(raw.prompt_tokens), int(raw.completion_tokens), int(raw.total_tokens))
