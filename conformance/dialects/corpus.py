"""Scenarios made from recorded real API traffic (`--wire-corpus DIR`).

Each recording in the dialect's corpus folder becomes a stream scenario: the server plays the bytes
verbatim, and the expected result is the dialect's plain reading of them. Users point the option at
their own recordings to replay what their production API actually sent.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from conformance.dialects.base import Dialect
from conformance.scenarios.model import RequestSpec, Scenario, Turn
from conformance.vocabulary.canonical import ChatMessage
from conformance.vocabulary.errors import UsageError


def recorded_scenarios(dialect: Dialect, corpus: Path) -> dict[str, Scenario]:
    if not corpus.is_dir():
        raise UsageError(f"--wire-corpus {corpus}: no such folder")
    if dialect.corpus_folder is None:
        return {}
    found: dict[str, Scenario] = {}
    for path in sorted((corpus / dialect.corpus_folder).glob(dialect.corpus_pattern)):
        body = path.read_bytes()
        reply = replace(dialect.recording_reply(body), recorded=body)
        requires = {"tools"} if reply.tool_calls else set()
        if len(reply.tool_calls) > 1:
            requires.add("parallel_tool_calls")
        name = f"wire-{path.stem}"
        found[name] = Scenario(
            name=name,
            title=f"Recorded stream {path.name}",
            description=f"Replayed verbatim from {path}",
            tags=("wire-corpus",),
            focus=("ST-1", "ST-2", "ST-3", "ST-5") if reply.error is None else ("ER-1", "ER-6"),
            requires=frozenset(requires),
            modes=("stream",),
            request=RequestSpec(messages=(ChatMessage("user", "Replay a recorded answer."),)),
            turns=(Turn(reply),),
            source=path,
        )
    return found
