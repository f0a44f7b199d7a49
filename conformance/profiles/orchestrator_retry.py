"""The orchestrator interface's retries, as RE-1 judges them.

The interface's guide has `generate()` call the base's `_retry_with_backoff` itself; most real
classes post once and leave retrying to their caller. The suite drives retries through the same
wrapper in both cases, and must not wrap a class that already retries (its attempts would
multiply, a failure of the suite's making): the wrapper is watched while the class runs.
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.profiles.resilience import RetryOffer, retries_of
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import ObservedError, TurnObservation


class _Calls(Protocol):
    """What of the orchestrator profile the retry offer uses: one call, and reading its error."""

    async def invoke(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode, observed: TurnObservation
    ) -> None: ...

    def read_error(
        self, exc: BaseException, scenario: Scenario, turn: int, name: object
    ) -> ObservedError: ...

    def provider_name(self, provider: Any) -> object: ...


def retry_offer(profile: _Calls, provider: Any) -> RetryOffer | None:
    """RE-1 through the base's `_retry_with_backoff` around one call, with `config.max_retries`."""
    retry = getattr(provider, "_retry_with_backoff", None)
    retries = retries_of(getattr(getattr(provider, "config", None), "max_retries", None))
    if not callable(retry) or retries is None:
        return None

    async def call(scenario: Scenario, mode: Mode) -> TurnObservation:
        observed = TurnObservation(mode=mode)
        # The interface's guide has generate() call _retry_with_backoff itself; a class that
        # does retries on its own, and wrapping it again would multiply its attempts (a false
        # RE-1 failure). The wrapper is watched: once generate() used it, the outer one stops.
        retried_itself = False

        async def watched(func: Any, *args: Any, **kwargs: Any) -> Any:
            nonlocal retried_itself
            retried_itself = True
            return await retry(func, *args, **kwargs)

        async def attempt() -> None:
            try:
                await profile.invoke(provider, scenario, 0, mode, observed)
            except Exception as exc:
                if retried_itself:
                    raise _RetriedByTheProvider(exc) from exc
                raise

        provider._retry_with_backoff = watched
        try:
            await retry(attempt)
        except _RetriedByTheProvider as done:  # the class's own retries gave up
            error = done.error
            observed.error = profile.read_error(error, scenario, 0, profile.provider_name(provider))
        except Exception as exc:  # the wrapper's answer, judged by RE-1
            observed.error = profile.read_error(exc, scenario, 0, profile.provider_name(provider))
        finally:
            del provider._retry_with_backoff  # the class's own method again
        return observed

    return RetryOffer(retries, call=call)


class _RetriedByTheProvider(Exception):
    """Carries the error a provider's own retries ended with past the suite's outer wrapper,
    which retries only the interface's retryable classes and so lets this one through at once."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error
