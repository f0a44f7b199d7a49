"""Hypothesis strategies for the reads a network delivers: one body cut into pieces.

Not SSE's alone (NDJSON and JSON bodies are cut the same way), so kept apart from the SSE
strategies, which re-export them.
"""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def byte_splits(draw: st.DrawFn, body: bytes, *, max_pieces: int = 12) -> list[bytes]:
    """`body` cut into pieces (empty ones included) whose concatenation is `body`.

    Cuts fall anywhere, but half of them are drawn from the risky places: just after a CR (the
    LF of a CRLF arrives in the next read), inside a multi-byte UTF-8 sequence, and just before
    one (a read that starts with a byte order mark, or with what only looks like one).
    """
    risky = risky_cuts(body)
    anywhere = st.integers(min_value=0, max_value=len(body))
    cut = st.one_of(anywhere, st.sampled_from(risky)) if risky else anywhere
    cuts = sorted(draw(st.lists(cut, max_size=max(0, max_pieces - 1))))
    pieces: list[bytes] = []
    start = 0
    for index in cuts:
        pieces.append(body[start:index])
        start = index
    pieces.append(body[start:])
    return pieces


def risky_cuts(body: bytes) -> list[int]:
    """Where cutting `body` into two reads is most likely to break an incremental decoder."""
    return [
        index for index in range(1, len(body)) if body[index - 1] == 0x0D or body[index] >= 0x80
    ]


__all__ = ["byte_splits", "risky_cuts"]
