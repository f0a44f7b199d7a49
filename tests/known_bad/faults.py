"""Providers that cope badly with a misbehaving server: one realistic mistake each.

Every class is the reference OpenAI-compatible provider with one seam changed, so the suite can
only flag it for the planted mistake. The docstring says which real-world habit it imitates and
which clause must catch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from reference_providers.contract import Message, StreamChunk, ToolDefinition
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider, _StreamState
from reference_providers.sse import ServerSentEvent, SSEDecoder


class TimeoutAsGenericError(OpenAICompatibleProvider):
    """ER-4: every transport failure becomes one generic error ("request failed").

    The `except Exception: raise ProviderError(str(e))` habit: a caller can no longer tell a stall
    (worth retrying later, maybe elsewhere) from anything else.
    """

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        try:
            return await super().chat(messages, **kwargs)
        except ProviderError as exc:
            if exc.category in (ErrorCategory.TIMEOUT, ErrorCategory.NETWORK):
                raise ProviderError("request failed", provider=self.name) from exc
            raise

    async def stream(  # type: ignore[override]
        self, messages: Sequence[Message], **kwargs: Any
    ) -> AsyncGenerator[StreamChunk, None]:
        try:
            async for chunk in super().stream(messages, **kwargs):
                yield chunk
        except ProviderError as exc:
            if exc.category in (ErrorCategory.TIMEOUT, ErrorCategory.NETWORK):
                raise ProviderError("request failed", provider=self.name) from exc
            raise


class TruncatedStreamIsSuccess(OpenAICompatibleProvider):
    """ER-7: a stream that ends without its terminal event still gets a final chunk.

    The loop ends when the body does, and the code after it always yields "done": a cut answer is
    handed on as if it were whole.
    """

    def _final_chunk(self, state: _StreamState) -> StreamChunk:
        state.done = True
        return super()._final_chunk(state)


class SwallowsInStreamError(OpenAICompatibleProvider):
    """ER-6: an error object inside the stream is logged and skipped, not raised.

    Providers that only look for `choices` in each chunk never notice `{"error": ...}`; the
    stream then ends without a terminal event or, worse, looks complete.
    """

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        try:
            payload = json.loads(event.data)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and payload.get("error") is not None:
            state.done = True  # "the server ended the stream"
            return ""
        return super()._absorb_event(event, state)


class SkipsUnparsableEvents(OpenAICompatibleProvider):
    """ER-5: an event that is not JSON is logged and skipped (seed 003's stream parser).

    The answer silently loses the text that event carried, and chat bodies that are not JSON
    become an empty answer.
    """

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        try:
            return super()._absorb_event(event, state)
        except ProviderError as exc:
            if exc.category is ErrorCategory.INVALID_RESPONSE:
                return ""
            raise

    def _json_object(self, body: bytes, *, what: str) -> Mapping[str, Any]:
        try:
            return super()._json_object(body, what=what)
        except ProviderError:
            return {"choices": [{"message": {"content": ""}, "finish_reason": "stop"}]}


class BuffersWholeStream(OpenAICompatibleProvider):
    """ST-4: the whole answer is read before the first chunk is yielded.

    `response.json()`-style thinking applied to a stream: nothing reaches the caller until the
    server is done, and a caller that stops early cannot stop the download.
    """

    async def stream(  # type: ignore[override]
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        chunks = [
            chunk
            async for chunk in super().stream(
                messages, model=model, temperature=temperature, max_tokens=max_tokens, tools=tools
            )
        ]
        for chunk in chunks:
            yield chunk


class DownloadsOnAfterEarlyExit(OpenAICompatibleProvider):
    """ST-7: a blocking HTTP client in a thread of its own feeds the stream through a queue.

    The common way to put a synchronous SDK behind an async interface. It streams well (ST-4
    holds: each read is handed over as it arrives), but a caller that stops early only stops
    reading the queue: the thread keeps downloading the answer nobody wants any more.
    """

    async def stream(  # type: ignore[override]
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        payload = self._checked_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=True,
        )
        loop = asyncio.get_running_loop()
        reads: asyncio.Queue[bytes | None] = asyncio.Queue()
        url, body = self._endpoint_url(), self._encode(payload)
        headers = {**self._headers(), "Accept": "text/event-stream"}

        def hand_over(data: bytes | None) -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop may be gone already
                loop.call_soon_threadsafe(reads.put_nowait, data)

        def download() -> None:
            try:
                with (
                    httpx.Client(timeout=self._timeout) as client,
                    client.stream("POST", url, content=body, headers=headers) as response,
                ):
                    for data in response.iter_bytes():
                        hand_over(data)
            finally:
                hand_over(None)

        threading.Thread(target=download, daemon=True).start()
        decoder = SSEDecoder()
        state = _StreamState(accumulator=self._new_accumulator())
        while (data := await reads.get()) is not None:
            for event in decoder.feed(data):
                text = self._absorb_event(event, state)
                if text:
                    yield StreamChunk(content=text)
        yield self._final_chunk(state)


class SplitsLinesOnLFOnly(OpenAICompatibleProvider):
    """ST-6: events are found by splitting the body on "\\n" and "\\n\\n" only.

    Fine for OpenAI itself, blind to servers that end lines with CR, and it keeps comment lines
    and a stray CR in the data.
    """

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        buffer = ""
        async for text in response.aiter_text():
            buffer += text
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
                if data:
                    yield ServerSentEvent(
                        event="message", data="\n".join(data), id=None, retry=None
                    )


class DispatchesOnStickyEventId(OpenAICompatibleProvider):
    """ST-6: a blank line dispatches an event whenever an event id was ever seen, data or not.

    The official openai SDK's decoder does this (`SSEDecoder.decode` in openai/_streaming.py keeps
    the last id and counts it as something to dispatch): once a server has sent `id:`, a keep-alive
    comment and its blank line become an event with empty data, and reading that as JSON ends
    the stream. The SSE standard dispatches nothing when the data buffer is empty.
    """

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        event: str | None = None
        data: list[str] = []
        last_id: str | None = None
        async for line in response.aiter_lines():
            if not line:
                if event is None and not data and last_id is None:
                    continue
                yield ServerSentEvent(
                    event=event or "message", data="\n".join(data), id=last_id, retry=None
                )
                event, data = None, []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                last_id = value

    def _absorb_event(self, event: ServerSentEvent, state: _StreamState) -> str:
        if not event.data.strip():
            self._event_payload(event, event.data)  # like the SDK: every dispatched event is JSON
        return super()._absorb_event(event, state)


class CloseClosesNothing(OpenAICompatibleProvider):
    """RS-1 and RS-2: close() forgets the client instead of closing it.

    Its connections stay open until the garbage collector finds them, with a ResourceWarning.
    """

    async def close(self) -> None:
        self._http = None


class CloseTwiceRaises(OpenAICompatibleProvider):
    """RS-1: a second close() raises, so `async with` plus an explicit close() blows up."""

    _closed_once = False

    async def close(self) -> None:
        if self._closed_once:
            raise RuntimeError("client already closed")
        self._closed_once = True
        await super().close()


__all__ = [
    "BuffersWholeStream",
    "CloseClosesNothing",
    "CloseTwiceRaises",
    "DownloadsOnAfterEarlyExit",
    "SSEDecoder",
    "SkipsUnparsableEvents",
    "SplitsLinesOnLFOnly",
    "SwallowsInStreamError",
    "TimeoutAsGenericError",
    "TruncatedStreamIsSuccess",
]
