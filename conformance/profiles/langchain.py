"""The `langchain` profile: chat models on LangChain's `BaseChatModel` interface
(langchain-openai, -anthropic, -ollama, -google-genai and the partner packages built like them).

A chat model is driven as LangChain users drive one: configured at construction (model,
temperature, max tokens, key, base URL, timeout, retries), `bind_tools` for tools, `ainvoke` for an
answer, `astream` for a stream whose `AIMessageChunk`s the caller adds up. What is judged is what
such a caller reads: `content` (a string or content blocks), `tool_calls` (and
`invalid_tool_calls`), `usage_metadata`, `response_metadata`'s stop reason, and the exceptions:
LangChain's `ModelError` classes and the SDK's under the model (langchain_errors.py).

Nothing of langchain is imported until a provider is built, so the profile loads without it and
says what to install when it is missing.

Not applicable, because the interface cannot say it: RS-1 (a `BaseChatModel` has no `close()`:
the clients keep their connection pools for the life of the process by design; the profile
closes the SDK clients it can reach so that later checks are undisturbed), and the RE clauses
(the profile offers no retry, breaker, fallback or health check of LangChain's to judge).
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from conformance.profiles import _common as common
from conformance.profiles import langchain_errors, langchain_messages
from conformance.profiles.base import Profile
from conformance.scenarios.model import DEFAULT_MODEL, Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec

DEFAULT_MESSAGES_MODULE = "langchain_core.messages"
_OWN_OPTIONS = ("messages_module", "errors_module", "clients", "stream_usage")

#: Where a class of the langchain-core base keeps what it does not implement itself.
_CORE_PREFIX = "langchain_core."

#: Constructor keywords, first one the class knows wins (field names and their aliases).
_KEY_NAMES = ("api_key", "openai_api_key", "anthropic_api_key", "google_api_key")
_URL_NAMES = ("azure_endpoint", "base_url", "openai_api_base", "anthropic_api_url")
#: AzureChatOpenAI: the deployment is in the URL (the scenario's default model names it), and an
#: API version is mandatory (a GA version unless the caller gives one).
_AZURE_DEFAULTS = {"deployment_name": DEFAULT_MODEL, "openai_api_version": "2024-10-21"}
_TIMEOUT_NAMES = ("timeout", "request_timeout", "default_request_timeout")
_RETRY_NAMES = ("max_retries", "retries")
#: Per-turn fields, set with `model_copy(update=...)` by field name.
_MODEL_FIELDS = ("model", "model_name")
_MAX_TOKEN_FIELDS = ("max_tokens", "num_predict", "max_output_tokens")

#: Attributes where the integrations keep their SDK clients (closed by `close`).
_CLIENT_ATTRIBUTES = (
    "root_async_client",
    "async_client",
    "root_client",
    "client",
    "_async_client",
    "_client",
)

INSTALL_HINT = (
    "install LangChain and the integration package of the model, for example "
    "`pip install langchain-core langchain-openai` (or langchain-anthropic, langchain-ollama, "
    "langchain-google-genai)"
)

NOT_APPLICABLE: dict[str, str] = {
    "RS-1": "a LangChain chat model has no close(): its SDK clients keep their connection pools "
    "for the life of the process by design, so what is left open after a check is not the "
    "model's to release",
}


def field_names(target: Any) -> dict[str, str]:
    """Keyword -> field name for a pydantic chat model class: each field by name and by alias."""
    fields = getattr(target, "model_fields", None)
    if not isinstance(fields, Mapping):
        return {}
    names: dict[str, str] = {}
    for name, info in fields.items():
        names[name] = name
        alias = getattr(info, "alias", None)
        if isinstance(alias, str):
            names.setdefault(alias, name)
    return names


def _first(known: Mapping[str, str], candidates: tuple[str, ...]) -> str | None:
    return next((name for name in candidates if name in known), None)


def _defines_own(cls: type, method: str) -> bool:
    """Whether `method` comes from the integration, not from langchain-core's base class."""
    for klass in cls.__mro__:
        if method in vars(klass):
            return not klass.__module__.startswith(_CORE_PREFIX)
    return False


