"""Redaction of secrets in every form they travel in: the one place text is scrubbed.

A key leaks in more shapes than its own: upper-cased by a logger, base64-encoded inside a Basic
`Authorization` header (`user:key`), percent-encoded in a query string, JSON-escaped in a body.
Matching only the exact string let those copies into reports, so each secret is matched in all
of them. The harness's own keys (`sk-conformance-fake-` and 24 hex digits) are matched by shape,
so text is scrubbed of every harness key, also of keys another process (a pytest-xdist worker)
handed out. Other secrets (credential-like profile options) are registered here by the process
that reads them, and every output of the process is scrubbed of them too.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "<redacted-api-key>"
#: What a secret that is not a harness API key (a profile option's token) is replaced with.
REDACTED_SECRET = "<redacted>"

#: The prefix of every key `conformance.checks.runner.new_api_key` hands out.
HARNESS_KEY_PREFIX = "sk-conformance-fake-"
_HARNESS_KEY_HEX = 24
#: Shorter secrets are not matched in encoded forms: their encodings are too short to be told
#: apart from ordinary text.
_MIN_ENCODED = 8
_B64_CHAR = "[A-Za-z0-9+/_-]"


def _b64_forms(data: bytes) -> set[str]:
    """The base64 (standard and URL-safe) of `data`, and the parts of it that survive inside a
    longer encoded text (`user:key` in a Basic header): for each of the three alignments, the
    characters whose bits all come from `data`."""
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms.add(whole)
        forms.add(whole.rstrip("="))
        for offset in range(3):
            text = encode(b"\0" * offset + data).decode("ascii").rstrip("=")
            first = -(-8 * offset // 6)
            last = (8 * offset + 8 * len(data)) // 6
            core = text[first:last]
            if len(core) >= _MIN_ENCODED:
                forms.add(core)
    return forms


def secret_forms(secret: str) -> tuple[set[str], set[str]]:
    """(forms matched ignoring case, forms matched exactly) of one secret."""
    folded = {secret}
    exact: set[str] = set()
    if len(secret) < _MIN_ENCODED:
        return folded, exact
    folded.add(quote(secret, safe=""))
    folded.add(quote_plus(secret, safe=""))
    escaped = json.dumps(secret)[1:-1]
    folded.add(escaped)
    folded.add(escaped.replace("/", "\\/"))
    folded.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    exact |= _b64_forms(secret.encode("utf-8"))
    return folded, exact


def mentions(text: str, secret: str) -> bool:
    """Whether `text` holds `secret` in any form a reader could decode: SE-1 fails a provider
    that logs its key upper-cased, base64-encoded (a Basic header) or percent-encoded as surely
    as one that logs it plain."""
    folded, exact = _matched_forms(secret)
    lowered = text.casefold()
    return any(form in lowered for form in folded) or any(f in text for f in exact)


@functools.lru_cache(maxsize=256)
def _matched_forms(secret: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`secret_forms`, case-folded where matched ignoring case, computed once per secret: SE-1
    asks about the same key for every log line of a check."""
    folded, exact = secret_forms(secret)
    return tuple(form.casefold() for form in folded), tuple(exact)


def _harness_key_patterns() -> list[str]:
    """Every harness key by shape: plain (any case) and inside base64 at any alignment."""
    plain = re.escape(HARNESS_KEY_PREFIX) + f"[0-9a-fA-F]{{{_HARNESS_KEY_HEX}}}"
    patterns = [f"(?i:{plain})"]
    prefix = HARNESS_KEY_PREFIX.encode("ascii")
    key_bits = 8 * (len(prefix) + _HARNESS_KEY_HEX)
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            text = encode(b"\0" * offset + prefix).decode("ascii").rstrip("=")
            first = -(-8 * offset // 6)
            last = (8 * offset + 8 * len(prefix)) // 6
            # Characters after the prefix's own carry the hex digits, up to the key's last bit.
            rest = -(-(8 * offset + key_bits) // 6) - last
            patterns.append(re.escape(text[first:last]) + f"{_B64_CHAR}{{{rest}}}")
    return patterns


_HARNESS_PATTERNS = list(dict.fromkeys(_harness_key_patterns()))


def is_harness_key(text: str) -> bool:
    return re.fullmatch(_HARNESS_PATTERNS[0], text) is not None


class Redactor:
    """Replaces every form of the given secrets (and of any harness key) in text."""

    def __init__(self, secrets: Iterable[str] = (), *, replacement: str = REDACTED) -> None:
        folded: set[str] = set()
        exact: set[str] = set()
        for secret in secrets:
            if secret and not is_harness_key(secret):
                more_folded, more_exact = secret_forms(secret)
                folded |= more_folded
                exact |= more_exact
        # Longest first, so a whole encoding is replaced before a part of it.
        alternatives = [f"(?i:{re.escape(f)})" for f in sorted(folded, key=len, reverse=True)]
        alternatives += [re.escape(f) for f in sorted(exact, key=len, reverse=True)]
        self._secrets: re.Pattern[str] | None = (
            re.compile("|".join(alternatives)) if alternatives else None
        )
        self._replacement = replacement

    def __call__(self, text: str) -> str:
        for pattern in _COMPILED_HARNESS:
            text = pattern.sub(REDACTED, text)
        if self._secrets is not None:
            text = self._secrets.sub(self._replacement, text)
        return text

    def leaks(self, text: str) -> bool:
        return self(text) != text


_COMPILED_HARNESS = [re.compile(p) for p in _HARNESS_PATTERNS]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without any form of `secrets`, of any harness key or of a registered secret."""
    text = Redactor(secrets)(text)
    return redact_known(text)


# -- the process-wide registry --------------------------------------------------------------

_lock = threading.Lock()
_registered: set[str] = set()
_others: list[str] = []
_known: Redactor | None = None


def register_secret(secret: str) -> str:
    """Remember `secret` so that any output of this process is scrubbed of it; returns it."""
    global _known
    if not secret:
        return secret
    with _lock:
        if secret not in _registered:
            _registered.add(secret)
            if not is_harness_key(secret):
                _others.append(secret)
                _known = None
    return secret


def known_secrets() -> frozenset[str]:
    """Every secret registered in this process (each check's key, credential options)."""
    with _lock:
        return frozenset(_registered)


def _known_redactor() -> Redactor:
    global _known
    with _lock:
        if _known is None:
            _known = Redactor(_others, replacement=REDACTED_SECRET)
        return _known


def redact_known(text: str) -> str:
    """`text` without any harness key or registered secret, in any of their forms."""
    return _known_redactor()(text)


def redact_data(value: object) -> object:
    """A JSON-like value (dicts, lists, strings) with `redact_known` applied to every string."""
    if isinstance(value, str):
        return redact_known(value)
    if isinstance(value, dict):
        return {
            redact_known(str(k)) if isinstance(k, str) else k: redact_data(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_data(v) for v in value)
    return value
