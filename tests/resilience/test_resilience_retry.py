"""RetryPolicy, Retrier and RetryingProvider: what is retried, how long it waits, on the wire."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from resilience_support import PING, ScriptedProvider, collect, failure, run

from conformance import FakeServer, get_dialect
from conformance.resilience.clock import FakeClock
from conformance.resilience.judge import judge_retry_attempts
from conformance.resilience.scripts import attempts_of, chat_exchanges, error, scripted, text
from conformance.scenarios.model import RequestSpec, Scenario, Turn
from conformance.vocabulary.canonical import ChatMessage
from reference_providers import OpenAICompatibleProvider, ProviderError
from reference_providers.resilience import Retrier, RetryingProvider, RetryPolicy


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"base_delay": 0},
        {"base_delay": math.inf},
        {"multiplier": 0.5},
        {"base_delay": 2.0, "max_delay": 1.0},
        {"jitter": 1.5},
        {"max_retry_after": -1},
    ],
)
def test_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@given(
    base=st.floats(0.01, 5),
    multiplier=st.floats(1, 4),
    cap=st.floats(0.01, 100),
    jitter=st.floats(0, 1),
    draws=st.lists(st.floats(0, 1, exclude_max=True), min_size=2, max_size=12),
)
def test_backoff_never_shrinks_and_stays_in_its_band(
    base: float, multiplier: float, cap: float, jitter: float, draws: list[float]
) -> None:
    """RE-1 asks for backoff that grows: jitter may spread delays, never make one shorter."""
    policy = RetryPolicy(
        base_delay=base, multiplier=multiplier, max_delay=max(cap, base), jitter=jitter
    )
    delays = [policy.backoff(retry, draw) for retry, draw in enumerate(draws)]
    for retry, delay in enumerate(delays):
        nominal = policy.nominal_delay(retry)
        assert nominal * (1 - jitter) - 1e-9 <= delay <= nominal + 1e-9
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(delays))


def test_backoff_grows_strictly_until_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, jitter=0.25)
    delays = [policy.backoff(retry, 0.5) for retry in range(6)]
    assert delays[:4] == sorted(set(delays[:4]))
    assert delays[4:] == [4.0, 4.0]


@pytest.mark.parametrize(
    ("outcome", "retried"),
    [
        ("server", True),
        ("rate_limit", True),
        ("timeout", True),
        ("network", True),
        ("auth", False),
        ("invalid", False),
        ("not_found", False),
        ("slow_down", False),  # Retry-After 600 s is more than max_retry_after: surface it now
    ],
)
def test_what_is_retried(outcome: str, retried: bool) -> None:
    assert RetryPolicy().should_retry(failure(outcome), 0) is retried


def test_auth_is_never_retried_even_when_flagged_retryable() -> None:
    error = failure("auth")
    error.retryable = True
    assert not RetryPolicy().should_retry(error, 0)


def test_no_retry_beyond_max_retries_nor_of_foreign_exceptions() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(failure("server"), 1)
    assert not policy.should_retry(failure("server"), 2)
    assert not policy.should_retry(KeyError("choices"), 0)


def test_retrier_retries_until_success_with_growing_waits() -> None:
    clock = FakeClock()
    inner = ScriptedProvider(["server", "server", "ok"])
    retrier = Retrier(RetryPolicy(max_retries=3), sleep=clock.sleep, random=lambda: 0.5)
    response = run(retrier.call(lambda: inner.chat(PING, model="m")))
    assert response.content == "pong"
    assert inner.calls == 3
    assert len(clock.sleeps) == 2 and clock.sleeps[1] > clock.sleeps[0] > 0


def test_retrier_honours_retry_after_and_gives_up_after_max_retries() -> None:
    clock = FakeClock()
    inner = ScriptedProvider(["rate_limit", "server"])
    retrier = Retrier(RetryPolicy(max_retries=2), sleep=clock.sleep)
    with pytest.raises(ProviderError) as caught:
        run(retrier.call(lambda: inner.chat(PING, model="m")))
    assert caught.value.status_code == 503
    assert inner.calls == 3
    assert clock.sleeps[0] >= 2.0  # never sooner than the 429 asked


@pytest.mark.parametrize("outcome", ["auth", "invalid", "slow_down"])
def test_retrier_surfaces_unretryable_errors_at_once(outcome: str) -> None:
    clock = FakeClock()
    inner = ScriptedProvider([outcome, "ok"])
    with pytest.raises(ProviderError):
        run(Retrier(sleep=clock.sleep).call(lambda: inner.chat(PING, model="m")))
    assert inner.calls == 1 and clock.sleeps == []


def test_stream_is_retried_only_before_its_first_chunk() -> None:
    clock = FakeClock()
    provider = RetryingProvider(ScriptedProvider(["server", "ok"]), sleep=clock.sleep)
    assert run(collect(provider.stream(PING, model="m"))) == "pong"

    cut = ScriptedProvider(["server", "ok"], chunks_before_failure=1)
    provider = RetryingProvider(cut, sleep=clock.sleep)
    with pytest.raises(ProviderError):
        run(collect(provider.stream(PING, model="m")))
    assert cut.calls == 1


def test_wrapper_passes_identity_and_lifecycle_through() -> None:
    inner = ScriptedProvider(name="inner")
    provider = RetryingProvider(inner)
    assert provider.name == "inner"
    assert provider.capabilities() == inner.capabilities()
    assert isinstance(provider.retry_policy, RetryPolicy)
    run(provider.close())
    assert inner.closed == 1
    assert repr(provider).startswith("RetryingProvider(")


# -- end to end, on the fake server ---------------------------------------------------------


async def _chat(provider: RetryingProvider) -> str:
    try:
        return (await provider.chat(PING, model="conformance-model-1")).content
    finally:
        await provider.close()


def _retrying(base_url: str, clock: FakeClock) -> RetryingProvider:
    inner = OpenAICompatibleProvider(api_key="sk-retry", base_url=base_url, timeout=3.0)
    return RetryingProvider(inner, RetryPolicy(max_retries=3), sleep=clock.sleep, random=lambda: 0)


def test_one_call_three_attempts_on_the_wire(server: FakeServer) -> None:
    """A turn with attempts [503, 503] then an answer: the provider retries inside one call."""
    answer = "Third time lucky."
    scenario = scripted(
        "e2e_attempts", [error(503, "busy"), error(503, "busy"), text(answer)], clause="RE-1"
    )
    clock = FakeClock()
    with server.session(scenario, get_dialect("openai-chat"), "sk-retry") as session:
        clock.requests = lambda: len(chat_exchanges(session.snapshot()))
        assert run(_chat(_retrying(session.base_url, clock))) == answer
        exchanges = session.snapshot()
    assert [e.response.status for e in exchanges] == [503, 503, 200]
    attempts = attempts_of(scenario, exchanges, clock.request_times(3))
    verdict = judge_retry_attempts(attempts, max_retries=3, succeeded=True)
    assert verdict.outcome == "pass", verdict.message
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert 0 < gaps[0] < gaps[1]


def test_one_call_three_turns_on_the_wire(server: FakeServer) -> None:
    """The server plays turn N to request N: three turns [503, 503, text] are one retried call."""
    turns = (
        Turn(reply=error(503, "busy")),
        Turn(reply=error(503, "busy")),
        Turn(reply=text("Answered by the third turn.")),
    )
    scenario = Scenario(
        name="e2e_turns",
        title="three turns, one call",
        turns=turns,
        request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
    )
    clock = FakeClock()
    with server.session(scenario, get_dialect("openai-chat"), "sk-retry") as session:
        clock.requests = lambda: len(chat_exchanges(session.snapshot()))
        assert run(_chat(_retrying(session.base_url, clock))) == "Answered by the third turn."
        statuses = [e.response.status for e in session.snapshot()]
    assert statuses == [503, 503, 200]
    assert len(clock.sleeps) == 2 and clock.request_times(3)[2] > clock.request_times(3)[1]


def test_no_retry_on_401_on_the_wire(server: FakeServer) -> None:
    scenario = scripted("e2e_401", [error(401, "bad key"), text("never")], clause="RE-1")
    clock = FakeClock()
    with server.session(scenario, get_dialect("openai-chat"), "sk-retry") as session:
        with pytest.raises(ProviderError) as caught:
            run(_chat(_retrying(session.base_url, clock)))
        assert len(session.snapshot()) == 1
    assert caught.value.status_code == 401 and clock.sleeps == []
