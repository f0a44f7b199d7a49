"""A recorded HTTP error served again as recorded: its body and headers verbatim, a Retry-After
that is an HTTP-date restated as far ahead as when it was recorded, and the API's own message and
bad-key reasons read from the body so the judge expects what a real client met.
"""

from __future__ import annotations

import email.utils
import json
from collections.abc import Mapping

from conformance.dialects.corpus_file import Recording
from conformance.scenarios.model import ErrorReply

#: Headers that describe the recorded connection, not the answer: the server writes its own.
_HOP_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
)


def http_error(recording: Recording) -> ErrorReply:
    """A recorded HTTP error, served as recorded: its body, its headers, a fresh Retry-After."""
    headers: dict[str, str] = {}
    content_type = "application/json"
    retry_after: float | None = None
    for name, value in recording.headers:
        lowered = name.lower()
        if lowered in _HOP_HEADERS:
            continue
        if lowered == "content-type":
            content_type = value
        elif lowered == "retry-after" and not _is_number(value):
            # An HTTP-date is a moment: stated again, as far ahead as when it was recorded.
            retry_after = _date_delay(value, recording.header("date"))
        else:
            headers[name] = value
    return ErrorReply(
        status=recording.status,
        message=api_message(recording.body),
        headers=headers,
        body=recording.body.decode("utf-8", errors="replace"),
        content_type=content_type,
        retry_after=retry_after,
        retry_after_form="http-date",
        category="auth" if _bad_key_reason(recording.body) else None,
    )


#: google.rpc.ErrorInfo reasons that mean a bad credential whatever the status: Gemini answers an
#: invalid key with 400 INVALID_ARGUMENT, and a caller must still be told to fix its key.
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})


def _bad_key_reason(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    error = payload.get("error") if isinstance(payload, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return any(
        isinstance(detail, dict) and detail.get("reason") in _BAD_KEY_REASONS
        for detail in details or ()
    )


def api_message(body: bytes) -> str | None:
    """The API's own message in an error body (`error.message`, Ollama's `error`), if any."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = payload[0]  # Google's error array
    if not isinstance(payload, dict):
        return None
    error = payload.get("error", payload)
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


def is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def states_retry(headers: Mapping[str, str]) -> bool:
    return any(name.lower() in ("retry-after", "retry-after-ms") for name in headers)


def _date_delay(value: str, recorded_at: str | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
        now = email.utils.parsedate_to_datetime(recorded_at) if recorded_at else None
    except (TypeError, ValueError):
        return None
    if now is None:
        return None
    return max((when - now).total_seconds(), 0.0)
