"""Known-bad execute-style providers (seed 003): one planted bug each.

`SeedStreamParser` is seed 003's own stream parsing (its `OpenAIStreamParser` and
`generic_stream`), lines as the seed writes them: a line not starting with `data: ` is "invalid"
and only logged, so `data:` without the space (which the SSE standard allows, and compact servers
send) loses every event silently, and the stream ends as a success with no text at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator
from typing import Any
from urllib.parse import urljoin

import requests
from llm_providers.error_handling import ErrorCategory, ErrorClassifier, ProviderError
from llm_providers.openai_provider import OpenAIProvider

logger = logging.getLogger(__name__)


class SeedOpenAIStreamParser:
    """Seed 003's parser, as written."""

    def parse_line(self, line: str) -> dict[str, Any]:
        if not line.startswith("data: "):
            raise ValueError(f"Invalid OpenAI format: {line}")
        json_str = line[6:]
        if json_str == "[DONE]":
            return {"done": True}
        try:
            data = json.loads(json_str)
            delta = data["choices"][0]["delta"]
            return {"content": delta.get("content", "")}
        except (json.JSONDecodeError, KeyError, IndexError) as e:
            raise ValueError(f"Parse error: {line}") from e


def seed_generic_stream(
    response: requests.Response, parser: SeedOpenAIStreamParser, provider: str = "unknown"
) -> Generator[str, None, None]:
    """Seed 003's generic_stream, as written (an unparseable line is logged and skipped)."""
    try:
        for line in response.iter_lines():
            if not line:
                continue
            line = line.decode("utf-8") if isinstance(line, bytes) else line
            try:
                parsed = parser.parse_line(line)
            except ValueError as e:
                logger.warning(f"{provider}: {e}")
                continue
            if parsed.get("content"):
                yield parsed["content"]
            if parsed.get("done"):
                break
    except Exception as e:
        raise ProviderError(
            f"{provider} streaming failed",
            category=ErrorCategory.NETWORK_ERROR,
            provider=provider,
            retryable=True,
        ) from e


class DropsUnspacedData(OpenAIProvider):
    """ST-1: the stream parses as seed 003 does, so `data:` without a space is dropped silently."""

    def stream_execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Generator[str, None, None]:
        url = urljoin(self.base_url, "chat/completions")
        payload = self._payload(model, prompt, system_prompt, parameters, stream=True)
        try:
            response = requests.post(
                url, headers=self.headers, json=payload, timeout=self.timeout, stream=True
            )
            response.raise_for_status()
        except requests.RequestException as e:
            if e.response is not None:
                raise ErrorClassifier.classify_http_error(e.response, self.name) from e
            raise ErrorClassifier.classify_request_error(e, self.name) from e
        with response:
            yield from seed_generic_stream(response, SeedOpenAIStreamParser(), self.name)
