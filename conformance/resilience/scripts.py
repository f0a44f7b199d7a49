"""Scenarios for the resilience checks, built in code from a list of answers for one call.

Each check's scenario has one turn whose replies are played to successive requests of that turn
(`Turn.attempts`, then `Turn.reply`; later requests replay the last): exactly what a provider that
retries internally meets, and, for a breaker, the answers to the calls that reach the server.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.resilience.judge import Attempt
from conformance.resilience.model import BreakerOutcome
from conformance.scenarios.model import (
    ErrorReply,
    Fault,
    Reply,
    RequestSpec,
    Scenario,
    Turn,
)
from conformance.server.session import Exchange
from conformance.vocabulary.canonical import ChatMessage
from conformance.vocabulary.retry_after import retry_after_seconds
from conformance.vocabulary.status_table import category_for_status

PROMPT = "Answer briefly: is the service up?"


def text(answer: str) -> Reply:
    # Two parts, so that a stream has a first chunk before its end.
    middle = max(len(answer) // 2, 1)
    return Reply(text_parts=(answer[:middle], answer[middle:]))


def error(status: int, message: str, *, retry_after: float | None = None) -> Reply:
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(error=ErrorReply(status=status, message=message, headers=headers))


def cut_stream(answer: str) -> Reply:
    """A stream that delivers the beginning of its text, then ends without its terminal event.

    Eight text parts, cut after six pieces: in every dialect the first text event is among the
    first six (after at most four opening events: OpenAI's role chunk, Anthropic's message and
    block starts, the Responses API's created/in-progress/item/part events), and the end is not.
    """
    words = answer.split()
    if len(words) < 8:
        raise ValueError("a cut stream needs an answer of at least eight words")
    parts = [f"{word} " for word in words[:7]] + [" ".join(words[7:])]
    return Reply(text_parts=tuple(parts), fault=Fault(cut_after_pieces=6))


def stall() -> Reply:
    """The server takes the request and never answers."""
    return Reply(text_parts=("never sent",), fault=Fault(stall_before_headers=True))


def scripted(
    name: str,
    replies: Sequence[Reply],
    *,
    clause: str,
    title: str = "",
    stream_only: bool = False,
) -> Scenario:
    """One turn whose replies are played, in order, to the requests of one call."""
    if not replies:
        raise ValueError("a scripted scenario needs at least one reply")
    return Scenario(
        name=name,
        title=title or name.replace("_", " "),
        turns=(Turn(reply=replies[-1], attempts=tuple(replies[:-1])),),
        request=RequestSpec(messages=(ChatMessage("user", PROMPT),)),
        focus=(clause,),
        modes=("stream",) if stream_only else ("chat", "stream"),
        tags=("resilience",),
    )


BREAKER_REPLIES: dict[BreakerOutcome, Reply] = {
    "ok": text("The service is up."),
    "server": error(503, "The server is overloaded; try again later."),
    "auth": error(401, "Incorrect API key provided."),
}


def reply_of(scenario: Scenario, exchange: Exchange) -> Reply:
    """The reply the server played for a recorded chat request."""
    turn = scenario.turns[exchange.turn or 0]
    replies = turn.replies
    attempt = getattr(exchange, "attempt", 0) or 0
    return replies[min(attempt, len(replies) - 1)]


def chat_exchanges(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.turn is not None]


def attempts_of(
    scenario: Scenario, exchanges: Sequence[Exchange], times: Sequence[float]
) -> list[Attempt]:
    """The RE-1 records: each chat request's fake-clock time and what it was answered."""
    found: list[Attempt] = []
    for exchange, at in zip(chat_exchanges(exchanges), times, strict=True):
        reply = reply_of(scenario, exchange)
        fault = reply.fault
        if reply.error is not None:
            status = reply.error.status
            _, retryable = category_for_status(status)
            wait = retry_after_seconds(reply.error.headers)
            if wait is None:
                wait = getattr(reply.error, "retry_after", None)
            found.append(Attempt(at, status, "error", retryable, wait))
        elif _transport_failure(fault):
            found.append(Attempt(at, None, "error", True))
        elif fault.cut_after_pieces is not None:
            found.append(Attempt(at, exchange.response.status, "cut"))
        else:
            found.append(Attempt(at, exchange.response.status, "ok"))
    return found


def _transport_failure(fault: Fault) -> bool:
    """No HTTP answer at all: refused, stalled, reset (a timeout or a network error)."""
    return (
        fault.stall_before_headers
        or fault.refuse_connection
        or fault.reset_after_pieces is not None
        or fault.stall_after_pieces is not None
    )
