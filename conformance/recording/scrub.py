"""What a recording keeps of a credential: nothing. Every copy is scrubbed before it touches disk.

A live session carries keys in headers (`Authorization`, `x-api-key`, `x-goog-api-key`,
`api-key`), in query parameters (Gemini's `?key=`), in cookies both ways, and in OAuth token
exchanges (the token in the answer, the client secret in the request). Each is replaced by a
placeholder; and every value seen in one of those places is then scrubbed from the whole text in
every form it can take (conformance/redaction.py), so an API echoing the key in an error message
("Incorrect API key provided: sk-...") is caught too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from conformance.vocabulary.redaction import REDACTED_SECRET, redact

#: Headers whose whole value is a credential (or a cookie jar).
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "x-goog-api-key",
        "api-key",
        "cookie",
        "set-cookie",
        "x-auth-token",
        "ocp-apim-subscription-key",
    }
)
#: Query parameters that carry a key or a token.
CREDENTIAL_PARAMS = frozenset(
    {"key", "api_key", "apikey", "api-key", "access_token", "token", "sig", "signature"}
)
#: Fields of an OAuth token exchange (either direction) that are secrets.
TOKEN_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "client_secret", "assertion", "password"}
)
_SCHEME = re.compile(r"^(Bearer|Basic|Api-Key|Token)\s+", re.IGNORECASE)


def header_secrets(headers: Iterable[tuple[str, str]]) -> list[str]:
    """The credential values in `headers` (a bearer token without its scheme, a cookie's values)."""
    found: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered not in CREDENTIAL_HEADERS:
            continue
        found.append(value)
        found.append(_SCHEME.sub("", value))
        if lowered in ("cookie", "set-cookie"):
            for pair in value.split(";"):
                found.append(pair.partition("=")[2].strip())
    return [secret for secret in found if len(secret) >= 4]


def query_secrets(target: str) -> list[str]:
    return [
        value
        for name, value in parse_qsl(urlsplit(target).query, keep_blank_values=True)
        if name.lower() in CREDENTIAL_PARAMS and value
    ]


def body_secrets(body: bytes) -> list[str]:
    """The token fields of an OAuth exchange's body, JSON or form-encoded."""
    text = body.decode("utf-8", errors="replace")
    found: list[str] = []
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        found += [str(v) for k, v in payload.items() if k.lower() in TOKEN_FIELDS and v]
    elif "=" in text and "\n" not in text.strip():
        found += [v for k, v in parse_qsl(text) if k.lower() in TOKEN_FIELDS and v]
    return [secret for secret in found if len(secret) >= 4]


def scrub_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (name, REDACTED_SECRET if name.lower() in CREDENTIAL_HEADERS else value)
        for name, value in headers
    ]


def scrub_target(target: str) -> str:
    """A request target with its credential query parameters replaced."""
    parts = urlsplit(target)
    if not parts.query:
        return target
    pairs = [
        (name, REDACTED_SECRET if name.lower() in CREDENTIAL_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="<>")))


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """`text` without any form of `secrets` (nor of any key registered in this process)."""
    return redact(text, [s for s in secrets if s])


def scrub_body(body: bytes, secrets: Iterable[str]) -> bytes:
    """A body without the secrets, and with an OAuth token exchange's token fields replaced."""
    everything = [*secrets, *body_secrets(body)]
    text = body.decode("utf-8", errors="surrogateescape")
    return scrub_text(text, everything).encode("utf-8", errors="surrogateescape")
