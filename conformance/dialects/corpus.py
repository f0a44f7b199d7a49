"""Recorded real traffic as scenarios: the wire corpus (`--wire-corpus DIR`).

Users' best test cases are their own production traffic, so any response they saved becomes a
scenario by being dropped in a folder, with no scenario file to write:

- `.sse`, `.ndjson`: a stream body, played verbatim to a streamed request;
- `.json`: a non-streamed body, judged as chat (in `errors/`: an API error body, its status in
  the file name, `anthropic__529_overloaded.json`);
- `.http`: a recorded HTTP response: optional `# key: value` provenance lines (what `record`
  writes: date, dialect, model, path), the status line, headers, a blank line, then the body, or
  `[body: see FOLDER/FILE]` naming a recording of the same corpus. Status 200 is a stream or a
  body by its Content-Type; any other status is an API error, judged in chat and in stream.

An optional sidecar `NAME.request.yaml` beside `NAME.sse` names the request the recording answered
(`model`, `tools`, `dialect`) where the judge or the provider needs it.

A file belongs to the dialect its provenance or sidecar names; else to each dialect whose corpus
folder holds it (and whose pattern it matches); else, in `errors/`, to the dialects of its vendor
prefix (`openai__`, `groq__` ...). The expected result is the dialect's plain reading of the bytes
(`Dialect.recording_reply`, `recording_body_reply`), never a provider's.

Reading one file is `corpus_file.py`, a recorded HTTP error as a reply `recorded_errors.py`; their
public names are importable from here as before.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.dialects.base import Dialect
from conformance.dialects.corpus_file import (
    ERRORS_FOLDER,
    RECORDING_SUFFIXES,
    SIDECAR_SUFFIX,
    Kind,
    NotJudged,
    Recording,
    is_recording,
    read_recording,
)
from conformance.dialects.recorded_errors import api_message, http_error, is_json, states_retry
from conformance.scenarios.model import (
    DEFAULT_MODEL,
    ErrorReply,
    Reply,
    RequestSpec,
    Scenario,
    Turn,
)
from conformance.vocabulary.canonical import ChatMessage, ToolSpec
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.wire import WireResponse

__all__ = [
    "ERRORS_FOLDER",
    "ERROR_VENDORS",
    "PRIMARY_DIALECTS",
    "RECORDING_SUFFIXES",
    "SIDECAR_SUFFIX",
    "TAG",
    "Kind",
    "NotJudged",
    "Recording",
    "api_message",
    "catalogue",
    "corpus_files",
    "corpus_scenarios",
    "file_scenario",
    "is_dialects_file",
    "is_recording",
    "read_recording",
    "reads",
    "recorded_scenarios",
    "recording_scenario",
    "serve_recording",
]

TAG = "wire-corpus"

#: The dialects that read a corpus file when none is named: one per API (the others, Azure's or
#: a gateway's, read the same folders and are asked for by `--dialect`).
PRIMARY_DIALECTS = (
    "openai-chat",
    "openai-responses",
    "anthropic-messages",
    "gemini",
    "ollama-chat",
)

#: Which vendors' recorded errors (`errors/<vendor>__...`) each dialect's clients meet: the error
#: body shapes of OpenAI-compatible servers are OpenAI's.
ERROR_VENDORS: Mapping[str, tuple[str, ...]] = {
    "openai-chat": ("openai", "groq", "openrouter", "azure", "deepseek"),
    "openai-gateway": ("groq", "openrouter", "deepseek"),
    "azure-openai": ("azure",),
    "openai-responses": (),
    "anthropic-messages": ("anthropic",),
    "gemini": ("gemini",),
    "ollama-chat": ("ollama",),
}


# -- which dialect reads which file ---------------------------------------------------------------


def _base_name(dialect: Dialect) -> str:
    """`oauth+openai-chat` reads what `openai-chat` reads."""
    return dialect.name.rpartition("+")[2]


def reads(dialect: Dialect, recording: Recording, corpus: Path) -> bool:
    """Whether `dialect` is the reader of this corpus file (see the module docstring)."""
    named = recording.dialect
    if named is not None:
        return named in (dialect.name, _base_name(dialect))
    path = recording.path
    if path.parent.name == ERRORS_FOLDER and path.parent.parent == corpus:
        vendor = path.name.partition("__")[0]
        return vendor in ERROR_VENDORS.get(_base_name(dialect), ())
    if dialect.corpus_folder is None or path.parent != corpus / dialect.corpus_folder:
        return False
    if path.suffix in (".sse", ".ndjson"):
        return fnmatch.fnmatch(path.name, dialect.corpus_pattern)
    stems = dialect.corpus_bodies or dialect.corpus_pattern.rsplit(".", 1)[0]
    return fnmatch.fnmatch(path.stem, stems)


def corpus_files(corpus: Path) -> list[Path]:
    """Every recording under `corpus` (its folders, one level deep, and its root)."""
    found = [
        path
        for path in (*corpus.glob("*"), *corpus.glob("*/*"))
        if path.is_file() and is_recording(path) and not path.name.endswith(SIDECAR_SUFFIX)
    ]
    return sorted(found)


def corpus_scenarios(
    dialect: Dialect, corpus: Path, skipped: dict[Path, str] | None = None
) -> dict[str, Scenario]:
    """The scenarios `dialect` reads in `corpus`, by name (`wire-<file stem>`); the files it
    reads but cannot judge go to `skipped` with the reason (`list scenarios` shows them)."""
    if not corpus.is_dir():
        raise UsageError(f"--wire-corpus {corpus}: no such folder")
    found: dict[str, Scenario] = {}
    for path in corpus_files(corpus):
        if not _may_read(dialect, path, corpus):
            continue
        recording = read_recording(path, corpus)
        if not reads(dialect, recording, corpus):
            continue
        try:
            scenario = recording_scenario(dialect, recording)
        except NotJudged as exc:
            if skipped is not None:
                skipped.setdefault(path, str(exc))
            continue
        if scenario is None:
            if skipped is not None:
                skipped.setdefault(
                    path, f"dialect {dialect.name} cannot read a recorded {recording.kind}"
                )
            continue
        if scenario.name in found:
            raise UsageError(
                f"{path}: scenario name {scenario.name} is already taken by "
                f"{found[scenario.name].source}; rename one of the recordings"
            )
        found[scenario.name] = scenario
    return found


def _may_read(dialect: Dialect, path: Path, corpus: Path) -> bool:
    """A cheap look before reading a file: its folder could be the dialect's."""
    folder = path.parent
    return (
        folder == corpus
        or folder.name == ERRORS_FOLDER
        or folder.name == dialect.corpus_folder
        or path.suffix == ".http"
        or path.with_name(path.stem + SIDECAR_SUFFIX).is_file()
    )


