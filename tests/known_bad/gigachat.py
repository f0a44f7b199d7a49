"""Bugs real GigaChat provider classes have, each planted in the GigaChat reference provider."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reference_providers.contract import Message, ToolDefinition
from reference_providers.gigachat import GigaChatProvider


class SendsOpenAITools(GigaChatProvider):
    """RQ-1: `tools` copied from an OpenAI provider; GigaChat reads `functions` and ignores it."""

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        if "functions" in payload:
            payload["tools"] = [
                {"type": "function", "function": f} for f in payload.pop("functions")
            ]
        return payload


class AuthorizationKeyAsBearer(GigaChatProvider):
    """RQ-2: the authorization key sent as the chat call's Bearer token, no exchange at all."""

    async def _ensure_token(self) -> None:
        self._access_token = self._api_key
