"""A router: one provider per call, chosen round-robin or first-available (seed 001's Router).

Unlike a fallback chain, a router does not retry a failed call elsewhere: it spreads load
(round-robin) or prefers providers in order (first-available), and keeps out of the rotation any
provider that is unhealthy or whose circuit breaker is open, so a known-down provider costs no
request. Put a chain in as a member when a call should also fall back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from enum import StrEnum
from typing import ClassVar

from reference_providers.contract import (
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.resilience.health import HealthStatus, HealthThresholds
from reference_providers.resilience.members import Member, MemberGroup


class RoutingStrategy(StrEnum):
    ROUND_ROBIN = "round-robin"
    FIRST_AVAILABLE = "first-available"


class NoProviderAvailableError(ProviderError):
    """Every member is unhealthy or behind an open breaker; the message says which is which."""

    default_category = ErrorCategory.SERVER


class Router(MemberGroup):
    kind: ClassVar[str] = "router"

    def __init__(
        self,
        members: Sequence[Member],
        *,
        strategy: RoutingStrategy | str = RoutingStrategy.ROUND_ROBIN,
        thresholds: HealthThresholds | None = None,
        name: str = "router",
        health_timeout: float = 5.0,
    ) -> None:
        super().__init__(members, thresholds=thresholds, name=name, health_timeout=health_timeout)
        self.strategy = RoutingStrategy(strategy)
        self._next = 0

    def __repr__(self) -> str:
        names = ", ".join(n for n, _ in self._members)
        return f"Router(strategy={self.strategy.value!r}, members=[{names}])"

    def unavailable_reason(self, member: Member) -> str | None:
        """Why a member is skipped now, or None when it may be called."""
        name, provider = member
        if self._health[name].status is HealthStatus.UNHEALTHY:
            return "unhealthy"
        breaker = getattr(provider, "circuit_breaker", None)
        state = getattr(breaker, "state", None)
        if getattr(state, "value", state) == "open":
            return "circuit open"
        return None

    def select(self) -> Member:
        count = len(self._members)
        if self.strategy is RoutingStrategy.FIRST_AVAILABLE:
            candidates = list(range(count))
        else:
            candidates = [(self._next + step) % count for step in range(count)]
        reasons: list[str] = []
        for index in candidates:
            member = self._members[index]
            reason = self.unavailable_reason(member)
            if reason is None:
                if self.strategy is RoutingStrategy.ROUND_ROBIN:
                    self._next = (index + 1) % count
                return member
            reasons.append(f"{member[0]}: {reason}")
        raise NoProviderAvailableError(
            f"{self._name}: no provider available ({'; '.join(reasons)})",
            retryable=True,
            provider=self._name,
        )

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        name, provider = self.select()
        try:
            result = await provider.chat(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        except Exception as error:
            self._health[name].record_failure(error)
            raise
        self._health[name].record_success()
        return result

    async def route(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        """Seed 001's name for a routed call."""
        return await self.chat(
            messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
        )

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        name, provider = self.select()
        stream = provider.stream(
            messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
        )
        try:
            async for chunk in stream:
                yield chunk
        except Exception as error:
            self._health[name].record_failure(error)
            raise
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        self._health[name].record_success()
