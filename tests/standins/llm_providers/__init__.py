"""Stand-in for seed 003's `providers` package: providers, a factory and the ProviderManager."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from .base import LLMProvider
from .error_handling import ErrorCategory, ProviderError
from .fallback_manager import FallbackChain
from .openai_provider import OpenAIProvider

PROVIDER_CLASSES: dict[str, type[LLMProvider]] = {"openai": OpenAIProvider}


def create_provider(name: str, config: dict[str, Any]) -> LLMProvider:
    """Build a provider by its registered name (the seed's `create_provider('openai', config)`)."""
    try:
        cls = PROVIDER_CLASSES[name]
    except KeyError:
        raise ProviderError(
            f"unknown provider {name!r}", category=ErrorCategory.NOT_FOUND, provider=name
        ) from None
    return cls(config)


class ProviderManager:
    """Manages multiple providers"""

    def __init__(self) -> None:
        self.providers: dict[str, LLMProvider] = {}
        self._fallback_chain: FallbackChain | None = None

    def add_provider(self, name: str, config: dict[str, Any]) -> None:
        self.providers[name] = create_provider(name, config)

    def setup_fallback_chain(self, provider_order: list[str] | None = None) -> None:
        if not provider_order:
            provider_order = list(self.providers.keys())
        providers_to_chain = [
            (name, self.providers[name]) for name in provider_order if name in self.providers
        ]
        self._fallback_chain = FallbackChain(providers_to_chain)

    def _chain(self) -> FallbackChain:
        if self._fallback_chain is None:
            self.setup_fallback_chain()
        assert self._fallback_chain is not None
        return self._fallback_chain

    def execute_with_fallback(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        return self._chain().execute(model, prompt, system_prompt, parameters)

    def stream_execute_with_fallback(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Generator[str, None, None]:
        yield from self._chain().stream_execute(model, prompt, system_prompt, parameters)

    def get_provider_status(self) -> dict[str, dict[str, Any]]:
        if self._fallback_chain:
            return self._fallback_chain.get_status()
        return {}


__all__ = [
    "ErrorCategory",
    "FallbackChain",
    "LLMProvider",
    "OpenAIProvider",
    "ProviderError",
    "ProviderManager",
    "create_provider",
]