def file_scenario(dialect: Dialect, path: Path) -> Scenario:
    """The scenario of one recording file given on its own (`replay FILE`), read by `dialect`
    whatever its folder."""
    corpus = path.parent.parent
    recording = read_recording(path, corpus)
    if recording.dialect not in (None, dialect.name, _base_name(dialect)):
        raise UsageError(
            f"{path}: recorded as dialect {recording.dialect}, not {dialect.name}; "
            f"give --dialect {recording.dialect}"
        )
    if _in_corpus_layout(path) and not reads(dialect, recording, corpus):
        raise UsageError(
            f"{path}: its folder {path.parent.name}/ holds another dialect's recordings than "
            f"{dialect.name}'s; give the dialect that speaks it"
        )
    try:
        scenario = recording_scenario(dialect, recording)
    except NotJudged as exc:
        raise UsageError(f"{path}: not judged: {exc}") from None
    if scenario is None:
        raise UsageError(f"{path}: dialect {dialect.name} cannot read a recorded {recording.kind}")
    return scenario


def is_dialects_file(dialect: Dialect, path: Path, fallback: str) -> bool:
    """Whether a recording given on its own (`replay FILE`) is played in `dialect`: the dialect
    its provenance or sidecar names, else its corpus folder's, else only `fallback` (the run's
    `--dialect`): bytes of one API read by another's oracle would expect nonsense."""
    recording = read_recording(path, path.parent.parent)
    if recording.dialect is not None:
        return recording.dialect in (dialect.name, _base_name(dialect))
    if _in_corpus_layout(path):
        return reads(dialect, recording, path.parent.parent)
    return dialect.name == fallback


def _in_corpus_layout(path: Path) -> bool:
    """Whether the file sits in a corpus folder (`openai_chat/`, `errors/` ...), which then says
    which dialect reads it; a file anywhere else is read by the dialect it is played in."""
    from conformance.dialects import get_dialect

    folders = {get_dialect(name).corpus_folder for name in PRIMARY_DIALECTS}
    return path.parent.name in folders or path.parent.name == ERRORS_FOLDER


