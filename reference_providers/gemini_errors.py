"""Gemini's error bodies: what google.rpc `details` add to the status (for Gemini and Vertex).

A Gemini error body is `{"error": {"code", "message", "status", "details": [...]}}` (or a
one-element array of it). The status alone misleads twice: an invalid key comes back as 400
INVALID_ARGUMENT, named only by an ErrorInfo reason, and the wait before a retry is a RetryInfo
`retryDelay`, not a Retry-After header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.error_mapping import error_from_status
from reference_providers.errors import ErrorCategory, ProviderError

#: google.rpc.ErrorInfo reasons that mean a bad credential, whatever the status (Gemini answers
#: an invalid key with 400 INVALID_ARGUMENT, not 401).
_AUTH_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def google_rpc_error(
    status: int, headers: Mapping[str, str], body: bytes, *, provider: str
) -> ProviderError:
    """The error for a failed status, with what the body's google.rpc details say."""
    error = error_from_status(status, headers, body, provider=provider)
    details = _error_details(body)
    if error.retry_after is None:
        error.retry_after = _retry_delay(details)
    if any(d.get("reason") in _AUTH_REASONS for d in details):
        error.category = ErrorCategory.AUTH
        error.retryable = False
    return error


def _error_details(body: bytes) -> list[Mapping[str, Any]]:
    """The google.rpc `details` of an error body (a list or a one-element array of errors)."""
    try:
        parsed: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if isinstance(parsed, list) and parsed:
        parsed = parsed[0]
    error = parsed.get("error") if isinstance(parsed, Mapping) else None
    details = error.get("details") if isinstance(error, Mapping) else None
    if not isinstance(details, list):
        return []
    return [detail for detail in details if isinstance(detail, Mapping)]


def _retry_delay(details: Sequence[Mapping[str, Any]]) -> float | None:
    """google.rpc.RetryInfo's `retryDelay` ("7s", "0.5s"), Google's own Retry-After."""
    for detail in details:
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match is not None:
                return float(match.group(1))
    return None
