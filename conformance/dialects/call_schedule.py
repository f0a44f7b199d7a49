"""The order in which streamed tool calls go on the wire: openers, argument fragments, closers.

Shared by the dialects that stream arguments in fragments (OpenAI Chat and Responses, Anthropic),
so that one scenario's `argument_cuts` and `interleave` mean the same in each. Each dialect turns
the steps into its own events (a chunk with `index`, a content block, an output item).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from conformance.dialects.sse_writer import fragments
from conformance.scenarios.model import WireOptions

StepKind = Literal["open", "delta", "close"]


@dataclass(frozen=True)
class CallStep:
    kind: StepKind
    #: The call's position in the reply.
    call: int
    #: The argument fragment, for "delta" steps.
    piece: str = ""


def argument_pieces(arguments: str, wire: WireOptions, call: int) -> list[str]:
    """The fragments of one call's arguments JSON, as the wire options cut them."""
    if call < len(wire.argument_cuts):
        offsets = sorted(min(max(offset, 0), len(arguments)) for offset in wire.argument_cuts[call])
        bounds = [0, *offsets, len(arguments)]
        return [arguments[start:end] for start, end in itertools.pairwise(bounds)]
    return fragments(arguments, wire.argument_fragments)


def call_schedule(
    arguments: Sequence[str], wire: WireOptions, *, interleave: bool = True
) -> list[CallStep]:
    """Open, fragment and close every call, in the order `wire.interleave` asks (if allowed).

    A call is opened right before its first fragment and closed right after its last one, so
    that each dialect's events stay well-formed whatever the interleaving.
    """
    pieces = [argument_pieces(text, wire, index) for index, text in enumerate(arguments)]
    steps: list[CallStep] = []
    sent = [0] * len(pieces)
    opened = [False] * len(pieces)

    def advance(call: int) -> None:
        if not opened[call]:
            opened[call] = True
            steps.append(CallStep("open", call))
        if sent[call] < len(pieces[call]):
            steps.append(CallStep("delta", call, pieces[call][sent[call]]))
            sent[call] += 1
            if sent[call] == len(pieces[call]):
                steps.append(CallStep("close", call))

    if interleave and pieces:
        for entry in wire.interleave:
            call = entry % len(pieces)
            if sent[call] < len(pieces[call]):
                advance(call)
    for call in range(len(pieces)):
        if not opened[call] and not pieces[call]:
            steps += [CallStep("open", call), CallStep("close", call)]
            opened[call] = True
        while sent[call] < len(pieces[call]):
            advance(call)
    return steps
