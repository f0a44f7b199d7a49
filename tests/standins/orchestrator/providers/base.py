"""Stand-in for `orchestrator.providers.base` (Multi-LLM Orchestrator, seed 001).

`ProviderConfig` and `GenerationParams` are pydantic models as in the package; the errors are the
package's plain exception classes (note `TimeoutError`, which shadows the builtin on purpose);
`BaseProvider` holds the config and a logger and offers `_retry_with_backoff`.

One deliberate difference from the published base: there, `_retry_with_backoff` makes
`max_retries` *attempts*, so `max_retries=0` makes none and returns None. Here `max_retries` counts
retries after the first attempt, as the contract's RE-1 reads it.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from pydantic import BaseModel, Field


class ProviderConfig(BaseModel):
    """Configuration for an LLM provider."""

    name: str
    api_key: str | None = None
    base_url: str | None = None
    timeout: int = Field(30, ge=1, le=300)
    max_retries: int = Field(3, ge=0, le=10)
    model: str | None = None
    verify_ssl: bool = True
    scope: str | None = None


class GenerationParams(BaseModel):
    """Parameters for controlling text generation behavior."""

    temperature: float = Field(0.7, ge=0.0, le=2.0)
    max_tokens: int = Field(1000, ge=1)
    top_p: float = Field(1.0, ge=0.0, le=1.0)
    stop: list[str] | None = None


class ProviderError(Exception):
    """Base exception for all provider-related errors."""


class AuthenticationError(ProviderError):
    """Authentication with the provider failed (401, 403)."""


class RateLimitError(ProviderError):
    """The provider's rate limit was exceeded (429)."""


class TimeoutError(ProviderError):  # the package's own name, shadowing the builtin as published
    """A request to the provider timed out."""


class InvalidRequestError(ProviderError):
    """The request to the provider is invalid (400)."""


class BaseProvider(ABC):
    """Abstract base class for all LLM providers."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.logger = logging.getLogger(f"orchestrator.providers.{config.name}")
        self.logger.info(f"Initialized provider: {config.name}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.config.name!r}, model={self.config.model!r})"

    @abstractmethod
    async def generate(self, prompt: str, params: GenerationParams | None = None) -> str:
        """Generate text completion from a prompt."""

    async def generate_stream(
        self, prompt: str, params: GenerationParams | None = None
    ) -> AsyncIterator[str]:
        """Providers that stream override this; the base does not stream."""
        raise NotImplementedError(f"{type(self).__name__} does not stream")
        yield ""  # pragma: no cover - makes this an async generator

    @abstractmethod
    async def health_check(self) -> bool:
        """Whether the provider is healthy and available."""

    def get_model_info(self) -> dict[str, Any]:
        return {
            "name": self.config.name,
            "model": self.config.model,
            "provider_type": type(self).__name__,
        }

    async def _retry_with_backoff(
        self, func: Callable[[], Awaitable[Any]], max_retries: int | None = None
    ) -> Any:
        """Call `func`, retrying RateLimitError and TimeoutError with exponential backoff."""
        retries = self.config.max_retries if max_retries is None else max_retries
        for attempt in range(retries + 1):
            try:
                return await func()
            except (RateLimitError, TimeoutError) as e:
                if attempt == retries:
                    raise
                wait_time = min(2**attempt, 30)
                self.logger.warning(
                    f"Attempt {attempt + 1}/{retries + 1} failed for {self.config.name}: {e}. "
                    f"Retrying in {wait_time}s..."
                )
                await asyncio.sleep(wait_time)
        raise AssertionError("unreachable")
