"""How a streamed body becomes chunks, for the two framings the APIs use: SSE and NDJSON.

`HttpProvider.stream()` asks for `_chunks(response, state)`; the two bases here answer it by
cutting the body into units (events, lines), handing each unit to the API's own reader
(`_absorb_event` / `_absorb_line`) and stopping at the API's terminal unit (`_stream_over`), so a
provider module holds only what one unit means. Both keep the cutting in a seam of its own
(`_iter_events` / `_iter_lines`) that the harness's known-bad providers override to plant a framing
bug, and both close the unit iterator when the caller stops early (ST-7).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

import httpx

from reference_providers.contract import StreamChunk
from reference_providers.http_provider import EXCERPT, HttpProvider, StateT
from reference_providers.ollama_ndjson import NDJSONLineDecoder
from reference_providers.sse import ServerSentEvent, SSEDecoder


class SSEProvider(HttpProvider[StateT]):
    """A provider whose streams are Server-Sent Events, each event's data one JSON object."""

    stream_accept: ClassVar[str | None] = "text/event-stream"

    async def _chunks(self, response: httpx.Response, state: StateT) -> AsyncIterator[StreamChunk]:
        events = self._iter_events(response)
        try:
            async for event in events:
                text = self._absorb_event(event, state)
                if text:
                    yield StreamChunk(content=text)
                if self._stream_over(state):
                    return
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        decoder = SSEDecoder()
        async for data in response.aiter_bytes():
            for event in decoder.feed(data):
                yield event
        for event in decoder.flush():
            yield event

    def _absorb_event(self, event: ServerSentEvent, state: StateT) -> str:
        """Take in one event; return its text for the caller (ST-4: no buffering)."""
        raise NotImplementedError

    def _stream_over(self, state: StateT) -> bool:
        """Whether the API's terminal event has come; later bytes are not read."""
        return False

    def _event_payload(self, event: ServerSentEvent, raw: str) -> Mapping[str, Any]:
        """An event's data (`raw`, stripped) as the JSON object every API sends.

        An `event: error` whose data is not JSON is still the error it says it is (ER-6); any
        other event that is not a JSON object is a malformed answer (ER-5).
        """
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            if event.event == "error":
                raise self._in_stream_error({"error": {"message": raw}}) from exc
            raise self._invalid(f"stream event is not JSON: {raw!r:.{EXCERPT}}") from exc
        if not isinstance(payload, Mapping):
            raise self._invalid(f"stream event is not a JSON object: {raw!r:.{EXCERPT}}")
        return payload


class NDJSONProvider(HttpProvider[StateT]):
    """A provider whose streams are newline-delimited JSON, one object a line."""

    stream_shape_error: ClassVar[str] = "unexpected stream line"

    async def _chunks(self, response: httpx.Response, state: StateT) -> AsyncIterator[StreamChunk]:
        lines = self._iter_lines(response)
        try:
            async for line in lines:
                chunk = self._absorb_line(line, state)
                if chunk is not None:
                    yield chunk  # ST-4: each line's text leaves as soon as the line is whole
                if self._stream_over(state):
                    return
        finally:
            aclose = getattr(lines, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _iter_lines(self, response: httpx.Response) -> AsyncIterator[str]:
        decoder = NDJSONLineDecoder()
        async for data in response.aiter_bytes():
            for line in decoder.feed(data):
                yield line
        for line in decoder.flush():
            yield self._last_line(line)

    def _last_line(self, line: str) -> str:
        """A last line the body left without its newline; an API may call it cut (ER-7)."""
        return line

    def _absorb_line(self, line: str, state: StateT) -> StreamChunk | None:
        """Take in one line; return what it says for the caller, if anything."""
        raise NotImplementedError

    def _stream_over(self, state: StateT) -> bool:
        """Whether the API's terminal line has come; later bytes are not read."""
        return False

    def _line_payload(self, line: str) -> Mapping[str, Any]:
        """A line as the JSON object it must be; an error object raises as its HTTP twin (ER-6)."""
        try:
            payload = json.loads(line)
        except ValueError as exc:
            raise self._invalid(f"stream line is not JSON: {line!r:.{EXCERPT}}") from exc
        if not isinstance(payload, Mapping):
            raise self._invalid(f"stream line is not a JSON object: {line!r:.{EXCERPT}}")
        if payload.get("error") is not None:
            raise self._in_stream_error(payload)
        return payload
