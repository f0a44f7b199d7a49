"""The RE checks must catch every known-bad resilience bug, on its clause, with a usable message.

Each row plants one bug in the reference resilient provider (tests/known_bad/resilience.py) and
demands that one RE check fails its clause saying what happened, while the reference passes every
RE check in every mode (or a failing row would prove nothing), and the planted bug does not make
checks of the other RE clauses fail (it is caught for the right reason, not by accident).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from known_bad import resilience as bad

from conformance import CaseOutcome, FakeServer, ProviderSpec, ProviderUnderTest
from conformance.resilience import CHECKS_BY_NAME, RESILIENCE_CHECKS, run_resilience_check
from reference_providers.resilient_provider import ResilientOpenAIProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(
    server: FakeServer, provider: type[ResilientOpenAIProvider], check: str, mode: str
) -> CaseOutcome:
    spec = ProviderSpec(
        target=f"{provider.__module__}:{provider.__qualname__}",
        dialect="openai-chat",
        label=provider.__name__,
        factory=provider,
    )
    put = ProviderUnderTest.load(spec)
    return run_resilience_check(server, put, CHECKS_BY_NAME[check], mode)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Row:
    provider: type[ResilientOpenAIProvider]
    clause: str
    check: str
    mode: str
    #: Substrings of the clause's message: proof it failed for the planted bug.
    evidence: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.clause}-{self.provider.__name__}-{self.check}-{self.mode}"


ROWS: tuple[Row, ...] = (
    Row(bad.RetriesOnAuth, "RE-1", "re1_no_retry_on_auth", "chat", ("retried after 401",)),
    Row(bad.RetriesOnAuth, "RE-1", "re1_no_retry_on_invalid_request", "stream", ("after 400",)),
    Row(
        bad.IgnoresRetryAfter,
        "RE-1",
        "re1_retry_after",
        "chat",
        ("that asked for Retry-After 2 s", "requests at t=0, 0."),
    ),
    Row(
        bad.RetriesForever,
        "RE-1",
        "re1_gives_up",
        "chat",
        ("does not stop retrying", "more than max_retries=3"),
    ),
    Row(bad.ConstantBackoff, "RE-1", "re1_retry_until_success", "chat", ("does not grow",)),
    Row(bad.ConstantBackoff, "RE-1", "re1_gives_up", "stream", ("does not grow",)),
    Row(
        bad.RetriesAfterFirstChunk,
        "RE-1",
        "re1_stream_started",
        "stream",
        ("stream cut after its first content", "would see it again"),
    ),
    Row(
        bad.BreakerCountsAuth,
        "RE-2",
        "re2_auth_not_counted",
        "chat",
        ("the breaker says 'open', expected 'closed'", "5:auth"),
    ),
    Row(
        bad.BreakerNeverHalfOpens,
        "RE-2",
        "re2_opens_and_recovers",
        "chat",
        ("should half-open",),
    ),
    Row(
        bad.BreakerNeverHalfOpens,
        "RE-2",
        "re2_failed_probe_reopens",
        "stream",
        ("should half-open",),
    ),
    Row(
        bad.ChainStopsOnRetryable,
        "RE-3",
        "re3_moves_on",
        "chat",
        ("the chain failed although gamma answers", "beta received no request at all"),
    ),
    Row(
        bad.ChainSwallowsFailures,
        "RE-3",
        "re3_all_failures_named",
        "chat",
        ("does not name 'alpha'", "'All providers failed'"),
    ),
    Row(
        bad.RouterIgnoresHealth,
        "RE-3",
        "re3_first_available",
        "stream",
        ("call 6 was not answered by beta", "circuit breaker is open"),
    ),
    Row(bad.HealthCheckRaises, "RE-4", "re4_health_refused", "none", ("raised", "expected False")),
    Row(bad.HealthCheckRaises, "RE-4", "re4_health_server_error", "none", ("raised",)),
    Row(bad.HealthCheckHangs, "RE-4", "re4_health_stalled", "none", ("did not answer within",)),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_resilience_is_caught(server: FakeServer, row: Row) -> None:
    outcome = run_check(server, row.provider, row.check, row.mode)
    text = outcome.failure_text()
    assert outcome.error is None, text
    failures = {v.clause: v.message for v in outcome.failures}
    assert set(failures) == {row.clause}, text
    for evidence in row.evidence:
        assert evidence in failures[row.clause], f"{evidence!r} not in:\n{text}"
    assert "=== session" in outcome.transcript or row.check == "re4_health_refused"


CASES = [(check.name, mode) for check in RESILIENCE_CHECKS for mode in check.modes]


@pytest.mark.parametrize(("check", "mode"), CASES, ids=[f"{c}-{m}" for c, m in CASES])
def test_reference_passes_every_resilience_check(server: FakeServer, check: str, mode: str) -> None:
    outcome = run_check(server, ResilientOpenAIProvider, check, mode)
    assert outcome.error is None and outcome.not_applicable is None, outcome.failure_text()
    assert [v.outcome for v in outcome.verdicts] == ["pass"], outcome.failure_text()


BAD = sorted({row.provider for row in ROWS}, key=lambda cls: cls.__name__)

#: One or two checks per clause: enough to see a planted bug spill over into another clause.
REPRESENTATIVE = [
    CHECKS_BY_NAME[name]
    for name in (
        "re1_retry_until_success",
        "re1_no_retry_on_auth",
        "re2_opens_and_recovers",
        "re3_moves_on",
        "re3_first_available",
        "re4_health_up",
        "re4_health_refused",
    )
]

#: Clauses a planted bug legitimately breaks as well, with the reason.
COLLATERAL: dict[type[ResilientOpenAIProvider], frozenset[str]] = {
    # It ignores max_retries altogether, also the max_retries=0 the breaker and chain checks
    # build their providers with, so every failing call there retries until the sleep budget.
    bad.RetriesForever: frozenset({"RE-2", "RE-3"}),
}


@pytest.mark.parametrize("provider", BAD, ids=[cls.__name__ for cls in BAD])
def test_known_bad_fails_no_other_clause(
    server: FakeServer, provider: type[ResilientOpenAIProvider]
) -> None:
    planted = {row.clause for row in ROWS if row.provider is provider}
    planted |= COLLATERAL.get(provider, frozenset())
    wrong = []
    for check in REPRESENTATIVE:
        if check.clause in planted:
            continue
        outcome = run_check(server, provider, check.name, check.modes[0])
        if outcome.failures or outcome.error:
            wrong.append(outcome.failure_text())
    assert not wrong, "\n\n".join(wrong)
