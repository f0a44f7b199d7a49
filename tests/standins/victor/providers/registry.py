"""Stand-in for `victor.providers.registry`: provider classes by name, with aliases.

As in victor, names are registered lazily (module path and class name, imported on first use) with
their aliases, or eagerly with `ProviderRegistry.register(name, cls)`; `create(name, **kwargs)`
builds an instance. The suite's CF-1 check reads `list_providers()` and `get_aliases()` and
demands that every name resolves and that every alias creates the class its primary name does.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

from victor.providers.base import BaseProvider, ProviderNotFoundError

__all__ = ["ProviderNotFoundError", "ProviderRegistry"]


@dataclass(frozen=True)
class _LazyProviderSpec:
    module_path: str
    class_name: str
    primary_name: str


class ProviderRegistry:
    """Registry for LLM provider management (class-level, as victor's facade is)."""

    _providers: ClassVar[dict[str, type[BaseProvider]]] = {}
    _lazy: ClassVar[dict[str, _LazyProviderSpec]] = {}
    _aliases: ClassVar[dict[str, str]] = {}

    @classmethod
    def register(cls, name: str, provider_class: type[BaseProvider]) -> None:
        cls._lazy.pop(name, None)
        cls._aliases.setdefault(name, name)
        cls._providers[name] = provider_class

    @classmethod
    def register_lazy(cls, aliases: list[str], *, module_path: str, class_name: str) -> None:
        """Register `aliases` (the first is the primary name) for a class imported on first use."""
        spec = _LazyProviderSpec(module_path, class_name, aliases[0])
        for alias in aliases:
            cls._lazy[alias] = spec
            cls._aliases[alias] = aliases[0]

    @classmethod
    def get(cls, name: str) -> type[BaseProvider]:
        if name in cls._providers:
            return cls._providers[name]
        spec = cls._lazy.get(name)
        if spec is None:
            available = ", ".join(cls.list_providers())
            raise ProviderNotFoundError(
                f"Provider '{name}' not found. Available: {available}", provider=name
            )
        try:
            provider_class = getattr(importlib.import_module(spec.module_path), spec.class_name)
        except Exception as exc:
            raise ProviderNotFoundError(
                f"Provider '{name}' failed to load from {spec.module_path}.{spec.class_name}: "
                f"{exc}",
                provider=name,
            ) from exc
        for alias, alias_spec in list(cls._lazy.items()):
            if alias_spec == spec:
                cls._providers[alias] = provider_class
                del cls._lazy[alias]
        return provider_class  # type: ignore[no-any-return]

    @classmethod
    def get_optional(cls, name: str) -> type[BaseProvider] | None:
        try:
            return cls.get(name)
        except ProviderNotFoundError:
            return None

    @classmethod
    def create(cls, name: str, **kwargs: Any) -> BaseProvider:
        return cls.get(name)(**kwargs)

    @classmethod
    def list_providers(cls) -> list[str]:
        return sorted(set(cls._providers) | set(cls._lazy))

    @classmethod
    def is_registered(cls, name: str) -> bool:
        return name in cls._providers or name in cls._lazy

    @classmethod
    def get_aliases(cls) -> dict[str, str]:
        """Every known name -> its primary name (a primary name maps to itself)."""
        aliases = dict(cls._aliases)
        for name in cls._providers:
            aliases.setdefault(name, name)
        return aliases

    @classmethod
    def unregister(cls, name: str) -> bool:
        removed = cls._providers.pop(name, None) is not None
        removed = cls._lazy.pop(name, None) is not None or removed
        cls._aliases.pop(name, None)
        return removed

    @classmethod
    def clear(cls) -> None:
        cls._providers.clear()
        cls._lazy.clear()
        cls._aliases.clear()


def _register_default_providers() -> None:
    ProviderRegistry.register_lazy(
        ["openai_compat", "openai-compatible"],
        module_path="victor.providers.openai_compat_provider",
        class_name="OpenAICompatProvider",
    )
    # Seed 000's tutorial registers its provider under a name and an alias.
    ProviderRegistry.register_lazy(
        ["custom_llm", "customllm"], module_path="seed_custom_llm", class_name="CustomLLMProvider"
    )


_register_default_providers()
