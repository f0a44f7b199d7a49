"""A GigaChat-like orchestrator provider: an OAuth token first, then OpenAI-style chat calls.

The authorization key is exchanged at the token endpoint (POST, `Authorization: Basic <key>`, a
form body `scope=...`, answer `{"access_token": ..., "expires_at": <ms>}`) and the chat calls
carry `Authorization: Bearer <access_token>`; the token is kept until a minute before it expires,
and a 401 from the chat endpoint renews it once. Errors of the token endpoint are mapped like the
chat endpoint's: a 429 there is a RateLimitError too.

As in the published GigaChatProvider, the token URL is a class constant; the suite points it at
the fake server with the profile option `set.OAUTH_URL={base_url}/oauth`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

import httpx

from . import _chat_wire as wire
from .base import BaseProvider, GenerationParams, ProviderConfig, ProviderError


class GigaChatLikeProvider(BaseProvider):
    OAUTH_URL: str = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
    DEFAULT_BASE_URL: str = "https://gigachat.devices.sberbank.ru/api/v1"
    DEFAULT_SCOPE: str = "GIGACHAT_API_PERS"
    DEFAULT_MODEL: str = "GigaChat"

    #: For `--entry-points`: how the suite reaches this class's token endpoint on the fake server.
    conformance_options: ClassVar[dict[str, str]] = {"set.OAUTH_URL": "{base_url}/oauth"}

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        if not config.api_key:
            raise ValueError("api_key is required for GigaChatLikeProvider")
        if not self.config.base_url:
            self.config.base_url = self.DEFAULT_BASE_URL
        self._access_token: str | None = None
        self._token_expires_at: float | None = None
        self._token_lock = asyncio.Lock()
        self._client = httpx.AsyncClient(timeout=config.timeout, verify=config.verify_ssl)

    async def _ensure_access_token(self, *, renew: bool = False) -> str:
        async with self._token_lock:
            if renew:
                self._access_token = None
            expires = self._token_expires_at or 0.0
            if self._access_token is not None and time.time() < expires - 60:
                return self._access_token
            headers = {
                "Authorization": f"Basic {self.config.api_key}",
                "RqUID": str(uuid.uuid4()),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            }
            data = {"scope": self.config.scope or self.DEFAULT_SCOPE}
            try:
                response = await self._client.post(self.OAUTH_URL, headers=headers, data=data)
            except httpx.HTTPError as exc:
                raise wire.transport_error(exc, self.config.name) from exc
            self._raise_for_token_status(response)
            try:
                token_data = response.json()
                self._access_token = str(token_data["access_token"])
                self._token_expires_at = float(token_data["expires_at"]) / 1000.0
            except (ValueError, KeyError, TypeError) as exc:
                raise ProviderError(
                    f"{self.config.name}: token endpoint answered an unexpected body: {exc!r}"
                ) from exc
            return self._access_token

    def _raise_for_token_status(self, response: httpx.Response) -> None:
        """The token endpoint's errors map as the chat endpoint's: 429 is a RateLimitError."""
        wire.raise_for_status(response, self.config.name, "token endpoint: ")

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "RqUID": str(uuid.uuid4()),
            "Content-Type": "application/json",
        }

    async def generate(self, prompt: str, params: GenerationParams | None = None) -> str:
        result: str = await self._retry_with_backoff(lambda: self._chat_once(prompt, params))
        return result

    async def _chat_once(self, prompt: str, params: GenerationParams | None) -> str:
        url = f"{self.config.base_url}/chat/completions"
        body = wire.payload(self.config.model or self.DEFAULT_MODEL, prompt, params, stream=False)
        token = await self._ensure_access_token()
        try:
            response = await self._client.post(url, json=body, headers=self._headers(token))
            if response.status_code == 401:  # the token expired early: renew it once
                token = await self._ensure_access_token(renew=True)
                response = await self._client.post(url, json=body, headers=self._headers(token))
        except httpx.HTTPError as exc:
            raise wire.transport_error(exc, self.config.name) from exc
        wire.raise_for_status(response, self.config.name)
        return wire.completion_text(response, self.config.name)

    async def generate_stream(
        self, prompt: str, params: GenerationParams | None = None
    ) -> AsyncIterator[str]:
        url = f"{self.config.base_url}/chat/completions"
        body = wire.payload(self.config.model or self.DEFAULT_MODEL, prompt, params, stream=True)
        token = await self._ensure_access_token()
        try:
            async with self._client.stream(
                "POST", url, json=body, headers=self._headers(token)
            ) as r:
                if r.is_error:
                    await r.aread()
                wire.raise_for_status(r, self.config.name)
                async for text in wire.stream_texts(r, self.config.name):
                    yield text
        except httpx.HTTPError as exc:
            raise wire.transport_error(exc, self.config.name) from exc

    async def health_check(self) -> bool:
        """Healthy when a token is obtained *and* a one-token chat request succeeds, within the
        configured timeout. (The published provider checks the token only: an API that is down
        behind a working OAuth server reads as healthy.) No retries here."""
        probe = self._chat_once("ping", GenerationParams(max_tokens=1))
        try:
            await asyncio.wait_for(probe, timeout=self.config.timeout)
            return True
        except Exception as e:
            self.logger.warning(f"Health check failed: {type(e).__name__}")
            return False

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> GigaChatLikeProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
