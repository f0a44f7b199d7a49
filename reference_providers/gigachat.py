"""The reference provider for GigaChat (Sber): a token exchange, then OpenAI-like chat calls.

The authorization key is exchanged at the OAuth endpoint (`Authorization: Basic <key>`, an RqUID
uuid4, `scope=...`) for an access token that lives 30 minutes; every chat call carries it as a
Bearer token. The token is fetched on first use and again shortly before `expires_at`, never per
call. Functions replace tools: one `function_call` per answer, arguments as a JSON object, and no
call id on the wire (results name the function they answer), so the ids reported here are made
up and stable (`call_<name>`), and a result is sent back under the name of the call it answers.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    ToolCall,
    ToolDefinition,
)
from reference_providers.error_mapping import error_from_transport
from reference_providers.http_provider import dumps
from reference_providers.openai_compatible import OpenAICompatibleProvider, _StreamState

PRODUCTION_BASE_URL = "https://gigachat.devices.sberbank.ru/api/v1"
PRODUCTION_AUTH_URL = "https://ngw.devices.sberbank.ru:9443/api/v2/oauth"
#: Renew this long before the token's stated expiry, so no call goes out with a dying token.
RENEW_MARGIN = 60.0

_STOP_REASONS = {"blacklist": "content_filter", "function_call": "tool_calls"}


class GigaChatProvider(OpenAICompatibleProvider):
    """A native `ChatProvider` speaking the `gigachat` dialect."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = PRODUCTION_BASE_URL,
        auth_url: str | None = None,
        scope: str = "GIGACHAT_API_PERS",
        timeout: float = 60.0,
        max_retries: int = 0,
        name: str = "gigachat",
        capabilities: Capabilities | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            name=name,
            capabilities=capabilities or Capabilities(parallel_tool_calls=False),
            default_headers=default_headers,
        )
        self._auth_url = auth_url or _auth_url_for(base_url)
        self._scope = scope
        self._access_token: str | None = None
        self._expires_at = 0.0
        self._token_lock = asyncio.Lock()

    # -- the token -------------------------------------------------------------------------------

    async def _ensure_token(self) -> None:
        async with self._token_lock:
            if self._access_token and time.time() < self._expires_at - RENEW_MARGIN:
                return
            try:
                response = await self._client().post(
                    self._auth_url,
                    data={"scope": self._scope},
                    headers={
                        "Authorization": f"Basic {self._api_key}",
                        "RqUID": str(uuid.uuid4()),
                        "Accept": "application/json",
                    },
                )
            except httpx.HTTPError as exc:
                raise error_from_transport(exc, provider=self._name) from exc
            if not response.is_success:
                raise self._status_error(response)
            data = self._json_object(response.content, what="token response")
            token, expires_at = data.get("access_token"), data.get("expires_at")
            if not isinstance(token, str) or not token:
                raise self._invalid("token response has no access_token")
            self._access_token = token
            # `expires_at` is in milliseconds since the epoch; without it, assume the 30 minutes.
            self._expires_at = (
                expires_at / 1000 if isinstance(expires_at, int | float) else time.time() + 1800
            )

    async def _before_request(self) -> None:
        await self._ensure_token()

    def _headers(self) -> dict[str, str]:
        ours = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._access_token:
            ours["Authorization"] = f"Bearer {self._access_token}"
        return self._with_default_headers(ours, reserved=frozenset({"authorization"}))

    # -- request ---------------------------------------------------------------------------------

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
        names = {
            call.id: call.name
            for message in messages
            if message.role == "assistant"
            for call in message.tool_calls
        }
        payload: dict[str, Any] = {
            "model": model,
            "messages": [self._gigachat_message(message, names) for message in messages],
            "stream": stream,
        }
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if tools:
            payload["functions"] = [
                {"name": t.name, "description": t.description, "parameters": t.parameters}
                for t in tools
            ]
            payload["function_call"] = "auto"
        return payload

    def _gigachat_message(self, message: Message, names: Mapping[str, str]) -> dict[str, Any]:
        if message.role == "tool":
            name = message.name or names.get(message.tool_call_id or "")
            if not name:
                raise self._invalid_request(
                    f"tool result for {message.tool_call_id!r} answers no earlier call; "
                    "GigaChat needs the function's name"
                )
            return {"role": "function", "name": name, "content": message.content}
        if message.role == "assistant" and message.tool_calls:
            if len(message.tool_calls) > 1:
                raise self._invalid_request("GigaChat takes one function call per message")
            call = message.tool_calls[0]
            return {
                "role": "assistant",
                "content": message.content,
                "function_call": {"name": call.name, "arguments": dict(call.arguments)},
            }
        return {"role": message.role, "content": message.content}

    # -- response --------------------------------------------------------------------------------

    def _parse_completion(self, data: Mapping[str, Any]) -> CompletionResponse:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self._invalid("completion has no choices")
        message = dict(choices[0]["message"])
        call = message.pop("function_call", None)
        if call is not None:
            message["tool_calls"] = [_as_openai_call(call)]
        return super()._parse_completion(
            {**data, "choices": [{**choices[0], "message": message}, *choices[1:]]}
        )

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        if "choices" not in chunk and "message" in chunk:
            # An error inside the stream: GigaChat's error object, status and message.
            raise self._in_stream_error({"error": dict(chunk)})
        choices = []
        for choice in chunk.get("choices") or ():
            delta = dict(choice.get("delta") or {})
            call = delta.pop("function_call", None)
            if call is not None:
                delta["tool_calls"] = [{**_as_openai_call(call), "index": 0}]
            choices.append({**choice, "delta": delta})
        return super()._absorb_chunk({**chunk, "choices": choices}, state)

    def _map_stop_reason(self, raw: str | None) -> str | None:
        if raw in _STOP_REASONS:
            return _STOP_REASONS[raw]
        return super()._map_stop_reason(raw)


def _as_openai_call(call: Any) -> dict[str, Any]:
    """A GigaChat function call as one complete OpenAI tool-call fragment (the shared parser)."""
    if not isinstance(call, Mapping):
        return {"function": call}  # the shared parser reports the bad shape
    arguments = call.get("arguments")
    return {
        "id": f"call_{call.get('name')}",
        "type": "function",
        "function": {
            "name": call.get("name"),
            "arguments": dumps(arguments) if isinstance(arguments, Mapping) else arguments,
        },
    }


def _auth_url_for(base_url: str) -> str:
    """The token endpoint beside a chat base URL: production's own host, else the same root."""
    if base_url.rstrip("/") == PRODUCTION_BASE_URL:
        return PRODUCTION_AUTH_URL
    root = base_url.rstrip("/").removesuffix("/api/v1")
    return f"{root}/api/v2/oauth"


__all__ = ["GigaChatProvider", "ToolCall"]
