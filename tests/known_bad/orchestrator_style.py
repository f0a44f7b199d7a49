"""Known-bad orchestrator-style providers: one planted bug each, in the Multi-LLM Orchestrator's
style (seed 001). Each is a correct stand-in (tests/standins/orchestrator/providers/) with one seam
overridden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from orchestrator.providers import _chat_wire as wire
from orchestrator.providers.base import (
    AuthenticationError,
    InvalidRequestError,
    ProviderError,
    RateLimitError,
)
from orchestrator.providers.gigachat_like import GigaChatLikeProvider
from orchestrator.providers.openai_like import OpenAILikeProvider


class ForbiddenAsGenericError(OpenAILikeProvider):
    """ER-1: the status mapping of seed 001's guide, which knows 401, 429 and 400 only.

    `elif response.status_code != 200: raise ProviderError(f"API error: {status}")` turns a 403
    (a key without access to the model) into the catch-all, so a Router retries another key's
    provider blindly instead of reporting an authorization problem.
    """

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            message = f"{self.config.name}: HTTP {status}: {wire.api_message(response.text)}"
            if status == 401:
                raise AuthenticationError(message) from exc
            if status == 429:
                raise RateLimitError(message) from exc
            if status == 400:
                raise InvalidRequestError(message) from exc
            raise ProviderError(message) from exc


class TokenRateLimitAsGenericError(GigaChatLikeProvider):
    """ER-1: the token endpoint's 429 becomes the catch-all ProviderError.

    The published GigaChatProvider's token fetch checks for 401 only, then lets
    `raise_for_status()` fall into `except Exception: raise ProviderError("OAuth2 token request
    failed")`: a rate-limited token endpoint reads as a generic failure, never retried.
    """

    def _raise_for_token_status(self, response: httpx.Response) -> None:
        name = self.config.name
        message = f"{name}: token endpoint HTTP {response.status_code}: " + wire.api_message(
            response.text
        )
        if response.status_code == 401:
            raise AuthenticationError(message)
        try:
            response.raise_for_status()
        except Exception as exc:
            raise ProviderError(f"OAuth2 token request failed: {message}") from exc


class RetriesEveryError(OpenAILikeProvider):
    """RE-1: a `_retry_with_backoff` that retries every ProviderError, an auth error or a bad
    request among them: the same wrong key is sent again and again."""

    async def _retry_with_backoff(
        self, func: Callable[[], Awaitable[Any]], max_retries: int | None = None
    ) -> Any:
        retries = self.config.max_retries if max_retries is None else max_retries
        for attempt in range(retries + 1):
            try:
                return await func()
            except ProviderError:
                if attempt == retries:
                    raise
                await asyncio.sleep(min(2**attempt, 30))
        raise AssertionError("unreachable")
