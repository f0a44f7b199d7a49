"""The catalogue of contract clauses: the one place clause ids and their wording live.

Every check, failure message and report cell refers to a clause by id; looking the id up here gives
its group and text, so a report can always say what "ST-3" means without the reader opening
CONTRACT.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    id: str
    group: str
    title: str
    #: The capability a clause exercises; a declared capability that fails it is
    #: "declared-but-broken" rather than plain "fail" (ID-2).
    capability: str | None = None

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"


GROUPS: dict[str, str] = {
    "ID": "identity and capabilities",
    "RQ": "what the provider sends",
    "CH": "chat",
    "ST": "streaming",
    "ER": "errors",
    "RS": "resources",
    "RE": "resilience",
    "SE": "secrets",
    "CF": "configuration",
}

_CLAUSES: tuple[Clause, ...] = (
    Clause("ID-1", "ID", "name is a non-empty string"),
    Clause("ID-2", "ID", "declared capabilities are verified"),
    Clause("RQ-1", "RQ", "method, path and body match the dialect"),
    Clause("RQ-2", "RQ", "credentials travel in the dialect's header only"),
    Clause("RQ-3", "RQ", "model, temperature, max_tokens and stream flag sent as given"),
    Clause("RQ-4", "RQ", "tool definitions reach the wire intact", capability="tools"),
    Clause("RQ-5", "RQ", "tool results refer to earlier tool call ids", capability="tools"),
    Clause("RQ-6", "RQ", "system prompt placed where the dialect wants it"),
    Clause("CH-1", "CH", "content equals the text the server sent"),
    Clause("CH-2", "CH", "tool calls: count, order, ids, names, arguments", capability="tools"),
    Clause("CH-3", "CH", "stop reason has the same meaning"),
    Clause("CH-4", "CH", "usage equals the server's numbers", capability="usage"),
    Clause("ST-1", "ST", "text conservation over any split of the wire", capability="streaming"),
    Clause("ST-2", "ST", "exactly one final chunk, and it is the last", capability="streaming"),
    Clause(
        "ST-3", "ST", "tool-call conservation over the stream", capability="streaming_tool_calls"
    ),
    Clause("ST-4", "ST", "incremental delivery", capability="streaming"),
    Clause(
        "ST-5", "ST", "stop reason and usage arrive with the final chunk", capability="streaming"
    ),
    Clause(
        "ST-6", "ST", "framing tolerance as the SSE standard defines it", capability="streaming"
    ),
    Clause("ST-7", "ST", "leaving the iteration early closes the response", capability="streaming"),
    Clause("ER-1", "ER", "status mapping, the same for chat and stream"),
    Clause("ER-2", "ER", "Retry-After becomes the error's retry-after"),
    Clause("ER-3", "ER", "error carries status, provider, API message and cause"),
    Clause("ER-4", "ER", "transport failures: connection error, bounded timeout"),
    Clause("ER-5", "ER", "malformed body is an invalid-response error"),
    Clause("ER-6", "ER", "errors inside a stream map as their HTTP twins"),
    Clause("ER-7", "ER", "a cut stream is an error, never a success"),
    Clause("ER-8", "ER", "only the profile's own error types escape"),
    Clause("RS-1", "RS", "close() releases connections and is idempotent"),
    Clause("RS-2", "RS", "no unclosed-client or ResourceWarning"),
    Clause("RE-1", "RE", "retries only what is retryable, with growing backoff"),
    Clause("RE-2", "RE", "circuit breaker opens, fails fast, half-opens, closes"),
    Clause("RE-3", "RE", "fallback chain moves on and tracks health"),
    Clause("RE-4", "RE", "health_check answers within a bounded time, never raises"),
    Clause("SE-1", "SE", "the API key never appears in messages, logs, reprs or reports"),
    Clause("CF-1", "CF", "registered names, aliases and entry points resolve"),
    Clause("CF-2", "CF", "capability files validate, resolve in order, match observation"),
)

CLAUSES: dict[str, Clause] = {clause.id: clause for clause in _CLAUSES}


def register_clause(new: Clause, group_title: str | None = None) -> Clause:
    """Add a clause of your own (a plugin's, a team's house rule) before the run configures.

    Reports, markers (`-m XT_1`) and `clause()` then know it like the contract's own; its check is
    a test method on a ProviderConformanceSuite subclass (docs/architecture.md, "Where to add
    what"). An id already taken is refused: a clause means one thing in every report.
    """
    if new.id in CLAUSES and CLAUSES[new.id] != new:
        raise ValueError(f"clause {new.id} exists already ({CLAUSES[new.id]}); choose another id")
    if new.group not in GROUPS:
        if group_title is None:
            raise ValueError(f"clause {new.id}: group {new.group!r} is new; give its group_title")
        GROUPS[new.group] = group_title
    CLAUSES[new.id] = new
    return new


def clause(clause_id: str) -> Clause:
    """Look a clause up, failing loudly: a typo in a clause id is a bug in a check."""
    try:
        return CLAUSES[clause_id]
    except KeyError:
        known = ", ".join(CLAUSES)
        raise KeyError(f"unknown clause id {clause_id!r}; known clauses: {known}") from None


def clause_sort_key(clause_id: str) -> tuple[int, int]:
    """Order clause ids as the contract lists them (ID before RQ before CH ...)."""
    group, _, number = clause_id.partition("-")
    order = list(GROUPS)
    return (order.index(group) if group in order else len(order), int(number or 0))
