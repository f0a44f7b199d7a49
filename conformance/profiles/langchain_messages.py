"""LangChain's message types, both ways: the scenario's conversation as `HumanMessage`,
`AIMessage`, ... and what comes back (`AIMessage`, summed `AIMessageChunk`s) in canonical terms.

The message classes come from a module found by name (`langchain_core.messages` unless the profile
option `messages_module` says otherwise), so the profile loads without langchain installed and
the project's own tests run on small stand-ins of the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from conformance.profiles import _common as common
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage

#: Where an integration puts the stop reason in `response_metadata`: OpenAI and Gemini
#: `finish_reason`, Anthropic `stop_reason`, Ollama `done_reason` (the Responses API: below).
STOP_KEYS = ("finish_reason", "stop_reason", "done_reason")

#: The key under which a tool call LangChain could not parse (`invalid_tool_calls`) is reported,
#: its raw argument text as the value: the caller still has every byte (ER-5 accepts that).
INVALID_ARGUMENTS_KEY = "<invalid_tool_calls args>"

MESSAGE_CLASSES = ("HumanMessage", "SystemMessage", "AIMessage", "ToolMessage")


def to_langchain(types: ModuleType, message: ChatMessage) -> Any:
    human, system, ai, tool = (getattr(types, name) for name in MESSAGE_CLASSES)
    if message.role == "system":
        return system(content=message.content)
    if message.role == "user":
        return human(content=message.content)
    if message.role == "tool":
        return tool(content=message.content, tool_call_id=message.tool_call_id or "")
    calls = [
        {"id": c.id, "name": c.name, "args": dict(c.arguments), "type": "tool_call"}
        for c in message.tool_calls
    ]
    return ai(content=message.content, tool_calls=calls)


def openai_tool(spec: ToolSpec) -> dict[str, Any]:
    """A tool in the OpenAI function format, which every integration's `bind_tools` accepts."""
    return {
        "type": "function",
        "function": {
            "name": spec.name,
            "description": spec.description,
            "parameters": dict(spec.parameters),
        },
    }


def text_of(message: Any) -> str:
    """The text of a message's `content`: a string, or the text of its content blocks (other
    blocks, tool-use or reasoning, are not text)."""
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content or ():
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, Mapping) and block.get("type") == "text":
            text = block.get("text")
            if isinstance(text, str):
                parts.append(text)
    return "".join(parts)


def tool_calls_of(message: Any) -> tuple[ToolCall, ...]:
    """`tool_calls` ({id, name, args}) and then `invalid_tool_calls`, whose raw argument text is
    kept under INVALID_ARGUMENTS_KEY."""
    calls: list[ToolCall] = []
    for call in getattr(message, "tool_calls", None) or ():
        args = call.get("args") if isinstance(call, Mapping) else None
        calls.append(
            ToolCall(
                str(call.get("id") or ""),
                str(call.get("name") or ""),
                dict(args) if isinstance(args, Mapping) else {"<args>": args},
            )
        )
    for call in getattr(message, "invalid_tool_calls", None) or ():
        if not isinstance(call, Mapping):
            continue
        raw = call.get("args")
        arguments: dict[str, Any] = {INVALID_ARGUMENTS_KEY: raw}
        if isinstance(raw, str):
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                arguments = parsed
        calls.append(ToolCall(str(call.get("id") or ""), str(call.get("name") or ""), arguments))
    return tuple(calls)


#: Wire words for "the model finished its turn" (Ollama's and Gemini's wires say so also when
#: the model called tools; Anthropic says `end_turn`).
FINISHED_WORDS = frozenset({"stop", "STOP", "end_turn", "completed", "FINISH_REASON_STOP"})


def _stop_word(metadata: Mapping[str, Any]) -> str | None:
    for key in STOP_KEYS:
        value = metadata.get(key)
        if value is not None and value != "":
            return common.stop_from(value)
    # The Responses API has no finish reason: `incomplete_details.reason` says why an answer
    # stopped short (`max_output_tokens`), `status` says it completed.
    details = metadata.get("incomplete_details")
    if isinstance(details, Mapping) and details.get("reason"):
        return str(details["reason"])
    status = metadata.get("status")
    return str(status) if isinstance(status, str) and status else None


def stop_of(message: Any) -> str | None:
    """The stop reason as a LangChain caller reads it.

    LangChain normalises no stop reason: `response_metadata` keeps the wire's word. What it does
    normalise is tool use: a message with `tool_calls` is a turn that called tools (agents loop
    on exactly that). So a finished turn with tool calls is `tool_calls`, whatever the wire
    calls it; any other word (length, a content filter) is the wire's, as it came.
    """
    metadata = getattr(message, "response_metadata", None)
    word: str | None = None
    if isinstance(metadata, Mapping):
        word = _stop_word(metadata)
    if getattr(message, "tool_calls", None) and (word is None or word in FINISHED_WORDS):
        return "tool_calls"
    return word


def usage_of(message: Any) -> Usage | None:
    """`usage_metadata` ({input_tokens, output_tokens, total_tokens}) as canonical usage."""
    raw = getattr(message, "usage_metadata", None)
    if not isinstance(raw, Mapping):
        return None

    def read(key: str) -> int:
        value = raw.get(key)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    return Usage(read("input_tokens"), read("output_tokens"), read("total_tokens"))


__all__ = [
    "FINISHED_WORDS",
    "INVALID_ARGUMENTS_KEY",
    "MESSAGE_CLASSES",
    "STOP_KEYS",
    "openai_tool",
    "stop_of",
    "text_of",
    "to_langchain",
    "tool_calls_of",
    "usage_of",
]
