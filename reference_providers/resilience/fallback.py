"""A fallback chain: try providers in order until one answers (RE-3).

A failure moves on to the next provider, the first success wins, and when every provider failed
the error names each one's failure (a caller debugging an outage needs all of them, not the last).
Per-provider health decides the order: providers in a bad state are tried after the others, so a
provider known to be down costs a request only when nothing better is left.

The chain is itself a native provider, so anything that takes a provider takes a chain.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import ClassVar, TypeVar

from reference_providers.contract import (
    ChatProvider,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.resilience.health import HealthStatus, HealthThresholds, describe_failure
from reference_providers.resilience.members import Member, MemberGroup

logger = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["FallbackChain", "FallbackExhaustedError", "Member", "exhausted_error"]


class FallbackExhaustedError(ProviderError):
    """Every provider of a chain failed; `failures` holds each (name, error), in order."""

    def __init__(
        self,
        message: str,
        *,
        failures: Sequence[tuple[str, BaseException]],
        category: ErrorCategory | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        provider: str | None = None,
    ) -> None:
        super().__init__(
            message,
            category=category,
            retryable=retryable,
            retry_after=retry_after,
            provider=provider,
        )
        self.failures: tuple[tuple[str, BaseException], ...] = tuple(failures)


def exhausted_error(chain: str, failures: Sequence[tuple[str, BaseException]]) -> ProviderError:
    """The error naming every member's failure; category and retryability summarise them.

    Retryable only if every failure was (then trying the whole chain again later may work), with
    the shortest retry-after any member asked for; the category is the members' common one, or
    `unknown` when they differ.
    """
    parts = "; ".join(f"{name}: {describe_failure(error)}" for name, error in failures)
    errors = [error for _, error in failures]
    categories = {e.category for e in errors if isinstance(e, ProviderError)}
    own = [e for e in errors if isinstance(e, ProviderError)]
    same = len(categories) == 1 and len(own) == len(errors)
    retryable = bool(errors) and len(own) == len(errors) and all(e.retryable for e in own)
    waits = [e.retry_after for e in own if e.retry_after is not None]
    error = FallbackExhaustedError(
        f"{chain}: all {len(failures)} providers failed: {parts}",
        failures=failures,
        category=categories.pop() if same else ErrorCategory.UNKNOWN,
        retryable=retryable,
        retry_after=min(waits) if retryable and waits else None,
        provider=chain,
    )
    if errors:
        error.__cause__ = errors[-1]
    return error


class FallbackChain(MemberGroup):
    """Providers tried in order; each member is a (name, provider) pair, as in seed 003."""

    kind: ClassVar[str] = "fallback chain"

    def __init__(
        self,
        members: Sequence[Member],
        *,
        thresholds: HealthThresholds | None = None,
        name: str = "fallback",
        health_timeout: float = 5.0,
    ) -> None:
        super().__init__(members, thresholds=thresholds, name=name, health_timeout=health_timeout)

    def __repr__(self) -> str:
        names = ", ".join(n for n, _ in self._members)
        return f"{type(self).__name__}(name={self._name!r}, members=[{names}])"

    # -- health ---------------------------------------------------------------------------

    def status(self) -> dict[str, dict[str, object]]:
        """Each member's health with its counts (seed 003's get_status)."""
        return {name: h.as_dict() for name, h in self._health.items()}

    def order(self) -> list[Member]:
        """Members in the order to try: those not unhealthy first, each group in chain order."""
        fit = [m for m in self._members if self._health[m[0]].status is not HealthStatus.UNHEALTHY]
        unfit = [m for m in self._members if m not in fit]
        return fit + unfit

    def moves_on(self, error: BaseException) -> bool:
        """Whether a member's failure sends the call to the next member.

        Everything but an invalid request moves on: a retryable failure is what a chain is for,
        and an auth error or an unknown model is this member's configuration, which the next
        member does not share. An invalid request would be rejected by every member alike.
        """
        return not (
            isinstance(error, ProviderError) and error.category is ErrorCategory.INVALID_REQUEST
        )

    def exhausted(self, failures: Sequence[tuple[str, BaseException]]) -> ProviderError:
        """The error raised when every member failed (see `exhausted_error`)."""
        return exhausted_error(self._name, failures)

    # -- calls ----------------------------------------------------------------------------

    async def _first_success(self, call: Callable[[ChatProvider], Awaitable[T]]) -> T:
        failures: list[tuple[str, BaseException]] = []
        for name, provider in self.order():
            try:
                result = await call(provider)
            except Exception as error:
                if not self.moves_on(error):
                    raise
                self._health[name].record_failure(error)
                failures.append((name, error))
                logger.info("%s: %s failed (%s), trying the next", self._name, name, type(error))
                continue
            self._health[name].record_success()
            return result
        raise self.exhausted(failures)

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        return await self._first_success(
            lambda provider: provider.chat(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
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
        """Fall back only before the first chunk: after it, the answer has begun."""
        failures: list[tuple[str, BaseException]] = []
        for name, provider in self.order():
            stream = provider.stream(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
            started = False
            try:
                async for chunk in stream:
                    started = True
                    yield chunk
            except Exception as error:
                if started or not self.moves_on(error):
                    if started:
                        self._health[name].record_failure(error)
                    raise
                self._health[name].record_failure(error)
                failures.append((name, error))
                continue
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            self._health[name].record_success()
            return
        raise self.exhausted(failures)