class LangChainProfile(Profile):
    name: ClassVar[str] = "langchain"
    description: ClassVar[str] = (
        "LangChain BaseChatModel: ainvoke()/astream() (AIMessageChunk addition), bind_tools(), "
        "usage_metadata, response_metadata; errors by LangChain's and the client's classes"
    )
    not_applicable: ClassVar[Mapping[str, str]] = NOT_APPLICABLE
    interface_capabilities: ClassVar[frozenset[str]] = frozenset(
        {"tools", "streaming", "parallel_tool_calls", "streaming_tool_calls", "usage"}
    )

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        own, self._attributes, self._constructor = common.split_options(self.options, _OWN_OPTIONS)
        self._own = own
        self._messages_module_name = str(own.get("messages_module", DEFAULT_MESSAGES_MODULE))
        self._clients: tuple[str, ...] | None = (
            langchain_errors.parse_clients(own["clients"]) if "clients" in own else None
        )
        errors_module = own.get("errors_module")
        self._langchain_modules = langchain_errors.LANGCHAIN_MODULES + (
            (str(errors_module),) if errors_module else ()
        )

    def _types(self) -> Any:
        """LangChain's message classes, imported when first needed: never at profile load."""
        try:
            return importlib.import_module(self._messages_module_name)
        except ImportError as exc:
            raise UsageError(
                f"profile langchain: cannot import {self._messages_module_name!r} ({exc}); "
                f"{INSTALL_HINT}"
            ) from None

    # -- building -------------------------------------------------------------------------

    def constructor_arguments(
        self, target: Callable[..., Any], connection: Connection
    ) -> dict[str, Any]:
        """The keywords the model class knows for key, URL, timeout and retries, as a user
        pointing it at another server writes them; a factory gets the plain names."""
        known = field_names(target)
        kwargs: dict[str, Any] = {}
        if known:
            model = _first(known, _MODEL_FIELDS)
            if model is not None:
                kwargs[model] = DEFAULT_MODEL
            key = _first(known, _KEY_NAMES)
            if key is not None:
                kwargs[key] = connection.api_key
            url = _first(known, _URL_NAMES)
            if url is not None:
                kwargs[url] = connection.base_url
            timeout = _first(known, _TIMEOUT_NAMES)
            if timeout is not None:
                kwargs[timeout] = connection.timeout
            if url == "azure_endpoint":
                given = {known.get(key) for key in self._constructor}
                kwargs.update({k: v for k, v in _AZURE_DEFAULTS.items() if k not in given})
            retries = _first(known, _RETRY_NAMES)
            if retries is not None:
                kwargs[retries] = common.max_retries(self._own)
            if "client_kwargs" in known:
                # ChatOllama: no key field (a local Ollama takes none, and a header put here
                # would show in the model's repr); the client's options carry the timeout.
                kwargs["client_kwargs"] = {"timeout": connection.timeout}
            if "stream_usage" in known:
                # ChatOpenAI asks for streamed usage only from OpenAI's own URL; a caller who
                # reads usage_metadata from a stream elsewhere turns it on.
                kwargs["stream_usage"] = str(self._own.get("stream_usage", "true")).lower() in (
                    "1",
                    "true",
                    "yes",
                )
        else:
            kwargs = {
                "model": DEFAULT_MODEL,
                "api_key": connection.api_key,
                "base_url": connection.base_url,
                "timeout": connection.timeout,
            }
            if common.accepts_keyword(target, "max_retries"):
                kwargs["max_retries"] = common.max_retries(self._own)
        kwargs.update(
            {key: common.with_connection(v, connection) for key, v in self._constructor.items()}
        )
        return kwargs

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        self._types()
        if not callable(target):
            raise UsageError(f"--provider {spec.target}: {target!r} is not a class or factory")
        if isinstance(target, type) and not callable(getattr(target, "ainvoke", None)):
            raise UsageError(
                f"--provider {spec.target}: {target.__qualname__} has no ainvoke(); the langchain "
                "profile drives BaseChatModel classes (langchain_openai:ChatOpenAI, ...)"
            )
        if not field_names(target):
            probe = Connection("http://127.0.0.1:1/v1", "k", 1.0)
            common.check_signature(
                self.name, target, spec, self._own, (), self.constructor_arguments(target, probe)
            )

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        self._types()
        model = target(**self.constructor_arguments(target, connection))
        common.set_attributes(model, self._attributes, connection)
        return model

    def _clients_for(self, model: Any) -> tuple[str, ...]:
        if self._clients is not None:
            return self._clients
        return langchain_errors.clients_for(type(model))

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        """What the class implements of BaseChatModel: `bind_tools` (tools, a list of calls),
        `_astream` / `_stream` (streaming, unless `disable_streaming`); usage_metadata always."""
        cls = type(provider)
        tools = _defines_own(cls, "bind_tools")
        streaming = (_defines_own(cls, "_astream") or _defines_own(cls, "_stream")) and not getattr(
            provider, "disable_streaming", False
        )
        declared = {"usage"}
        if tools:
            declared |= {"tools", "parallel_tool_calls"}
        if streaming:
            declared.add("streaming")
        if tools and streaming:
            declared.add("streaming_tool_calls")
        return frozenset(declared)

    def provider_name(self, provider: Any) -> object:
        get_name = getattr(provider, "get_name", None)
        return get_name() if callable(get_name) else type(provider).__name__

    async def close(self, provider: Any) -> None:
        """Close the SDK clients the model holds, where they have a close: not LangChain's
        interface (it has none, RS-1 is not applicable), only so later checks start clean."""
        seen: set[int] = set()
        for attribute in _CLIENT_ATTRIBUTES:
            client = getattr(provider, attribute, None)
            if client is None or id(client) in seen:
                continue
            seen.add(id(client))
            for method in ("aclose", "close"):
                closer = getattr(client, method, None)
                if callable(closer):
                    result = closer()
                    if inspect.isawaitable(result):
                        await result
                    break

    # -- driving --------------------------------------------------------------------------

    def configured(self, provider: Any, scenario: Scenario) -> Any:
        """The model with the scenario's model, temperature and max tokens, as its fields."""
        request = scenario.request
        known = field_names(type(provider))
        update: dict[str, Any] = {}
        model = _first(known, _MODEL_FIELDS)
        if model is not None:
            update[known[model]] = request.model
        if "temperature" in known:
            update[known["temperature"]] = request.temperature
        limit = _first(known, _MAX_TOKEN_FIELDS)
        if limit is not None:
            update[known[limit]] = request.max_tokens
        copy = getattr(provider, "model_copy", None)
        model_copy = copy(update=update) if update and callable(copy) else provider
        if request.tools:
            tools = [langchain_messages.openai_tool(t) for t in request.tools]
            return model_copy.bind_tools(tools)
        return model_copy

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        types = self._types()
        observed = TurnObservation(mode=mode)
        try:
            messages = [
                langchain_messages.to_langchain(types, m) for m in scenario.messages_for_turn(turn)
            ]
            runnable = self.configured(provider, scenario)
            if mode == "chat":
                message = await runnable.ainvoke(messages)
                observed.text = langchain_messages.text_of(message)
                observed.tool_calls = langchain_messages.tool_calls_of(message)
                observed.stop_reason = langchain_messages.stop_of(message)
                observed.usage = langchain_messages.usage_of(message)
            else:
                await self._observe_stream(runnable.astream(messages), scenario, observed)
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify_for(provider, exc)
        return observed

    async def _observe_stream(
        self, stream: Any, scenario: Scenario, observed: TurnObservation
    ) -> None:
        """Each chunk's text as it arrives; the chunk LangChain marks `chunk_position="last"` is
        the final one, and carries what the sum of all chunks says (tool calls, stop reason,
        usage), as a caller adding the chunks up reads it. A model whose chunks have no
        `chunk_position` at all (before langchain-core 1.x) ends its stream by ending it."""
        total: Any = None
        marks_last = False
        final_seen = False
        async for chunk in stream:
            total = chunk if total is None else total + chunk
            has_position = hasattr(chunk, "chunk_position")
            marks_last = marks_last or has_position
            is_last = getattr(chunk, "chunk_position", None) == "last"
            observed.chunks.append(
                self._chunk(chunk, total if is_last else None, time.perf_counter())
            )
            final_seen = final_seen or is_last
            if common.caller_is_done(scenario, observed.chunks):
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
                return
        if not marks_last and observed.chunks and total is not None:
            last = observed.chunks.pop()
            observed.chunks.append(self._chunk_from(last, total))

    def _chunk(self, chunk: Any, total: Any, at: float) -> ObservedChunk:
        text = langchain_messages.text_of(chunk)
        if total is None:
            return ObservedChunk(text=text, at=at)
        return ObservedChunk(
            text=text,
            tool_calls=langchain_messages.tool_calls_of(total),
            is_final=True,
            stop_reason=langchain_messages.stop_of(total),
            usage=langchain_messages.usage_of(total),
            at=at,
        )

    @staticmethod
    def _chunk_from(last: ObservedChunk, total: Any) -> ObservedChunk:
        return ObservedChunk(
            text=last.text,
            tool_calls=langchain_messages.tool_calls_of(total),
            is_final=True,
            stop_reason=langchain_messages.stop_of(total),
            usage=langchain_messages.usage_of(total),
            at=last.at,
        )

    def classify_for(self, provider: Any, exc: BaseException) -> ObservedError:
        return langchain_errors.classify(exc, self._clients_for(provider), self._langchain_modules)

    def classify(self, exc: BaseException) -> ObservedError:
        clients = self._clients or tuple(langchain_errors.CLIENT_TABLES)
        return langchain_errors.classify(exc, clients, self._langchain_modules)


__all__ = ["INSTALL_HINT", "NOT_APPLICABLE", "LangChainProfile", "field_names"]
