"""Text over all of Unicode, weighted towards what breaks providers.

Plain `st.text()` rarely draws an astral character, a combining mark next to its base, a
right-to-left run or a character JSON must escape; these strategies draw them often.
"""

from __future__ import annotations

import functools

from hypothesis import strategies as st

#: Characters that have broken real providers: JSON escapes, CR and LF inside text, astral
#: emoji and their joiners, combining marks, bidi controls, line and paragraph separators.
TRICKY_CHARACTERS = (
    '"\\/\b\f\n\r\t\x00\x01\x1f\x7f'
    "\u00e9\u0301\u0308\u0336"  # é, combining acute, diaeresis, overlay
    "\u05e9\u0645\u202b\u202c\u200f"  # Hebrew, Arabic, RLE, PDF, RLM
    "\u200b\u200d\ufeff\u2028\u2029"  # zero width space / joiner, BOM, line / paragraph sep
    "\u65e5\u672c\ud55c"  # CJK, Hangul (three bytes in UTF-8)
    "\U0001f600\U0001f9d1\U0001f4bb\U0001f3fd\U0001d11e\U00013080"  # four bytes in UTF-8
    "<>&'"
)


@functools.cache
def unicode_text(*, min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text (surrogates excluded: they cannot be sent as UTF-8), tricky characters often.

    Built once per size: properties call it inside `flatmap`, and hypothesis validates every
    strategy object it has not seen, which cost more than the examples themselves.
    """
    return st.one_of(
        st.text(min_size=min_size, max_size=max_size),
        st.text(st.sampled_from(TRICKY_CHARACTERS), min_size=min_size, max_size=max_size),
        st.text(
            st.one_of(st.sampled_from(TRICKY_CHARACTERS), st.characters(codec="utf-8")),
            min_size=min_size,
            max_size=max_size,
        ),
    )


@functools.cache
def text_parts(
    *, max_parts: int = 5, allow_empty: bool = True
) -> st.SearchStrategy[tuple[str, ...]]:
    """The deltas of a streamed answer: one to several, empty ones included when allowed."""
    part = unicode_text(min_size=0 if allow_empty else 1, max_size=24)
    return st.lists(part, min_size=1, max_size=max_parts).map(tuple)
