"""What to change when a clause fails: one line per clause, and where its section is.

Shown first after a run, one line per failing clause, so the reader knows where to look before
reading any transcript. The link is the clause's "how to fix" section in the guide of the
provider's profile (docs/guide-<profile>.md, else the native one; `provider-conformance docs`
prints it from any install), or, for a clause no guide covers, its row in docs/contract.md.
"""

from __future__ import annotations

from conformance.vocabulary.clause_guides import DEFAULT_GUIDE_PROFILE, clause_guide
from conformance.vocabulary.clauses import CLAUSES

FIX_HINTS: dict[str, str] = {
    "ID-1": "give the provider a non-empty string `name`",
    "ID-2": "declare in capabilities() only what works, or fix what is declared",
    "RQ-1": "POST JSON to the dialect's endpoint with a body the API accepts",
    "RQ-2": "send the key in the dialect's header only, never in the URL or body",
    "RQ-3": "pass model, temperature, max_tokens and the stream flag through unchanged",
    "RQ-4": "send every tool's name, description and parameters as given",
    "RQ-5": "send the assistant's tool calls back, and tool results with their call ids",
    "RQ-6": "put the system prompt where the dialect wants it",
    "CH-1": "return the server's text unchanged (no strip, no re-encoding)",
    "CH-2": "return every tool call, in order, with its id, name and parsed arguments",
    "CH-3": "map the API's finish reason to the canonical stop reason",
    "CH-4": "copy prompt, completion and total tokens from the response's usage",
    "ST-1": "buffer partial lines and UTF-8 bytes across reads; yield every text delta",
    "ST-2": "yield exactly one final chunk (is_final), and nothing after it",
    "ST-3": "accumulate tool-call fragments by index; null ids/names continue a call",
    "ST-4": "yield each delta as it arrives instead of reading the whole body first",
    "ST-5": "put the stop reason and the usage on the final chunk",
    "ST-6": "parse SSE per the standard: CRLF/CR, comments, id:/retry:, multi-line data",
    "ST-7": "close the response when the caller leaves the iteration (try/finally, async with)",
    "ER-1": "map the HTTP status to the error category and retryable flag of the table",
    "ER-2": "read Retry-After (seconds, HTTP date, retry-after-ms) into retry_after",
    "ER-3": "put status_code, the API's message and provider on the error; raise from the cause",
    "ER-4": "map stalls to a timeout error within the timeout, refused/reset to connection",
    "ER-5": "raise an invalid-response error for a body that is not the API's shape",
    "ER-6": "map an error event inside a stream like the HTTP status it stands for",
    "ER-7": "raise when the stream ends before its terminal event",
    "ER-8": "wrap every library exception (httpx, json, KeyError ...) in your own error types",
    "RS-1": "close the HTTP client in close(), and make a second close() a no-op",
    "RS-2": "close every client, response and event loop you open",
    "RE-1": "retry only retryable errors, waiting longer each time",
    "RE-2": "open the breaker after the threshold, fail fast, half-open after the cooldown",
    "RE-3": "move to the next provider on failure and record each provider's health",
    "RE-4": "make health_check() return within its timeout and never raise",
    "SE-1": "keep the key out of messages, reprs and log lines (redact it)",
    "CF-1": "register every name and alias to a class that builds",
    "CF-2": "make the capabilities file validate and declare only what works",
}

CONTRACT_DOC = "docs/contract.md"


def doc_link(clause: str, profile: str | None = None) -> str:
    """The clause's "how to fix" in the profile's guide, else its row in docs/contract.md."""
    guide = clause_guide(clause, profile or DEFAULT_GUIDE_PROFILE)
    return guide.link if guide is not None else f"{CONTRACT_DOC}#{clause.lower()}"


def fix_hint(clause: str, profile: str | None = None) -> str:
    hint = FIX_HINTS.get(clause)
    if hint is None:
        known = CLAUSES.get(clause)
        hint = f"see what {known}" if known else "see the clause"
    return f"{hint} ({doc_link(clause, profile)})"
