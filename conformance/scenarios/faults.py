"""How the fake server misbehaves while answering (stalls, resets, cuts, drips, malformed bodies),
whatever the dialect: the scenario's wrong-on-the-wire half, apart from what it answers, because
the server acts on it piece by piece and the judge reads from it which error a provider owes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """How the server misbehaves while answering, whatever the dialect.

    Piece counts refer to the rendered response's pieces: one per event for streams.
    """

    #: Accept the request, then never answer (until the client gives up).
    stall_before_headers: bool = False
    #: Write this many pieces, then stall.
    stall_after_pieces: int | None = None
    #: Write this many pieces, then reset the connection (TCP RST).
    reset_after_pieces: int | None = None
    #: Write this many pieces, then end the body cleanly: a stream cut before its terminal event.
    cut_after_pieces: int | None = None
    #: Wait this long between pieces (a slow drip).
    drip_seconds: float = 0.0
    #: After the first piece that carries text, hold this long before writing the rest, and
    #: watch whether the client closes the connection meanwhile (ST-4 and ST-7).
    hold_after_first_text: float = 0.0
    #: Replace one event's JSON (or the whole JSON body) with a truncated copy.
    malformed: bool = False
    #: Answer a well-formed JSON body of a shape the dialect never sends.
    wrong_shape: bool = False
    #: Let the connection be refused: the provider is given the address of a closed port.
    refuse_connection: bool = False
    #: Send every tool call's arguments as JSON text cut short (not valid JSON), where the wire
    #: carries arguments as text (conformance/scenarios/tool_arguments.py). A silent `{}` would be
    #: data loss: the provider raises an invalid-response error, or keeps the raw text flagged.
    unparsable_tool_arguments: bool = False

    @property
    def any(self) -> bool:
        return self != Fault()

    def unreachable(self, pieces: int, dialect: str = "the dialect") -> str | None:
        """Why this fault would never fire on a response of `pieces` pieces, if it would not.

        A piece count is reached only when a piece of that index is written: a count at or past
        the end plays the whole reply untouched, and judging the provider for the missing fault
        (ER-4, ER-7) would blame it for the scenario's mistake. Pieces depend on the dialect and
        the mode, so this is known only when the server renders the reply.
        """
        for name in ("stall_after_pieces", "reset_after_pieces", "cut_after_pieces"):
            count = getattr(self, name)
            if count is not None and count >= pieces:
                return (
                    f"fault.{name} is {count}, but {dialect} renders this reply as {pieces} "
                    f"piece(s), so the fault would never happen; give a count below {pieces}"
                )
        return None

    @property
    def expected_error(self) -> tuple[str, str | None] | None:
        """(clause, canonical category) of the error this fault must produce, if any.

        A cut stream may surface as any of the profile's errors (ER-7 asks only that it is one);
        its category is then None.
        """
        if self.stall_before_headers or self.stall_after_pieces is not None:
            return ("ER-4", "timeout")
        if self.reset_after_pieces is not None or self.refuse_connection:
            return ("ER-4", "network")
        if self.cut_after_pieces is not None:
            return ("ER-7", None)
        if self.malformed or self.wrong_shape or self.unparsable_tool_arguments:
            return ("ER-5", "invalid_response")
        return None
