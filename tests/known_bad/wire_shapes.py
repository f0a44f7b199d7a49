"""Bugs real provider classes have with the wire shapes of fixtures/scenarios/tool_call_shapes.yaml
and text_content_parts.yaml, each planted in the OpenAI-compatible reference provider.

Each is one line of code seen in the wild; each must be caught by the scenario written for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from reference_providers.contract import CompletionResponse, ToolCall
from reference_providers.openai_compatible import OpenAICompatibleProvider, _StreamState
from reference_providers.tool_call_accumulator import ToolCallAccumulator, _PartialCall


class _EmptyOnBadJson(ToolCallAccumulator):
    def _parse_arguments(self, call: _PartialCall) -> dict[str, Any]:
        try:
            return super()._parse_arguments(call)
        except Exception:
            return {}


class SilentEmptyArguments(OpenAICompatibleProvider):
    """ER-5: arguments that do not parse become `{}`; the tool then runs with no inputs.

    `try: json.loads(args) except ValueError: args = {}`, as many classes write it.
    """

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _EmptyOnBadJson(provider=self._name)

    def _parse_tool_calls(self, raw: Any) -> tuple[ToolCall, ...]:
        accumulator = _EmptyOnBadJson(provider=self._name)
        for position, call in enumerate(raw or ()):
            accumulator.add({**call, "index": position})
        return tuple(accumulator.finish())


class LoadsNullArguments(OpenAICompatibleProvider):
    """CH-2: `json.loads(call["function"]["arguments"])` with no guard; null raises TypeError."""

    def _parse_tool_calls(self, raw: Any) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(
                id=call["id"],
                name=call["function"]["name"],
                arguments=json.loads(call["function"]["arguments"]),
            )
            for call in raw or ()
        )


class _IndexDefaultsToZero(ToolCallAccumulator):
    def _call_for(self, delta: Mapping[str, Any]) -> _PartialCall:
        index = delta.get("index", 0)
        if index not in self._calls:
            self._calls[index] = _PartialCall(index=index)
        self._last_index = index
        return self._calls[index]


class IndexDefaultsToZero(OpenAICompatibleProvider):
    """ST-3: `delta.get("index", 0)`; calls sent without an index all merge into call 0."""

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _IndexDefaultsToZero(provider=self._name)


class _ListOfCalls(ToolCallAccumulator):
    def _call_for(self, delta: Mapping[str, Any]) -> _PartialCall:
        index = delta.get("index", 0)
        # `calls` kept as a list: padding up to the index leaves an empty call in front.
        while len(self._calls) <= index:
            self._calls[len(self._calls)] = _PartialCall(index=len(self._calls))
        self._last_index = index
        return self._calls[index]


class CallsInAList(OpenAICompatibleProvider):
    """ST-3: calls kept in a list indexed by `index`; a first call at index 1 leaves a hole."""

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _ListOfCalls(provider=self._name)


class _CopiesEveryName(ToolCallAccumulator):
    def add(self, delta: Mapping[str, Any]) -> None:
        super().add(delta)
        function = delta.get("function") or {}
        if function.get("name") is not None and self._last_index is not None:
            self._calls[self._last_index].name = function["name"]


class CopiesEmptyName(OpenAICompatibleProvider):
    """ST-3: `if name is not None: call.name = name`; a continuation's "" wipes the name."""

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _CopiesEveryName(provider=self._name)


class StringContentOnly(OpenAICompatibleProvider):
    """ST-1: stream deltas read only when `content` is a string; a list of parts is dropped."""

    def _absorb_chunk(self, chunk: Mapping[str, Any], state: _StreamState) -> str:
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if not isinstance(delta.get("content"), str):
                delta.pop("content", None)
        return super()._absorb_chunk(chunk, state)


class JoinsThinkingParts(OpenAICompatibleProvider):
    """CH-1: every part's text joined, thinking included: the reasoning leaks into the answer."""

    def _parse_completion(self, data: Mapping[str, Any]) -> CompletionResponse:
        response = super()._parse_completion(data)
        content = data["choices"][0]["message"].get("content")
        if not isinstance(content, list):
            return response
        texts = []
        for part in content:
            texts += [p["text"] for p in part.get("thinking", ())]
            texts.append(part.get("text", ""))
        return CompletionResponse(
            content="".join(texts),
            tool_calls=response.tool_calls,
            stop_reason=response.stop_reason,
            usage=response.usage,
            model=response.model,
        )
