"""Where a response body is cut into separate writes: the places decoders get wrong.

A cut is written `KIND:N` so that a generated (and shrunk) example reads as what it tests:
`utf8:0` is "a read ends inside the first multi-byte character", `crlf:2` "a read ends between
the third CR and its LF". N counts modulo the places of that kind in the rendered body, so any N
names a real place, and a cut of a kind the body does not have (no CRLF in an LF stream) is
dropped. Cuts are resolved against the bytes the dialect actually rendered, whatever the dialect.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

CUT_KINDS = ("event", "byte", "eol", "crlf", "field", "utf8")

_CUT = re.compile(r"^(?P<kind>[a-z0-9]+):(?P<n>[0-9]+)$")
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_FIELD = re.compile(rb"(?:^|(?<=[\r\n]))(?:data|event|id|retry):", re.MULTILINE)


def _utf8_interiors(body: bytes) -> list[int]:
    """Offsets strictly inside a multi-byte UTF-8 sequence (after its lead byte)."""
    return [i for i, byte in enumerate(body) if 0x80 <= byte < 0xC0 and i > 0]


def _crlf_middles(body: bytes) -> list[int]:
    return [m.start() + 1 for m in re.finditer(rb"\r\n", body)]


def _line_ends(body: bytes) -> list[int]:
    return [m.end() for m in _LINE_END.finditer(body)]


def _event_ends(body: bytes) -> list[int]:
    return [m.end() for m in _EVENT_END.finditer(body)]


def _field_colons(body: bytes) -> list[int]:
    return [m.end() for m in _FIELD.finditer(body)]


def _bytes(body: bytes) -> list[int]:
    return list(range(len(body)))


_PLACES: dict[str, Callable[[bytes], list[int]]] = {
    "event": _event_ends,
    "byte": _bytes,
    "eol": _line_ends,
    "crlf": _crlf_middles,
    "field": _field_colons,
    "utf8": _utf8_interiors,
}


def parse_cut(spec: str) -> tuple[str, int]:
    match = _CUT.fullmatch(spec)
    if match is None or match["kind"] not in _PLACES:
        kinds = ", ".join(CUT_KINDS)
        raise ValueError(f"cut {spec!r}: expected KIND:N with KIND one of {kinds}")
    return match["kind"], int(match["n"])


def cut_offsets(body: bytes, cuts: Sequence[str]) -> list[int]:
    """The byte offsets (sorted, distinct, strictly inside the body) the cuts name."""
    offsets: set[int] = set()
    for spec in cuts:
        kind, n = parse_cut(spec)
        if kind == "byte" and 0 < n < len(body):
            offsets.add(n)  # `byte:N` is the offset itself while it lies inside the body
            continue
        places = [p for p in _PLACES[kind](body) if 0 < p < len(body)]
        if places:
            offsets.add(places[n % len(places)])
    return sorted(offsets)


def cut_body(body: bytes, cuts: Sequence[str]) -> list[bytes]:
    """The body as the pieces the cuts make (one piece when no cut lands inside it)."""
    bounds = [0, *cut_offsets(body, cuts), len(body)]
    return [body[start:end] for start, end in itertools.pairwise(bounds)] or [b""]


def describe_pieces(pieces: Sequence[bytes]) -> str:
    """Where a body written in pieces was cut, with the bytes either side, for a transcript."""
    lines = [f"(the body above was written in {len(pieces)} separate writes, cut at:)"]
    body, offset = b"".join(pieces), 0
    for piece in pieces[:-1]:
        offset += len(piece)
        before, after = body[max(0, offset - 16) : offset], body[offset : offset + 16]
        lines.append(f"  byte {offset}: {before!r} | {after!r}")
    return "\n".join(lines)
