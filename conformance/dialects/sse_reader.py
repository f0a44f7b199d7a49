"""The oracles' plain reading of a recorded SSE body: (event, data) per dispatched event.

Deliberately simple and separate from any provider's decoder, so that a recording's expected
result does not inherit a provider's parsing bug.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Only CR, LF and CRLF end a line: str.splitlines() would also split on U+2028, U+0085 and
# others, which JSON carries unescaped inside strings.
_LINE_END = re.compile(r"\r\n|\r|\n")


def sse_blocks(body: bytes) -> Iterator[tuple[str, str]]:
    """A blank line (of any line ends, mixed) closes an event; so does the end of the body.

    The standard drops a last event without its blank line; a recording whose final newlines
    were lost in storage keeps it here.
    """
    text = body.decode("utf-8").removeprefix("\ufeff")
    event = "message"
    data: list[str] = []
    for line in _LINE_END.split(text):
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value or "message"
    if data:
        yield event, "\n".join(data)
