"""A native-contract provider for the example completion API (docs/examples/completion_dialect.py).

Small on purpose: it shows what the contract asks of any provider (one ProviderError family out,
the API's own message and status kept, exactly one final chunk, the connection closed when the
caller stops early, the key never logged), for an API that is not OpenAI's. It declares no tools,
so the suite reports the tool scenarios as not applicable rather than passed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import httpx

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
    Usage,
)
from reference_providers.error_mapping import error_from_status, error_from_transport, make_error
from reference_providers.errors import ErrorCategory, ProviderError

logger = logging.getLogger(__name__)

CHAT_PATH = "/foundationModels/v1/completion"
_STOP_REASONS = {
    "ALTERNATIVE_STATUS_FINAL": "stop",
    "ALTERNATIVE_STATUS_TRUNCATED_FINAL": "length",
    "ALTERNATIVE_STATUS_CONTENT_FILTER": "content_filter",
    "ALTERNATIVE_STATUS_TOOL_CALLS": "tool_calls",
}
_SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class CompletionProvider:
    """A `ChatProvider` for the example API; `model` becomes `gpt://<folder_id>/<model>`."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://llm.api.cloud.yandex.net",
        timeout: float = 60.0,
        max_retries: int = 0,
        folder_id: str = "b1g-example-folder",
        name: str = "example-completion",
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self.max_retries = max_retries  # accepted for configuration parity; nothing is retried
        self._folder_id = folder_id
        self._name = name
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, base_url={self._base_url!r})"

    @property
    def name(self) -> str:
        return self._name

    def capabilities(self) -> Capabilities:
        return Capabilities(tools=False, parallel_tool_calls=False, streaming_tool_calls=False)

    async def close(self) -> None:
        client, self._http = self._http, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- calls -----------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        body = self._body(messages, model, temperature, max_tokens, tools, stream=False)
        logger.debug("%s: chat request for model %r", self._name, model)
        try:
            response = await self._client().post(self._url(), content=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        if not response.is_success:
            raise self._status_error(response)
        try:
            result = json.loads(response.content)["result"]
            alternative = result["alternatives"][0]
            return CompletionResponse(
                content=str(alternative["message"]["text"]),
                stop_reason=_STOP_REASONS.get(alternative.get("status")),
                usage=_usage(result.get("usage")),
                model=model,
            )
        except _SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected completion shape: {exc!r}") from exc

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        body = self._body(messages, model, temperature, max_tokens, tools, stream=True)
        logger.debug("%s: stream request for model %r", self._name, model)
        sent = ""  # every line repeats the whole text so far; the caller gets what is new
        stop_reason: str | None = None
        usage: Usage | None = None
        try:
            async with self._client().stream(
                "POST", self._url(), content=body, headers=self._headers()
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._status_error(response)
                async for line in _ndjson_lines(response):
                    if not line.strip():
                        continue
                    payload = json.loads(line)
                    if "error" in payload:
                        raise self._stream_error(payload["error"], line)
                    result = payload["result"]
                    alternative = result["alternatives"][0]
                    text = str(alternative["message"]["text"])
                    if not text.startswith(sent):
                        raise self._invalid("a stream line does not continue the text so far")
                    usage = _usage(result.get("usage")) or usage
                    stop_reason = _STOP_REASONS.get(alternative.get("status"), stop_reason)
                    if len(text) > len(sent):
                        new, sent = text[len(sent) :], text
                        yield StreamChunk(content=new)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        except _SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected stream line: {exc!r}") from exc
        if stop_reason is None:
            raise make_error(
                ErrorCategory.NETWORK,
                f"{self._name}: stream ended before its final line",
                provider=self._name,
                retryable=True,
            )
        yield StreamChunk(is_final=True, stop_reason=stop_reason, usage=usage)

    # -- the request -----------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout))
        return self._http

    def _url(self) -> str:
        return f"{self._base_url}{CHAT_PATH}"

    def _headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", "Authorization": f"Api-Key {self._api_key}"}

    def _body(
        self,
        messages: Sequence[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        *,
        stream: bool,
    ) -> bytes:
        if tools:
            raise self._invalid_request("this API has no tool calling")
        options: dict[str, Any] = {"stream": stream}
        if temperature is not None:
            options["temperature"] = temperature
        if max_tokens is not None:
            options["maxTokens"] = str(max_tokens)  # an int64, written as a string
        wire_messages = []
        for message in messages:
            if message.role == "tool" or message.tool_calls:
                raise self._invalid_request("this API has no tool messages")
            wire_messages.append({"role": message.role, "text": message.content})
        payload = {
            "modelUri": f"gpt://{self._folder_id}/{model}",
            "completionOptions": options,
            "messages": wire_messages,
        }
        return json.dumps(payload, ensure_ascii=False).encode("utf-8")

    # -- errors ----------------------------------------------------------------------------

    def _status_error(self, response: httpx.Response) -> ProviderError:
        request = response.request
        cause = httpx.HTTPStatusError(
            f"HTTP {response.status_code} from {request.method} {request.url.path}",
            request=request,
            response=response,
        )
        return error_from_status(
            response.status_code,
            response.headers,
            response.content,
            provider=self._name,
            cause=cause,
        )

    def _stream_error(self, error: Mapping[str, Any], line: str) -> ProviderError:
        """An error line inside a 200 stream, mapped by the HTTP status it names."""
        status = error.get("httpCode")
        status = status if isinstance(status, int) else 500
        return error_from_status(status, {}, line.encode("utf-8"), provider=self._name)

    def _invalid(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_RESPONSE, f"{self._name}: {message}", provider=self._name
        )

    def _invalid_request(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_REQUEST, f"{self._name}: {message}", provider=self._name
        )


def _usage(raw: Any) -> Usage | None:
    if not isinstance(raw, Mapping):
        return None
    prompt, completion = int(raw["inputTextTokens"]), int(raw["completionTokens"])
    total = raw.get("totalTokens")
    return Usage(prompt, completion, int(total) if total is not None else prompt + completion)


async def _ndjson_lines(response: httpx.Response) -> AsyncIterator[str]:
    """Lines split at LF only. Not `aiter_lines()`: httpx splits like str.splitlines(), also at
    U+2028 and other Unicode line breaks, which JSON strings carry unescaped."""
    buffer = b""
    async for data in response.aiter_bytes():
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8")
    if buffer:
        yield buffer.decode("utf-8")
