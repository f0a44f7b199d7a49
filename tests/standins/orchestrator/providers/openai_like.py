"""An OpenAI-compatible orchestrator provider, written as seed 001's guide says, and correct.

Where the guide's example maps only 401, 429 and 400 and turns every other status into a bare
`ProviderError(f"API error: {status}")`, this one maps every status of the ER-1 table to the
package's class for it, keeps the API's own message and the provider's name in the message, and
raises from the httpx error so that the status stays reachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from . import _chat_wire as wire
from .base import BaseProvider, GenerationParams, ProviderConfig, ProviderError


class OpenAILikeProvider(BaseProvider):
    """Any OpenAI Chat Completions compatible API, with a Bearer key."""

    DEFAULT_BASE_URL: str = "https://api.openai.com/v1"
    DEFAULT_MODEL: str = "gpt-4o-mini"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        if not self.config.base_url:
            self.config.base_url = self.DEFAULT_BASE_URL
        self._client = httpx.AsyncClient(timeout=self.config.timeout, verify=self.config.verify_ssl)

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.api_key}",
            "Content-Type": "application/json",
        }

    async def generate(self, prompt: str, params: GenerationParams | None = None) -> str:
        result: str = await self._retry_with_backoff(lambda: self._chat_once(prompt, params))
        return result

    async def _chat_once(self, prompt: str, params: GenerationParams | None) -> str:
        url = f"{self.config.base_url}/chat/completions"
        body = wire.payload(self.config.model or self.DEFAULT_MODEL, prompt, params, stream=False)
        try:
            response = await self._client.post(url, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise wire.transport_error(exc, self.config.name) from exc
        self._raise_for_status(response)
        return wire.completion_text(response, self.config.name)

    async def generate_stream(
        self, prompt: str, params: GenerationParams | None = None
    ) -> AsyncIterator[str]:
        url = f"{self.config.base_url}/chat/completions"
        body = wire.payload(self.config.model or self.DEFAULT_MODEL, prompt, params, stream=True)
        try:
            async with self._client.stream("POST", url, json=body, headers=self._headers()) as r:
                if r.is_error:
                    await r.aread()
                self._raise_for_status(r)
                async for text in wire.stream_texts(r, self.config.name):
                    yield text
        except httpx.HTTPError as exc:
            raise wire.transport_error(exc, self.config.name) from exc

    def _raise_for_status(self, response: httpx.Response) -> None:
        """The package's error class for a failed response (the ER-1 table, _chat_wire.py)."""
        wire.raise_for_status(response, self.config.name)

    async def health_check(self) -> bool:
        """Healthy when a one-token chat request succeeds within the configured timeout.

        The guide's `GET {base_url}/health` (or `/models`) says a gateway is up, not that the chat
        endpoint answers; one token costs little and proves it. No retries here.
        """
        probe = self._chat_once("ping", GenerationParams(max_tokens=1))
        try:
            await asyncio.wait_for(probe, timeout=self.config.timeout)
            return True
        except Exception as e:
            self.logger.warning(f"Health check failed: {type(e).__name__}")
            return False

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> OpenAILikeProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["OpenAILikeProvider", "ProviderError"]
