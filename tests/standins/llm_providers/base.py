"""The provider base class of seed 003's `providers` package (`LLMProvider`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from typing import Any


class LLMProvider(ABC):
    """A provider built from one config dict, with synchronous execute and stream_execute."""

    name = "provider"

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = {k: v for k, v in config.items() if k != "api_key"}
        self.max_retries = int(config.get("max_retries", 0))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    @abstractmethod
    def execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str: ...

    @abstractmethod
    def stream_execute(
        self,
        model: str,
        prompt: str,
        system_prompt: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Generator[str, None, None]: ...
