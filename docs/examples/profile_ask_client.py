"""A provider on an interface the suite does not ship: `AskClient`, dicts in and dicts out.

It stands for the in-house client classes many teams have: no message classes, no streaming chunk
type, errors as one exception with a `kind` word. Its profile is docs/examples/profile_ask.py
(docs/profiles.md walks through it). Under the hood it delegates to the reference provider for the
OpenAI Chat Completions wire, so the example stays about the interface.

The interface:

- `AskClient(key=..., endpoint=..., timeout=...)`, with `vendor` (its name) and `features` (a set
  of words: "tools", "stream").
- `await ask(conversation, model=..., options={"temperature", "max_tokens"}, tools=[...])` returns
  `{"text", "calls": [{"id", "name", "args"}], "finish", "tokens": {"in", "out", "total"}}`.
  A conversation is `[{"role", "content"}]`; an assistant turn that called tools has "calls", and a
  tool result is `{"role": "tool", "for": <call id>, "content": ...}`; tools are
  `{"name", "about", "schema"}`.
- `ask_stream(...)` yields `{"delta": "..."}` events and ends with one
  `{"done": True, "finish", "tokens", "calls"}`.
- Errors are `AskError(kind, message, status=, vendor=)` with kind one of auth, rate-limited,
  timeout, network, bad-request, not-found, server, bad-response, other. No retry time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from reference_providers.contract import Capabilities, Message, ToolCall, ToolDefinition
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider

KINDS: dict[ErrorCategory, str] = {
    ErrorCategory.AUTH: "auth",
    ErrorCategory.RATE_LIMIT: "rate-limited",
    ErrorCategory.TIMEOUT: "timeout",
    ErrorCategory.NETWORK: "network",
    ErrorCategory.INVALID_REQUEST: "bad-request",
    ErrorCategory.NOT_FOUND: "not-found",
    ErrorCategory.SERVER: "server",
    ErrorCategory.INVALID_RESPONSE: "bad-response",
    ErrorCategory.UNKNOWN: "other",
}


class AskError(Exception):
    def __init__(
        self, kind: str, message: str, *, status: int | None = None, vendor: str = ""
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.vendor = vendor


class AskClient:
    vendor = "ask"
    features = frozenset({"tools", "stream"})

    def __init__(self, *, key: str, endpoint: str, timeout: float = 60.0) -> None:
        self._wire = OpenAICompatibleProvider(
            api_key=key, base_url=endpoint, timeout=timeout, name=self.vendor,
            capabilities=Capabilities(),
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"AskClient(vendor={self.vendor!r})"

    async def ask(
        self,
        conversation: Sequence[Mapping[str, Any]],
        *,
        model: str,
        options: Mapping[str, Any],
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        try:
            response = await self._wire.chat(
                _messages(conversation), model=model, tools=_tools(tools), **_options(options)
            )
        except ProviderError as exc:
            raise _error(exc) from exc
        return {
            "text": response.content,
            "calls": [_call(call) for call in response.tool_calls],
            "finish": response.stop_reason,
            "tokens": _tokens(response.usage),
        }

    async def ask_stream(
        self,
        conversation: Sequence[Mapping[str, Any]],
        *,
        model: str,
        options: Mapping[str, Any],
        tools: Sequence[Mapping[str, Any]] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        stream = self._wire.stream(
            _messages(conversation), model=model, tools=_tools(tools), **_options(options)
        )
        try:
            async for chunk in stream:
                if chunk.content:
                    yield {"delta": chunk.content}
                if chunk.is_final:
                    yield {
                        "done": True,
                        "finish": chunk.stop_reason,
                        "tokens": _tokens(chunk.usage),
                        "calls": [_call(call) for call in chunk.tool_calls],
                    }
        except ProviderError as exc:
            raise _error(exc) from exc
        finally:
            await stream.aclose()

    async def aclose(self) -> None:
        await self._wire.close()


def _messages(conversation: Sequence[Mapping[str, Any]]) -> list[Message]:
    return [
        Message(
            role=turn["role"],
            content=turn.get("content", ""),
            tool_calls=tuple(
                ToolCall(call["id"], call["name"], call["args"]) for call in turn.get("calls", ())
            ),
            tool_call_id=turn.get("for"),
        )
        for turn in conversation
    ]


def _tools(tools: Sequence[Mapping[str, Any]] | None) -> list[ToolDefinition] | None:
    if not tools:
        return None
    return [ToolDefinition(t["name"], t["about"], t["schema"]) for t in tools]


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {"temperature": options.get("temperature"), "max_tokens": options.get("max_tokens")}


def _call(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "args": dict(call.arguments)}


def _tokens(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    return {"in": usage.prompt_tokens, "out": usage.completion_tokens, "total": usage.total_tokens}


def _error(exc: ProviderError) -> AskError:
    return AskError(
        KINDS[exc.category], str(exc), status=exc.status_code, vendor=exc.provider or ""
    )
