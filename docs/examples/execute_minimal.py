"""A minimal provider on the `execute` interface that conforms (docs/guide-execute.md).

Synchronous, on `requests`, speaking the `openai-chat` dialect. Its errors live in this file, so
judge it with the file as the errors module:

    provider-conformance docs examples/execute_minimal.py > execute_minimal.py
    provider-conformance run --provider execute_minimal:MinimalExecuteProvider \
        --profile execute --profile-option errors_module=execute_minimal

In your own package the errors are usually a module of their own (`errors_module=pkg.errors`).
"""

from __future__ import annotations

import codecs
import email.utils
import json
import re
import time
from collections.abc import Iterator
from enum import Enum
from typing import Any

import requests
import urllib3


class ErrorCategory(Enum):
    AUTH_ERROR = "auth"
    RATE_LIMIT = "rate_limit"
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid"
    SERVER_ERROR = "server"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network"
    INVALID_RESPONSE = "invalid_response"
    UNKNOWN = "unknown"


class ProviderError(RuntimeError):
    """The one error type callers catch: what happened, and whether to retry it."""

    def __init__(
        self,
        message: str,
        category: ErrorCategory = ErrorCategory.UNKNOWN,
        *,
        status_code: int | None = None,
        provider: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.status_code = status_code
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after


#: status -> (category, retryable); other 4xx are invalid requests, other 5xx server errors.
STATUS = {
    401: (ErrorCategory.AUTH_ERROR, False),
    403: (ErrorCategory.AUTH_ERROR, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    429: (ErrorCategory.RATE_LIMIT, True),
    504: (ErrorCategory.TIMEOUT, True),
}
#: The `type` of an error event that carries no status code.
ERROR_TYPES = {"invalid_request_error": 400, "authentication_error": 401, "rate_limit_error": 429}
LINE_END = re.compile(r"\r\n|\r|\n")


def category_for(status: int) -> tuple[ErrorCategory, bool]:
    if status in STATUS:
        return STATUS[status]
    if status >= 500:
        return ErrorCategory.SERVER_ERROR, True
    return ErrorCategory.INVALID_REQUEST, False


def retry_after(headers: Any) -> float | None:
    """`retry-after-ms`, or `Retry-After` in seconds or as an HTTP date."""
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        raw = headers.get("Retry-After")
        if not raw:
            return None
        if raw.strip().replace(".", "", 1).isdigit():
            return float(raw)
        when = email.utils.parsedate_to_datetime(raw)
        return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None  # a value no standard form reads: no delay stated


def text_of(content: Any) -> str | None:
    """Content as text: a string, or the text parts of a list of content parts."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, dict) and part.get("type") in ("text", "output_text")
        )
    return None


class MinimalExecuteProvider:
    name = "minimal-execute"

    def __init__(self, config: dict[str, Any]) -> None:
        self._url = str(config["base_url"]).rstrip("/") + "/chat/completions"
        self._key = str(config["api_key"])
        self._timeout = float(config.get("timeout", 30))

    def __repr__(self) -> str:  # never the key
        return f"MinimalExecuteProvider(url={self._url!r})"

    def execute(
        self, model: str, prompt: str, system_prompt: str | None = None, parameters: Any = None
    ) -> str:
        response = self._post(model, prompt, system_prompt, parameters or {}, stream=False)
        try:
            content = text_of(response.json()["choices"][0]["message"]["content"])
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise self._error("the answer is not a chat completion", exc) from exc
        if content is None:
            return ""
        if not isinstance(content, str):
            raise self._error("the answer's content is not text")
        return content

    def stream_execute(
        self, model: str, prompt: str, system_prompt: str | None = None, parameters: Any = None
    ) -> Iterator[str]:
        response = self._post(model, prompt, system_prompt, parameters or {}, stream=True)
        try:
            for data in _sse_data(response.iter_content(chunk_size=None)):
                if data.strip() == "[DONE]":
                    return
                text = self._delta(data)
                if text:
                    yield text
        except requests.RequestException as exc:
            raise self._transport_error(exc) from exc
        finally:
            response.close()
        raise ProviderError(
            f"{self.name}: the stream ended before [DONE]",
            ErrorCategory.NETWORK_ERROR,
            provider=self.name,
            retryable=True,
        )

    # -- the wire ---------------------------------------------------------------------------

    def _post(
        self, model: str, prompt: str, system: str | None, parameters: Any, *, stream: bool
    ) -> requests.Response:
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": prompt})
        body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
        body.update({k: v for k, v in parameters.items() if v is not None})
        headers = {"Authorization": f"Bearer {self._key}"}
        try:
            response = requests.post(
                self._url, json=body, headers=headers, timeout=self._timeout, stream=stream
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc) from exc
        if response.status_code >= 400:
            try:
                raise self._status_error(response)
            finally:
                response.close()
        return response

    def _status_error(self, response: requests.Response) -> ProviderError:
        status = response.status_code
        category, retryable = category_for(status)
        try:
            error = response.json().get("error")
            detail = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            detail = None  # a proxy's HTML page says nothing worth repeating
        message = f"{self.name}: HTTP {status}" + (f": {detail}" if detail else "")
        return ProviderError(
            message.replace(self._key, "<redacted>"),  # an API may echo the key it rejected
            category,
            status_code=status,
            provider=self.name,
            retryable=retryable,
            retry_after=retry_after(response.headers),
        )

    def _transport_error(self, exc: requests.RequestException) -> ProviderError:
        reason = exc.args[0] if exc.args else None
        if isinstance(exc, requests.Timeout) or isinstance(
            reason, urllib3.exceptions.ReadTimeoutError
        ):
            category = ErrorCategory.TIMEOUT
        else:
            category = ErrorCategory.NETWORK_ERROR
        return ProviderError(
            f"{self.name}: {category.value} ({type(exc).__name__})",
            category,
            provider=self.name,
            retryable=True,
        )

    def _error(self, what: str, cause: Exception | None = None) -> ProviderError:
        detail = f" ({type(cause).__name__})" if cause else ""
        return ProviderError(
            f"{self.name}: {what}{detail}", ErrorCategory.INVALID_RESPONSE, provider=self.name
        )

    def _delta(self, data: str) -> str:
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise self._error("a stream event is not JSON", exc) from exc
        if not isinstance(event, dict):
            raise self._error("a stream event is not an object")
        if event.get("error") is not None:
            error = event["error"] if isinstance(event["error"], dict) else {}
            code = error.get("code")
            status = code if isinstance(code, int) else ERROR_TYPES.get(error.get("type"), 500)
            category, retryable = category_for(status)
            message = f"{self.name}: error in stream: {error.get('message', '')}"
            raise ProviderError(
                message.replace(self._key, "<redacted>"),
                category,
                status_code=status,
                provider=self.name,
                retryable=retryable,
            )
        text = ""
        for choice in event.get("choices") or []:
            if not isinstance(choice, dict):
                raise self._error("a stream choice is not an object")
            text += text_of((choice.get("delta") or {}).get("content")) or ""
        return text


def _sse_data(chunks: Iterator[bytes]) -> Iterator[str]:
    """Each event's data, as the SSE standard reads the body, whatever the chunks' boundaries."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending, data, after_cr = "", [], False
    for chunk in chunks:
        text = decoder.decode(chunk)
        if after_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across two chunks
        after_cr = text.endswith("\r")
        text = pending + text
        start = 0
        for end in LINE_END.finditer(text):
            line, start = text[start : end.start()], end.end()
            if not line:
                if data:
                    yield "\n".join(data)
                data = []
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                if field == "data":
                    data.append(value[1:] if value.startswith(" ") else value)
        pending = text[start:]
