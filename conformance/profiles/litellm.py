"""The `litellm` profile: LiteLLM's `acompletion` (or `completion`), one implementation per API
behind a model prefix.

The target is the function itself (`litellm:acompletion`); each check calls it as a LiteLLM user
does: `acompletion(model="<prefix>/<model>", api_base=..., api_key=..., messages=[...],
stream=...)`, with the prefix that routes to the implementation of the API under test (`openai`,
`anthropic`, `ollama_chat`, `gemini`, `azure`, or a vendor's with `--profile-option prefix=NAME`).
Results are OpenAI-shaped whatever the API: a chat is `choices[0].message`, a stream is deltas the
caller folds (`litellm_results.DeltaFold`).

Errors are LiteLLM's own classes (`litellm.exceptions`), all carrying `status_code` and
`llm_provider`; the class is the category, as LiteLLM documents its exception mapping. The
package is never imported when this module is: the error classes are looked up in the target's
package when the profile is first used, so the profile loads (and `list profiles` shows it)
without LiteLLM installed.
"""

from __future__ import annotations

import importlib
import inspect
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles import litellm_resilience
from conformance.profiles.base import Profile
from conformance.profiles.litellm_results import (
    DeltaFold,
    field_of,
    first_choice,
    message_tool_calls,
    usage_of,
)
from conformance.profiles.resilience import ResilienceBuild, ResilienceOffer
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import CAPABILITIES, ChatMessage, Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

#: The model prefix that routes each dialect to LiteLLM's implementation of that API.
PREFIXES: dict[str, str] = {
    "openai-chat": "openai",
    "openai-gateway": "openai",
    "anthropic-messages": "anthropic",
    "ollama-chat": "ollama_chat",
    "gemini": "gemini",
    "azure-openai": "azure",
}

#: What LiteLLM expects after the API's root in `api_base`, per prefix: Gemini's is the versioned
#: base (`https://generativelanguage.googleapis.com/v1beta`), the others the root or `/v1`.
API_BASE_SUFFIX: dict[str, str] = {"gemini": "/v1beta"}

DEFAULT_ERRORS_MODULE = "litellm.exceptions"
#: Profile options; anything else is passed to the call as a keyword (`api_version=...`).
_OWN_OPTIONS = ("prefix", "errors_module", "num_retries")
DEFAULT_API_VERSION = "2024-10-21"

#: LiteLLM's exception classes, most specific first, with the category each one states.
ERROR_CLASSES: tuple[tuple[str, str], ...] = (
    ("AuthenticationError", "auth"),
    ("PermissionDeniedError", "auth"),
    ("NotFoundError", "not_found"),
    ("Timeout", "timeout"),
    ("RateLimitError", "rate_limit"),
    ("ContextWindowExceededError", "invalid_request"),
    ("BadRequestError", "invalid_request"),
    ("UnprocessableEntityError", "invalid_request"),
    ("InvalidRequestError", "invalid_request"),
    ("ServiceUnavailableError", "server"),
    ("BadGatewayError", "server"),
    ("InternalServerError", "server"),
    ("APIConnectionError", "network"),
    ("APIResponseValidationError", "invalid_response"),
)
#: LiteLLM's catch-all; its `status_code` names a category only where no class above does.
CATCH_ALL = "APIError"

NOT_APPLICABLE: dict[str, str] = {
    "ST-2": "LiteLLM streams OpenAI-style deltas that the caller folds: finish_reason and usage "
    "arrive on chunks of their own, and no chunk is marked final (ST-5 judges what the fold gives)",
    "ER-2": "LiteLLM's exceptions carry no retry time: the response headers stay on "
    "`exc.response`, and LiteLLM reads Retry-After itself only inside its own retries",
}


@dataclass
class LiteLLMCall:
    """The provider under test: LiteLLM's function bound to one fake server and key."""

    function: Callable[..., Any]
    prefix: str
    connection: Connection
    keywords: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.prefix

    def __repr__(self) -> str:  # never the key (SE-1)
        return f"LiteLLMCall({self.prefix!r}, api_base={self.connection.base_url!r})"


