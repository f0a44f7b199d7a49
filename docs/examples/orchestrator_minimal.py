"""A complete, minimal provider on multi-llm-orchestrator's interface that conforms
(docs/guide-orchestrator.md).

It speaks the OpenAI chat completions API (`--dialect openai-chat`) with httpx, in the package's
own style: `MinimalOrchestratorProvider(ProviderConfig)` with async `generate()`,
`generate_stream()` and `health_check()`, and the package's error classes. Every part is there
because a clause asks for it; the comments name the clause.

In an orchestrator project the imports below are the package's own
(`orchestrator.providers.base`), unchanged. Without it installed, the repository's stand-in
package (tests/standins/orchestrator, same module names) takes its place:

    provider-conformance docs examples/orchestrator_minimal.py > orchestrator_minimal.py
    PYTHONPATH=. provider-conformance run \
        --provider orchestrator_minimal:MinimalOrchestratorProvider --profile orchestrator
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
from orchestrator.providers.base import (
    AuthenticationError,
    BaseProvider,
    GenerationParams,
    InvalidRequestError,
    ProviderConfig,
    ProviderError,
    RateLimitError,
    TimeoutError,  # the package's, not the builtin
)

LINE_END = re.compile(rb"\r\n|\r|\n")  # ST-6: the only line ends SSE knows
#: ER-6: an error event inside a 200 stream names its status in words.
ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "server_error": 500,
}


T = TypeVar("T")


class ServerError(ProviderError):
    """A 5xx: the package has no class for it (the catch-all is right), but it is worth a retry."""


def error_for(status: int, message: str) -> ProviderError:
    """ER-1: the package's class for a status; the catch-all only where it has none."""
    if status in (401, 403):
        return AuthenticationError(message)
    if status == 429:
        return RateLimitError(message)  # retried by the base's _retry_with_backoff
    if status in (408, 504):
        return TimeoutError(message)
    if 400 <= status < 500 and status != 404:
        return InvalidRequestError(message)
    if status >= 500:
        return ServerError(message)
    return ProviderError(message)  # 404: the catch-all


