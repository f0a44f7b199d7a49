"""Known-bad victor-style providers and registries: one planted bug each, in victor's own style.

Each provider is the correct stand-in (tests/standins/victor/providers/openai_compat_provider.py)
with one seam overridden, so the suite must flag the clause of the planted bug and nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import httpx
from victor.providers.base import (
    BaseProvider,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidResponseError,
    ProviderNotFoundError,
    ProviderTimeoutError,
    StreamChunk,
)
from victor.providers.openai_compat_provider import OpenAICompatProvider
from victor.providers.registry import ProviderRegistry


class UnreadStreamError(OpenAICompatProvider):
    """ER-8: the stream maps an HTTP error by reading `.text` of a body it never read.

    Seed 000's tutorial does exactly this: `response.raise_for_status()` inside
    `client.stream(...)`, then `_handle_http_error` reads `error.response.text`, and httpx raises
    `httpx.ResponseNotRead` instead of the ProviderAuthError the caller was promised.
    """

    async def _raise_for_stream_status(self, response: httpx.Response) -> None:
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as e:
            raise self._handle_http_error(e) from e


class StatusOnlyErrors(OpenAICompatProvider):
    """ER-1: 403 and 404 raised as a plain ProviderError that carries the status code.

    victor's own `classify_error` passes any ProviderError through unchanged, and its retry and
    breaker act on the class: to every caller this is not an auth error (it would be retried and
    would trip breakers), nor a missing model.
    """

    def _handle_http_error(self, error: httpx.HTTPStatusError) -> ProviderError:
        status = error.response.status_code
        if status in (403, 404):
            message = f"{self.name}: HTTP {status}: {error.response.text}"
            return ProviderError(message=message, provider=self.name, status_code=status)
        return super()._handle_http_error(error)


#: What the stand-in raises for a transport or decoding failure, each `from` the exception.
_UNDERLYING = (ProviderConnectionError, ProviderTimeoutError, ProviderInvalidResponseError)


def _without_cause(error: BaseException) -> BaseException:
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


class CauselessTransportErrors(OpenAICompatProvider):
    """ER-3: a timeout, a reset or refused connection, or a body that is not JSON is raised
    without the exception that caused it: callers and logs lose what really failed."""

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().chat(*args, **kwargs)
        except _UNDERLYING as exc:
            error: BaseException = exc
        raise _without_cause(error)

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[StreamChunk]:
        chunks = super().stream(*args, **kwargs)
        try:
            async for chunk in chunks:
                yield chunk
        except _UNDERLYING as exc:
            error: BaseException = exc
        else:
            return
        finally:
            await chunks.aclose()
        raise _without_cause(error)


class RetriesAuthErrors(OpenAICompatProvider):
    """RE-1: its own retry loop (as some victor providers write one) retries every ProviderError,
    a 401 among them: the same rejected key is sent max_retries more times."""

    async def _execute_with_circuit_breaker(
        self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                return await func(*args, **kwargs)
            except ProviderError:
                if attempt >= self.max_retries:
                    raise
                await asyncio.sleep(2.0**attempt)
        raise AssertionError("unreachable")


class IgnoresMaxRetries(OpenAICompatProvider):
    """RE-1: a retry loop with its own fixed count of five, whatever max_retries says."""

    async def _execute_with_circuit_breaker(
        self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        for attempt in range(6):
            try:
                return await func(*args, **kwargs)
            except ProviderError as error:
                if attempt == 5 or error.status_code in (400, 401, 403, 404):
                    raise
                await asyncio.sleep(2.0**attempt)
        raise AssertionError("unreachable")


class MisregisteredAliasRegistry:
    """CF-1: a registry whose alias creates another class than its primary name (a copy-paste
    slip in `_register_default_providers`), and whose lazy entry names a module that is gone."""

    _classes: ClassVar[dict[str, type[BaseProvider]]] = {
        "openai_compat": OpenAICompatProvider,
        "openai-compatible": UnreadStreamError,
    }
    _aliases: ClassVar[dict[str, str]] = {
        "openai_compat": "openai_compat",
        "openai-compatible": "openai_compat",
        "legacy": "legacy",
    }

    @classmethod
    def list_providers(cls) -> list[str]:
        return sorted(cls._aliases)

    @classmethod
    def get_aliases(cls) -> dict[str, str]:
        return dict(cls._aliases)

    @classmethod
    def get(cls, name: str) -> type[BaseProvider]:
        if name == "legacy":
            raise ProviderNotFoundError(
                "Provider 'legacy' failed to load from victor.providers.legacy_provider: "
                "No module named 'victor.providers.legacy_provider'",
                provider=name,
            )
        return cls._classes[name]

    @classmethod
    def create(cls, name: str, **kwargs: Any) -> BaseProvider:
        return cls.get(name)(**kwargs)


#: The stand-in registry, for rows that need a correct one.
CORRECT_REGISTRY = ProviderRegistry
