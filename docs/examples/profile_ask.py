"""A profile users add: `AskProfile` drives docs/examples/profile_ask_client.py's interface.

Written against the documented Profile API (docs/profiles.md) only, and used as
`--profile profile_ask:AskProfile` (or registered under the `provider_conformance.profiles` entry
point group). Six methods, the `not_applicable` map and `interface_capabilities`:

- `check_target` / `build`: the client is built as `Client(key=, endpoint=, timeout=)`.
- `declared_capabilities` / `provider_name`: from `features` and `vendor`.
- `run_turn`: the scenario's conversation as the interface's dicts; the answer (or the stream's
  events) into the canonical observation; every exception into `classify`.
- `classify`: `AskError.kind` words onto the canonical categories; anything else is not the
  profile's (ER-8).
- `close`: `aclose()`.

The interface's errors carry no retry time, so ER-2 is not applicable: said once, here, with the
reason, and reported as such for every provider of this interface.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from conformance import (
    ChatMessage,
    Connection,
    ObservedChunk,
    ObservedError,
    Profile,
    ProviderSpec,
    Scenario,
    ToolCall,
    TurnObservation,
    Usage,
)
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.errors import UsageError

#: AskError.kind -> the suite's canonical error category.
CATEGORIES = {
    "auth": "auth",
    "rate-limited": "rate_limit",
    "timeout": "timeout",
    "network": "network",
    "bad-request": "invalid_request",
    "not-found": "not_found",
    "server": "server",
    "bad-response": "invalid_response",
    "other": "unknown",
}
#: The kinds a caller retries (the client's own documentation says so).
RETRYABLE = {"rate-limited", "timeout", "network", "server"}


class AskProfile(Profile):
    name: ClassVar[str] = "ask"
    description: ClassVar[str] = "AskClient: ask()/ask_stream() with dict messages, AskError.kind"
    not_applicable: ClassVar[Mapping[str, str]] = {
        "ER-2": "the ask interface's AskError carries no retry time",
    }
    interface_capabilities: ClassVar[frozenset[str]] = frozenset(
        {"tools", "streaming", "parallel_tool_calls", "streaming_tool_calls", "usage"}
    )

    # -- building -------------------------------------------------------------------------

    def check_target(self, target: Callable[..., Any], spec: ProviderSpec) -> None:
        if not callable(target):
            raise UsageError(f"--provider {spec.target}: not a class or factory")

    def build(self, target: Callable[..., Any], spec: ProviderSpec, connection: Connection) -> Any:
        return target(
            key=connection.api_key,
            endpoint=connection.base_url,
            timeout=connection.timeout,
            **self.options,
        )

    def declared_capabilities(self, provider: Any) -> frozenset[str]:
        features = set(provider.features)
        declared = {"usage"}
        if "tools" in features:
            declared |= {"tools", "parallel_tool_calls"}
        if "stream" in features:
            declared.add("streaming")
        if {"tools", "stream"} <= features:
            declared.add("streaming_tool_calls")
        return frozenset(declared)

    def provider_name(self, provider: Any) -> object:
        return provider.vendor

    async def close(self, provider: Any) -> None:
        await provider.aclose()

    # -- driving --------------------------------------------------------------------------

    async def run_turn(
        self, provider: Any, scenario: Scenario, turn: int, mode: Mode
    ) -> TurnObservation:
        request = scenario.request
        conversation = [_turn(m) for m in scenario.messages_for_turn(turn)]
        tools = [
            {"name": t.name, "about": t.description, "schema": dict(t.parameters)}
            for t in request.tools
        ] or None
        options = {"temperature": request.temperature, "max_tokens": request.max_tokens}
        observed = TurnObservation(mode=mode)
        try:
            if mode == "chat":
                answer = await provider.ask(
                    conversation, model=request.model, options=options, tools=tools
                )
                observed.text = answer["text"]
                observed.tool_calls = _calls(answer["calls"])
                observed.stop_reason = answer["finish"]
                observed.usage = _usage(answer["tokens"])
            else:
                events = provider.ask_stream(
                    conversation, model=request.model, options=options, tools=tools
                )
                async for event in events:
                    observed.chunks.append(_chunk(event))
                    if (
                        scenario.stop_after_chunks
                        and len(observed.chunks) >= scenario.stop_after_chunks
                    ):
                        await events.aclose()  # leave early, as a caller that has enough does
                        break
        except Exception as exc:  # every exception is an observation, judged by the ER clauses
            observed.error = self.classify(exc)
        return observed

    def classify(self, exc: BaseException) -> ObservedError:
        kind = getattr(exc, "kind", None)
        own = type(exc).__name__ == "AskError" and isinstance(kind, str)
        cause = exc.__cause__ or exc.__context__
        return ObservedError(
            type_name=f"{type(exc).__module__}.{type(exc).__qualname__}",
            category=CATEGORIES.get(str(kind), str(kind)) if own else None,
            status_code=getattr(exc, "status", None) if own else None,
            retryable=(kind in RETRYABLE) if own else None,
            retry_after=None,
            provider=getattr(exc, "vendor", None) if own else None,
            message=str(exc),
            cause_type=f"{type(cause).__module__}.{type(cause).__qualname__}" if cause else None,
            representation=repr(exc),
        )


def _turn(message: ChatMessage) -> dict[str, Any]:
    turn: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        turn["calls"] = [
            {"id": c.id, "name": c.name, "args": dict(c.arguments)} for c in message.tool_calls
        ]
    if message.tool_call_id is not None:
        turn["for"] = message.tool_call_id
    return turn


def _calls(raw: Any) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(c["id"], c["name"], dict(c["args"])) for c in raw or ())


def _usage(raw: Any) -> Usage | None:
    return None if raw is None else Usage(raw["in"], raw["out"], raw["total"])


def _chunk(event: Mapping[str, Any]) -> ObservedChunk:
    return ObservedChunk(
        text=event.get("delta", ""),
        tool_calls=_calls(event.get("calls")),
        is_final=bool(event.get("done")),
        stop_reason=event.get("finish"),
        usage=_usage(event.get("tokens")),
        at=time.perf_counter(),  # when the caller got it (ST-4)
    )
