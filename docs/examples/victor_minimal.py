"""A complete, minimal provider on victor's interface that conforms (docs/guide-victor.md).

It speaks the OpenAI chat completions API (`--dialect openai-chat`) with httpx, in victor's own
style: a `BaseProvider` subclass with async `chat()` and `stream()`, `supports_tools()`,
`supports_streaming()`, `close()`, and victor's error classes. Every part is there because a
clause asks for it; the comments name the clause.

In a victor project the imports below are victor's own (`victor.providers.base`), unchanged.
Without victor installed, the repository's stand-in package (tests/standins/victor, same module
names) takes its place:

    provider-conformance docs examples/victor_minimal.py > victor_minimal.py
    PYTHONPATH=. provider-conformance run --provider victor_minimal:MinimalVictorProvider \
        --profile victor
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from victor.providers.base import (
    BaseProvider,
    CompletionResponse,
    Message,
    ModelNotFoundError,
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidResponseError,
    ProviderRateLimitError,
    ProviderTimeoutError,
    StreamChunk,
    ToolDefinition,
)

#: ER-1: the class that says what a status means; victor has none for 400 and 5xx.
ERROR_CLASSES: dict[int, type[ProviderError]] = {
    401: ProviderAuthError,
    403: ProviderAuthError,
    404: ModelNotFoundError,
    408: ProviderTimeoutError,
    429: ProviderRateLimitError,
    504: ProviderTimeoutError,
}
LINE_END = re.compile(rb"\r\n|\r|\n")  # ST-6: the only line ends SSE knows
#: ER-6: an error event inside a 200 stream names its status in words.
ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "server_error": 500,
    "overloaded_error": 529,
}
#: ER-5, ER-8: what picking apart a body of the wrong shape raises.
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)


class MinimalVictorProvider(BaseProvider):
    """Built by the victor profile as `MinimalVictorProvider(api_key=, base_url=, timeout=,
    max_retries=, use_circuit_breaker=)`; the base keeps them and owns the circuit breaker."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str = "https://api.openai.com/v1",
        timeout: int = 60,
        max_retries: int = 3,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, **kwargs
        )
        # RS-2: one client per provider; ER-4: every request bounded by the timeout.
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    @property
    def name(self) -> str:  # ID-1, and `provider` on every error (ER-3)
        return "minimal-victor"

    def supports_tools(self) -> bool:  # ID-2: declared, so every tool clause is judged
        return True

    def supports_streaming(self) -> bool:
        return True

    async def close(self) -> None:  # RS-1: closing twice is harmless
        await self._http.aclose()

    # -- chat ----------------------------------------------------------------------------------

    async def chat(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        payload = self._payload(messages, model, temperature, max_tokens, tools, stream=False)
        # RE-1, RE-2: through the base's circuit breaker (and retries when max_retries > 0).
        response = await self._execute_with_circuit_breaker(self._post, payload)
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
            calls = [  # CH-2: every call, in order, arguments parsed
                {
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": self._arguments(call["function"].get("arguments")),
                }
                for call in message.get("tool_calls") or []
            ]
            return CompletionResponse(
                content=text_of(message.get("content")),  # CH-1: as sent, never stripped
                tool_calls=calls or None,
                stop_reason=choice.get("finish_reason"),  # CH-3: the dialect's words are fine
                usage=usage_of(data.get("usage")),  # CH-4
                model=data.get("model") or model,
            )
        except ProviderError:
            raise
        except SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected completion: {exc!r}") from exc

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http.post(
                "/chat/completions", json=payload, headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        self._raise_for_status(response)
        return response

    # -- stream --------------------------------------------------------------------------------

    async def stream(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[StreamChunk]:
        payload = self._payload(messages, model, temperature, max_tokens, tools, stream=True)
        response = await self._execute_with_circuit_breaker(self._open_stream, payload)
        calls: dict[int, dict[str, Any]] = {}  # ST-3: fragments by index until the end
        finish: str | None = None
        usage: dict[str, int] | None = None
        done = False
        try:
            async for event, data in sse_events(response.aiter_bytes()):  # ST-4: as it arrives
                if data.strip() == "[DONE]":
                    done = True
                    break
                chunk = self._event_json(data)
                if event == "error" or chunk.get("error") is not None:
                    raise self._in_stream_error(chunk)  # ER-6
                groq = chunk.get("x_groq") or {}  # ST-5: Groq's usage, unasked, in its own field
                usage = usage_of(chunk.get("usage") or groq.get("usage")) or usage
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    for fragment in delta.get("tool_calls") or []:
                        merge_fragment(calls, fragment)
                    finish = choice.get("finish_reason") or finish
                    text = text_of(delta.get("content"))
                    if text:
                        yield StreamChunk(content=text)  # ST-1
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except ProviderError:
            raise
        except SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected stream chunk: {exc!r}") from exc
        finally:
            await response.aclose()  # ST-7: leaving the loop early closes the response too
        if not done and finish is None:  # ER-7: cut before its terminal event
            raise ProviderConnectionError(
                f"{self.name}: the stream ended early", provider=self.name
            )
        tool_calls = [
            {"id": c["id"], "name": c["name"], "arguments": self._arguments(c["arguments"])}
            for _, c in sorted(calls.items())
        ]
        # ST-2, ST-5: one final chunk, last, with the calls, the stop reason and the usage.
        yield StreamChunk(
            tool_calls=tool_calls or None,
            stop_reason=finish or ("tool_calls" if tool_calls else "stop"),
            usage=usage,
            is_final=True,
        )

    async def _open_stream(self, payload: dict[str, Any]) -> httpx.Response:
        """The streamed response with its status checked, so the breaker counts a failure."""
        request = self._http.build_request(
            "POST", "/chat/completions", json=payload, headers=self._headers()
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.is_error:
            try:
                await response.aread()  # ER-1: a streamed body is read before it is looked at
            finally:
                await response.aclose()
            self._raise_for_status(response)
        return response

    def _event_json(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise self._invalid("a stream event is not JSON") from exc
        if not isinstance(chunk, dict):
            raise self._invalid("a stream event is not a JSON object")
        return chunk

    # -- the request ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:  # RQ-2: the key in the header only
        return {"Authorization": f"Bearer {self.api_key}"}

    @staticmethod
    def _payload(
        messages: list[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: list[ToolDefinition] | None,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        """RQ-1, RQ-3..RQ-6: every argument as given, the system prompt as the first message."""
        payload: dict[str, Any] = {
            "model": model,
            "messages": [wire_message(m) for m in messages],
            "stream": stream,
        }
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if tools:  # RQ-4
            payload["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                }
                for t in tools
            ]
        if stream:
            payload["stream_options"] = {"include_usage": True}  # ST-5: usage in the stream
        return payload

    # -- errors --------------------------------------------------------------------------------

    def _error(
        self, status: int, message: str, *, retry_after: float | None = None
    ) -> ProviderError:
        """ER-1: the class for the status; ER-3: status, provider and the API's own message."""
        if self.api_key:
            message = message.replace(self.api_key, "<redacted>")  # SE-1: an API may echo it
        text = f"{self.name}: HTTP {status}: {message}"
        cls = ERROR_CLASSES.get(status, ProviderError)
        if cls is ProviderRateLimitError:
            return ProviderRateLimitError(
                text, provider=self.name, status_code=status, retry_after=retry_after
            )  # ER-2
        return cls(text, provider=self.name, status_code=status)

    def _raise_for_status(self, response: httpx.Response) -> None:
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:  # ER-3: raised from the cause
            raise self._error(
                response.status_code,
                api_message(response.text),
                retry_after=retry_after(response.headers),
            ) from exc

    def _in_stream_error(self, chunk: dict[str, Any]) -> ProviderError:
        """ER-6: an error event maps as the status it stands for."""
        raw = chunk.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else chunk
        status = error.get("code")
        if not isinstance(status, int) or not 100 <= status <= 599:
            status = ERROR_WORDS.get(str(error.get("type") or error.get("code")), 500)
        detail = error.get("message") or raw or ""
        return self._error(status, f"error in stream: {detail}")

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        """ER-4: a stall is a timeout, a refusal or reset a connection error."""
        what = f"{self.name}: {type(exc).__name__}"
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError(what, provider=self.name)
        if isinstance(exc, httpx.DecodingError):
            return ProviderInvalidResponseError(what, provider=self.name)
        return ProviderConnectionError(what, provider=self.name)

    def _invalid(self, what: str) -> ProviderError:  # ER-5
        return ProviderInvalidResponseError(f"{self.name}: {what}", provider=self.name)

    def _arguments(self, raw: Any) -> dict[str, Any]:
        """CH-2, ST-3: arguments as a dict, parsed once from the JSON text the API sends."""
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError as exc:
            raise self._invalid("tool call arguments are not JSON") from exc
        if not isinstance(parsed, dict):
            raise self._invalid("tool call arguments are not a JSON object")
        return parsed


def wire_message(message: Message) -> dict[str, Any]:
    """RQ-5: an assistant's tool calls (arguments as JSON text) and a tool result's call id."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["content"] = message.content or None
        wire["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"])},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def usage_of(raw: Any) -> dict[str, int] | None:
    """CH-4: the server's three numbers as sent (its total is not always the sum)."""
    if not isinstance(raw, dict):
        return None
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    return {key: int(raw.get(key) or 0) for key in keys}


def text_of(content: Any) -> str:
    """CH-1, ST-1: content is a string, or (Mistral) a list of typed parts whose text parts are
    the answer; None is no text."""
    if isinstance(content, list):
        return "".join(
            p.get("text") or "" for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return content if isinstance(content, str) else ""


def merge_fragment(calls: dict[int, dict[str, Any]], fragment: dict[str, Any]) -> None:
    """ST-3: the first id and name stay (continuations say null), arguments join in order.

    Fragments without an `index` (some OpenAI-compatible servers): an id not seen yet opens a
    new call, no id continues the last one.
    """
    index = fragment.get("index")
    if index is None:
        seen = {c["id"]: i for i, c in calls.items() if c["id"]}
        given = fragment.get("id")
        index = seen.get(given, len(calls)) if given else max(calls, default=0)
    call = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
    function = fragment.get("function") or {}
    call["id"] = call["id"] or fragment.get("id") or ""
    call["name"] = call["name"] or function.get("name") or ""
    call["arguments"] += function.get("arguments") or ""


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """ST-1, ST-6: (event type, data) per Server-Sent Event, over any split of the bytes.

    Only CRLF, LF and CR end a line (not the other breaks `str.splitlines()` and so httpx's
    `aiter_lines()` split at, which JSON text may carry); a line is decoded once it is whole, so a
    character split across reads survives. A blank line ends an event, `:` starts a comment,
    `data:` lines join with a newline, one space after the colon is dropped, other fields (`id:`,
    `retry:`) are ignored. An event cut before its blank line is not delivered (ER-7).
    """
    buffer, event, data = b"", "message", list[str]()
    async for piece in chunks:
        buffer += piece
        while (end := LINE_END.search(buffer)) and not (
            end.group() == b"\r" and end.end() == len(buffer)  # may be half of a CRLF
        ):
            line, buffer = buffer[: end.start()].decode("utf-8"), buffer[end.end() :]
            if not line:
                if data:
                    yield event, "\n".join(data)
                event, data = "message", []
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "data":
                    data.append(value)
                elif field == "event":
                    event = value or "message"


def api_message(body: str) -> str:
    """ER-3: the API's own words about the failure."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return body.strip()[:300]
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(error) if error else body.strip()[:300]


def retry_after(headers: httpx.Headers) -> float | None:
    """ER-2: `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        raw = headers.get("retry-after")
        if not raw:
            return None
        if raw.strip().replace(".", "", 1).isdigit():
            return float(raw)
        return max(email.utils.parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError):
        return None  # a value no standard form reads: no delay stated
