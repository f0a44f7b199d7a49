"""How a streamed body becomes chunks, for the two framings the APIs use: SSE and NDJSON.

`HttpProvider.stream()` asks for `_chunk_batches(response, state)`; the two bases here answer it by
cutting the body into units (events, lines), handing each unit to the API's own reader
(`_absorb_event` / `_absorb_line`) and stopping at the API's terminal unit (`_stream_over`), so a
provider module holds only what one unit means. Both keep the cutting in a seam of its own
(`_iter_events` / `_iter_lines`) that the harness's known-bad providers override to plant a framing
bug, and both close the unit iterator when the caller stops early (ST-7).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from json.scanner import make_scanner
from typing import Any, ClassVar, cast

import httpx

from reference_providers.contract import StreamChunk, text_chunk
from reference_providers.http_provider import EXCERPT, HttpProvider, StateT
from reference_providers.ollama_ndjson import NDJSONLineDecoder
from reference_providers.sse import ServerSentEvent, SSEDecoder

#: json's C scanner: `scan_json(text, index)` is (value, end) for the JSON value at `index`, and
#: raises StopIteration where none starts. What json.loads calls, without its Python layers.
#: (typeshed types its argument as a scanner; it is the decoder whose settings it takes)
scan_json = make_scanner(cast(Any, json.JSONDecoder()))


def loads(text: str) -> Any:
    """`json.loads(text)` for a text with no surrounding white space, at two thirds of the cost.

    A long stream parses one JSON text per event, and json.loads spends a third of its time in
    the two Python calls around the C scanner; this calls the scanner itself and raises the same
    `json.JSONDecodeError` (a ValueError) for what json.loads rejects.
    """
    try:
        value, end = scan_json(text, 0)
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


async def _decoded(response: httpx.Response) -> AsyncIterator[list[ServerSentEvent]]:
    """The events each read of the body completes (none are left out: flush() ends it)."""
    decoder = SSEDecoder()
    async for data in response.aiter_bytes():
        events = decoder.feed(data)
        if events:
            yield events
    yield decoder.flush()


class SSEProvider(HttpProvider[StateT]):
    """A provider whose streams are Server-Sent Events, each event's data one JSON object."""

    stream_accept: ClassVar[str | None] = "text/event-stream"

    async def _chunk_batches(
        self, response: httpx.Response, state: StateT
    ) -> AsyncIterator[list[StreamChunk]]:
        batches = self._event_batches(response)
        absorb, over = self._absorb_event, self._stream_over
        try:
            async for events in batches:
                chunks: list[StreamChunk] = []
                ended = False
                try:
                    for event in events:
                        text = absorb(event, state)
                        if text:
                            chunks.append(text_chunk(text))
                        if over(state):
                            ended = True
                            break
                except Exception:
                    # The text before the failing event reaches the caller before the error, as
                    # it would event by event.
                    if chunks:
                        yield chunks
                    raise
                if chunks:
                    yield chunks
                if ended:
                    return
        finally:
            aclose = getattr(batches, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _event_batches(
        self, response: httpx.Response
    ) -> AsyncIterator[list[ServerSentEvent]]:
        """The events of each read together: one step of the loop a read, not one an event.

        A long stream is read at the speed of its per-event work; a generator step per event
        would cost as much as reading the event. A subclass that cuts the events itself (an
        override of `_iter_events`) is read through that override, one event a batch.
        """
        if type(self)._iter_events is not SSEProvider._iter_events:
            async for event in self._iter_events(response):
                yield [event]
            return
        async for events in _decoded(response):
            yield events

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        async for events in _decoded(response):
            for event in events:
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
            # loads(raw) without the call: once per event of a long stream.
            payload, end = scan_json(raw, 0)
            if end != len(raw):
                raise json.JSONDecodeError("Extra data", raw, end)
        except (ValueError, StopIteration) as exc:
            if event.event == "error":
                raise self._in_stream_error({"error": {"message": raw}}) from exc
            raise self._invalid(f"stream event is not JSON: {raw!r:.{EXCERPT}}") from exc
        if type(payload) is not dict:  # json.loads makes every object a dict
            raise self._invalid(f"stream event is not a JSON object: {raw!r:.{EXCERPT}}")
        return payload


class NDJSONProvider(HttpProvider[StateT]):
    """A provider whose streams are newline-delimited JSON, one object a line."""

    stream_shape_error: ClassVar[str] = "unexpected stream line"

    async def _chunk_batches(
        self, response: httpx.Response, state: StateT
    ) -> AsyncIterator[list[StreamChunk]]:
        lines = self._iter_lines(response)
        try:
            async for line in lines:
                chunk = self._absorb_line(line, state)
                if chunk is not None:
                    yield [chunk]  # ST-4: each line's text leaves as soon as the line is whole
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
