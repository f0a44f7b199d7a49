"""Secrets: the one place text is scrubbed, credentials read from the environment, logs kept.

`redaction` knows every form a key travels in; `options` reads credential-carrying profile options
(`KEY=env:NAME`) without ever showing them; `log_collection` keeps the provider's log lines for
SE-1, redacted before any handler writes them.
"""

from conformance.secrets.redaction import redact, redact_known, register_secret

__all__ = ["redact", "redact_known", "register_secret"]
