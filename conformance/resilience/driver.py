"""What every RE check shares: the check record, its context (sessions, building, calling, fake
time) and running one check into an outcome that reads like any other check's.

A check builds each provider it needs through the profile's one resilience seam,
`Profile.resilience(build)` (conformance/profiles/resilience.py), with the harness's fake time,
drives it through the profile exactly as the other checks do (`run_turn`), and judges what the
server saw and what the calls returned. The driver knows no concrete profile: what a provider
offers is the `ResilienceOffer`'s parts, and a part that is None makes its clause not applicable
with the offer's reason.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.checks.guarded import as_profile_allows, run_guarded
from conformance.checks.runner import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    CaseOutcome,
    ProviderEscape,
    ProviderUnderTest,
    escaped_verdict,
    new_api_key,
)
from conformance.judge.verdict import Verdict, failed, not_applicable
from conformance.profiles.resilience import Composite, ResilienceBuild, ResilienceOffer, RetryOffer
from conformance.resilience import scripts
from conformance.resilience.clock import FakeClock, SleepBudgetExceeded, Timing
from conformance.resilience.patched_time import modules_of, patched_time, reaches_time
from conformance.scenarios.model import Scenario
from conformance.server import FakeServer, Session, redact
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection

CheckMode = Literal["chat", "stream", "none"]


@dataclass(frozen=True)
class ResilienceCheck:
    name: str
    clause: str
    title: str
    modes: tuple[CheckMode, ...]
    run: Callable[[CheckContext], Awaitable[list[Verdict]]]


@dataclass(frozen=True)
class Built:
    """A provider built for a check: the profile's offer, and which fake-time means reach it
    ("clock", "sleep", "random": taken by its constructor, or its modules' globals replaced)."""

    offer: ResilienceOffer
    injected: frozenset[str]

    @property
    def provider(self) -> Any:
        return self.offer.provider


@dataclass
class CheckContext:
    """What a check works with: sessions, building, calling, and the fake clock."""

    server: FakeServer
    put: ProviderUnderTest
    mode: CheckMode
    api_key: str
    provider_timeout: float
    clock: FakeClock = field(default_factory=FakeClock)
    sessions: list[tuple[str, Session]] = field(default_factory=list)
    budget_note: str | None = None
    #: The provider's module globals replaced by the fake clock (patched_time), for messages.
    patched: list[str] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)
    _owned: list[Any] = field(default_factory=list)

    @property
    def timing(self) -> Timing:
        return Timing.fake(self.clock)

    @property
    def call_mode(self) -> Mode:
        return "stream" if self.mode == "stream" else "chat"

    def session(self, label: str, scenario: Scenario) -> Session:
        opened = self._stack.enter_context(
            self.server.session(scenario, self.put.dialect, self.api_key)
        )
        self.sessions.append((label, opened))
        return opened

    def nowhere_url(self) -> str:
        """A base URL no scenario plays at: for a provider built only to read its settings."""
        return f"{self.server.root_url}/c/resilience-inspection{self.put.dialect.base_path}"

    def build(
        self, base_url: str, *, max_retries: int | None, timeout: float | None = None
    ) -> Built:
        connection = Connection(base_url, self.api_key, timeout or self.provider_timeout)
        request = ResilienceBuild(
            self.put.target, self.put.spec, connection, self.timing.kwargs(), max_retries
        )
        offer = self.put.profile.resilience(request)
        self._owned.append(offer.provider)
        injected = offer.took_time
        if offer.patch_time is not None:
            # A class that takes no clock=: its own sleep and clocks, on this check's fake clock.
            modules = modules_of(offer.provider, offer.patch_time)
            if reaches_time(modules):
                injected = injected | {"clock", "sleep"}
            self.patched += self._stack.enter_context(patched_time(modules, self.clock))
        return Built(offer, injected)

    def adopt(self, composite: Composite) -> None:
        """Close a chain or router (before its members) when the check ends."""
        self._owned.append(composite)

    def watch(self, session: Session) -> None:
        """Count `session`'s requests at every clock move (to time each request)."""
        self.clock.requests = lambda: len(scripts.chat_exchanges(session.snapshot()))

    def stream_unsupported(self, target: Any, clause: str) -> Verdict | None:
        """In stream mode, not applicable for a provider (or composite) that cannot stream."""
        if self.mode != "stream":
            return None
        if isinstance(target, Composite):
            streams = target.streams()
        else:
            streams = "streaming" in self.put.profile.declared_capabilities(target)
        return (
            None if streams else not_applicable(clause, "the provider does not declare streaming")
        )

    async def call(
        self, target: Any, scenario: Scenario, *, retry: RetryOffer | None = None
    ) -> TurnObservation:
        """One call as a caller makes it, to a provider or a composite; with a `retry` offer
        that has its own wrapper (orchestrator's `_retry_with_backoff`), through the wrapper."""
        try:
            if retry is not None and retry.call is not None:
                return await retry.call(scenario, self.call_mode)
            if isinstance(target, Composite):
                return await target.run_turn(scenario, 0, self.call_mode)
            return await self.put.profile.run_turn(target, scenario, 0, self.call_mode)
        except SleepBudgetExceeded as exc:
            self.budget_note = str(exc)
            observed = TurnObservation(mode=self.call_mode)
            observed.error = ObservedError(
                type_name="SleepBudgetExceeded",
                category=None,
                status_code=None,
                retryable=None,
                retry_after=None,
                provider=None,
                message=str(exc),
                cause_type=None,
                representation=repr(exc),
            )
            return observed

    async def close(self) -> None:
        for owned in reversed(self._owned):
            try:
                if isinstance(owned, Composite):
                    await owned.close()
                else:
                    await self.put.profile.close(owned)
            except Exception:  # closing twice is RS-1's business, not RE's
                continue

    def end_sessions(self) -> None:
        self._stack.close()

    def transcript(self) -> str:
        parts = [f"=== session {label} ===\n{s.transcript()}" for label, s in self.sessions]
        return "\n".join(parts) if parts else "(this check opened no session)"


