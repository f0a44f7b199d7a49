"""What a profile observes is judged, whatever its type: it never breaks the harness's reading."""

from __future__ import annotations

from conformance.vocabulary.observation import ObservedChunk, TurnObservation


def test_a_chunk_whose_content_is_not_text_is_read_as_shown_not_a_harness_error() -> None:
    # Once a TypeError in the harness ("sequence item 0: expected str instance, list found"),
    # reported as a harness error instead of the provider's ST-1 failure.
    parts = [{"type": "text", "text": "Hello"}]
    turn = TurnObservation(mode="stream", chunks=[ObservedChunk(text=parts), ObservedChunk("!")])  # type: ignore[arg-type]
    assert turn.streamed_text == f"{parts}!"
