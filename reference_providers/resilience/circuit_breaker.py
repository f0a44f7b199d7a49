"""A circuit breaker: stop calling an API that keeps failing, and look again later (RE-2).

Closed, it lets calls through and counts consecutive failures; at the threshold it opens and fails
every call at once, without a request, so a struggling server gets room to recover and callers get
an answer (and can fall back) without waiting for a timeout. After the recovery time it half-opens
and lets one probe through: a success closes it, a failure opens it again.

Only failures that say something about the server's health count. An auth error, a bad request or
an unknown model is the caller's problem: it would fail the same way on a healthy server, and
tripping the breaker on it would turn one misconfigured key into an outage for everyone sharing
the breaker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from reference_providers.contract import (
    ChatProvider,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.resilience.clock import Clock, pick_clock
from reference_providers.resilience.wrapper import DelegatingProvider

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Failures that do not count against the server (see the module docstring).
NOT_COUNTED: frozenset[ErrorCategory] = frozenset(
    {ErrorCategory.AUTH, ErrorCategory.INVALID_REQUEST, ErrorCategory.NOT_FOUND}
)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(ProviderError):
    """Raised instead of sending a request while the breaker is open.

    Category `server` and retryable, with `retry_after` the time left until the breaker half-opens:
    to a caller it means what a 503 means (this provider is unavailable now; try later or try
    another one), and a fallback chain moves on exactly as it would on a 503.
    """

    default_category = ErrorCategory.SERVER


@dataclass(frozen=True)
class BreakerStats:
    state: BreakerState
    consecutive_failures: int
    failures: int
    successes: int
    #: Calls failed fast while open, without a request.
    rejected: int
    #: How many times the breaker opened.
    opened: int
    last_failure: str | None


class CircuitBreaker:
    """The state machine; `CircuitBreakerProvider` puts it in front of a provider."""

    def __init__(
        self,
        failure_threshold: int = 5,
        recovery_time: float = 30.0,
        *,
        clock: Clock | None = None,
        name: str = "circuit",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, not {failure_threshold}")
        if recovery_time < 0:
            raise ValueError(f"recovery_time must be >= 0, not {recovery_time}")
        self.failure_threshold = failure_threshold
        self.recovery_time = recovery_time
        self.name = name
        self._clock = pick_clock(clock)
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._consecutive = 0
        self._probing = False
        self._failures = 0
        self._successes = 0
        self._rejected = 0
        self._opened = 0
        self._last_failure: str | None = None

    def __repr__(self) -> str:
        return (
            f"CircuitBreaker(name={self.name!r}, state={self.state.value!r}, "
            f"failure_threshold={self.failure_threshold}, recovery_time={self.recovery_time})"
        )

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The state now: an open breaker reads half-open once its recovery time has passed."""
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.recovery_time
        ):
            self._state = BreakerState.HALF_OPEN
            self._probing = False
            logger.info("%s: circuit half-open, the next call is a probe", self.name)
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open breaker half-opens (0 when it is not open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(self.recovery_time - (self._clock() - self._opened_at), 0.0)

    def stats(self) -> BreakerStats:
        return BreakerStats(
            state=self.state,
            consecutive_failures=self._consecutive,
            failures=self._failures,
            successes=self._successes,
            rejected=self._rejected,
            opened=self._opened,
            last_failure=self._last_failure,
        )

    def counts(self, error: BaseException) -> bool:
        """Whether `error` says the server is unwell (see NOT_COUNTED)."""
        if isinstance(error, ProviderError):
            return error.category not in NOT_COUNTED
        return isinstance(error, Exception)

    # -- transitions ----------------------------------------------------------------------

    def before_call(self) -> None:
        """Let a call through, or raise CircuitOpenError without it reaching the server."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return
        self._rejected += 1
        waiting = "a probe is under way" if state is BreakerState.HALF_OPEN else None
        raise self._open_error(waiting)

    def record_success(self) -> None:
        if self._state is not BreakerState.CLOSED:
            logger.info("%s: circuit closed after a successful call", self.name)
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._probing = False
        self._successes += 1

    def record_failure(self, error: BaseException) -> None:
        if not self.counts(error):
            # The server answered; this says nothing about its health. A probe that met it ends
            # without a verdict and the next call probes again.
            self._probing = False
            return
        self._failures += 1
        self._consecutive += 1
        self._last_failure = _describe(error)
        if self._state is BreakerState.HALF_OPEN or self._consecutive >= self.failure_threshold:
            self._trip()

    def release(self) -> None:
        """A call ended without a verdict (the caller left a stream before it said anything)."""
        self._probing = False

    def _trip(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._probing = False
        self._opened += 1
        logger.warning(
            "%s: circuit open after %d consecutive failures (last: %s); failing fast for %.3g s",
            self.name,
            self._consecutive,
            self._last_failure,
            self.recovery_time,
        )

    def _open_error(self, waiting: str | None) -> CircuitOpenError:
        retry_in = self.retry_in() if waiting is None else 0.0
        reason = waiting or f"retry in {retry_in:.3g} s"
        return CircuitOpenError(
            f"{self.name}: circuit breaker is open after {self._consecutive} consecutive "
            f"failures (last: {self._last_failure}); failing fast without a request ({reason})",
            retryable=True,
            retry_after=retry_in,
            provider=self.name,
        )

    # -- use ------------------------------------------------------------------------------

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        self.before_call()
        try:
            result = await attempt()
        except Exception as error:
            self.record_failure(error)
            raise
        except BaseException:  # cancelled: no verdict on the server
            self.release()
            raise
        self.record_success()
        return result

    async def stream(self, open_stream: Callable[[], AsyncIterator[T]]) -> AsyncGenerator[T, None]:
        """Guard a stream: a failure before or during it counts; reaching its end is a success.

        A caller that leaves early after the server began answering has seen a working server,
        so that counts as a success; one that leaves before any chunk leaves no verdict.
        """
        self.before_call()
        stream = open_stream()
        started = False
        settled = False
        try:
            async for item in stream:
                started = True
                yield item
            settled = True
            self.record_success()
        except Exception as error:
            settled = True
            self.record_failure(error)
            raise
        finally:
            if not settled:
                if started:
                    self.record_success()
                else:
                    self.release()
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()


def _describe(error: BaseException) -> str:
    if isinstance(error, ProviderError):
        status = f" {error.status_code}" if error.status_code is not None else ""
        return f"{error.category.value}{status}"
    return type(error).__name__


class CircuitBreakerProvider(DelegatingProvider):
    """Any native provider behind a circuit breaker (`circuit_breaker` is what RE-2 reads)."""

    def __init__(
        self,
        inner: ChatProvider,
        breaker: CircuitBreaker | None = None,
        *,
        clock: Clock | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(inner, name=name)
        self.circuit_breaker = (
            breaker if breaker is not None else CircuitBreaker(clock=clock, name=self.name)
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
        return await self.circuit_breaker.call(
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
        return self.circuit_breaker.stream(
            lambda: self._inner.stream(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        )
