"""The suite must catch known-bad providers of every interface, on the right clause.

Each row runs one known-bad provider (tests/known_bad/victor_style.py, orchestrator_style.py,
execute_style.py) through its profile against one scenario, and demands that the planted bug's
clause fails, with the planted bug in its message, and that nothing unrelated fails. The correct
stand-ins they are made from (tests/standins) must pass every bundled scenario in the same
profile, or a failing row would prove nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

STANDINS = Path(__file__).resolve().parent / "standins"
if str(STANDINS) not in sys.path:
    sys.path.insert(0, str(STANDINS))

from known_bad import execute_style, orchestrator_style, victor_style  # noqa: E402
from llm_providers.openai_provider import OpenAIProvider  # noqa: E402
from orchestrator.providers.gigachat_like import GigaChatLikeProvider  # noqa: E402
from orchestrator.providers.openai_like import OpenAILikeProvider  # noqa: E402
from victor.providers.openai_compat_provider import OpenAICompatProvider  # noqa: E402

from conformance import (  # noqa: E402
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)

SCENARIOS = bundled_scenarios()
OPENAI = "openai-chat"
OAUTH = "conformance.dialects.oauth_token:OAuthOpenAIChat"
OAUTH_TOKEN_ERRORS = "conformance.dialects.oauth_token:OAuthTokenErrorsOpenAIChat"
#: How the GigaChat-like providers find the token endpoint on the fake server.
TOKEN_URL = {"set.OAUTH_URL": "{base_url}/oauth"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@dataclass(frozen=True)
class Target:
    """A provider class, how the suite drives it, and where it is served."""

    cls: Callable[..., Any]
    profile: str
    dialect: str = OPENAI
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.profile}-{getattr(self.cls, '__name__', 'provider')}-{self.dialect[-12:]}"


def run_check(
    server: FakeServer, target: Target, scenario: str, mode: str
) -> tuple[CaseOutcome, list[str]]:
    """One check as the plugin runs it; also returns every API key handed to the provider."""
    keys: list[str] = []
    cls = target.cls

    def factory(*args: Any, **kwargs: Any) -> Any:
        config = args[0] if args else None
        key = kwargs.get("api_key") or getattr(config, "api_key", None)
        if key is None and isinstance(config, dict):
            key = config.get("api_key")
        keys.append(str(key))
        return cls(*args, **kwargs)

    spec = ProviderSpec(
        target=f"{cls.__module__}:{cls.__qualname__}",
        dialect=target.dialect,
        profile=target.profile,
        label=cls.__name__,
        options=dict(target.options),
        factory=factory,
    )
    put = ProviderUnderTest.load(spec)
    return run_case(server, put, Case(SCENARIOS[scenario], mode)), keys  # type: ignore[arg-type]


@dataclass(frozen=True)
class Row:
    target: Target
    clause: str
    scenario: str
    mode: str
    evidence: tuple[str, ...] = ()
    collateral: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return f"{self.clause}-{self.target.id}-{self.scenario}-{self.mode}"


ROWS: tuple[Row, ...] = (
    # victor: seed 000's stream error handling reads an unread body.
    Row(
        Target(victor_style.UnreadStreamError, "victor"),
        "ER-8",
        "error_401",
        "stream",
        ("httpx.ResponseNotRead",),
    ),
    Row(
        Target(victor_style.UnreadStreamError, "victor"),
        "ER-8",
        "error_429",
        "stream",
        ("httpx.ResponseNotRead",),
    ),
    # victor: a plain ProviderError with the right status is not the class callers look for.
    *(
        Row(
            Target(victor_style.StatusOnlyErrors, "victor"),
            "ER-1",
            scenario,
            mode,
            (f"category 'unknown', expected {category!r}", "cannot tell this one apart"),
        )
        for scenario, category in (("error_403", "auth"), ("error_404", "not_found"))
        for mode in ("chat", "stream")
    ),
    # victor: the transport's or decoder's exception is dropped from the error.
    *(
        Row(
            Target(victor_style.CauselessTransportErrors, "victor"),
            "ER-3",
            scenario,
            mode,
            ("carries no cause",),
        )
        # (A refused connection is judged alike, but leaves no request for the row to show.)
        for scenario in (
            "fault_connection_reset",
            "fault_stall_before_headers",
            "fault_malformed_json",
        )
        for mode in SCENARIOS[scenario].modes
    ),
    # orchestrator: seed 001's guide maps 401, 429 and 400 only.
    Row(
        Target(orchestrator_style.ForbiddenAsGenericError, "orchestrator"),
        "ER-1",
        "error_403",
        "chat",
        ("category 'unknown', expected 'auth'",),
    ),
    Row(
        Target(orchestrator_style.ForbiddenAsGenericError, "orchestrator"),
        "ER-1",
        "error_403",
        "stream",
        ("category 'unknown', expected 'auth'",),
    ),
    # orchestrator, OAuth: the token endpoint's 429 becomes the catch-all.
    Row(
        Target(
            orchestrator_style.TokenRateLimitAsGenericError,
            "orchestrator",
            OAUTH_TOKEN_ERRORS,
            TOKEN_URL,
        ),
        "ER-1",
        "error_429",
        "chat",
        ("HTTP 429 (chat) became category 'unknown', expected 'rate_limit'",),
    ),
    Row(
        Target(
            orchestrator_style.TokenRateLimitAsGenericError,
            "orchestrator",
            OAUTH_TOKEN_ERRORS,
            TOKEN_URL,
        ),
        "ER-1",
        "error_429",
        "stream",
        # The catch-all carries no retryable flag of its own, so only the category is judged.
        ("HTTP 429 (stream) became category 'unknown', expected 'rate_limit'",),
    ),
    # execute: seed 003's stream parser drops `data:` without the space, silently.
    Row(
        Target(execute_style.DropsUnspacedData, "execute"),
        "ST-1",
        "text_compact_framing",
        "stream",
        ("texts differ at character 0", "got 0"),
    ),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_provider_is_caught(server: FakeServer, row: Row) -> None:
    outcome, keys = run_check(server, row.target, row.scenario, row.mode)
    text = outcome.failure_text()
    failed = {verdict.clause for verdict in outcome.failures}
    assert outcome.error is None, text
    assert outcome.not_applicable is None, text
    assert row.clause in failed, f"{row.clause} was not flagged:\n{text}"
    unexpected = failed - {row.clause} - row.collateral
    assert not unexpected, f"unrelated clause(s) {sorted(unexpected)} failed too:\n{text}"
    messages = " ".join(v.message for v in outcome.failures if v.clause == row.clause)
    for needle in row.evidence:
        assert needle in messages, f"{needle!r} not in the {row.clause} message:\n{text}"
    assert "--- request 1 ---" in text, text
    dumped = json.dumps(outcome.as_json(), ensure_ascii=False)
    assert keys, "the provider was never built"
    for key in keys:
        assert key not in text and key not in dumped


def test_token_errors_are_served_by_the_token_endpoint(server: FakeServer) -> None:
    """The 429 the OAuth row judges came from the token endpoint: no chat request was made."""
    target = Target(
        orchestrator_style.TokenRateLimitAsGenericError,
        "orchestrator",
        OAUTH_TOKEN_ERRORS,
        TOKEN_URL,
    )
    outcome, _ = run_check(server, target, "error_429", "chat")
    assert "POST /c/" in outcome.transcript and "/v1/oauth HTTP/1.1" in outcome.transcript
    assert "/v1/chat/completions" not in outcome.transcript
    assert "HTTP/1.1 429" in outcome.transcript


GOOD: tuple[Target, ...] = (
    Target(OpenAICompatProvider, "victor"),
    Target(OpenAILikeProvider, "orchestrator"),
    Target(GigaChatLikeProvider, "orchestrator", OAUTH, TOKEN_URL),
    Target(GigaChatLikeProvider, "orchestrator", OAUTH_TOKEN_ERRORS, TOKEN_URL),
    Target(OpenAIProvider, "execute"),
)

# The stand-ins copy real classes, which do not all read the shapes only some servers send
# (scenarios tagged wire-shape), and the orchestrator's drop top_p and stop as the real ones do
# (interface-parameters); those are proven elsewhere (tests/test_known_bad_wire_shapes.py,
# tests/test_request_parameters.py).
GOOD_CASES = [
    (target, name, mode)
    for target in GOOD
    for name, scenario in sorted(SCENARIOS.items())
    if not {"wire-shape", "interface-parameters"} & set(scenario.tags)
    for mode in scenario.modes
]


@pytest.mark.parametrize(
    ("target", "scenario", "mode"),
    GOOD_CASES,
    ids=[f"{t.id}-{n}-{m}" for t, n, m in GOOD_CASES],
)
def test_correct_stand_in_passes(
    server: FakeServer, target: Target, scenario: str, mode: str
) -> None:
    """Without this, a failing row could be the suite's (or the profile's) fault."""
    outcome, _ = run_check(server, target, scenario, mode)
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    if outcome.not_applicable is None:
        judged = [v for v in outcome.verdicts if v.outcome == "pass"]
        assert judged, "a check that judged nothing cannot fail"