class MinimalOrchestratorProvider(BaseProvider):
    """Built by the orchestrator profile from one `ProviderConfig(name=, api_key=, base_url=,
    timeout=, max_retries=, model=)`."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)  # ID-1: config.name is the provider's name
        # RS-2: one client per provider; ER-4: every request bounded by config.timeout.
        self._http = httpx.AsyncClient(timeout=config.timeout)
        self._url = (
            f"{(config.base_url or 'https://api.openai.com/v1').rstrip('/')}/chat/completions"
        )

    async def generate(self, prompt: str, params: GenerationParams | None = None) -> str:
        """One request: retries are the caller's, through `_retry_with_backoff` (RE-1)."""
        try:
            response = await self._http.post(
                self._url, json=self._payload(prompt, params, stream=False), headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        self._raise_for_status(response)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:  # ER-5, ER-8
            raise ProviderError(f"{self.config.name}: unexpected answer: {exc!r}") from exc
        return text_of(content)  # CH-1: as sent, never stripped

    async def generate_stream(
        self, prompt: str, params: GenerationParams | None = None
    ) -> AsyncIterator[str]:
        """ID-2: defining this declares streaming. ST-4: texts are yielded as bytes arrive."""
        payload = self._payload(prompt, params, stream=True)
        finished = False
        try:
            # ST-7: the response lives in this generator; leaving the loop early closes it.
            async with self._http.stream(
                "POST", self._url, json=payload, headers=self._headers()
            ) as response:
                if response.is_error:
                    await response.aread()  # a streamed body is read before it is looked at
                self._raise_for_status(response)
                async for event, data in sse_events(response.aiter_bytes()):
                    if data.strip() == "[DONE]":
                        return
                    chunk = self._event_json(data)
                    if event == "error" or chunk.get("error") is not None:
                        raise self._in_stream_error(chunk)  # ER-6
                    for choice in chunk.get("choices") or []:
                        text = text_of((choice.get("delta") or {}).get("content"))
                        if text:
                            yield text  # ST-1
                        finished = finished or bool(choice.get("finish_reason"))
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderError(f"{self.config.name}: unexpected stream event: {exc!r}") from exc
        if not finished:  # ER-7: cut before its terminal event
            raise ProviderError(f"{self.config.name}: the stream ended early")

    async def health_check(self) -> bool:
        """RE-4: a one-token request within the timeout; False, never an exception."""
        probe = self.generate("ping", GenerationParams(max_tokens=1))
        try:
            await asyncio.wait_for(probe, timeout=self.config.timeout)
        except Exception as exc:
            self.logger.warning("health check failed: %s", type(exc).__name__)
            return False
        return True

    async def _retry_with_backoff(
        self, func: Callable[[], Awaitable[T]], max_retries: int | None = None
    ) -> T:
        """RE-1: retry what is retryable, `config.max_retries` times after the first attempt.

        The base's loop retries RateLimitError and TimeoutError only and waits 2**attempt
        seconds whatever the server asked (and, as published up to 0.9, makes `max_retries`
        attempts in all). A 5xx is as passing, so it is retried too, never sooner than the
        answer's Retry-After, with delays that grow.
        """
        retries = self.config.max_retries if max_retries is None else max_retries
        for attempt in range(retries + 1):
            try:
                return await func()
            except (RateLimitError, TimeoutError, ServerError) as exc:
                if attempt == retries:
                    raise
                delay = max(min(2.0**attempt, 30.0), retry_after(exc))
                self.logger.warning("%s; retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def close(self) -> None:  # RS-1: closing twice is harmless
        await self._http.aclose()

    # -- the request ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:  # RQ-2: the key in the header only
        return {"Authorization": f"Bearer {self.config.api_key}"}

    def _payload(
        self, prompt: str, params: GenerationParams | None, *, stream: bool
    ) -> dict[str, Any]:
        """RQ-1, RQ-3: the config's model, the parameters as given, stream only when streaming."""
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": stream,
        }
        if params is not None:
            payload["temperature"] = params.temperature
            payload["max_tokens"] = params.max_tokens
            payload["top_p"] = params.top_p
            if params.stop:
                payload["stop"] = params.stop
        return payload

    def _event_json(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise ProviderError(f"{self.config.name}: a stream event is not JSON") from exc
        if not isinstance(chunk, dict):
            raise ProviderError(f"{self.config.name}: a stream event is not a JSON object")
        return chunk

    # -- errors --------------------------------------------------------------------------------

    def _message(self, what: str) -> str:
        """ER-3: the provider's name in the text (the errors have no attribute for it)."""
        text = f"{self.config.name}: {what}"
        key = self.config.api_key
        return text.replace(key, "<redacted>") if key else text  # SE-1: an API may echo it

    def _raise_for_status(self, response: httpx.Response) -> None:
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            # ER-3: raised from the httpx error, whose response carries the status.
            status = response.status_code
            message = self._message(f"HTTP {status}: {api_message(response.text)}")
            raise error_for(status, message) from exc

    def _in_stream_error(self, chunk: dict[str, Any]) -> ProviderError:
        raw = chunk.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else chunk
        status = error.get("code")
        if not isinstance(status, int) or not 100 <= status <= 599:
            status = ERROR_WORDS.get(str(error.get("type") or error.get("code")), 500)
        detail = error.get("message") or raw or ""
        return error_for(status, self._message(f"error in stream: {detail}"))

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        """ER-4: a stall is the package's TimeoutError; a refusal or reset the catch-all."""
        if isinstance(exc, httpx.TimeoutException):
            return TimeoutError(self._message(f"timed out ({type(exc).__name__})"))
        return ProviderError(self._message(f"connection failed ({type(exc).__name__})"))


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


def text_of(content: Any) -> str:
    """CH-1, ST-1: content is a string, or (Mistral) a list of typed parts whose text parts are
    the answer; None is no text."""
    if isinstance(content, list):
        return "".join(
            p.get("text") or "" for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return content if isinstance(content, str) else ""


def retry_after(exc: BaseException) -> float:
    """The Retry-After of the answer an error was raised from (the errors carry none)."""
    response = getattr(exc.__cause__, "response", None)
    raw = response.headers.get("retry-after", "") if response is not None else ""
    try:
        return float(raw)
    except ValueError:
        return 0.0  # absent, or an HTTP date: the backoff alone


def api_message(body: str) -> str:
    """ER-3: the API's own words about the failure."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return body.strip()[:300]
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(error) if error else body.strip()[:300]
