"""A complete, minimal provider on the native contract that conforms (docs/guide-native.md).

It speaks the OpenAI chat completions API (`--dialect openai-chat`) with httpx, and takes its
types and errors from the native contract (`reference_providers.contract` and
`reference_providers.errors`, the modules the native profile reads by default). Every part is
there because a clause asks for it; the comments name the clause.

    PYTHONPATH=docs/examples provider-conformance run --provider native_minimal:MinimalProvider
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolCall,
    ToolDefinition,
    Usage,
)
from reference_providers.errors import ERROR_CLASSES, ErrorCategory, ProviderError

# ER-1: what each HTTP status means (fixtures/errors/http_status.yaml).
STATUS = {
    401: (ErrorCategory.AUTH, False),
    403: (ErrorCategory.AUTH, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    429: (ErrorCategory.RATE_LIMIT, True),
    504: (ErrorCategory.TIMEOUT, True),
}
# CH-3 / ST-5: the API's finish reasons in canonical words.
STOP = {"function_call": "tool_calls"}
# ER-6: an error object inside a 200 answer names its status in words.
ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "api_error": 500,
    "overloaded_error": 529,
    "timeout": 504,
}


def category_for(status: int) -> tuple[ErrorCategory, bool]:
    if status in STATUS:
        return STATUS[status]
    if status >= 500:
        return ErrorCategory.SERVER, True
    return ErrorCategory.INVALID_REQUEST, False


def retry_after(headers: httpx.Headers) -> float | None:
    """ER-2: `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def api_message(body: bytes) -> str:
    """ER-3: the API's own words about the failure."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500]
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        return error
    return text[:500]


class MinimalProvider:
    """Built by the native profile as `MinimalProvider(api_key=, base_url=, timeout=)`."""

    def __init__(self, *, api_key: str, base_url: str, timeout: float = 60.0) -> None:
        self._api_key = api_key  # SE-1: never in a message, a repr or a log line
        self._base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout)

    def __repr__(self) -> str:
        return f"MinimalProvider(base_url={self._base_url!r})"  # SE-1: no key

    @property
    def name(self) -> str:  # ID-1
        return "minimal"

    def capabilities(self) -> Capabilities:  # ID-2: declare only what works
        return Capabilities()

    async def close(self) -> None:  # RS-1: async, and safe to call twice
        await self._http.aclose()

    async def __aenter__(self) -> MinimalProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- errors ------------------------------------------------------------------------------

    def _error(
        self,
        category: ErrorCategory,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        delay: float | None = None,
    ) -> ProviderError:
        """ER-8: only these escape; ER-3: status, the API's message and the provider's name."""
        message = message.replace(self._api_key, "<redacted>") if self._api_key else message
        return ERROR_CLASSES[category](
            f"{self.name}: {message}",
            category=category,
            status_code=status,
            retryable=retryable,
            retry_after=delay,
            provider=self.name,
        )

    def _status_error(self, response: httpx.Response) -> ProviderError:
        category, retryable = category_for(response.status_code)
        return self._error(
            category,
            api_message(response.content),
            status=response.status_code,
            retryable=retryable,
            delay=retry_after(response.headers),
        )

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        """ER-4: a stall is a timeout, anything else on the way a network error."""
        if isinstance(exc, httpx.TimeoutException):
            return self._error(ErrorCategory.TIMEOUT, type(exc).__name__, retryable=True)
        if isinstance(exc, httpx.DecodingError):
            return self._error(ErrorCategory.INVALID_RESPONSE, type(exc).__name__)
        return self._error(ErrorCategory.NETWORK, type(exc).__name__, retryable=True)

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        """ER-6: an error object inside a 200 answer maps as the status it stands for."""
        error = payload.get("error", payload)
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        status = None
        for key in ("status_code", "code", "status", "type"):
            value = error.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                status = value
            elif isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
                status = int(value)
            elif isinstance(value, str) and value.lower() in ERROR_WORDS:
                status = ERROR_WORDS[value.lower()]
            if status is not None:
                break
        category, retryable = category_for(status) if status else (ErrorCategory.SERVER, True)
        return self._error(
            category, str(error.get("message", "")), status=status, retryable=retryable
        )

    def _invalid(self, what: str) -> ProviderError:  # ER-5
        return self._error(ErrorCategory.INVALID_RESPONSE, what)

    # -- requests ----------------------------------------------------------------------------

    def _payload(
        self,
        messages: Sequence[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        """RQ-3..RQ-6: everything as given, the system prompt as the first message."""
        payload: dict[str, Any] = {
            "model": model,
            "messages": [self._message(m) for m in messages],
            "stream": stream,
        }
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if tools:
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

    @staticmethod
    def _message(message: Message) -> dict[str, Any]:
        if message.role == "tool":  # RQ-5
            return {
                "role": "tool",
                "tool_call_id": message.tool_call_id,
                "content": message.content,
            }
        if message.role == "assistant" and message.tool_calls:
            calls = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(dict(c.arguments))},
                }
                for c in message.tool_calls
            ]
            return {"role": "assistant", "content": message.content or None, "tool_calls": calls}
        return {"role": message.role, "content": message.content}

    def _headers(self) -> dict[str, str]:  # RQ-1, RQ-2: the key in the header only
        return {"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"}

    # -- chat --------------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        payload = self._payload(messages, model, temperature, max_tokens, tools, stream=False)
        try:
            response = await self._http.post(
                f"{self._base_url}/chat/completions", json=payload, headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc  # ER-3: the cause
        if not response.is_success:
            raise self._status_error(response) from None
        try:
            data = response.json()
            if isinstance(data, dict) and "choices" not in data and data.get("error"):
                raise self._in_stream_error(data)
            choice = data["choices"][0]
            message = choice["message"]
            return CompletionResponse(
                content=text_of(message.get("content")),  # CH-1: as sent, never stripped
                tool_calls=tuple(
                    ToolCall(
                        id=c["id"],
                        name=c["function"]["name"],
                        arguments=json.loads(c["function"]["arguments"] or "{}"),
                    )
                    for c in message.get("tool_calls") or ()
                ),  # CH-2
                stop_reason=self._stop(choice.get("finish_reason")),  # CH-3
                usage=self._usage(data.get("usage")),  # CH-4
                model=data.get("model"),
            )
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._invalid(f"unexpected completion: {exc!r}") from exc  # ER-5, ER-8

    @staticmethod
    def _stop(raw: Any) -> str | None:
        return STOP.get(raw, raw) if raw else None

    def _usage(self, raw: Any) -> Usage | None:
        if raw is None:
            return None
        prompt, completion = int(raw["prompt_tokens"]), int(raw["completion_tokens"])
        total = raw.get("total_tokens")
        return Usage(prompt, completion, prompt + completion if total is None else int(total))

    # -- stream ------------------------------------------------------------------------------

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncIterator[StreamChunk]:
        payload = self._payload(messages, model, temperature, max_tokens, tools, stream=True)
        calls: dict[int, dict[str, Any]] = {}  # ST-3: fragments by index until the end
        finish: str | None = None
        usage: Usage | None = None
        done = False
        try:
            # ST-7: the response lives in this generator; leaving the loop early closes it.
            async with self._http.stream(
                "POST",
                f"{self._base_url}/chat/completions",
                json=payload,
                headers={**self._headers(), "Accept": "text/event-stream"},
            ) as response:
                if not response.is_success:
                    await response.aread()
                    raise self._status_error(response) from None
                async for event, data in sse_events(response.aiter_bytes()):
                    if event not in ("message", "error") or not data.strip():
                        continue  # ST-6: unknown events and empty data are skipped
                    if data.strip() == "[DONE]":
                        done = True
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError as exc:
                        if event == "error":
                            raise self._in_stream_error({"message": data}) from exc
                        raise self._invalid("stream event is not JSON") from exc
                    if not isinstance(chunk, dict):
                        raise self._invalid("stream event is not an object")
                    if event == "error" or chunk.get("error"):
                        raise self._in_stream_error(chunk)  # ER-6
                    groq = chunk.get("x_groq") or {}  # ST-5: Groq's usage, unasked, its own field
                    if chunk.get("usage") or groq.get("usage"):
                        usage = self._usage(chunk.get("usage") or groq["usage"])
                    for choice in chunk.get("choices") or ():
                        delta = choice.get("delta") or {}
                        for fragment in delta.get("tool_calls") or ():
                            merge_fragment(calls, fragment)
                        finish = choice.get("finish_reason") or finish
                        text = text_of(delta.get("content"))
                        if text:
                            yield StreamChunk(content=text)  # ST-1, ST-4
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self._invalid(f"unexpected stream chunk: {exc!r}") from exc
        if not done and finish is None:  # ER-7: cut before its terminal event
            raise self._error(ErrorCategory.NETWORK, "stream ended early", retryable=True)
        try:
            finished = tuple(
                ToolCall(c["id"], c["name"], json.loads(c["arguments"] or "{}"))
                for _, c in sorted(calls.items())
            )
        except ValueError as exc:
            raise self._invalid("tool call arguments are not JSON") from exc
        # ST-2, ST-5: one final chunk, last, with the stop reason and the usage.
        yield StreamChunk(
            is_final=True, stop_reason=self._stop(finish), usage=usage, tool_calls=finished
        )


def text_of(content: Any) -> str:
    """CH-1, ST-1: content is a string, or (Mistral) a list of typed parts: only text parts are
    the answer; a thinking part is the model's reasoning."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text") or ""
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def merge_fragment(calls: dict[int, dict[str, Any]], fragment: Mapping[str, Any]) -> None:
    """ST-3: a call's id and name come once (continuations may say null), arguments in pieces.

    Some servers send no `index`: then a fragment with an id not seen yet opens a new call, and
    one without continues the last call.
    """
    raw = fragment.get("index")
    if raw is not None:
        index = int(raw)
    else:
        seen = {c["id"]: i for i, c in calls.items() if c["id"]}
        given = fragment.get("id")
        if given and given in seen:
            index = seen[given]
        else:
            index = len(calls) if given or not calls else max(calls)
    call = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
    function = fragment.get("function") or {}
    call["id"] = call["id"] or fragment.get("id") or ""
    call["name"] = call["name"] or function.get("name") or ""
    call["arguments"] += function.get("arguments") or ""


async def sse_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """ST-1, ST-6: Server-Sent Events as the standard defines them, over any split of the bytes.

    Lines end in CRLF, LF or CR; `:` starts a comment; `data:` lines of one event join with a
    newline; one space after the colon is dropped; bytes are decoded only once a line is whole,
    so a character split across reads survives.
    """
    buffer = b""
    event, data = "message", list[str]()
    async for piece in chunks:
        buffer += piece
        while True:
            cut = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0), default=-1)
            if cut < 0 or (buffer[cut : cut + 1] == b"\r" and cut + 1 == len(buffer)):
                break  # no whole line yet (a CR at the end may still be a CRLF)
            line = buffer[:cut].decode("utf-8")
            skip = 2 if buffer[cut : cut + 2] == b"\r\n" else 1
            buffer = buffer[cut + skip :]
            if not line:
                if data:
                    yield event, "\n".join(data)
                event, data = "message", []
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value or "message"
    if buffer.strip():
        field, _, value = buffer.decode("utf-8").partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield event, "\n".join(data)
