"""Running one check: a scenario, in one mode, against one provider, on the shared fake server.

Used alike by the pytest plugin, the subclassable suite and the CLI, so that all three run the same
checks. A check never waits longer than its timeout: a provider that hangs is a failing check.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.canonical import Mode
from conformance.dialects import Dialect, get_dialect
from conformance.judge import (
    CaseRecord,
    Verdict,
    failed,
    judge_case,
    judge_identity,
    not_applicable,
)
from conformance.judge.secrets import judge_secrets
from conformance.observation import Observation
from conformance.profiles import Connection, Profile, ProviderSpec, get_profile
from conformance.scenarios import bundled_scenarios
from conformance.scenarios.model import Scenario
from conformance.server import FakeServer, redact
from conformance.targets import resolve_target

DEFAULT_CHECK_TIMEOUT = 10.0
DEFAULT_PROVIDER_TIMEOUT = 3.0


#: How long past its deadline a check's thread may take to notice the cancellation.
_CANCEL_GRACE = 1.0


def run_with_deadline(coroutine: Callable[[], Coroutine[Any, Any, None]], timeout: float) -> None:
    """Run `coroutine()` in its own event loop on a worker thread, for at most `timeout` seconds.

    `asyncio.wait_for` alone cannot stop a provider that blocks its loop (a `time.sleep` or a
    synchronous HTTP call inside `async def`); the thread can be abandoned, so the run goes on.
    Raises TimeoutError past the deadline, or whatever the coroutine raised.
    """
    result: list[BaseException | None] = []

    def target() -> None:
        try:
            asyncio.run(asyncio.wait_for(coroutine(), timeout=timeout))
            result.append(None)
        except BaseException as exc:  # handed to the calling thread
            result.append(exc)

    worker = threading.Thread(target=target, name="conformance-check", daemon=True)
    worker.start()
    worker.join(timeout + _CANCEL_GRACE)
    if worker.is_alive() or not result:
        raise TimeoutError(f"the check did not finish within {timeout:g} s")
    if result[0] is not None:
        raise result[0]


def new_api_key() -> str:
    """An obviously fake key, unique per check, so a leak is traced to the check that leaked it."""
    return f"sk-conformance-fake-{secrets.token_hex(12)}"


@dataclass
class ProviderUnderTest:
    """A provider spec resolved once: its class or factory, profile and dialect."""

    spec: ProviderSpec
    target: Callable[..., Any]
    profile: Profile
    dialect: Dialect

    @classmethod
    def load(cls, spec: ProviderSpec) -> ProviderUnderTest:
        dialect = get_dialect(spec.dialect)
        profile = get_profile(spec.profile, spec.options)
        target = resolve_target(spec)
        profile.check_target(target, spec)
        return cls(spec, target, profile, dialect)

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

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.failed]

    @property
    def ok(self) -> bool:
        return not self.failures and self.error is None and self.incomplete is None

    @property
    def inconclusive(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.outcome == "inconclusive"]

    def failure_text(self) -> str:
        lines = [f"{self.provider}: scenario {self.scenario} [{self.mode}]"]
        if self.error:
            lines.append(f"  error: {self.error}")
        lines += [f"  {v.headline()}" for v in self.failures]
        if self.notes:
            lines += ["", *self.notes]
        lines += ["", "Wire transcript:", self.transcript]
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


class _LogCollector(logging.Handler):
    """Keeps every line for SE-1, then redacts the record for the handlers after it.

    It is installed first on the root logger, so pytest's own log capture (and with it the JUnit
    file) only ever sees the redacted line.
    """

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._secrets = secrets

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
        except Exception:  # a broken log call must not break the check
            line = str(record.msg)
        self.lines.append(line)
        if any(secret in line for secret in self._secrets):
            record.msg = redact(line, self._secrets)
            record.args = ()


@contextmanager
def _collect_logs(secrets: tuple[str, ...]) -> Iterator[_LogCollector]:
    """Every log line the provider writes at any level, for SE-1."""
    root = logging.getLogger()
    collector = _LogCollector(secrets)
    previous = root.level
    root.handlers.insert(0, collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector
    finally:
        root.removeHandler(collector)
        root.setLevel(previous)


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
    scenario, mode = case.scenario, case.mode
    outcome = CaseOutcome(put.spec.id, scenario.name, mode, facts=put.facts())
    api_key = new_api_key()
    started = time.perf_counter()
    observation = Observation(mode=mode)
    declared: frozenset[str] = frozenset()
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
                    observed = await put.profile.run_turn(provider, scenario, turn, mode)
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
        except TimeoutError:
            observation.timed_out = True
        except Exception as exc:  # building or closing the provider failed: not a clause verdict
            outcome.error = redact(f"{type(exc).__name__}: {exc}", session.secrets)
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
                provider_timeout=connection.timeout,
                inexpressible=frozenset(put.profile.not_applicable),
                parameters=put.profile.request_parameters,
            )
            outcome.verdicts = judge_case(record)
            if observation.timed_out:
                primary = "ER-1" if scenario.is_error else ("CH-1" if mode == "chat" else "ST-1")
                outcome.verdicts.append(
                    failed(
                        primary,
                        f"the provider did not finish within {check_timeout:g} s "
                        "(stopped by the per-check timeout)",
                    )
                )
        else:
            # Honest verdicts: the clauses this scenario exists for are not applicable, not passed.
            outcome.verdicts = [not_applicable(c, outcome.not_applicable) for c in scenario.focus]
            outcome.verdicts += judge_secrets(
                CaseRecord(scenario, mode, observation, (), put.dialect, api_key, declared)
            )
    outcome.verdicts = [
        _as_profile_allows(put.profile.not_applicable, v, session.secrets) for v in outcome.verdicts
    ]
    return outcome


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
    except Exception as exc:
        outcome.error = redact(f"cannot build the provider: {type(exc).__name__}: {exc}", [api_key])
    return outcome
