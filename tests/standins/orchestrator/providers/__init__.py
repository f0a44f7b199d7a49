"""Stand-in for `orchestrator.providers`: the base module's names, as the package exports them."""

from .base import (
    AuthenticationError,
    BaseProvider,
    GenerationParams,
    InvalidRequestError,
    ProviderConfig,
    ProviderError,
    RateLimitError,
    TimeoutError,
)

__all__ = [
    "AuthenticationError",
    "BaseProvider",
    "GenerationParams",
    "InvalidRequestError",
    "ProviderConfig",
    "ProviderError",
    "RateLimitError",
    "TimeoutError",
]
