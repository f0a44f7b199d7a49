"""What the fake server answers a request with: the scenario's reply rendered by the dialect (or
written verbatim, or replayed from a recording), then shaped by the reply's fault and the
scenario's wire options, before a byte is written. The server routes; this decides the bytes.
"""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime, timedelta

from conformance.dialects.base import Endpoint
from conformance.dialects.corpus import serve_recording
from conformance.scenarios.model import ErrorReply, Reply, check_fault_reachable
from conformance.server.session import Session
from conformance.vocabulary.fragmentation import cut_body
from conformance.vocabulary.wire import RecordedRequest, WireResponse

#: Between the writes of a cut body: long enough for a client thread blocked in recv() to take
#: the piece before the next one arrives (so its read ends at the cut), short enough to be cheap.
_CUT_PAUSE = 0.002


def render_turn(
    session: Session,
    turn: int,
    attempt: int,
    request: RecordedRequest,
    endpoint: Endpoint,
) -> WireResponse:
    """A turn endpoint's answer: the turn's reply, in the shape of the endpoint asked."""
    reply = session.scenario.turns[turn].replies[attempt]
    dialect = session.dialect
    error = reply.error
    if error is not None and error.body is not None:
        response = verbatim_error(error)
    elif reply.recorded is not None:
        response = serve_recording(dialect, reply, stream=dialect.is_stream(request, endpoint))
        response.meta["usage_sent"] = reply.usage is not None
    else:
        response = dialect.render_turn(
            endpoint,
            session.scenario_for(turn, attempt),
            turn,
            request,
            stream=dialect.is_stream(request, endpoint),
        )
    shape(session, reply, response)
    if reply.fault.hold_after_first_text and reply.text_parts:
        response.meta["hold_marker"] = json.dumps(reply.text_parts[0])[1:-1].encode()
    pieces = len(response.pieces) or 1
    check_fault_reachable(session.scenario, turn, reply.fault, pieces, dialect.name)
    return response


def render_side(session: Session, request: RecordedRequest, endpoint: Endpoint) -> WireResponse:
    """A side endpoint (model list, health, token count): its own answer, unless the reply
    the next turn request would get is an error; the reply's fault applies either way."""
    reply = session.current_reply()
    error = reply.error
    if error is None:
        response = session.dialect.render_endpoint(endpoint, request, session.scenario)
    elif error.body is not None:
        response = verbatim_error(error)
    else:
        response = session.dialect.render_error(error)
    shape(session, reply, response)
    return response


def shape(session: Session, reply: Reply, response: WireResponse) -> None:
    """Apply what the reply and the scenario's wire options ask beyond the rendered bytes."""
    error = reply.error
    if error is not None and error.retry_after is not None:
        response.headers.append(_retry_after_header(error.retry_after, error.retry_after_form))
    fault = reply.fault
    if fault.malformed:
        _malform(response)
    if fault.wrong_shape:
        response.pieces = [b'{"object":"conformance.unexpected","data":[{"note":"no such shape"}]}']
        response.headers = [("Content-Type", "application/json")]
        response.chunked = False
    response.meta["fault"] = fault
    wire = session.scenario.wire
    if wire.cuts:
        # Generated fragmentation: exactly these writes, each given time to arrive alone.
        response.pieces = cut_body(response.body, wire.cuts)
        response.meta["cut_pause"] = _CUT_PAUSE
    response.meta["boundaries"] = bool(
        wire.cuts or wire.split_bytes or fault.drip_seconds or fault.hold_after_first_text
    )


_JSON_IN_PIECE = re.compile(rb"^(.*?)(\{.*\})(\s*)$", re.DOTALL)


def _malform(response: WireResponse) -> None:
    """Truncate the JSON of the body (or of the second event of a stream) in its middle."""
    candidates = [i for i, piece in enumerate(response.pieces) if _JSON_IN_PIECE.match(piece)]
    if not candidates:
        return
    index = candidates[1] if len(candidates) > 2 else candidates[0]
    match = _JSON_IN_PIECE.match(response.pieces[index])
    assert match is not None
    prefix, payload, trailer = match.groups()
    response.pieces[index] = prefix + payload[: len(payload) // 2] + trailer
    if not response.chunked:
        response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]


def verbatim_error(error: ErrorReply) -> WireResponse:
    """An error body written as the scenario gives it (e.g. a proxy's HTML page)."""
    assert error.body is not None
    return WireResponse(
        status=error.status,
        headers=[("Content-Type", error.content_type), *error.headers.items()],
        pieces=[error.body.encode("utf-8")],
    )


def _retry_after_header(seconds: float, form: str) -> tuple[str, str]:
    if form == "ms":
        return ("retry-after-ms", str(int(seconds * 1000)))
    if form == "http-date":
        # An HTTP-date has whole seconds: round up, so the delay it states is never shorter.
        when = (datetime.now(UTC) + timedelta(seconds=seconds + 1)).replace(microsecond=0)
        return ("Retry-After", email.utils.format_datetime(when, usegmt=True))
    return ("Retry-After", f"{seconds:g}")
