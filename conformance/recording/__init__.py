"""Recorded traffic in and out: the CLI's corpus handling and the recording reverse proxy.

`provider-conformance record` puts a proxy between a client and a live API and writes every
exchange as a corpus recording, credentials redacted before they reach the disk; `list`, `show`,
`serve` and `replay` take recordings as scenarios (conformance/dialects/corpus.py reads them).
"""

from __future__ import annotations

from conformance.recording.commands import (
    add_corpus_option,
    check_recording_files,
    corpus_scenarios_of,
    serving_dialect,
    unknown_recording_hint,
)
from conformance.recording.proxy import RecordingProxy, check_upstream

__all__ = [
    "RecordingProxy",
    "add_corpus_option",
    "check_recording_files",
    "check_upstream",
    "corpus_scenarios_of",
    "serving_dialect",
    "unknown_recording_hint",
]
