"""Running one check: a scenario, in one mode, against one provider, on the shared fake server.

Used alike by the pytest plugin, the subclassable suite and the CLI, so that all three run the same
checks. A check never waits longer than its timeout: a provider that hangs is a failing check.
"""

from __future__ import annotations

import gc
import socket
import time
import warnings
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from conformance.checks import starvation
from conformance.checks.deadline import (
    DEFAULT_CHECK_TIMEOUT,
    DEFAULT_PROVIDER_TIMEOUT,
    PROCESS_EXCEPTIONS,
    CleanupHung,
    LoopStopped,
    ProviderEscape,
    run_with_deadline,
)
from conformance.checks.guarded import as_profile_allows, run_guarded, with_provider
from conformance.checks.outcome import INCOMPLETE_KINDS, Case, CaseOutcome, Incomplete
from conformance.checks.provider import WARM_TIMEOUT, BuildError, ProviderUnderTest, new_api_key
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
from conformance.profiles import Connection
from conformance.secrets.log_collection import collect_logs as _collect_logs
from conformance.server import FakeServer, redact
from conformance.vocabulary.observation import Observation, TurnObservation


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

        async def close_again(provider: object) -> None:
            try:  # RS-1: closing twice must be safe
                await put.profile.close(provider)
            except Exception as exc:
                observation.close_errors.append(f"{type(exc).__name__}: {exc}")

        async def play(provider: object) -> None:
            nonlocal declared
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

        async def drive() -> None:
            await with_provider(put, connection, play, after_close=close_again)

        ended = run_guarded(drive, check_timeout)
        if ended.how == "cleanup-hung":  # the answer is complete; the leftover tasks are RS-1's
            leftover = str(ended.exc)
        elif ended.how == "timed-out":
            observation.timed_out = True
        elif isinstance(ended.exc, ProviderEscape | LoopStopped):  # building or closing it
            escape = ended.exc
        elif ended.how == "raised":  # building or closing the provider failed: not a verdict
            ended.record_error(outcome, session.secrets)
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
                usage_total_is_sum=put.profile.usage_total_is_sum is not None,
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
        as_profile_allows(put.profile.not_applicable, v, session.secrets) for v in outcome.verdicts
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

    async def inspect(provider: object) -> None:
        name = put.profile.provider_name(provider)
        outcome.verdicts += judge_identity(name)
        outcome.facts["name"] = name if isinstance(name, str) else repr(name)
        outcome.facts["declared"] = sorted(put.profile.declared_capabilities(provider))
        if api_key in repr(provider):
            outcome.verdicts.append(failed("SE-1", "the provider's repr() contains the API key"))

    async def drive() -> None:
        await with_provider(put, connection, inspect)

    ended = run_guarded(drive, DEFAULT_CHECK_TIMEOUT)
    if isinstance(ended.exc, ProviderEscape):
        outcome.verdicts.append(escaped_verdict(ended.exc))
    elif ended.timed_out:
        outcome.verdicts.append(
            failed(
                TIMEOUT_CLAUSE,
                f"building the provider and reading its name did not finish within "
                f"{DEFAULT_CHECK_TIMEOUT:g} s (stopped by the per-check timeout)",
            )
        )
    elif ended.how != "finished":  # a stopped loop too: the provider could not be inspected
        ended.record_error(outcome, (api_key,), prefix="cannot build the provider: ")
    return outcome


__all__ = [
    "DEFAULT_CHECK_TIMEOUT",
    "DEFAULT_PROVIDER_TIMEOUT",
    "INCOMPLETE_KINDS",
    "PROCESS_EXCEPTIONS",
    "TIMEOUT_CLAUSE",
    "WARM_TIMEOUT",
    "BuildError",
    "Case",
    "CaseOutcome",
    "CleanupHung",
    "Incomplete",
    "LoopStopped",
    "ProviderEscape",
    "ProviderUnderTest",
    "escaped_verdict",
    "new_api_key",
    "run_case",
    "run_identity",
    "run_with_deadline",
]
