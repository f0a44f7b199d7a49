"""The oracles' plain reading of a recorded SSE body: (event, data) per dispatched event.

Deliberately simple and separate from any provider's decoder, so that a recording's expected
result does not inherit a provider's parsing bug.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_BLANK_LINE = re.compile(r"\r\n\r\n|\n\n|\r\r")


def sse_blocks(body: bytes) -> Iterator[tuple[str, str]]:
    text = body.decode("utf-8").removeprefix("\ufeff")
    for block in _BLANK_LINE.split(text):
        event, data = "message", []
        for line in block.splitlines():
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
        if data:
            yield event, "\n".join(data)
