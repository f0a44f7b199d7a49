"""Realistic Gemini bugs, one each, planted in the Gemini reference provider.

Each class is `GeminiProvider` with one seam overridden to make a mistake that hand-written Gemini
clients make (the docstring says which, and which clause must catch it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.contract import Message, ToolDefinition
from reference_providers.gemini import GeminiProvider, _StreamState
from reference_providers.gemini_calls import FunctionCallCollector


class _ArgumentlessCollector(FunctionCallCollector):
    def add(self, call: Mapping[str, Any]) -> None:
        super().add({key: value for key, value in call.items() if key != "args"})


class DropsFunctionCallArgs(GeminiProvider):
    """CH-2 / ST-3: every function call is reported with empty arguments.

    The parser reads `functionCall.arguments` (the OpenAI field name) where Gemini sends `args`,
    and falls back to `{}`: each call keeps its name but the tool runs without its inputs.
    """

    def _new_collector(self) -> FunctionCallCollector:
        return _ArgumentlessCollector(provider=self._name)


class KeyInQueryString(GeminiProvider):
    """RQ-2: the key travels as `?key=...` in the URL, as Gemini's quick-start curl lines show.

    The API accepts it, so everything works; but URLs end up in proxy and access logs, tracing
    spans and exception messages, which is why the clause forbids a key in the URL.
    """

    def _endpoint_url(self, model: str, *, stream: bool) -> str:
        url = super()._endpoint_url(model, stream=stream)
        return f"{url}{'&' if '?' in url else '?'}key={self._api_key}"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        headers.pop("x-goog-api-key", None)
        return headers


class SystemPromptAsUserTurn(GeminiProvider):
    """RQ-6: the system prompt is sent as the first user turn instead of in systemInstruction.

    A serializer ported from an API with a "system" role maps it to "user" (Gemini's contents only
    know user and model): the model reads the instructions as something the user said.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
    ) -> dict[str, Any]:
        demoted = [
            Message(role="user", content=m.content) if m.role == "system" else m for m in messages
        ]
        return super()._build_payload(
            demoted, temperature=temperature, max_tokens=max_tokens, tools=tools
        )


class StopMeansStop(GeminiProvider):
    """CH-3 / ST-5: finishReason STOP is reported as `stop` even when the answer is tool calls.

    A plain word table (`{"STOP": "stop", "MAX_TOKENS": "length"}`) trusts Gemini's word, but
    Gemini says STOP for function calls too; a caller that loops "until stop" never runs them.
    """

    def _map_stop_reason(self, raw: str | None, *, has_tool_calls: bool) -> str | None:
        return super()._map_stop_reason(raw, has_tool_calls=False)


class FirstChunkUsage(GeminiProvider):
    """ST-5: a stream's usage is kept from the first chunk that carries one.

    Gemini repeats `usageMetadata` on every chunk with the candidate count so far; a reader
    written for APIs that send usage once keeps the first, counted when the answer had barely
    begun. (Placeholder counts on answers whose scenario states none must not hide this.)
    """

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        first = state.usage
        text = super()._absorb_chunk(chunk, state)
        if first is not None:
            state.usage = first
        return text
