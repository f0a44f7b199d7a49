"""Redaction matches a secret in every form it leaks in, and every harness key by its shape."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from urllib.parse import quote, quote_plus

import pytest

from conformance.checks.runner import new_api_key
from conformance.vocabulary.redaction import (
    REDACTED,
    REDACTED_SECRET,
    Redactor,
    known_secrets,
    redact,
    redact_data,
    redact_known,
    register_secret,
)

SECRET = "tok/Secret+value=12345é"


def _b64(data: bytes) -> list[str]:
    return [
        base64.b64encode(data).decode(),
        base64.b64encode(data).decode().rstrip("="),
        base64.urlsafe_b64encode(data).decode(),
        base64.urlsafe_b64encode(data).decode().rstrip("="),
    ]


FORMS = [
    SECRET,
    SECRET.upper(),
    SECRET.lower(),
    quote(SECRET, safe=""),
    quote(SECRET, safe="").lower(),
    quote_plus(SECRET),
    json.dumps(SECRET)[1:-1],
    json.dumps(SECRET, ensure_ascii=False)[1:-1],
    json.dumps(SECRET)[1:-1].replace("/", "\\/"),
    *_b64(SECRET.encode()),
]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_a_secret_is_redacted(form: str) -> None:
    text = redact(f"before {form} after", [SECRET])
    assert text == f"before {REDACTED} after"


@pytest.mark.parametrize("user", ["", "u", "ab", "user", "someone@example.com"])
@pytest.mark.parametrize("suffix", ["", "x", "xy"])
def test_a_secret_inside_basic_auth_is_redacted_at_every_alignment(user: str, suffix: str) -> None:
    for encoded in _b64(f"{user}:{SECRET}{suffix}".encode()):
        text = redact(f"Authorization: Basic {encoded}", [SECRET])
        assert REDACTED in text
        # What is left around the marker is at most the characters mixing the user and the key.
        assert len(text.replace(REDACTED, "")) <= len("Authorization: Basic ") + len(user) * 2 + 8


@pytest.mark.parametrize(
    "transform",
    [
        str,
        str.upper,
        lambda key: base64.b64encode(key.encode()).decode(),
        lambda key: base64.urlsafe_b64encode(key.encode()).decode().rstrip("="),
        lambda key: base64.b64encode(f"user:{key}".encode()).decode(),
        lambda key: base64.b64encode(f"us:{key}".encode()).decode(),
        lambda key: base64.b64encode(f"u:{key}".encode()).decode(),
        lambda key: quote(key, safe=""),
        lambda key: json.dumps({"key": key}),
    ],
    ids=["plain", "upper", "b64", "urlsafe", "basic0", "basic1", "basic2", "percent", "json"],
)
def test_any_harness_key_is_redacted_by_shape_without_being_told(
    transform: Callable[[str], str],
) -> None:
    """A pytest-xdist controller never saw its workers' keys: their shape is enough."""
    key = "sk-conformance-fake-0123456789abcdef01234567"
    leaked = transform(key)
    text = redact_known(f"[{leaked}]")
    assert REDACTED in text
    assert "0123456789abcdef" not in text.lower()
    # What is left is the brackets, JSON around the key, or the encoded `user:` before it.
    residue = text.replace(REDACTED, "").replace('{"key": ""}', "")
    assert len(residue) <= len("[]") + 10, text


def test_keys_handed_out_are_registered_for_the_whole_process() -> None:
    key = new_api_key()
    assert key in known_secrets()


def test_a_registered_secret_is_redacted_from_any_later_output() -> None:
    secret = register_secret("pw-registered-7c1e9a55")
    text = redact_known(f"a {secret.upper()} b {base64.b64encode(secret.encode()).decode()}")
    assert text == f"a {REDACTED_SECRET} b {REDACTED_SECRET}"


def test_short_secrets_are_matched_only_as_they_are() -> None:
    """A four-letter secret's encodings would match ordinary words; its own text is enough."""
    assert Redactor(["abcd"])("xx abcd ABCD YWJjZA") == f"xx {REDACTED} {REDACTED} YWJjZA"


def test_nested_data_is_redacted_in_every_string() -> None:
    key = new_api_key()
    data = {"a": [key, {"b": (f"x {key.upper()}",)}], key: 1, "n": 2}
    assert redact_data(data) == {"a": [REDACTED, {"b": (f"x {REDACTED}",)}], REDACTED: 1, "n": 2}


def test_the_old_import_places_still_work() -> None:
    from conformance.server import REDACTED as SERVER_REDACTED
    from conformance.server import redact as server_redact
    from conformance.vocabulary.wire import redact as wire_redact

    assert server_redact is redact and wire_redact is redact
    assert SERVER_REDACTED == REDACTED
