"""Health: bounded checks that never raise, probes, and the resilient provider's health_check()."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from resilience_support import run

from conformance import FakeServer, get_dialect
from conformance.resilience.clock import FakeClock
from conformance.resilience.health_checks import closed_port_url
from conformance.resilience.scripts import error, scripted, stall, text
from reference_providers.resilience import HealthThresholds, HttpHealthProbe, bounded_health_check
from reference_providers.resilience.health import ProviderHealth
from reference_providers.resilient_provider import ResilientOpenAIProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def test_thresholds_and_recovery() -> None:
    health = ProviderHealth("p", HealthThresholds(degraded_after=2, unhealthy_after=3))
    states = []
    for _ in range(3):
        health.record_failure(RuntimeError("boom"))
        states.append(health.status.value)
    health.record_success()
    states.append(health.status.value)
    health.record_probe(True)
    states.append(health.status.value)
    assert states == ["healthy", "degraded", "unhealthy", "degraded", "healthy"]
    assert health.as_dict()["last_error"] == "boom"
    with pytest.raises(ValueError):
        HealthThresholds(degraded_after=3, unhealthy_after=2)


async def _answers(value: object) -> object:
    return value


async def _raises() -> bool:
    raise RuntimeError("down")


async def _hangs() -> bool:
    await asyncio.sleep(60)
    return True


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (lambda: _answers(True), True),
        (lambda: _answers(False), False),
        (lambda: _answers("yes"), False),
        (_raises, False),
        (_hangs, False),
    ],
    ids=["true", "false", "not-a-bool", "raises", "hangs"],
)
def test_bounded_health_check_answers_a_bool_in_time(check: object, expected: bool) -> None:
    started = time.perf_counter()
    assert run(bounded_health_check(check, timeout=0.05)) is expected  # type: ignore[arg-type]
    assert time.perf_counter() - started < 1.0


def resilient(base_url: str, **kwargs: object) -> ResilientOpenAIProvider:
    clock = FakeClock()
    return ResilientOpenAIProvider(
        api_key="sk-health",
        base_url=base_url,
        timeout=0.3,
        clock=clock.monotonic,
        sleep=clock.sleep,
        **kwargs,  # type: ignore[arg-type]
    )


async def _health(provider: ResilientOpenAIProvider) -> bool:
    try:
        return await provider.health_check()
    finally:
        await provider.close()


@pytest.mark.parametrize(
    ("reply", "expected"),
    [(text("pong"), True), (error(503, "down"), False), (stall(), False)],
    ids=["up", "503", "stalled"],
)
def test_health_check_against_the_fake_server(
    server: FakeServer, reply: object, expected: bool
) -> None:
    scenario = scripted("health", [reply], clause="RE-4")  # type: ignore[list-item]
    with server.session(scenario, get_dialect("openai-chat"), "sk-health") as session:
        started = time.perf_counter()
        assert run(_health(resilient(session.base_url))) is expected
        assert time.perf_counter() - started < 1.0


def test_health_check_when_refused() -> None:
    url = closed_port_url("http://127.0.0.1:1/v1")
    assert run(_health(resilient(url))) is False


def test_open_breaker_answers_false_without_a_request(server: FakeServer) -> None:
    scenario = scripted("health_open", [error(503, "down")], clause="RE-4")
    with server.session(scenario, get_dialect("openai-chat"), "sk-health") as session:
        provider = resilient(session.base_url, failure_threshold=1, max_retries=0)
        provider.circuit_breaker.record_failure(RuntimeError("earlier outage"))  # type: ignore[union-attr]
        assert run(_health(provider)) is False
        assert session.snapshot() == []


def test_http_probe_on_a_listing_endpoint(server: FakeServer) -> None:
    """Ollama answers GET /api/tags, openai-chat GET /v1/models."""
    scenario = scripted("health_http", [text("pong")], clause="RE-4")
    with server.session(scenario, get_dialect("ollama-chat"), "sk-health") as session:
        assert run(HttpHealthProbe(session.base_url.rstrip("/") + "/api/tags")()) is True
    with server.session(scenario, get_dialect("openai-chat"), "sk-health") as session:
        probe = HttpHealthProbe(
            session.base_url + "/models", headers={"Authorization": "Bearer sk-health"}
        )
        assert run(probe()) is True
        assert "sk-health" not in repr(probe)
