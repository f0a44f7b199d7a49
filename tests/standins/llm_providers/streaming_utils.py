"""Shared streaming response parsing (seed 003's `streaming_utils.py`, with its bugs fixed).

The seed read lines with `response.iter_lines()`, dropped every line not starting with `data: `
(so `data:` without the space, which the SSE standard allows, lost the whole answer), logged parse
errors and went on (silent data loss), wrapped every exception as a retryable network error, and
ended a stream cut before its terminal event as if it had finished. Here:

- the body is decoded incrementally (UTF-8 split anywhere, CR / LF / CRLF split anywhere) into
  events as the standard reads them: `data:` with or without the space, comment lines, `event:`,
  `id:`, `retry:` and multi-line `data`;
- a body that cannot be read is an INVALID_RESPONSE error, an error event is its HTTP twin, and a
  stream without its terminal event is a NETWORK error;
- leaving the iteration early closes the response (the generator's `finally`).
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from .error_handling import (
    ErrorClassifier,
    ProviderError,
    category_for_status,
    invalid_response,
)

logger = logging.getLogger(__name__)

_LINE_END = re.compile(r"\r\n|\r|\n")

#: Error words inside a 200 stream, as the status their HTTP twin would have had.
_ERROR_WORDS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "rate_limit_error": 429,
    "server_error": 500,
}


@dataclass(frozen=True)
class Event:
    event: str
    data: str


def sse_events(chunks: Iterator[bytes]) -> Iterator[Event]:
    """Server-Sent Events from raw body chunks, whatever the chunks' boundaries."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    partial = ""
    skip_lf = False
    event_type, data = "", []
    for chunk in chunks:
        text = decoder.decode(chunk)
        if skip_lf and text.startswith("\n"):
            text = text[1:]
        skip_lf = False
        text = partial + text
        start = 0
        for match in _LINE_END.finditer(text):
            line = text[start : match.start()]
            start = match.end()
            if not line:
                if data:
                    yield Event(event_type or "message", "\n".join(data))
                event_type, data = "", []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event_type = value
        partial = text[start:]
        if partial == "" and text.endswith("\r"):
            skip_lf = True  # the LF of this CRLF may come with the next chunk
    # An event whose closing blank line never came is discarded, as the standard says.


class StreamParser(ABC):
    """Base class for streaming response parsers"""

    @abstractmethod
    def parse_event(self, event: Event) -> dict[str, Any]:
        """{'content': '...'}, {'done': True}, or {} for an event without text; raises
        ProviderError for an event that is an error or cannot be read."""


class OpenAIStreamParser(StreamParser):
    """Parser for OpenAI SSE format"""

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def parse_event(self, event: Event) -> dict[str, Any]:
        raw = event.data.strip()
        if raw == "[DONE]":
            return {"done": True}
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise invalid_response(self.provider, f"stream event is not JSON: {raw[:80]!r}") from e
        if not isinstance(data, dict):
            raise invalid_response(self.provider, "stream event is not a JSON object")
        if event.event == "error" or data.get("error") is not None:
            raise _in_stream_error(data, self.provider)
        parsed: dict[str, Any] = {}
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict):
                raise invalid_response(self.provider, "a stream choice is not an object")
            delta = choice.get("delta") or {}
            content = delta.get("content")
            if content:
                parsed["content"] = parsed.get("content", "") + str(content)
            if choice.get("finish_reason"):
                parsed["finished"] = True
        return parsed


def _in_stream_error(payload: dict[str, Any], provider: str) -> ProviderError:
    raw = payload.get("error")
    error = raw if isinstance(raw, dict) else payload
    status = error.get("code") if isinstance(error.get("code"), int) else None
    status = status or _ERROR_WORDS.get(str(error.get("type")), 500)
    category, retryable = category_for_status(status)
    return ProviderError(
        f"{provider} error in stream: {error.get('message') or raw}",
        category=category,
        status_code=status,
        provider=provider,
        retryable=retryable,
    )


def generic_stream(
    response: requests.Response, parser: StreamParser, provider: str = "unknown"
) -> Generator[str, None, None]:
    """Generic streaming handler: text as it arrives; errors as ProviderError."""
    finished = False
    try:
        for event in sse_events(response.iter_content(chunk_size=None)):
            parsed = parser.parse_event(event)
            if parsed.get("content"):
                yield parsed["content"]
            if parsed.get("done"):
                return
            finished = finished or bool(parsed.get("finished"))
    except requests.RequestException as e:
        raise ErrorClassifier.classify_request_error(e, provider) from e
    finally:
        response.close()
    if not finished:
        raise ProviderError(
            f"{provider} stream ended before its terminal event",
            category=ErrorClassifier.classify_request_error(
                requests.ConnectionError(), provider
            ).category,
            provider=provider,
            retryable=True,
        )
