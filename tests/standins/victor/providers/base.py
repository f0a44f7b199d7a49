"""Stand-in for `victor.providers.base`: the types, errors and base class victor providers use.

It follows the seeds (000, 002, 004) and victor's published interface closely enough that the
`victor` profile drives a provider written against it exactly as it drives one written against
the real package: pydantic message types, tool calls as dicts {id, name, arguments}, the
ProviderError family with `status_code` and `retry_after`, and a BaseProvider with the circuit
breaker the seeds call through `_execute_with_circuit_breaker`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

from pydantic import BaseModel, Field

# -- types ---------------------------------------------------------------------------------------


class Message(BaseModel):
    """Standard message format across all providers."""

    role: str
    content: str
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


class ToolDefinition(BaseModel):
    """Standard tool definition format."""

    name: str
    description: str
    parameters: dict[str, Any]


class CompletionResponse(BaseModel):
    """Standard completion response format."""

    content: str
    role: str = "assistant"
    tool_calls: list[dict[str, Any]] | None = None
    stop_reason: str | None = None
    usage: dict[str, int] | None = None
    model: str | None = None
    raw_response: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class StreamChunk(BaseModel):
    """Streaming response chunk; exactly one has is_final=True, the last."""

    content: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    stop_reason: str | None = None
    is_final: bool = False
    metadata: dict[str, Any] | None = None
    usage: dict[str, int] | None = Field(default=None)


# -- errors --------------------------------------------------------------------------------------


class ProviderError(Exception):
    """Base class for all provider errors."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        status_code: int | None = None,
        raw_error: Any | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.raw_error = raw_error
        self.details = dict(kwargs)


class ProviderNotFoundError(ProviderError):
    """Provider not found in the registry."""


class ModelNotFoundError(ProviderError):
    """The requested model is not available on the provider (victor 0.9's class for a 404 that
    says the model does not exist)."""


class ProviderAuthError(ProviderError):
    """Authentication/authorization failures (401, 403)."""


#: victor's later name for the same class.
ProviderAuthenticationError = ProviderAuthError


class ProviderRateLimitError(ProviderError):
    """Rate limiting (429)."""

    def __init__(
        self,
        message: str,
        provider: str | None = None,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, provider=provider, **kwargs)
        self.retry_after = retry_after


class ProviderTimeoutError(ProviderError):
    """Request timeouts."""


class ProviderConnectionError(ProviderError):
    """Network connectivity issues."""


class ProviderInvalidResponseError(ProviderError):
    """Malformed API responses."""


# -- circuit breaker -----------------------------------------------------------------------------


class CircuitBreakerError(ProviderError):
    """The circuit is open: the call was not made."""


class CircuitBreaker:
    """Closed -> open after `failure_threshold` failures -> half-open after `recovery_timeout`."""

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        excluded_exceptions: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.excluded_exceptions = excluded_exceptions
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if time.monotonic() - self.opened_at >= self.recovery_timeout:
            return "half_open"
        return "open"

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    async def execute(self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        if self.is_open:
            raise CircuitBreakerError(f"circuit {self.name} is open", provider=self.name)
        try:
            result = await func(*args, **kwargs)
        except self.excluded_exceptions:
            raise
        except Exception:
            self.failures += 1
            if self.state == "half_open" or self.failures >= self.failure_threshold:
                self.opened_at = time.monotonic()
            raise
        self.reset()
        return result

    def reset(self) -> None:
        self.failures = 0
        self.opened_at = None

    def get_stats(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "failures": self.failures}


class CircuitBreakerRegistry:
    """One breaker per name, shared by every provider of a class, as victor keeps them."""

    _breakers: ClassVar[dict[str, CircuitBreaker]] = {}

    @classmethod
    def get_or_create(cls, name: str, **settings: Any) -> CircuitBreaker:
        if name not in cls._breakers:
            cls._breakers[name] = CircuitBreaker(name, **settings)
        return cls._breakers[name]


# -- the base class ------------------------------------------------------------------------------


class BaseProvider(ABC):
    """Abstract base class for all LLM providers."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: int = 60,
        max_retries: int = 3,
        use_circuit_breaker: bool = True,
        circuit_breaker_failure_threshold: int = 5,
        circuit_breaker_recovery_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.extra_config = kwargs
        self._circuit_breaker: CircuitBreaker | None = None
        if use_circuit_breaker:
            # Keyed by class and base URL, as victor 0.9 keys them.
            self._circuit_breaker = CircuitBreakerRegistry.get_or_create(
                f"provider_{type(self).__name__}_{base_url or 'default'}",
                failure_threshold=circuit_breaker_failure_threshold,
                recovery_timeout=circuit_breaker_recovery_timeout,
                excluded_exceptions=(ProviderAuthError,),
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def circuit_breaker(self) -> CircuitBreaker | None:
        return self._circuit_breaker

    @property
    @abstractmethod
    def name(self) -> str:
        """Provider name."""

    def supports_tools(self) -> bool:
        return False

    def supports_streaming(self) -> bool:
        return False

    @abstractmethod
    async def chat(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.7,
        max_tokens: int = 4096,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        """Send a chat completion request."""

    @abstractmethod
    def stream(
        self,
        messages: list[Message],
        *,
        model: str,
        temperature: float = 0.7,
        max_tokens: int = 4096,
        tools: list[ToolDefinition] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[StreamChunk]:
        """Stream a chat completion response."""

    @abstractmethod
    async def close(self) -> None:
        """Close any open connections or resources."""

    def is_circuit_open(self) -> bool:
        return self._circuit_breaker.is_open if self._circuit_breaker else False

    def get_circuit_breaker_stats(self) -> dict[str, Any] | None:
        return self._circuit_breaker.get_stats() if self._circuit_breaker else None

    def reset_circuit_breaker(self) -> None:
        if self._circuit_breaker:
            self._circuit_breaker.reset()

    async def _execute_with_circuit_breaker(
        self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        """`func` through the breaker and, with `max_retries > 0`, victor's retry strategy
        around it (each attempt counted by the breaker), as victor 0.9's base does."""

        async def call() -> Any:
            if self._circuit_breaker:
                return await self._circuit_breaker.execute(func, *args, **kwargs)
            return await func(*args, **kwargs)

        if self.max_retries <= 0:
            return await call()
        from victor.providers.resilience import ProviderRetryConfig, ProviderRetryStrategy

        strategy = ProviderRetryStrategy(ProviderRetryConfig(max_retries=self.max_retries))
        return await strategy.execute(call)
