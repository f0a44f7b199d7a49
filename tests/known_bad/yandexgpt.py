"""Bugs real YandexGPT provider classes have, each planted in the YandexGPT reference provider."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reference_providers.contract import Message, StreamChunk, ToolDefinition
from reference_providers.yandexgpt import YandexGPTProvider, _StreamState


class YieldsCumulativeText(YandexGPTProvider):
    """ST-1: every line's whole text yielded as if it were new; the caller sees it repeated."""

    def _absorb_line(self, line: str, state: _StreamState) -> StreamChunk | None:
        chunk = super()._absorb_line(line, state)
        if chunk is not None and chunk.content:
            return StreamChunk(content=state.text, tool_calls=chunk.tool_calls)
        return chunk


class FirstUsageWins(YandexGPTProvider):
    """ST-5: the usage of the first line kept; every line repeats the usage so far."""

    def _absorb_line(self, line: str, state: _StreamState) -> StreamChunk | None:
        before = state.usage
        chunk = super()._absorb_line(line, state)
        if before is not None:
            state.usage = before
        return chunk


class ModelField(YandexGPTProvider):
    """RQ-1: `model` sent as OpenAI does; the API wants `modelUri` and rejects the body."""

    def _build_payload(
        self,
        messages: Sequence[Message],
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(messages, model, temperature, max_tokens, tools, stream)
        payload["model"] = payload.pop("modelUri")
        return payload


def lines_of(body: bytes) -> list[Any]:
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]