def requests_to(session: Session) -> int:
    return len(scripts.chat_exchanges(session.snapshot()))


def answer_text(observed: TurnObservation) -> str | None:
    if observed.error is not None:
        return None
    return observed.text if observed.mode == "chat" else observed.streamed_text


def read_safely(reader: Callable[[], object] | None) -> object:
    if reader is None:
        return None
    try:
        return reader()
    except Exception:
        return None


def run_resilience_check(
    server: FakeServer,
    put: ProviderUnderTest,
    resilience_check: ResilienceCheck,
    mode: CheckMode,
    *,
    check_timeout: float = DEFAULT_CHECK_TIMEOUT,
    provider_timeout: float = DEFAULT_PROVIDER_TIMEOUT,
) -> CaseOutcome:
    """Run one RE check in one mode; the outcome reads like any other check's."""
    clause = resilience_check.clause
    outcome = CaseOutcome(put.spec.id, resilience_check.name, mode, facts=put.facts())
    api_key = new_api_key()
    ctx = CheckContext(server, put, mode, api_key, provider_timeout)
    verdicts: list[Verdict] = []
    started = time.perf_counter()

    async def drive() -> None:
        try:
            verdicts.extend(await resilience_check.run(ctx))
        finally:
            await ctx.close()

    try:
        ended = run_guarded(drive, check_timeout)
    finally:
        ctx.end_sessions()
    if ended.timed_out:
        verdicts.append(
            failed(clause, f"the check did not finish within {check_timeout:g} s (stopped)")
        )
    elif isinstance(ended.exc, ProviderEscape):  # SystemExit ... from provider code: its failure
        verdicts.append(escaped_verdict(ended.exc))
    elif ended.how != "finished":  # building the provider failed: not a clause verdict
        ended.record_error(outcome, (api_key,))
    outcome.duration = time.perf_counter() - started
    outcome.transcript = redact(ctx.transcript(), (api_key,))
    allowed = put.profile.not_applicable
    outcome.verdicts = [as_profile_allows(allowed, v, (api_key,)) for v in verdicts]
    if outcome.verdicts and all(v.outcome == "not-applicable" for v in outcome.verdicts):
        outcome.not_applicable = outcome.verdicts[0].message
    return outcome
