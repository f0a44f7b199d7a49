"""Running one check: a scenario, in one mode, against one provider, on the shared fake server.

Used alike by the pytest plugin, the subclassable suite and the CLI, so that all three run the same
checks. A check never waits longer than its timeout: a provider that hangs is a failing check.
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.checks import starvation, watchdog
from conformance.dialects import Dialect, get_dialect
from conformance.judge import (
    CaseRecord,
    Verdict,
    failed,
    inconclusive,
    judge_case,
    judge_identity,
    not_applicable,
)
from conformance.judge.framing import blame_framing
from conformance.judge.secrets import judge_secrets
from conformance.profiles import Connection, Profile, ProviderSpec, get_profile
from conformance.profiles.provider_traceback import provider_traceback
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import Scenario
from conformance.secrets.log_collection import collect_logs as _collect_logs
from conformance.secrets.log_collection import install as _redact_logs
from conformance.secrets.redaction import register_secret
from conformance.server import FakeServer, redact
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.clause_hints import fix_hint
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import Observation, TurnObservation
from conformance.vocabulary.targets import check_target_syntax, resolve_target
from conformance.vocabulary.transcript_excerpt import excerpt

DEFAULT_CHECK_TIMEOUT = 10.0
DEFAULT_PROVIDER_TIMEOUT = 3.0


#: How long past its deadline a check's thread may take to notice the cancellation.
_CANCEL_GRACE = 1.0

#: Exceptions Python reserves for ending a thread or the program. Raised by provider code inside a
#: check, they end that check (an exception that is not the profile's own escaped: ER-8), never
#: the run: only a real Ctrl-C, which reaches the main thread, interrupts it.
PROCESS_EXCEPTIONS: tuple[type[BaseException], ...] = (SystemExit, KeyboardInterrupt, GeneratorExit)


class ProviderEscape(Exception):
    """Provider code raised one of PROCESS_EXCEPTIONS inside a check (outside any turn)."""

    def __init__(self, original: BaseException) -> None:
        self.original = original
        detail = f"({original})" if str(original) else ""
        super().__init__(f"{type(original).__name__}{detail}")


class LoopStopped(Exception):
    """Provider code stopped the event loop it was running on (`loop.stop()`)."""


class CleanupHung(TimeoutError):
    """The check's coroutine finished, but its event loop could not close: the provider left
    tasks behind that ignore cancellation, so `asyncio.run` never returns to its caller."""


def run_with_deadline(coroutine: Callable[[], Coroutine[Any, Any, None]], timeout: float) -> None:
    """Run `coroutine()` in its own event loop on a worker thread, for at most `timeout` seconds.

    `asyncio.wait_for` alone cannot stop a provider that blocks its loop (a `time.sleep` or a
    synchronous HTTP call inside `async def`); the thread can be abandoned, so the run goes on.
    An abandoned thread poisons its process (it may spin, hold locks, or wake up later), so it is
    reported to the watchdog, which recycles a worker process after such a check.
    Raises TimeoutError past the deadline (CleanupHung when only the loop's closing hung),
    ProviderEscape for SystemExit, KeyboardInterrupt or GeneratorExit from the coroutine,
    LoopStopped when the provider stopped the loop, or whatever else the coroutine raised.
    """
    result: list[BaseException | None] = []
    finished = threading.Event()  # the coroutine itself returned
    settled = threading.Event()  # the coroutine returned, or the thread ended

    async def tracked() -> None:
        try:
            await coroutine()
        except PROCESS_EXCEPTIONS as exc:  # as an ordinary exception: asyncio would re-raise it
            raise ProviderEscape(exc) from exc  # out of its loop and leave its task unretrieved
        finished.set()
        settled.set()

    def target() -> None:
        try:
            asyncio.run(asyncio.wait_for(tracked(), timeout=timeout))
            result.append(None)
        except PROCESS_EXCEPTIONS as exc:
            result.append(ProviderEscape(exc))
        except RuntimeError as exc:
            stopped = not finished.is_set() and str(exc).startswith("Event loop stopped")
            result.append(LoopStopped(str(exc)) if stopped else exc)
        except BaseException as exc:  # handed to the calling thread
            result.append(exc)
        finally:
            settled.set()

    worker = threading.Thread(target=target, name="conformance-check", daemon=True)
    worker.start()
    settled.wait(timeout + _CANCEL_GRACE)
    if result or finished.is_set():  # ending, or closing its loop: give it the grace
        worker.join(_CANCEL_GRACE)
    if worker.is_alive():
        watchdog.abandoned(worker)
    if not result:
        if finished.is_set():
            raise CleanupHung(
                "the provider answered, but left tasks that ignore cancellation: the event "
                f"loop could not close within {_CANCEL_GRACE:g} s (asyncio.run never returns to "
                "its caller)"
            )
        raise TimeoutError(f"the check did not finish within {timeout:g} s")
    if result[0] is not None:
        raise result[0]


def new_api_key() -> str:
    """An obviously fake key, unique per check, so a leak is traced to the check that leaked it.

    Registered, so that every output of the process is scrubbed of it
    (conformance/secrets/redaction.py),
    log records of every logger included, from the first key on (the identity check's too).
    """
    _redact_logs()
    return register_secret(f"sk-conformance-fake-{secrets.token_hex(12)}")


#: How long building a provider once, before any check, may take: a package that imports lazily
#: on a loaded machine can take many seconds, which no check's clock should pay for.
WARM_TIMEOUT = 60.0


class BuildError(UsageError):
    """The provider's target does not import, or cannot be built: no check of it can run.

    With one provider that is a usage error; in a run of many, only that provider's report entry
    says so (`build_error`) and the others are judged.
    """


_BUILD_HINT = (
    "give a factory that builds it (--provider module:function, or `factory:` in a providers "
    "file), or pass what its constructor needs with --profile-option KEY=VALUE"
)


@dataclass
class ProviderUnderTest:
    """A provider spec resolved once: its class or factory, profile and dialect."""

    spec: ProviderSpec
    target: Callable[..., Any]
    profile: Profile
    dialect: Dialect

    @classmethod
    def load(cls, spec: ProviderSpec) -> ProviderUnderTest:
        """Raises UsageError for a bad dialect or profile, BuildError for a bad target."""
        dialect = get_dialect(spec.dialect)
        profile = get_profile(spec.profile, spec.options)
        check_target_syntax(spec)
        try:
            target = resolve_target(spec)
            profile.check_target(target, spec)
        except UsageError as exc:
            raise BuildError(str(exc)) from None
        return cls(spec, target, profile, dialect)

    def warm(self, base_url: str, timeout: float = WARM_TIMEOUT) -> None:
        """Build the provider once and close it, before any check and off every check's clock.

        The first build imports what the target imports lazily (a registry's create function),
        so the first check of each process is not the one to pay for it; and a target that cannot
        be built is found here, once, instead of as a clause failure in every check.
        """
        api_key = new_api_key()
        connection = Connection(base_url, api_key, DEFAULT_PROVIDER_TIMEOUT)

        built = False

        async def probe() -> None:
            nonlocal built
            provider = self.profile.build(self.target, self.spec, connection)
            built = True
            await self.profile.close(provider)

        try:
            run_with_deadline(probe, timeout)
        except TimeoutError:
            raise BuildError(
                f"--provider {self.spec.target}: building it did not finish within "
                f"{timeout:g} s; {_BUILD_HINT}"
            ) from None
        except Exception as exc:
            error = redact(" ".join(f"{type(exc).__name__}: {exc}".split()), (api_key,))
            if built:  # the constructor worked: the factory hint would send the user astray
                raise BuildError(
                    f"--provider {self.spec.target}: built, but closing it failed ({error})"
                ) from None
            raise BuildError(
                f"--provider {self.spec.target}: cannot be built ({error}); {_BUILD_HINT}"
            ) from None

    def facts(self) -> dict[str, Any]:
        return {
            "target": self.spec.target,
            "dialect": self.dialect.name,
            "profile": self.profile.name,
        }


@dataclass(frozen=True)
class Case:
    scenario: Scenario
    mode: Mode

    @property
    def id(self) -> str:
        return f"{self.scenario.name}-{self.mode}"


#: Why a planned check has no verdicts of its own. None of these is a provider failure and none is
#: a pass: a provider conforms only when every planned check ran and was judged.
INCOMPLETE_KINDS = (
    "harness-error",  # the harness itself raised while running or judging the check
    "crashed",  # the process running the check died (segfault, os._exit, out of memory)
    "interrupted",  # the run was interrupted (Ctrl-C, SIGTERM) before the check finished
    "deadline",  # the run's overall deadline (--run-timeout) ended it before the check finished
    "not-run",  # planned, but no result arrived, for no reason the harness could name
)


@dataclass(frozen=True)
class Incomplete:
    """A check the harness could not complete: its kind (INCOMPLETE_KINDS) and why."""

    kind: str
    reason: str

    def __post_init__(self) -> None:
        if self.kind not in INCOMPLETE_KINDS:
            raise ValueError(f"unknown incomplete kind {self.kind!r}")

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "reason": self.reason}


@dataclass
class CaseOutcome:
    provider: str
    scenario: str
    mode: str
    verdicts: list[Verdict] = field(default_factory=list)
    transcript: str = ""
    not_applicable: str | None = None
    error: str | None = None
    duration: float = 0.0
    #: What the report needs to know of the provider (target, dialect, profile, name ...).
    facts: dict[str, Any] = field(default_factory=dict)
    #: Lines a failure message shows before the transcript (a property's seed and replay).
    notes: list[str] = field(default_factory=list)
    #: Set when the harness could not complete the check; its verdicts then count for nothing.
    incomplete: Incomplete | None = None
    #: The provider's own tracebacks (harness frames hidden) of the exceptions it raised.
    tracebacks: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.failed]

    @property
    def ok(self) -> bool:
        return not self.failures and self.error is None and self.incomplete is None

    @property
    def inconclusive(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome == "inconclusive"]

    def failure_text(self, full_transcript_at: str | None = None) -> str:
        """The failure as pytest shows it; given where the whole transcript is, an excerpt of it."""
        lines = [f"{self.provider}: scenario {self.scenario} [{self.mode}]"]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += [f"  {v.headline()}" for v in self.failures]
        for clause in dict.fromkeys(v.clause for v in self.failures):
            lines.append(f"  fix {clause}: {fix_hint(clause, self.facts.get('profile'))}")
        if self.notes:
            lines += ["", *self.notes]
        for text in self.tracebacks:
            lines += ["", "The provider raised (harness frames hidden):", text]
        transcript = self.transcript
        if full_transcript_at is not None:
            failing = self.failures
            transcript = excerpt(
                transcript,
                [v.message for v in failing],
                full_at=full_transcript_at,
                clauses=[v.clause for v in failing],
            )
        lines += ["", "Wire transcript:", transcript]
        if self.scenario in bundled_scenarios():
            lines += [
                "",
                f"Expected result: provider-conformance show scenario {self.scenario} --json",
            ]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "scenario": self.scenario,
            "mode": self.mode,
            "verdicts": [
                {"clause": v.clause, "outcome": v.outcome, "message": v.message}
                for v in self.verdicts
            ],
            "transcript": self.transcript if self.failures or self.error else "",
            "not_applicable": self.not_applicable,
            "error": self.error,
            "duration": round(self.duration, 4),
            "facts": self.facts,
            "incomplete": self.incomplete.as_json() if self.incomplete else None,
        }


def _closed_port_url(base_url: str) -> str:
    """The same URL on a loopback port nothing listens on: the connection will be refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


def _wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.005)
    return True


#: How long the server may take to notice that a provider closed its connections.
_CLOSE_GRACE = 0.5


def run_case(
    server: FakeServer,
    put: ProviderUnderTest,
    case: Case,
    *,
    check_timeout: float = DEFAULT_CHECK_TIMEOUT,
    provider_timeout: float = DEFAULT_PROVIDER_TIMEOUT,
) -> CaseOutcome:
    """One check; tried once more when a timing verdict was inconclusive (a starved harness).

    The second try's verdicts stand: a timing failure it shows with the harness running on time
    is the provider's; one it shows while the harness is starved again stays inconclusive.
    """
    first = _run_case_once(
        server, put, case, check_timeout=check_timeout, provider_timeout=provider_timeout
    )
    if not first.inconclusive:
        return first
    second = _run_case_once(
        server, put, case, check_timeout=check_timeout, provider_timeout=provider_timeout
    )
    second.notes.append(
        "Tried twice: the first try's timing coincided with the harness being starved "
        f"({'; '.join(v.message for v in first.inconclusive)})."
    )
    return second


#: The clause a check that never finished is blamed on: the provider did not honour a timeout.
TIMEOUT_CLAUSE = "ER-4"


def _timed_out_verdicts(
    verdicts: list[Verdict], requested: bool, check_timeout: float, lag: float
) -> list[Verdict]:
    """A check that never finished fails ER-4 (or is inconclusive under a starved harness).

    An unfinished observation shows only what already happened: a leaked secret (SE), an
    exception that escaped (ER-8), a request already sent (RQ). Every other clause, the ones the
    scenario exists for among them, is neither passed nor failed from it.
    """
    kept = [
        v
        for v in verdicts
        if v.failed
        and (
            v.clause.startswith("SE-")
            or v.clause == "ER-8"
            or (requested and v.clause[:3] == "RQ-")
        )
    ]
    message = (
        f"the provider did not finish within {check_timeout:g} s (stopped by the per-check "
        "timeout): it did not honour its own timeout"
    )
    if starvation.starved(lag):
        kept.append(inconclusive(TIMEOUT_CLAUSE, f"{message}; but {starvation.describe(lag)}"))
    else:
        kept.append(failed(TIMEOUT_CLAUSE, message))
    return kept


def escaped_verdict(exc: ProviderEscape | LoopStopped) -> Verdict:
    """ER-8 for provider code that raised SystemExit & co., or stopped its caller's loop."""
    if isinstance(exc, LoopStopped):
        return failed(
            "ER-8",
            "the provider stopped the event loop it was called on (loop.stop()): its caller got "
            f"RuntimeError({exc}) instead of an answer or one of the profile's errors",
        )
    return failed(
        "ER-8",
        f"{exc} was raised by the provider's code during the check; only the profile's own error "
        "types may escape (a provider must not end its caller's thread or program)",
    )


def _run_case_once(
    server: FakeServer,
    put: ProviderUnderTest,
    case: Case,
    *,
    check_timeout: float,
    provider_timeout: float,
) -> CaseOutcome:
    scenario, mode = case.scenario, case.mode
    outcome = CaseOutcome(put.spec.id, scenario.name, mode, facts=put.facts())
    api_key = new_api_key()
    started = time.perf_counter()
    observation = Observation(mode=mode)
    declared: frozenset[str] = frozenset()
    escape: ProviderEscape | LoopStopped | None = None
    leftover = ""
    window = starvation.open_window(server)
    with (
        server.session(scenario, put.dialect, api_key) as session,
        _collect_logs((api_key,)) as logs,
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", ResourceWarning)
        base_url = session.base_url
        if any(reply.fault.refuse_connection for t in scenario.turns for reply in t.replies):
            base_url = _closed_port_url(base_url)
        connection = Connection(base_url, api_key, scenario.timeout or provider_timeout)

        async def drive() -> None:
            nonlocal declared
            provider = put.profile.build(put.target, put.spec, connection)
            try:
                observation.provider_name = put.profile.provider_name(provider)
                observation.provider_repr = repr(provider)
                declared = put.profile.declared_capabilities(provider)
                # Every check carries them, so a shard without the identity check reports alike.
                outcome.facts.setdefault("declared", sorted(declared))
                name = observation.provider_name
                outcome.facts.setdefault("name", name if isinstance(name, str) else repr(name))
                missing = sorted(scenario.requirements(mode) - declared)
                if missing:
                    outcome.not_applicable = f"the provider does not declare {', '.join(missing)}"
                    return
                inexpressible = put.dialect.cannot_express(scenario, mode)
                if inexpressible is not None:
                    outcome.not_applicable = inexpressible
                    return
                for turn in range(len(scenario.turns)):
                    began = time.perf_counter()
                    try:
                        observed = await put.profile.run_turn(provider, scenario, turn, mode)
                    except PROCESS_EXCEPTIONS as exc:  # the turn's error: judged (ER-8 ...)
                        observed = TurnObservation(mode=mode, error=put.profile.classify(exc))
                    observed.started, observed.ended = began, time.perf_counter()
                    observation.turns.append(observed)
                    if observed.error is not None:
                        break
            finally:
                await put.profile.close(provider)
                try:  # RS-1: closing twice must be safe
                    await put.profile.close(provider)
                except Exception as exc:
                    observation.close_errors.append(f"{type(exc).__name__}: {exc}")

        try:
            run_with_deadline(drive, check_timeout)
        except CleanupHung as exc:  # the answer is complete; the leftover tasks are RS-1's
            leftover = str(exc)
        except TimeoutError:
            observation.timed_out = True
        except ProviderEscape as exc:  # SystemExit ... while building or closing the provider
            escape = exc
        except LoopStopped as exc:
            escape = exc
        except Exception as exc:  # building or closing the provider failed: not a clause verdict
            outcome.error = redact(f"{type(exc).__name__}: {exc}", session.secrets)
            outcome.tracebacks.append(provider_traceback(exc, session.secrets))
        observation.harness_lag = window.worst()
        # The server finishes its side (a hold, a stall the client left) before anything is judged.
        _wait_until(lambda: all(e.done for e in session.snapshot()), _CLOSE_GRACE)
        _wait_until(lambda: not server.open_connections(session), _CLOSE_GRACE)
        observation.open_connections = len(server.open_connections(session))
        gc.collect()  # unclosed sockets and transports warn when they are collected (RS-2)
        # What survives is not this check's garbage: leave it out of every later collection,
        # which then scans only the next check's objects (a full collection of a long run's
        # heap costs more than the check itself).
        gc.freeze()
        observation.resource_warnings = [
            f"{w.category.__name__}: {w.message}"
            for w in caught
            if issubclass(w.category, ResourceWarning)
        ] + [line for line in logs.lines if "Unclosed" in line or "unclosed" in line]
        observation.log_lines = logs.lines
        outcome.duration = time.perf_counter() - started
        outcome.transcript = session.transcript()
        if outcome.not_applicable is None:
            record = CaseRecord(
                scenario=scenario,
                mode=mode,
                observation=observation,
                exchanges=tuple(session.snapshot()),
                dialect=put.dialect,
                api_key=api_key,
                declared=declared,
                provider_timeout=put.profile.built_timeout(connection.timeout),
                inexpressible=frozenset(put.profile.not_applicable),
                parameters=put.profile.request_parameters,
            )
            outcome.verdicts = blame_framing(
                scenario,
                judge_case(record),
                lambda twin: _twin_verdicts(
                    server, put, Case(twin, mode), check_timeout, provider_timeout
                ),
            )
            if observation.timed_out:
                outcome.verdicts = _timed_out_verdicts(
                    outcome.verdicts,
                    bool(record.exchanges),
                    check_timeout,
                    observation.harness_lag,
                )
            if escape is not None:
                outcome.verdicts.append(escaped_verdict(escape))
            if leftover:
                outcome.verdicts = [v for v in outcome.verdicts if v.clause != "RS-1" or v.failed]
                outcome.verdicts.append(failed("RS-1", leftover))
        else:
            # Honest verdicts: the clauses this scenario exists for are not applicable, not passed.
            outcome.verdicts = [not_applicable(c, outcome.not_applicable) for c in scenario.focus]
            outcome.verdicts += judge_secrets(
                CaseRecord(scenario, mode, observation, (), put.dialect, api_key, declared)
            )
    outcome.verdicts = [
        _as_profile_allows(put.profile.not_applicable, v, session.secrets) for v in outcome.verdicts
    ]
    if outcome.failures:  # the exceptions a clause may have failed on, where they were raised
        raised = [t.error.traceback for t in observation.turns if t.error and t.error.traceback]
        outcome.tracebacks += [redact(text, session.secrets) for text in dict.fromkeys(raised)]
    if session.harness_error is not None:  # the server could not play the scenario as written
        outcome.incomplete = Incomplete("harness-error", session.harness_error)
        outcome.verdicts = []
    return outcome


def _twin_verdicts(
    server: FakeServer,
    put: ProviderUnderTest,
    case: Case,
    check_timeout: float,
    provider_timeout: float,
) -> list[Verdict] | None:
    """ST-6's plain-framed twin (conformance/judge/framing.py), None if it could not run."""
    twin = run_case(
        server, put, case, check_timeout=check_timeout, provider_timeout=provider_timeout
    )
    return None if twin.error is not None else twin.verdicts


def _as_profile_allows(
    not_applicable: Mapping[str, str], verdict: Verdict, secrets: tuple[str, ...]
) -> Verdict:
    """Redact the verdict's message; a clause the interface cannot express is not applicable."""
    if verdict.clause in not_applicable:
        return replace(verdict, outcome="not-applicable", message=not_applicable[verdict.clause])
    return replace(verdict, message=redact(verdict.message, secrets))


def run_identity(put: ProviderUnderTest, server: FakeServer) -> CaseOutcome:
    """ID-1 and the provider's repr (SE-1), without any request."""
    outcome = CaseOutcome(
        put.spec.id,
        "identity",
        "none",
        transcript="(none: this check builds the provider and reads its name, without a request)",
        facts=put.facts(),
    )
    api_key = new_api_key()
    connection = Connection(f"{server.root_url}/c/identity{put.dialect.base_path}", api_key, 1.0)

    async def inspect() -> None:
        provider = put.profile.build(put.target, put.spec, connection)
        try:
            name = put.profile.provider_name(provider)
            outcome.verdicts += judge_identity(name)
            outcome.facts["name"] = name if isinstance(name, str) else repr(name)
            outcome.facts["declared"] = sorted(put.profile.declared_capabilities(provider))
            if api_key in repr(provider):
                outcome.verdicts.append(
                    failed("SE-1", "the provider's repr() contains the API key")
                )
        finally:
            await put.profile.close(provider)

    try:
        run_with_deadline(inspect, DEFAULT_CHECK_TIMEOUT)
    except ProviderEscape as exc:
        outcome.verdicts.append(escaped_verdict(exc))
    except TimeoutError:
        outcome.verdicts.append(
            failed(
                TIMEOUT_CLAUSE,
                f"building the provider and reading its name did not finish within "
                f"{DEFAULT_CHECK_TIMEOUT:g} s (stopped by the per-check timeout)",
            )
        )
    except Exception as exc:
        outcome.error = redact(f"cannot build the provider: {type(exc).__name__}: {exc}", [api_key])
        outcome.tracebacks.append(provider_traceback(exc, (api_key,)))
    return outcome
