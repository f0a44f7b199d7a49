"""Profile options that carry credentials: read from the environment, never shown.

A provider may need a real token or password to be built (`--profile-option token=...`). Such a
value must not be copied into every report, reproduce command and log: an option is taken for a
credential when its name says so (key, token, secret, password, credential, auth ...) or its
value is shaped like one (`sk-...`, a JWT, a long random string). Its value is registered for
redaction (conformance/vocabulary/redaction.py) and shown as `<redacted>`.

`KEY=env:NAME` takes the value from the environment variable NAME, and a reproduce command then
carries the reference, not the value: it runs again wherever NAME is set.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.redaction import REDACTED_SECRET, redact_known, register_secret

ENV_PREFIX = "env:"
#: What the reports say about a `<redacted>` option.
HOW_TO_SUPPLY = (
    f"options shown as {REDACTED_SECRET} are credentials and are never written; pass them as "
    "KEY=env:NAME to read them from the environment variable NAME"
)

_SECRET_WORDS = frozenset(
    {
        "key",
        "apikey",
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "credential",
        "credentials",
        "auth",
        "authorization",
        "bearer",
        "cookie",
    }
)
_SECRET_PARTS = ("secret", "password", "passwd", "credential", "apikey", "api_key", "access_token")
_SECRET_PREFIXES = (
    "sk-",
    "sk_",
    "pk-",
    "rk-",
    "xox",
    "ghp_",
    "gho_",
    "ghs_",
    "github_pat_",
    "glpat-",
    "hf_",
    "AKIA",
    "AIza",
    "eyJ",
    "Bearer ",
    "Basic ",
)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_\-+/=.~]{20,}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Shorter values are shown as redacted but not searched for in free text: too many false hits.
_MIN_REGISTERED = 6

_lock = threading.Lock()
#: Resolved value -> its `env:NAME` reference, to show instead of the value.
_references: dict[str, str] = {}


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def secret_name(name: str) -> bool:
    """Whether an option's name says it holds a credential (`max_tokens` does not)."""
    lowered = name.lower()
    return any(w in _SECRET_WORDS for w in _words(name)) or any(
        part in lowered for part in _SECRET_PARTS
    )


def secret_value(value: str) -> bool:
    """Whether a value is shaped like a credential: a known key prefix, or a long random run of
    letters and digits (not a dated model name like `claude-3-5-sonnet-20241022`)."""
    if value.startswith(_SECRET_PREFIXES) and len(value) >= 12:
        return True
    if "://" in value or not _TOKEN_SHAPE.fullmatch(value):
        return False
    return any(_random_looking(part) for part in re.split(r"[-_./:~]+", value))


def _random_looking(part: str) -> bool:
    has_digit = any(c.isdigit() for c in part)
    has_letter = any(c.isalpha() for c in part)
    return len(part) >= 16 and has_digit and has_letter and len(set(part)) >= 10


def is_secret(name: str, value: object) -> bool:
    if isinstance(value, str) and value in _references:
        return True
    return secret_name(name) or (isinstance(value, str) and secret_value(value))


def resolve_options(options: Mapping[str, Any], where: str) -> dict[str, Any]:
    """`options` with `env:NAME` values read from the environment and credentials registered.

    `where` names the option's origin for the error (`--profile-option`, a providers file).
    """
    resolved: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, str) and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :]
            if not _ENV_NAME.fullmatch(name):
                raise UsageError(
                    f"{where} {key}={value}: {name!r} is not an environment variable name"
                )
            if name not in os.environ:
                raise UsageError(
                    f"{where} {key}={value}: the environment variable {name} is not set; "
                    "set it, or give the value itself"
                )
            actual = os.environ[name]
            with _lock:
                _references[actual] = value
            if len(actual) >= _MIN_REGISTERED:
                register_secret(actual)
            resolved[key] = actual
            continue
        if isinstance(value, str) and is_secret(key, value) and len(value) >= _MIN_REGISTERED:
            register_secret(value)
        resolved[key] = value
    return resolved


def shown_value(key: str, value: object) -> str:
    """An option's value as reports and commands show it: the reference, redacted, or itself."""
    text = value if isinstance(value, str) else json.dumps(value)
    with _lock:
        reference = _references.get(text)
    if reference is not None:
        return reference
    if text.startswith(ENV_PREFIX) and _ENV_NAME.fullmatch(text[len(ENV_PREFIX) :]):
        return text  # a reference as given on the command line
    if is_secret(key, value):
        return REDACTED_SECRET
    return redact_known(text)


def redact_arguments(
    arguments: Sequence[str], secret_flags: Collection[str] = ("--profile-option",)
) -> list[str]:
    """Command-line arguments with each `FLAG KEY=VALUE` of `secret_flags` shown by `shown_value`.

    The plugin passes the flags its option table marks secret (conformance/plugin/options.py).
    """
    shown: list[str] = []
    after_option = False
    for argument in arguments:
        flag, equals, pair = argument.partition("=")
        if after_option:
            shown.append(_shown_pair(argument))
        elif equals and flag in secret_flags:
            shown.append(f"{flag}={_shown_pair(pair)}")
        else:
            shown.append(redact_known(argument))
        after_option = argument in secret_flags
    return shown


def _shown_pair(pair: str) -> str:
    key, sep, value = pair.partition("=")
    if not sep:
        return redact_known(pair)
    return f"{key}={shown_value(key, value)}"
