"""What a fallback chain and a router share: named members, each member's health, probing them,
closing them.

Both are native providers over several providers; they differ only in how a call picks members
(`fallback.FallbackChain`: in order until one answers; `router.Router`: one per call), so the
bookkeeping around the members lives here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import ClassVar, Self

from reference_providers.contract import Capabilities, ChatProvider
from reference_providers.resilience.health import (
    HealthThresholds,
    ProviderHealth,
    bounded_health_check,
)

Member = tuple[str, ChatProvider]


class MemberGroup:
    """Providers known by name, each with its own health record."""

    #: How errors name this kind of group: "a {kind} needs at least one provider".
    kind: ClassVar[str] = "group"

    def __init__(
        self,
        members: Sequence[Member],
        *,
        thresholds: HealthThresholds | None,
        name: str,
        health_timeout: float,
    ) -> None:
        if not members:
            raise ValueError(f"a {self.kind} needs at least one provider")
        names = [member_name for member_name, _ in members]
        if len(set(names)) != len(names):
            raise ValueError(f"provider names in a {self.kind} must be unique: {names}")
        self._members: tuple[Member, ...] = tuple(members)
        self.health_thresholds = thresholds if thresholds is not None else HealthThresholds()
        self._health = {n: ProviderHealth(n, self.health_thresholds) for n in names}
        self._name = name
        self._health_timeout = health_timeout

    @property
    def name(self) -> str:
        return self._name

    @property
    def members(self) -> tuple[Member, ...]:
        return self._members

    def capabilities(self) -> Capabilities:
        """What every member can do: a call may land on any of them."""
        found = [provider.capabilities() for _, provider in self._members]
        return Capabilities(
            tools=all(c.tools for c in found),
            streaming=all(c.streaming for c in found),
            parallel_tool_calls=all(c.parallel_tool_calls for c in found),
            streaming_tool_calls=all(c.streaming_tool_calls for c in found),
            usage=all(c.usage for c in found),
        )

    def health(self) -> dict[str, str]:
        """Each member's health: "healthy", "degraded" or "unhealthy"."""
        return {name: h.status.value for name, h in self._health.items()}

    async def check_health(self) -> dict[str, bool]:
        """Run every member's health check (concurrently, each bounded) and record the answers."""
        probed: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        for name, provider in self._members:
            check = getattr(provider, "health_check", None)
            if callable(check):
                probed.append((name, check))
        answers = await asyncio.gather(
            *(bounded_health_check(check, self._health_timeout) for _, check in probed)
        )
        for (name, _), answer in zip(probed, answers, strict=True):
            self._health[name].record_probe(answer)
        return {name: answer for (name, _), answer in zip(probed, answers, strict=True)}

    async def health_check(self) -> bool:
        """Healthy if any member is."""
        return any((await self.check_health()).values())

    async def close(self) -> None:
        await close_all(self._members)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def close_all(members: Sequence[Member]) -> None:
    """Close every member even if one fails to close; then raise the first failure."""
    first: BaseException | None = None
    for _, provider in members:
        try:
            await provider.close()
        except Exception as exc:
            first = first or exc
    if first is not None:
        raise first
