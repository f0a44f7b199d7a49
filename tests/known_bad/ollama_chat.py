"""One realistic Ollama bug per class, each planted in the reference `OllamaProvider`.

Every class here is the reference with one seam overridden to make one mistake that real Ollama
clients make (the docstring says which, and which clause must catch it). Starting from the
reference keeps everything else correct, so when the suite flags a class, it flags it for the
planted bug and not for some unrelated difference: tests/test_known_bad_ollama.py asserts that.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from reference_providers.contract import Message, ToolCall, ToolDefinition
from reference_providers.ollama_chat import OllamaProvider


class SplitsLinesPerRead(OllamaProvider):
    """ST-1: every network read is taken to hold whole lines (`splitlines()` per chunk).

    It works against a local Ollama, whose small lines each arrive in one read, and breaks behind
    a proxy or on a slow link, where a read ends inside a line: the half line is not JSON.
    """

    async def _iter_lines(self, response: httpx.Response) -> AsyncIterator[str]:
        async for text in response.aiter_text():
            for line in text.splitlines():
                if line.strip():
                    yield line


class IgnoresDoneReason(OllamaProvider):
    """CH-3 / ST-5: `done_reason` is never read; an answer without tool calls is always "stop".

    A caller cannot tell an answer cut by `num_predict` ("length") from a finished one: the
    mistake of a provider that only looks at `done` to know the answer ended.
    """

    def _map_stop_reason(self, raw: str | None, has_tool_calls: bool) -> str | None:
        return "tool_calls" if has_tool_calls else "stop"


class ParsesArgumentsAsString(OllamaProvider):
    """CH-2 / ST-3: tool call arguments are `json.loads`-ed, as OpenAI's JSON strings are.

    Ollama sends them as a JSON object already, so `json.loads` raises TypeError on every tool
    call: code ported from an OpenAI client that never ran a tool against Ollama.
    """

    def _parse_arguments(self, function: Mapping[str, Any], name: str) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(function["arguments"])
        return parsed


class TopLevelSystemField(OllamaProvider):
    """RQ-6: the system prompt goes in a top-level "system" field, the /api/generate shape.

    /api/chat ignores the field, so the model never sees the prompt: a provider that switched
    from /api/generate to /api/chat and kept its payload builder.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        system = [m.content for m in messages if m.role == "system"]
        payload = super()._build_payload(
            [m for m in messages if m.role != "system"],
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        if system:
            payload["system"] = "\n".join(system)
        return payload


class OmitsStreamFalse(OllamaProvider):
    """RQ-3: `stream` is only sent when true, as if its absence meant false (OpenAI's default).

    Ollama streams when the field is absent, so chat() receives NDJSON where it expects one JSON
    object and cannot read the answer.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        if not stream:
            del payload["stream"]
        return payload


class OpenAIStyleOptions(OllamaProvider):
    """RQ-3: temperature and max_tokens are sent at the top level, as OpenAI takes them.

    Ollama reads sampling settings from `options` only (`temperature`, `num_predict`) and
    silently ignores the top-level fields, so the model runs with its defaults.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=None,
            max_tokens=None,
            tools=tools,
            stream=stream,
        )
        payload["temperature"] = temperature
        payload["max_tokens"] = max_tokens
        return payload


class ArgumentsSentAsString(OllamaProvider):
    """RQ-1: the assistant's tool calls go back with arguments as a JSON string, OpenAI's shape.

    Ollama decodes `arguments` into an object and answers 400 to a string, so every tool
    conversation fails at its second turn.
    """

    def _serialize_tool_call(self, call: ToolCall, index: int) -> dict[str, Any]:
        serialized = super()._serialize_tool_call(call, index)
        function = dict(serialized["function"])
        function["arguments"] = json.dumps(function["arguments"])
        return {**serialized, "function": function}
