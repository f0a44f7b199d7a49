"""Known-bad LangChain-style chat models: the correct stand-in (langchain_standin.ChatStandin)
with one seam overridden each, modelled on what real integrations got wrong
(docs/ecosystem/langchain-findings.md), so the suite must flag the planted bug's clause.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from known_bad.langchain_standin import (
    AIMessage,
    AIMessageChunk,
    ChatStandin,
    ModelError,
)


class RawJsonErrors(ChatStandin):
    """ER-5/ER-8: the body is decoded with `json.loads` outside any try, as ChatOpenAI's
    response handling lets `JSONDecodeError` through for a malformed body."""

    async def ainvoke(self, messages: Any) -> AIMessage:
        response = await self.client().post(
            f"{self.base_url}/chat/completions",
            json=self.request_body(messages, stream=False),
            headers=self._headers(),
        )
        return self.parse_completion(json.loads(response.content))


class CutStreamIsSuccess(ChatStandin):
    """ER-7: the stream's end is taken as its end, with or without `[DONE]`, so a cut stream
    reads as a complete (shorter) answer."""

    async def events(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        async for line in response.aiter_lines():
            text = line.removeprefix("data:").strip()
            if not line.startswith("data:") or not text:
                continue
            if text == "[DONE]":
                return
            yield json.loads(text)


class ArrivalOrderToolCalls(ChatStandin):
    """ST-3: streamed tool calls are returned in the order their first fragment arrived, not by
    their index: interleaved parallel calls come back swapped."""

    def order_calls(self, calls: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return list(calls.values())


class GenericModelErrors(ChatStandin):
    """ER-1: every HTTP error is a plain `ModelError` carrying the status: callers (LangChain's
    retry middleware among them) dispatch on the subclasses and cannot tell a 429 from a 400."""

    async def ainvoke(self, messages: Any) -> AIMessage:
        try:
            return await super().ainvoke(messages)
        except ModelError as exc:
            if exc.status_code is None:
                raise
            raise ModelError(str(exc), status_code=exc.status_code, response=exc.response) from None


class SummedUsageTotal(ChatStandin):
    """CH-4: `total_tokens` computed as input + output instead of read from the answer."""

    def parse_completion(self, payload: Mapping[str, Any]) -> AIMessage:
        message = super().parse_completion(payload)
        if message.usage_metadata is not None:
            usage = dict(message.usage_metadata)
            usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
            message.usage_metadata = usage
        return message


class NoLastChunk(ChatStandin):
    """ST-2: the stream's last chunk is not marked `chunk_position="last"`, so a caller adding
    chunks never sees LangChain's end-of-stream merge (tool calls, final metadata)."""

    async def astream(self, messages: Any) -> AsyncIterator[AIMessageChunk]:
        async for chunk in super().astream(messages):
            chunk.chunk_position = None
            yield chunk


class ResponselessErrors(ChatStandin):
    """ER-2: errors keep the status but not the response, so `err.response.headers` (where a
    LangChain caller finds Retry-After) is gone."""

    async def ainvoke(self, messages: Any) -> AIMessage:
        try:
            return await super().ainvoke(messages)
        except ModelError as exc:
            exc.response = None
            raise


class StrippedText(ChatStandin):
    """CH-1: non-streamed text is stripped of trailing newlines, as langchain-google-genai's
    `rstrip("\\n")` does."""

    def parse_completion(self, payload: Mapping[str, Any]) -> AIMessage:
        message = super().parse_completion(payload)
        message.content = str(message.content).rstrip("\n")
        return message


class NoFinishReason(ChatStandin):
    """CH-3: `response_metadata` without the finish reason."""

    def parse_completion(self, payload: Mapping[str, Any]) -> AIMessage:
        message = super().parse_completion(payload)
        message.response_metadata = {}
        return message


class RawTransportErrors(ChatStandin):
    """ER-4/ER-8: httpx's timeout escapes as it is; the model's SDK wraps none of httpx."""

    async def ainvoke(self, messages: Any) -> AIMessage:
        response = await self.client().post(
            f"{self.base_url}/chat/completions",
            json=self.request_body(messages, stream=False),
            headers=self._headers(),
        )
        return self.parse_completion(response.json())


class DropsMaxTokens(ChatStandin):
    """RQ-3: the max-tokens field is never sent."""

    def request_body(self, messages: Any, *, stream: bool) -> dict[str, Any]:
        body = super().request_body(messages, stream=stream)
        body.pop("max_tokens", None)
        return body
