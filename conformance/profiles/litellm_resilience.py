"""LiteLLM's resilience as the RE checks judge it: `acompletion`'s own retries (`num_retries`,
RE-1), its fallbacks (`fallbacks=[...]`, RE-3) and `ahealth_check` (RE-4).

Where each lives in LiteLLM 1.110.2, which is why the offer looks the way it does:

- Retries: `acompletion(num_retries=N)` catches the first failure and calls it again through
  `acompletion_with_retries`, a tenacity `AsyncRetrying` (exponential backoff for a rate limit, no
  wait otherwise). The modules where that code lives, and the target's own (where a stand-in or
  a wrapper sleeps), are patched with the check's fake clock (patched_time). tenacity 9 imports
  `asyncio` inside its sleep function, and `completion()` hands `num_retries` to the OpenAI SDK
  as its `max_retries` too, whose backoff sleeps in the SDK: no patch reaches either, those waits
  happen for real (seconds), and RE-1 judges the server's real arrival times, as it says.
  LiteLLM does not retry unless asked, so RE-1 is judged only with the user's
  `--profile-option num_retries=N`: the configuration they run.
- Fallbacks: `acompletion(fallbacks=[{"model": ..., "api_base": ..., "api_key": ...}, ...])` tries
  the call's own model, then each entry in order. The chain is the first member's call with the
  others as entries: nothing to configure. LiteLLM keeps no health per entry, and has no
  round-robin of its own (its Router balances a model group by load or latency, not in turn).
- Breaker: none. The Router's cooldowns (`allowed_fails`, `cooldown_time`) take a failing
  deployment out of a model group, but by default never the only deployment of a group, and expose
  no state: nothing RE-2 can judge on one provider.
- Health: `litellm.ahealth_check(model_params)` sends a small completion and answers a dict, with
  an `error` key when the model is down; the offer reads that dict as LiteLLM documents it (no
  `error`: True). Anything else it answers is handed to RE-4 as it is.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from conformance.profiles.resilience import (
    Composite,
    Members,
    ResilienceBuild,
    ResilienceOffer,
    RetryOffer,
)
from conformance.scenarios.model import DEFAULT_MODEL, Scenario
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.observation import TurnObservation

#: Where LiteLLM's retry code looks up its sleep and clocks: `acompletion_with_retries` lives in
#: litellm.main; tenacity.asyncio sleeps through a module global in some tenacity releases.
TIME_MODULES = ("litellm.main", "tenacity.asyncio")

MISSING: dict[str, str] = {
    "RE-2": "profile litellm: LiteLLM has no circuit breaker (acompletion has none; the Router's "
    "cooldowns never take out a model group's only deployment by default and expose no state)",
    "RE-3": "profile litellm: acompletion's fallbacks are tried in order; LiteLLM has no "
    "round-robin or first-available router over separate providers",
}


def missing_retries(name: str) -> str:
    return (
        f"profile {name}: acompletion retries only when asked (num_retries; LiteLLM's default is "
        "none): judge its retries with --profile-option num_retries=N"
    )


class LiteLLMLike(Protocol):
    """What the offer needs of the litellm profile (not imported: it imports this module)."""

    @property
    def name(self) -> str: ...

    def num_retries(self) -> int | None: ...

    def build(self, target: Callable[..., Any], spec: Any, connection: Any) -> Any: ...

    def endpoint(self, call: Any) -> dict[str, Any]: ...

    async def observe(
        self,
        provider: Any,
        scenario: Scenario,
        turn: int,
        mode: Mode,
        extra: Mapping[str, Any] | None = None,
    ) -> TurnObservation: ...

    async def close(self, provider: Any) -> None: ...


def offer(profile: LiteLLMLike, build: ResilienceBuild) -> ResilienceOffer:
    """The provider built for one RE check, and what LiteLLM offers it.

    RE-1 builds with the user's `num_retries`; the other checks with the check's `max_retries`
    (0): a chain member asked once per call, as RE-3 counts, and one request per health check.
    """
    call = profile.build(build.target, build.spec, build.connection)
    configured = profile.num_retries()
    retrying = bool(configured) and bool(build.max_retries)
    call.keywords["num_retries"] = configured if retrying else (build.max_retries or 0)
    missing = {**MISSING, "RE-1": missing_retries(profile.name)}
    health = _health_check(profile, call, build)
    if health is None:
        missing["RE-4"] = f"profile {profile.name}: the target's package has no ahealth_check()"
    return ResilienceOffer(
        call,
        patch_time=_time_modules(build.target),
        retry=RetryOffer(configured) if configured and retrying else None,
        chain=lambda members: _chain(profile, members),
        health_check=health,
        missing=missing,
    )


def _time_modules(target: Callable[..., Any]) -> tuple[str, ...]:
    """The target's own module, and LiteLLM's retry modules when the target is LiteLLM's (a
    stand-in's check does not import LiteLLM)."""
    module = getattr(target, "__module__", None)
    if not isinstance(module, str):
        return TIME_MODULES
    if module.split(".")[0] == "litellm":
        return (module, *TIME_MODULES)
    return (module, *(m for m in TIME_MODULES if not m.startswith("litellm.")))


def _chain(profile: LiteLLMLike, members: Members) -> Composite:
    chain = FallbackChain(profile, members)
    return Composite(chain.run_turn, chain.close)


class FallbackChain:
    """The first member's call with `fallbacks=` naming the others, as a LiteLLM user writes it."""

    def __init__(self, profile: LiteLLMLike, members: Members) -> None:
        self._profile = profile
        self._calls = [call for _, call in members]

    def fallbacks(self, scenario: Scenario) -> list[dict[str, Any]]:
        return [
            {"model": f"{call.prefix}/{scenario.request.model}", **self._profile.endpoint(call)}
            for call in self._calls[1:]
        ]

    async def run_turn(self, scenario: Scenario, turn: int, mode: Mode) -> TurnObservation:
        extra = {"fallbacks": self.fallbacks(scenario)}
        return await self._profile.observe(self._calls[0], scenario, turn, mode, extra)

    async def close(self) -> None:
        for call in self._calls:
            await self._profile.close(call)


def _health_check(
    profile: LiteLLMLike, call: Any, build: ResilienceBuild
) -> Callable[[], Awaitable[object]] | None:
    """`ahealth_check` of the target's package, asked about this call's model and endpoint."""
    package = (getattr(build.target, "__module__", None) or "").split(".")[0]
    try:
        module = importlib.import_module(package) if package else None
    except ImportError:
        return None
    check = getattr(module, "ahealth_check", None)
    if not callable(check):
        return None

    async def ask() -> object:
        params = {
            "model": f"{call.prefix}/{DEFAULT_MODEL}",
            **profile.endpoint(call),
            "timeout": call.connection.timeout,
            "max_retries": 0,
            **call.keywords,
        }
        answer = check(params)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, Mapping):
            return "error" not in answer
        return answer

    return ask


__all__ = ["TIME_MODULES", "FallbackChain", "offer"]
