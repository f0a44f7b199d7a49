"""Writing Server-Sent Events as each scenario's wire options ask (shared by SSE dialects)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from conformance.scenarios.model import WireOptions
from conformance.vocabulary.wire import WireResponse

#: One compact encoder, built once: json.dumps with options builds a new encoder per call, which
#: is a large share of rendering a long stream.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def sse_event(
    data: str, wire: WireOptions, *, event: str | None = None, comment: str | None = None
) -> bytes:
    eol = wire.eol
    sep = ": " if wire.data_space else ":"
    lines: list[str] = []
    if comment is not None:
        lines.append(f": {comment}")
    if event is not None:
        lines.append(f"event{sep}{event}")
    if wire.extra_fields:
        # Fields a client must accept and may ignore; the id is stable for the same payload.
        lines += [f"id{sep}evt-{len(data)}", f"retry{sep}3000"]
    if wire.multiline_data and data.startswith("{") and ',"' in data:
        # The standard joins data lines with a newline, which is whitespace to JSON.
        cut = data.index(',"') + 1
        data = data[:cut] + "\n" + data[cut:]
    lines.extend(f"data{sep}{line}" for line in data.split("\n"))
    return (eol.join(lines) + eol + eol).encode("utf-8")


def sse_json(payload: Any, wire: WireOptions, *, event: str | None = None) -> bytes:
    comment = "keep-alive" if wire.comments else None
    return sse_event(
        _COMPACT.encode(payload),
        wire,
        event=event,
        comment=comment,
    )


#: Stands for the text in a template event; no scenario text contains it (a NUL each side).
_HOLE = "\x00conformance-text\x00"
_HOLE_JSON = _COMPACT.encode(_HOLE).encode("utf-8")


def sse_json_texts(
    payload: Callable[[str], Any],
    texts: Iterable[str],
    wire: WireOptions,
    *,
    event: str | None = None,
) -> list[bytes]:
    """`[sse_json(payload(text), wire, event=event) for text in texts]`, byte for byte, fast.

    A long stream is thousands of events that differ only in their text; encoding each whole
    payload afresh cost the fake server most of its time on such a stream. The event is encoded
    once around a placeholder and each text's JSON string takes the placeholder's place. Wire
    options that make an event depend on its whole data (an `id` from its length, data lines
    cut at its first key) take the plain path.
    """
    texts = list(texts)
    if not texts or wire.multiline_data or wire.extra_fields:
        return [sse_json(payload(text), wire, event=event) for text in texts]
    around = sse_json(payload(_HOLE), wire, event=event).split(_HOLE_JSON)
    if len(around) != 2:  # the payload quotes its text more than once: no single place
        return [sse_json(payload(text), wire, event=event) for text in texts]
    before, after = around
    encode = _COMPACT.encode
    return [before + encode(text).encode("utf-8") + after for text in texts]


#: An event of a type no API sends; clients must ignore event types they do not know.
UNKNOWN_EVENT_TYPE = "conformance.unknown_event"


def sse_response(events: list[bytes], wire: WireOptions) -> WireResponse:
    response = WireResponse(
        status=200,
        headers=[
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("Connection", "keep-alive"),
        ],
        pieces=events,
        chunked=True,
    )
    if wire.extra_fields and len(events) > 1:
        response.pieces = [events[0], _unknown_event(wire), *events[1:]]
    if wire.inserts:
        response.pieces = _with_inserts(response.pieces, wire)
    response.split(wire.split_bytes)
    return response


def _unknown_event(wire: WireOptions) -> bytes:
    return sse_event(json.dumps({"type": UNKNOWN_EVENT_TYPE}), wire, event=UNKNOWN_EVENT_TYPE)


def _with_inserts(events: list[bytes], wire: WireOptions) -> list[bytes]:
    """The events with `wire.inserts` (comments, unknown events) put between them."""
    after: dict[int, list[bytes]] = {}
    for spec in wire.inserts:
        kind, _, number = spec.partition(":")
        position = int(number) % (len(events) + 1)
        if kind == "comment":
            piece = f": conformance comment {position}{wire.eol}{wire.eol}".encode()
        else:
            piece = _unknown_event(wire)
        after.setdefault(position, []).append(piece)
    pieces = list(after.get(0, []))
    for index, event in enumerate(events, start=1):
        pieces.append(event)
        pieces += after.get(index, [])
    return pieces


def fragments(text: str, count: int) -> list[str]:
    """Cut `text` into `count` pieces (some may be empty for short text), deterministically."""
    if count <= 1 or len(text) <= 1:
        return [text]
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]
