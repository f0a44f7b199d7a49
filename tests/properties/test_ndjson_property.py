"""NDJSONLineDecoder gives the same objects however the bytes are cut into reads (ST-1, ST-6).

Bodies are what Ollama-like servers write: JSON objects one per line, LF or CRLF, blank and
whitespace-only lines between them, a byte order mark or not, the last line with or without its
newline, Unicode inside strings (U+2028 and U+0085 included, which are not line ends here). The
reads are cut anywhere, inside UTF-8 sequences and between CR and LF included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.strategies.sse import byte_splits
from reference_providers.ollama_ndjson import NDJSONError, NDJSONLineDecoder

PROPERTY = settings(max_examples=200, deadline=None)
_BOM = b"\xef\xbb\xbf"

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(
        alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from("\u2028\x85\r\n\ufeff")),
        max_size=8,
    ),
)
_objects = st.dictionaries(
    st.text(max_size=6), st.one_of(_scalars, st.lists(_scalars, max_size=3)), max_size=4
)


@dataclass(frozen=True)
class Body:
    data: bytes
    objects: list[dict[str, Any]]


@st.composite
def ndjson_bodies(draw: st.DrawFn) -> Body:
    objects = draw(st.lists(_objects, max_size=6))
    parts = [_BOM] if draw(st.booleans()) else []
    for index, value in enumerate(objects):
        for blank in draw(st.lists(st.sampled_from(["", " ", "\t", "  "]), max_size=2)):
            parts.append(blank.encode() + draw(st.sampled_from([b"\n", b"\r\n"])))
        parts.append(json.dumps(value, ensure_ascii=draw(st.booleans())).encode())
        last = index == len(objects) - 1
        if not last or draw(st.booleans()):
            parts.append(draw(st.sampled_from([b"\n", b"\r\n"])))
    return Body(b"".join(parts), objects)


def decode(pieces: list[bytes], **options: int) -> list[str]:
    decoder = NDJSONLineDecoder(**options)
    lines: list[str] = []
    for piece in pieces:
        lines += decoder.feed(piece)
    return lines + decoder.flush()


@PROPERTY
@given(st.data(), ndjson_bodies())
def test_any_split_gives_the_objects_sent(data: st.DataObject, body: Body) -> None:
    pieces = data.draw(byte_splits(body.data), label="pieces")
    assert [json.loads(line) for line in decode(pieces)] == body.objects


@settings(max_examples=100, deadline=None)
@given(st.data(), ndjson_bodies(), st.integers(min_value=1, max_value=40))
@example(data=None, body=Body(b'{"a":"0123456789"}\n', [{"a": "0123456789"}]), limit=10)
def test_the_line_length_limit_does_not_depend_on_the_split(
    data: st.DataObject | None, body: Body, limit: int
) -> None:
    # A line longer than the limit is an error whether it arrives in one read or in many;
    # the decoder once checked only the part of a line still buffered at the end of a read.
    pieces = [body.data] if data is None else data.draw(byte_splits(body.data), label="pieces")
    text = body.data.removeprefix(_BOM)
    if any(len(line) > limit for line in text.split(b"\n")):
        with pytest.raises(NDJSONError, match=f"exceeds {limit} bytes"):
            decode(pieces, max_line_bytes=limit)
    else:
        assert [json.loads(line) for line in decode(pieces, max_line_bytes=limit)] == body.objects