def recording_scenario(dialect: Dialect, recording: Recording) -> Scenario | None:
    """The scenario for one recording as `dialect` reads it; None when the dialect has no reader
    for this kind of file (a dialect without a body reader, for a `.json`). NotJudged when the
    dialect reads it but the harness cannot play it (Gemini's JSON-array stream)."""
    path = recording.path
    try:
        reply = _reply(dialect, recording)
    except NotImplementedError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path}: cannot read it as a {dialect.name} recording ({type(exc).__name__}: "
            f"{exc}); fix the file, or name its dialect in {path.stem}{SIDECAR_SUFFIX}"
        ) from None
    requires = {"tools"} if reply.tool_calls else set()
    if len(reply.tool_calls) > 1:
        requires.add("parallel_tool_calls")
    error = reply.error
    if recording.kind == "error":
        assert error is not None
        focus = ["ER-1", "ER-3"]
        if error.retry_after is not None or states_retry(error.headers):
            focus.append("ER-2")
        if not is_json(recording.body):
            focus.append("ER-5")
        modes: tuple[Any, ...] = ("chat", "stream")
    elif error is not None:
        focus, modes = ["ER-1", "ER-6"], ("stream",) if reply.recorded_stream else ("chat",)
    elif recording.kind == "stream":
        focus, modes = ["ST-1", "ST-2", "ST-3", "ST-5"], ("stream",)
    else:
        focus, modes = ["CH-1", "CH-2", "CH-3", "CH-4"], ("chat",)
    what = {"stream": "stream", "body": "answer", "error": f"HTTP {recording.status} error"}
    return Scenario(
        name=f"wire-{path.stem}",
        title=f"Recorded {what[recording.kind]} {path.name}",
        description=f"Replayed verbatim from {path}",
        tags=(TAG,),
        focus=tuple(focus),
        requires=frozenset(requires),
        modes=modes,
        request=_request(recording),
        turns=(Turn(reply),),
        source=path,
    )


def _reply(dialect: Dialect, recording: Recording) -> Reply:
    if recording.kind == "error":
        return Reply(error=http_error(recording))
    if recording.kind == "stream":
        return replace(dialect.recording_reply(recording.body), recorded=recording.body)
    reading = dialect.recording_body_reply(recording.body)
    if reading.error is not None:
        # An error object in a 200 body: the API's error, in the place of the answer.
        reading = replace(reading, error=replace(reading.error, in_stream=True))
    return replace(reading, recorded=recording.body, recorded_stream=False)


def _request(recording: Recording) -> RequestSpec:
    model = recording.sidecar.get("model") or recording.provenance.get("model") or DEFAULT_MODEL
    tools = tuple(_tool(recording.path, raw) for raw in recording.sidecar.get("tools") or ())
    return RequestSpec(
        messages=(ChatMessage("user", "Replay a recorded answer."),),
        model=str(model),
        tools=tools,
    )


def _tool(path: Path, raw: Any) -> ToolSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise UsageError(
            f"{path.stem}{SIDECAR_SUFFIX}: each tool is a mapping with a name "
            "(and optional description, parameters)"
        )
    parameters = raw.get("parameters") or {"type": "object", "properties": {}}
    return ToolSpec(raw["name"], str(raw.get("description", "")), parameters)


# -- the whole corpus, for list / show / serve --------------------------------------------------


def catalogue(corpus: Path, dialect_name: str | None = None) -> dict[str, tuple[str, Scenario]]:
    """Every recording of `corpus` as (dialect name, scenario), by scenario name: read by
    `dialect_name`, or each by the first primary dialect that reads it."""
    from conformance.dialects import get_dialect

    names = [dialect_name] if dialect_name not in (None, "auto") else list(PRIMARY_DIALECTS)
    found: dict[str, tuple[str, Scenario]] = {}
    for name in names:
        assert name is not None
        for scenario_name, scenario in corpus_scenarios(get_dialect(name), corpus).items():
            found.setdefault(scenario_name, (name, scenario))
    return found


# -- serving ---------------------------------------------------------------------------------------


def serve_recording(dialect: Dialect, reply: Reply, *, stream: bool) -> WireResponse:
    """A recorded answer, verbatim, to a request that asked for it the way it was recorded.

    A stream played to a plain request would come back as raw event text the client cannot
    read, and the other way round: either is the client's request not matching the recording,
    said in a 400 the client shows.
    """
    assert reply.recorded is not None
    if stream != reply.recorded_stream:
        recorded = "a stream" if reply.recorded_stream else "a non-streamed answer"
        asked = "a stream" if stream else "no stream"
        return dialect.render_error(
            ErrorReply(
                400,
                f"stream mismatch: this recording is {recorded}, but the request asked for "
                f"{asked}; send the request {'with' if reply.recorded_stream else 'without'} "
                "streaming to replay it",
            )
        )
    if stream:
        return dialect.render_recorded(reply.recorded)
    return WireResponse(
        status=200,
        headers=[("Content-Type", "application/json")],
        pieces=[reply.recorded],
    )


#: The reader's name before recordings of every kind (conformance/scenarios/recordings.py).
recorded_scenarios = corpus_scenarios