class LiteLLMProfile(Profile):
    name: ClassVar[str] = "litellm"
    description: ClassVar[str] = (
        "LiteLLM acompletion(model='<prefix>/<model>', api_base=, api_key=, stream=): "
        "OpenAI-shaped results, litellm.exceptions classes"
    )
    not_applicable: ClassVar[Mapping[str, str]] = NOT_APPLICABLE
    interface_capabilities: ClassVar[frozenset[str]] = frozenset(CAPABILITIES)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, attributes, self._keywords = common.split_options(self.options, _OWN_OPTIONS)
        if attributes:
            raise UsageError(
                "profile litellm: set.* options are not used (acompletion is a function); pass "
                "call keywords as --profile-option KEY=VALUE"
            )
        self._own = own
        self._categories: dict[type, str] | None = None
        self._catch_all: type | None = None
        self._error_base: tuple[type, ...] = ()

    def num_retries(self) -> int | None:
        """The user's `num_retries` option (LiteLLM's own retries), None when not given."""
        raw = self._own.get("num_retries")
        if raw is None:
            return None
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if value < 0:
            raise UsageError(
                f"--profile-option num_retries={raw}: expected a whole number (0 or more)"
            )
        return value

    @property
    def request_parameters(self) -> frozenset[str]:
        return frozenset({"top_p", "stop"})

    # -- building -------------------------------------------------------------------------

    def prefix(self, spec: ProviderSpec) -> str:
        chosen = self._own.get("prefix")
        if chosen:
            return str(chosen)
        dialect = spec.dialect.rpartition(":")[2] if ":" in spec.dialect else spec.dialect
        if dialect in PREFIXES:
            return PREFIXES[dialect]
        raise UsageError(
            f"--dialect {spec.dialect}: profile litellm has no model prefix for it; give the "
            "LiteLLM provider prefix with --profile-option prefix=NAME (e.g. openrouter)"
        )

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        if not callable(target):
            raise UsageError(f"--provider {spec.target}: {target!r} is not a function")
        self.prefix(spec)
        self._load_errors(target)

    def _load_errors(self, target: Callable[..., Any]) -> None:
        """LiteLLM's exception classes, from `errors_module` (default `litellm.exceptions`)."""
        if self._categories is not None:
            return
        name = self._own.get("errors_module")
        if name is None:
            package = (getattr(target, "__module__", None) or "litellm").split(".")[0]
            name = f"{package}.exceptions"
        try:
            errors = importlib.import_module(str(name))
        except ImportError as exc:
            raise UsageError(
                f"profile litellm: cannot import {name!r} ({exc}); install LiteLLM "
                "(pip install litellm) or set --profile-option errors_module=MODULE"
            ) from None
        categories: dict[type, str] = {}
        for class_name, category in ERROR_CLASSES:
            cls = getattr(errors, class_name, None)
            if isinstance(cls, type):
                categories.setdefault(cls, category)
        catch_all = getattr(errors, CATCH_ALL, None)
        if not categories or not isinstance(catch_all, type):
            raise UsageError(
                f"profile litellm: {name!r} has none of LiteLLM's exception classes "
                f"({CATCH_ALL}, {', '.join(n for n, _ in ERROR_CLASSES[:3])}, ...)"
            )
        self._categories = categories
        self._catch_all = catch_all
        self._error_base = (catch_all, *categories)

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        self._load_errors(target)
        prefix = self.prefix(spec)
        keywords = {k: common.with_connection(v, connection) for k, v in self._keywords.items()}
        if prefix == "azure":
            keywords.setdefault("api_version", DEFAULT_API_VERSION)
        return LiteLLMCall(target, prefix, connection, keywords)

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """acompletion takes tools and a stream flag for every API, and answers with usage."""
        return frozenset(CAPABILITIES)

    def provider_name(self, provider: Any) -> object:
        """LiteLLM names the implementation by its prefix; its errors' `llm_provider` too."""
        return provider.name

    async def close(self, provider: Any) -> None:
        """LiteLLM keeps its HTTP clients in a process-wide cache; its documented cleanup closes
        them (`litellm.close_litellm_async_clients()`)."""
        package = (getattr(provider.function, "__module__", None) or "").split(".")[0]
        module = importlib.import_module(package) if package else None
        cleanup = getattr(module, "close_litellm_async_clients", None)
        if callable(cleanup):
            result = cleanup()
            if inspect.isawaitable(result):
                await result

    def resilience(self, build: ResilienceBuild) -> ResilienceOffer:
        """LiteLLM's own retries (`num_retries`, when the user sets it), its `fallbacks=` chain
        and `ahealth_check` (conformance/profiles/litellm_resilience.py says where each lives)."""
        self._load_errors(build.target)
        return litellm_resilience.offer(self, build)

    # -- driving --------------------------------------------------------------------------

    @staticmethod
    def endpoint(call: LiteLLMCall) -> dict[str, Any]:
        """Where one call goes: `api_base` and `api_key`, as a fallback entry names them too."""
        return {
            "api_base": call.connection.base_url + API_BASE_SUFFIX.get(call.prefix, ""),
            "api_key": call.connection.api_key,
        }

    def arguments(
        self, call: LiteLLMCall, scenario: Scenario, turn: int, mode: Mode
    ) -> dict[str, Any]:
        """The keywords of one call, as a LiteLLM user writes them."""
        request = scenario.request
        arguments: dict[str, Any] = {
            "model": f"{call.prefix}/{request.model}",
            "messages": [_message(m) for m in scenario.messages_for_turn(turn)],
            **self.endpoint(call),
            "timeout": call.connection.timeout,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            # One request is one answer: retries are LiteLLM's, judged under RE where configured.
            "num_retries": self.num_retries() or 0,
            "max_retries": 0,
        }
        if request.tools:
            arguments["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.parameters),
                    },
                }
                for t in request.tools
            ]
        if request.top_p is not None:
            arguments["top_p"] = request.top_p
        if request.stop:
            arguments["stop"] = list(request.stop)
        if mode == "stream":
            arguments["stream"] = True
            arguments["stream_options"] = {"include_usage": True}
        arguments.update(call.keywords)
        return arguments

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        return await self.observe(provider, scenario, turn, mode)

    async def observe(
        self,
        provider: Any,
        scenario: Scenario,
        turn: int,
        mode: Mode,
        extra: Mapping[str, Any] | None = None,
    ) -> TurnObservation:
        """One call observed; `extra` keywords join it (a fallback chain's `fallbacks=`)."""
        observed = TurnObservation(mode=mode)
        try:
            arguments = {**self.arguments(provider, scenario, turn, mode), **(extra or {})}
            result = provider.function(**arguments)
            if inspect.isawaitable(result):
                result = await result
            if mode == "chat":
                self._read_chat(result, observed)
            else:
                await self._read_stream(result, scenario, observed)
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify(exc)
        return observed

    @staticmethod
    def _read_chat(response: Any, observed: TurnObservation) -> None:
        choice = first_choice(response)
        message = field_of(choice, "message")
        content = field_of(message, "content")
        observed.text = (
            content if isinstance(content, str) else ("" if content is None else content)
        )
        observed.tool_calls = message_tool_calls(message)
        observed.stop_reason = common.stop_from(field_of(choice, "finish_reason"))
        observed.usage = usage_of(response)

    @staticmethod
    async def _read_stream(stream: Any, scenario: Scenario, observed: TurnObservation) -> None:
        fold = DeltaFold()
        if hasattr(stream, "__aiter__"):
            iterator = stream
        else:  # `completion(stream=True)`: a synchronous iterator, advanced on threads
            iterator = common.iterate_in_thread(iter(stream))
        async for chunk in iterator:
            text = fold.add(chunk)
            observed.chunks.append(ObservedChunk(text=text, at=time.perf_counter()))
            if common.caller_is_done(scenario, observed.chunks):
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()
                return
        observed.chunks.append(
            ObservedChunk(
                tool_calls=fold.tool_calls(),
                is_final=True,
                stop_reason=fold.finish_reason,
                usage=fold.usage,
                at=time.perf_counter(),
            )
        )

    def classify(self, exc: BaseException) -> ObservedError:
        if self._categories is None or not isinstance(exc, self._error_base):
            return common.observed_error(exc, category=None)
        status = getattr(exc, "status_code", None)
        status = status if isinstance(status, int) and not isinstance(status, bool) else None
        category = next(
            (self._categories[c] for c in type(exc).__mro__ if c in self._categories), None
        )
        if category is None:
            category = self.catch_all_category(status)
        provider = getattr(exc, "llm_provider", None)
        return common.observed_error(
            exc,
            category=category,
            status_code=status,
            provider=str(provider) if provider else None,
        )

    def catch_all_category(self, status: int | None) -> str:
        """`APIError`'s category: its status's where LiteLLM has no class for that category
        (callers tell the others apart by class, as LiteLLM's docs list them)."""
        category = common.status_category(status)
        known = set((self._categories or {}).values())
        if category is None or category in known:
            return "unknown"
        return category


def _message(message: ChatMessage) -> dict[str, Any]:
    """A conversation message in the OpenAI shape LiteLLM takes for every API."""
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    entry: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        entry["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
            }
            for call in message.tool_calls
        ]
    return entry


__all__ = ["PREFIXES", "LiteLLMCall", "LiteLLMProfile"]
