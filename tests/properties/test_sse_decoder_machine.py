"""SSEDecoder as a state machine: whatever it has been fed, it emitted what the standard says.

A server writes lines (CR, LF, CRLF or no end yet, broken UTF-8, byte order marks) and the
network hands the decoder any prefix of what was written. The model is the oracle,
`conformance.strategies.sse_standard`, applied to all bytes fed so far: the decoder must have
emitted exactly
the events the standard dispatches for that prefix. No allowance is needed for a trailing CR
whose LF may still come: the standard ends a line at a CR at the end of the input, and so does the
decoder (it then skips that LF if it comes), so both dispatch at the CR; the LF can only merge
with the CR, never make or unmake a blank line.

Ending a stream flushes the decoder and checks its final state; the same decoder then reads a
new stream, as it does after a reconnection. It keeps the last event ID and reconnection time
across that (browsers do too), so the model reads the new stream as if it began with a block
setting both.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from conformance.strategies.sse import risky_cuts
from conformance.strategies.sse_standard import (
    EventStreamInterpretation,
    StandardEvent,
    interpret_event_stream,
)
from reference_providers.sse import ServerSentEvent, SSEDecoder

_BOM = b"\xef\xbb\xbf"

_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_characters="\r\n"),
        st.sampled_from(" :\0\u2028\x85é𝄞\ufeff"),
    ),
    max_size=6,
).map(str.encode)

_field_lines = st.one_of(
    st.tuples(st.sampled_from([b"data:", b"data: ", b"data"]), _text).map(b"".join),
    st.tuples(st.sampled_from([b"event: ", b"id: ", b"id:", b":", b"Data: "]), _text).map(b"".join),
    st.sampled_from([b"event: delta", b"id: a\0b", b"retry: 15", b"retry:7", b"retry: 1x"]),
)
_raw_pieces = st.sampled_from([b"", _BOM, b"\xef\xbb", b"\xe2\x82", b"\xf0\x9f\x98", b"\xff"])
_line_ends = st.sampled_from([b"\n", b"\r", b"\r\n", b""])


def as_standard(event: ServerSentEvent) -> StandardEvent:
    return StandardEvent(
        type=event.event, data=event.data, last_event_id=event.id or "", retry=event.retry
    )


class SSEDecoderMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.decoder = SSEDecoder()
        self.preamble = b""  # what the decoder carries over from earlier streams, as SSE
        self.written = bytearray()  # the current stream, as the server wrote it so far
        self.fed = 0  # how much of it the decoder has been given
        self.emitted: list[StandardEvent] = []

    @rule(line=_field_lines, end=_line_ends)
    def write_field(self, line: bytes, end: bytes) -> None:
        self.written += line + end

    @rule(end=_line_ends.filter(bool))
    def write_blank_line(self, end: bytes) -> None:
        self.written += end

    @rule(piece=_raw_pieces)
    def write_raw(self, piece: bytes) -> None:
        self.written += piece

    @rule(data=st.data())
    def deliver(self, data: st.DataObject) -> None:
        """Hand over the unfed bytes up to a cut: anywhere, at a risky place, or at the end."""
        unfed = self.unfed()
        anywhere = st.integers(min_value=0, max_value=len(unfed))
        risky = risky_cuts(unfed)
        cuts = [anywhere, st.just(len(unfed))] + ([st.sampled_from(risky)] if risky else [])
        size = data.draw(st.one_of(cuts), label="size")
        self.fed += size
        self.emitted += [as_standard(event) for event in self.decoder.feed(unfed[:size])]

    @rule()
    def end_stream(self) -> None:
        self.emitted += [as_standard(event) for event in self.decoder.feed(self.unfed())]
        self.fed = len(self.written)
        self.emitted += [as_standard(event) for event in self.decoder.flush()]
        expected = self.expected()
        assert self.emitted == list(expected.events)
        assert (self.decoder.last_event_id or "") == expected.last_event_id
        assert self.decoder.reconnection_time == expected.reconnection_time
        self.preamble = carried_over(expected)
        self.written, self.fed, self.emitted = bytearray(), 0, []

    @invariant()
    def emitted_what_the_standard_dispatches_for_the_bytes_fed(self) -> None:
        expected = self.expected()
        assert self.emitted == list(expected.events)
        assert self.decoder.reconnection_time == expected.reconnection_time

    def unfed(self) -> bytes:
        return bytes(self.written[self.fed :])

    def expected(self) -> EventStreamInterpretation:
        fed = bytes(self.written[: self.fed])
        # The carried-over block goes after a byte order mark, which only counts at the start.
        bom = _BOM if fed.startswith(_BOM) else b""
        return interpret_event_stream(bom + self.preamble + fed[len(bom) :])


def carried_over(state: EventStreamInterpretation) -> bytes:
    """A block that sets what a decoder keeps from one stream to the next."""
    lines = b""
    if state.last_event_id:
        lines += b"id: " + state.last_event_id.encode() + b"\n"
    if state.reconnection_time is not None:
        lines += b"retry: " + str(state.reconnection_time).encode() + b"\n"
    return lines + b"\n" if lines else b""


SSEDecoderMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=30, deadline=None
)
TestSSEDecoderMachine = SSEDecoderMachine.TestCase
