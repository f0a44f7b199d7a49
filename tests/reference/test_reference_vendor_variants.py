"""Vendor variants seen in real traffic, read right by the reference providers (issue #15).

Each test feeds the raw bytes a vendor sends (written here by hand, as the recordings show them)
to the reference provider over an httpx mock transport and checks the canonical reading.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from reference_providers.contract import Message, StreamChunk, ToolCall, ToolDefinition, Usage
from reference_providers.http_provider import HttpProvider
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.openai_responses import OpenAIResponsesProvider

HELLO = [Message("user", "hi")]
WEATHER = ToolDefinition(
    name="get_weather",
    description="Weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
)


def _stream(provider: HttpProvider[Any], body: bytes) -> list[StreamChunk]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "text/event-stream"})

    async def main() -> list[StreamChunk]:
        provider._http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with provider:
            stream = provider.stream(HELLO, model="m", tools=[WEATHER])
            return [chunk async for chunk in stream]

    return asyncio.run(main())


def _sse(*payloads: Mapping[str, Any], done: bool = True) -> bytes:
    frames = [f"data: {json.dumps(p)}\n\n" for p in payloads]
    if done:
        frames.append("data: [DONE]\n\n")
    return "".join(frames).encode()


def _chunk(content: str | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    delta = {} if content is None else {"role": "assistant", "content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice], **extra}


def _usage(completion: int) -> dict[str, int]:
    return {"prompt_tokens": 9, "completion_tokens": completion, "total_tokens": 9 + completion}


def _openai(body: bytes) -> tuple[str, StreamChunk]:
    chunks = _stream(OpenAICompatibleProvider(api_key="k", base_url="http://test/v1"), body)
    assert [c.is_final for c in chunks].count(True) == 1 and chunks[-1].is_final
    return "".join(c.content for c in chunks), chunks[-1]


# -- Chat Completions ----------------------------------------------------------------------------


def test_groq_usage_only_in_x_groq_on_the_last_chunk() -> None:
    last = _chunk(finish="stop", x_groq={"id": "req_1", "usage": {**_usage(2), "queue_time": 0.1}})
    text, final = _openai(_sse(_chunk("Hel"), _chunk("lo"), last))
    assert text == "Hello"
    assert final.stop_reason == "stop"
    assert final.usage == Usage(9, 2, 11)


def test_perplexity_usage_on_every_chunk_is_counted_once_the_last_wins() -> None:
    body = _sse(
        _chunk("a", usage=_usage(1)),
        _chunk("b", usage=_usage(2)),
        _chunk("c", finish="stop", usage=_usage(3)),
    )
    text, final = _openai(body)
    assert text == "abc"
    assert final.usage == Usage(9, 3, 12)


def test_openrouter_finish_reason_sent_twice_ends_the_answer_once() -> None:
    body = _sse(
        _chunk("Hi", finish="stop"),
        _chunk(finish="stop"),
        {"id": "chatcmpl-1", "choices": [], "usage": _usage(1)},
    )
    text, final = _openai(body)
    assert text == "Hi"
    assert final.stop_reason == "stop"
    assert final.usage == Usage(9, 1, 10)


def test_chunks_after_the_usage_chunk_keep_the_usage() -> None:
    body = _sse(
        _chunk("Hi", finish="length"),
        {"id": "chatcmpl-1", "choices": [], "usage": _usage(1)},
        _chunk(),  # with choices, an empty delta and no usage
        {"id": "chatcmpl-1", "choices": [], "usage": None},  # without choices, usage null
    )
    text, final = _openai(body)
    assert text == "Hi"
    assert final.stop_reason == "length"
    assert final.usage == Usage(9, 1, 10)


# -- Responses -----------------------------------------------------------------------------------


def _event(kind: str, **fields: Any) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


def _response(response_id: str, status: str, output: list[Any]) -> dict[str, Any]:
    usage = {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}
    return {
        "id": response_id,
        "object": "response",
        "status": status,
        "output": output,
        **({"usage": usage} if status == "completed" else {}),
    }


_ARGS = json.dumps({"city": "Paris"})


def _call_item(item_id: str, arguments: str = "", status: str = "in_progress") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": arguments,
        "status": status,
    }


def _responses(*events: bytes) -> StreamChunk:
    provider = OpenAIResponsesProvider(api_key="k", base_url="http://test/v1")
    chunks = _stream(provider, b"".join(events))
    assert [c.is_final for c in chunks].count(True) == 1 and chunks[-1].is_final
    return chunks[-1]


_CALL = ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})


def test_responses_arguments_only_in_function_call_arguments_done() -> None:
    final = _responses(
        _event("response.created", response=_response("resp_1", "in_progress", [])),
        _event("response.output_item.added", output_index=0, item=_call_item("fc_1")),
        _event(
            "response.function_call_arguments.done",
            output_index=0,
            item_id="fc_1",
            arguments=_ARGS,
        ),
        _event("response.completed", response=_response("resp_1", "completed", [])),
    )
    assert final.tool_calls == (_CALL,)
    assert final.stop_reason == "tool_calls"


def test_responses_arguments_only_in_output_item_done() -> None:
    final = _responses(
        _event("response.created", response=_response("resp_1", "in_progress", [])),
        _event("response.output_item.added", output_index=0, item=_call_item("fc_1")),
        _event(
            "response.output_item.done",
            output_index=0,
            item=_call_item("fc_1", _ARGS, "completed"),
        ),
        _event("response.completed", response=_response("resp_1", "completed", [])),
    )
    assert final.tool_calls == (_CALL,)


def test_responses_ids_that_change_between_created_and_completed() -> None:
    """The response id and the item's id differ between the first events and the last."""
    done_item = _call_item("fc_final", _ARGS, "completed")
    final = _responses(
        _event("response.created", response=_response("resp_tmp", "in_progress", [])),
        _event("response.output_item.added", output_index=0, item=_call_item("fc_tmp")),
        _event(
            "response.function_call_arguments.delta", output_index=0, item_id="fc_tmp", delta=_ARGS
        ),
        _event("response.output_item.done", output_index=0, item=done_item),
        _event("response.completed", response=_response("resp_final", "completed", [done_item])),
    )
    assert final.tool_calls == (_CALL,)
    assert final.usage == Usage(5, 7, 12)


def test_responses_item_ids_that_change_without_an_output_index() -> None:
    """Without output_index the events are tied by item id; a changed id is still one call."""
    done_item = _call_item("fc_final", _ARGS, "completed")
    final = _responses(
        _event("response.created", response=_response("resp_tmp", "in_progress", [])),
        _event("response.output_item.added", item=_call_item("fc_tmp")),
        _event("response.function_call_arguments.delta", item_id="fc_tmp", delta=_ARGS),
        _event("response.output_item.done", item=done_item),
        _event("response.completed", response=_response("resp_final", "completed", [done_item])),
    )
    assert final.tool_calls == (_CALL,)
