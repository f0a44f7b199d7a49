"""Retries with exponential backoff, jitter and a cap, honouring what the server asked (RE-1).

The policy is data (how many retries, how long to wait) and the retrier is the loop; a wrapper
provider puts the loop around any native provider. Decisions are taken on the error's category and
its `retryable` flag, never on exception types or status codes, so the same policy serves every
API's provider.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from reference_providers.contract import (
    ChatProvider,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.resilience.clock import Random, Sleep, pick_random, pick_sleep
from reference_providers.resilience.wrapper import DelegatingProvider

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Categories that no retry can fix: the same key or the same request fails the same way again.
NEVER_RETRIED: frozenset[ErrorCategory] = frozenset(
    {ErrorCategory.AUTH, ErrorCategory.INVALID_REQUEST}
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Delays grow by `multiplier` from `base_delay` up to `max_delay`. Jitter spreads clients that
    failed together, but only downwards and never below the previous step's nominal delay, so the
    delays of one call still never shrink (RE-1 asks for backoff that grows). A server's
    Retry-After is a floor, never shortened; one longer than `max_retry_after` is not waited for at
    all: the error surfaces at once so the caller can choose another provider.
    """

    max_retries: int = 3
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 30.0
    #: The random share of each delay, from 0 (none) to 1.
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, not {self.max_retries}")
        if not (self.base_delay > 0 and math.isfinite(self.base_delay)):
            raise ValueError(f"base_delay must be a positive number, not {self.base_delay}")
        if self.multiplier < 1:
            raise ValueError(f"multiplier must be >= 1, not {self.multiplier}")
        if self.max_delay < self.base_delay:
            raise ValueError("max_delay must be at least base_delay")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be within [0, 1], not {self.jitter}")
        if self.max_retry_after < 0:
            raise ValueError("max_retry_after must be >= 0")

    def should_retry(self, error: BaseException, retries_done: int) -> bool:
        """Whether the call that failed with `error` after `retries_done` retries goes again."""
        if retries_done >= self.max_retries:
            return False
        if not isinstance(error, ProviderError):
            return False  # a bug, not a transient failure: retrying hides it
        if error.category in NEVER_RETRIED or not error.retryable:
            return False
        return error.retry_after is None or error.retry_after <= self.max_retry_after

    def nominal_delay(self, retry: int) -> float:
        """The delay before retry number `retry` (0 for the first) without jitter."""
        try:
            raw = self.base_delay * self.multiplier**retry
        except OverflowError:
            return self.max_delay
        return min(raw, self.max_delay)

    def backoff(self, retry: int, draw: float) -> float:
        """The jittered delay before retry `retry`; `draw` is from [0, 1)."""
        nominal = self.nominal_delay(retry)
        floor = nominal * (1.0 - self.jitter)
        if retry > 0:
            floor = max(floor, self.nominal_delay(retry - 1))
        return floor + (nominal - floor) * min(max(draw, 0.0), 1.0)

    def delay(self, retry: int, error: ProviderError, draw: float) -> float:
        """How long to wait before retry `retry` after `error`: backoff, or longer if asked."""
        wait = self.backoff(retry, draw)
        if error.retry_after is not None:
            wait = max(wait, error.retry_after)
        return wait


class Retrier:
    """The retry loop, for one-shot calls and for streams."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep | None = None,
        random: Random | None = None,
    ) -> None:
        self.policy = policy if policy is not None else RetryPolicy()
        self._sleep = pick_sleep(sleep)
        self._random = pick_random(random)

    async def _pause(self, retries_done: int, error: ProviderError) -> None:
        wait = self.policy.delay(retries_done, error, self._random())
        logger.info(
            "%s: %s error (status %s), retry %d of %d in %.3g s",
            error.provider or "provider",
            error.category.value,
            error.status_code,
            retries_done + 1,
            self.policy.max_retries,
            wait,
        )
        await self._sleep(wait)

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        retries = 0
        while True:
            try:
                return await attempt()
            except ProviderError as error:
                if not self.policy.should_retry(error, retries):
                    raise
                await self._pause(retries, error)
                retries += 1

    async def stream(self, open_stream: Callable[[], AsyncIterator[T]]) -> AsyncGenerator[T, None]:
        """Retry opening the stream, but never once a chunk has reached the caller.

        A retry after the first chunk would show the caller the beginning of the answer twice;
        from then on a failure is the caller's to handle.
        """
        retries = 0
        while True:
            stream = open_stream()
            started = False
            failure: ProviderError | None = None
            try:
                async for item in stream:
                    started = True
                    yield item
                return
            except ProviderError as error:
                if started or not self.policy.should_retry(error, retries):
                    raise
                failure = error
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            await self._pause(retries, failure)
            retries += 1


class RetryingProvider(DelegatingProvider):
    """Any native provider, with its calls retried by `policy`.

    `retry_policy` is the attribute the conformance harness reads to judge RE-1; build it with the
    harness's `sleep=` and `random=` so that the suite measures the backoff without waiting.
    """

    def __init__(
        self,
        inner: ChatProvider,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep | None = None,
        random: Random | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(inner, name=name)
        self._retrier = Retrier(policy, sleep=sleep, random=random)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._retrier.policy

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        return await self._retrier.call(
            lambda: self._inner.chat(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        return self._retrier.stream(
            lambda: self._inner.stream(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        )
