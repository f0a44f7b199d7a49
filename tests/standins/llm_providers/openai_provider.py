"""OpenAI provider on `requests` (seed 003's provider, after its "Step 2" and "Step 5", fixed).

Besides using the fixed error handling and stream parsing, it fixes two slips of the seed's
provider: `urljoin(self.base_url, 'chat/completions')` drops the last path segment of a base URL
without a trailing slash (`.../v1` became `.../chat/completions`), and a streamed response was
never closed when the caller stopped early.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any
from urllib.parse import urljoin

import requests

from .base import LLMProvider
from .error_handling import ErrorClassifier, ProviderError, invalid_response
from .streaming_utils import OpenAIStreamParser, generic_stream

logger = logging.getLogger(__name__)


class OpenAIProvider(LLMProvider):
    """OpenAI Chat Completions (and compatible servers) over requests."""

    name = "openai"
    DEFAULT_BASE_URL = "https://api.openai.com/v1/"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        base_url = str(config.get("base_url") or self.DEFAULT_BASE_URL)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = float(config.get("timeout", 60))
        self.headers = {
            "Authorization": f"Bearer {config.get('api_key', '')}",
            "Content-Type": "application/json",
        }

    def format_messages(
        self, prompt: str, system_prompt: str | None = None
    ) -> list[dict[str, str]]:
        messages = []
        if system_prompt:
            messages.append({"role": "system", "content": system_prompt})
        messages.append({"role": "user", "content": prompt})
        return messages

    def normalize_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        allowed = ("temperature", "max_tokens", "top_p", "stop", "presence_penalty")
        return {k: v for k, v in parameters.items() if k in allowed and v is not None}

    def _payload(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None,
        parameters: dict[str, Any] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": model,
            "messages": self.format_messages(prompt, system_prompt),
            "stream": stream,
        }
        if parameters:
            payload.update(self.normalize_parameters(parameters))
        return payload

    def execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        url = urljoin(self.base_url, "chat/completions")
        payload = self._payload(model, prompt, system_prompt, parameters, stream=False)
        try:
            response = requests.post(url, headers=self.headers, json=payload, timeout=self.timeout)
            response.raise_for_status()
        except requests.RequestException as e:
            if e.response is not None:
                raise ErrorClassifier.classify_http_error(e.response, self.name) from e
            raise ErrorClassifier.classify_request_error(e, self.name) from e
        try:
            data = response.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            raise invalid_response(self.name, f"unexpected completion body ({e!r})") from e
        if not isinstance(content, str):
            raise invalid_response(self.name, f"completion content is {type(content).__name__}")
        return content

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
        except requests.RequestException as e:
            raise ErrorClassifier.classify_request_error(e, self.name) from e
        try:
            response.raise_for_status()
        except requests.HTTPError as e:
            try:
                raise ErrorClassifier.classify_http_error(response, self.name) from e
            finally:
                response.close()
        yield from generic_stream(response, OpenAIStreamParser(self.name), self.name)


__all__ = ["OpenAIProvider", "ProviderError"]
