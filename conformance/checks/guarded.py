"""Provider code under a check's clock, and what its end means, alike for every kind of check.

A scenario case, the identity check, a property's reading of capabilities and a resilience check
all build the provider through its profile, close it whatever happens, run under the check's
deadline, and must read a hang, an escaped SystemExit or a provider that cannot be built the same
way, or one report would call the same fault by two names. What each kind then makes of an ending
(ER-4, ER-8, an error of the check) stays with it: `Ended` only says how the code ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from conformance.checks.deadline import CleanupHung, LoopStopped, ProviderEscape, run_with_deadline
from conformance.checks.outcome import CaseOutcome
from conformance.checks.provider import ProviderUnderTest
from conformance.judge.verdict import Verdict
from conformance.profiles.provider_traceback import provider_traceback
from conformance.server import redact
from conformance.vocabulary.spec import Connection

#: How provider code under a deadline ended: returned; ran past the deadline; answered but left
#: tasks its loop could not close (RS-1); raised SystemExit & co.; stopped its loop (both ER-8);
#: or raised anything else (building or closing the provider failed: no clause verdict).
Ending = Literal["finished", "timed-out", "cleanup-hung", "escaped", "loop-stopped", "raised"]


@dataclass(frozen=True)
class Ended:
    how: Ending
    exc: BaseException | None = None

    @property
    def timed_out(self) -> bool:
        """Past the deadline, whether the coroutine or only its loop's closing hung."""
        return self.how in ("timed-out", "cleanup-hung")

    def record_error(
        self, outcome: CaseOutcome, secrets: Iterable[str], *, prefix: str = ""
    ) -> None:
        """The check's error (not a verdict) and the provider's traceback, scrubbed of secrets."""
        exc = self.exc
        assert exc is not None
        hidden = tuple(secrets)
        outcome.error = redact(f"{prefix}{type(exc).__name__}: {exc}", hidden)
        outcome.tracebacks.append(provider_traceback(exc, hidden))


def run_guarded(body: Callable[[], Coroutine[Any, Any, None]], timeout: float) -> Ended:
    """Run `body()` under the deadline (conformance/checks/deadline.py); never raises for what
    provider code did, only says how it ended."""
    try:
        run_with_deadline(body, timeout)
    except CleanupHung as exc:
        return Ended("cleanup-hung", exc)
    except TimeoutError as exc:
        return Ended("timed-out", exc)
    except ProviderEscape as exc:
        return Ended("escaped", exc)
    except LoopStopped as exc:
        return Ended("loop-stopped", exc)
    except Exception as exc:
        return Ended("raised", exc)
    return Ended("finished")


async def with_provider(
    put: ProviderUnderTest,
    connection: Connection,
    use: Callable[[Any], Awaitable[None]],
    *,
    after_close: Callable[[Any], Awaitable[None]] | None = None,
) -> None:
    """Build the provider, `use` it, and close it whatever `use` did; `after_close` runs once it
    closed cleanly (a scenario case closes it twice: RS-1)."""
    provider = put.profile.build(put.target, put.spec, connection)
    try:
        await use(provider)
    finally:
        await put.profile.close(provider)
        if after_close is not None:
            await after_close(provider)


def as_profile_allows(
    not_applicable: Mapping[str, str], verdict: Verdict, secrets: tuple[str, ...]
) -> Verdict:
    """The verdict as a report may show it: its message scrubbed of the check's secrets, and not
    applicable where the profile says its interface cannot express the clause."""
    if verdict.clause in not_applicable:
        return replace(verdict, outcome="not-applicable", message=not_applicable[verdict.clause])
    return replace(verdict, message=redact(verdict.message, secrets))


__all__ = ["Ended", "Ending", "as_profile_allows", "run_guarded", "with_provider"]
