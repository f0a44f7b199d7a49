"""RE-4 checks: `health_check()` asked against a server that answers, answers 503, refuses the
connection or stalls; judged by the real clock (a hang cannot be judged by a fake one)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from conformance.judge.verdict import Verdict, not_applicable
from conformance.resilience import scripts
from conformance.resilience.driver import CheckContext, ResilienceCheck
from conformance.resilience.judge import HealthAnswer, judge_health_answer
from conformance.scenarios.model import Reply

#: The timeout the RE-4 checks build a provider with; the answer may take this plus the slack.
HEALTH_TIMEOUT = 0.5
HEALTH_SLACK = 1.0


def closed_port_url(base_url: str) -> str:
    """The same URL on a loopback port nothing listens on: the connection will be refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


async def ask_health(check_health: Callable[[], Awaitable[object]], bound: float) -> HealthAnswer:
    started = time.perf_counter()
    try:
        value = await asyncio.wait_for(check_health(), timeout=bound)
    except TimeoutError:
        return HealthAnswer(timed_out=True, elapsed=time.perf_counter() - started)
    except Exception as exc:
        return HealthAnswer(
            raised=f"{type(exc).__name__}: {exc}", elapsed=time.perf_counter() - started
        )
    return HealthAnswer(value=value, elapsed=time.perf_counter() - started)


Situation = Literal["up", "server-error", "refused", "stalled"]

_SITUATIONS: dict[Situation, tuple[str, bool, Sequence[Reply] | None]] = {
    "up": ("against a server that answers", True, [scripts.text("pong")]),
    "server-error": (
        "against a server that answers 503",
        False,
        [scripts.error(503, "The service is unavailable.")],
    ),
    "refused": ("connection refused", False, None),
    "stalled": (
        "against a server that takes the request and never answers",
        False,
        [scripts.stall()],
    ),
}


def health_check_case(name: str, title: str, situation: Situation) -> ResilienceCheck:
    async def run(ctx: CheckContext) -> list[Verdict]:
        described, expected, replies = _SITUATIONS[situation]
        if replies is None:
            url = closed_port_url(ctx.nowhere_url())
        else:
            url = ctx.session("provider", scripts.scripted(name, replies, clause="RE-4")).base_url
        built = ctx.build(url, max_retries=0, timeout=HEALTH_TIMEOUT)
        check_health = built.offer.health_check
        if check_health is None:
            return [not_applicable("RE-4", built.offer.why_missing("RE-4"))]
        bound = HEALTH_TIMEOUT + HEALTH_SLACK
        answer = await ask_health(check_health, bound)
        return [judge_health_answer(answer, expected=expected, bound=bound, situation=described)]

    return ResilienceCheck(name, "RE-4", title, ("none",), run)


# -- the catalogue ----------------------------------------------------------------------------
