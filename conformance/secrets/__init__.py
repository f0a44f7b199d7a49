"""Credentials the run is handed, and the provider's own log lines, kept from ever showing.

`options` reads credential-carrying profile options (`KEY=env:NAME`) without ever showing them;
`log_collection` keeps the provider's log lines for SE-1, redacted before any handler writes them.
Both scrub with `conformance.vocabulary.redaction`, the one place text is scrubbed: it sits in the
vocabulary because every layer writes text (transcripts first of all) and none may repeat a key.
"""

from conformance.secrets.options import redact_arguments, resolve_options

__all__ = ["redact_arguments", "resolve_options"]
