"""Text events rendered from a template are byte for byte the events encoded one by one.

A long stream's events differ only in their text, so the SSE writer encodes the event once
around a placeholder (`sse_json_texts`); whatever the text and the wire options, the bytes must
be those of encoding each event whole.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.dialects.sse_writer import sse_json, sse_json_texts
from conformance.scenarios.model import WireOptions
from conformance.strategies.text import unicode_text

wire_options = st.builds(
    WireOptions,
    data_space=st.booleans(),
    line_ending=st.sampled_from(["lf", "crlf", "cr"]),
    multiline_data=st.booleans(),
    extra_fields=st.booleans(),
    comments=st.booleans(),
)


def _chunk(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": text}}]}


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(unicode_text(max_size=24), max_size=6),
    wire=wire_options,
    event=st.sampled_from([None, "delta"]),
)
def test_template_events_equal_events_encoded_whole(
    texts: list[str], wire: WireOptions, event: str | None
) -> None:
    expected = [sse_json(_chunk(text), wire, event=event) for text in texts]
    assert sse_json_texts(_chunk, texts, wire, event=event) == expected


def test_a_payload_quoting_its_text_twice_is_encoded_whole() -> None:
    wire = WireOptions()

    def twice(text: str) -> dict[str, str]:
        return {"a": text, "b": text}

    assert sse_json_texts(twice, ["x", "\u00e9"], wire) == [
        sse_json(twice("x"), wire),
        sse_json(twice("\u00e9"), wire),
    ]
