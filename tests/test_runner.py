"""The runner's guarantees: a hanging provider fails its check instead of hanging the run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from conformance import (
    Case,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)
from reference_providers.openai_compatible import OpenAICompatibleProvider


class AwaitsForever(OpenAICompatibleProvider):
    """Never answers: awaits a future nobody resolves."""

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        await asyncio.Event().wait()


class BlocksTheLoop(OpenAICompatibleProvider):
    """Blocks its own event loop with a synchronous sleep, which no asyncio timeout can cancel."""

    async def chat(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(5)
        return await super().chat(*args, **kwargs)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.mark.parametrize("provider", [AwaitsForever, BlocksTheLoop])
def test_a_hanging_provider_fails_its_check_within_the_deadline(
    server: FakeServer, provider: type[OpenAICompatibleProvider]
) -> None:
    put = ProviderUnderTest.load(
        ProviderSpec(target="x:y", dialect="openai-chat", label="hang", factory=provider)
    )
    started = time.perf_counter()
    outcome = run_case(
        server, put, Case(bundled_scenarios()["text_plain"], "chat"), check_timeout=0.3
    )
    assert time.perf_counter() - started < 3.0
    failing = {v.clause: v.message for v in outcome.failures}
    assert "did not finish within 0.3 s" in failing["ER-4"]  # the timeout clause, not CH-1
    assert "CH-1" not in failing
