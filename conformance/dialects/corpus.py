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
"""

from __future__ import annotations

import email.utils
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from conformance.dialects.base import Dialect
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

RECORDING_SUFFIXES = (".sse", ".ndjson", ".json", ".http")
SIDECAR_SUFFIX = ".request.yaml"
ERRORS_FOLDER = "errors"
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

#: Headers that describe the recorded connection, not the answer: the server writes its own.
_HOP_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}
)
_STREAM_TYPES = ("text/event-stream", "application/x-ndjson", "application/ndjson")
_STATUS_LINE = re.compile(r"HTTP/[0-9.]+ (\d{3})(?: .*)?$")
_BODY_REFERENCE = re.compile(r"\[body: see ([^\]]+)\]\s*$")
_STATUS_IN_NAME = re.compile(r"__(\d{3})(?:_|$)")

Kind = Literal["stream", "body", "error"]


@dataclass(frozen=True)
class Recording:
    """One corpus file, read: what was answered, and what is known about the request."""

    path: Path
    kind: Kind
    body: bytes
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    #: `# key: value` lines of a `.http` file (date, dialect, model, path, stream).
    provenance: Mapping[str, str] = field(default_factory=dict)
    #: The sidecar's content (model, tools, dialect), empty without one.
    sidecar: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dialect(self) -> str | None:
        """The dialect the file says it speaks, if it says."""
        named = self.sidecar.get("dialect") or self.provenance.get("dialect")
        return str(named) if named else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def is_recording(path: Path) -> bool:
    """Whether `path` is a corpus file (by suffix), not a scenario file or a sidecar."""
    return path.suffix in RECORDING_SUFFIXES


def read_recording(path: Path, corpus: Path | None = None) -> Recording:
    """Read one corpus file; a file that cannot be read is a UsageError naming it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read recording ({exc.strerror})") from None
    sidecar = _sidecar(path)
    if path.suffix == ".http":
        return _read_http(path, raw, corpus, sidecar)
    if path.suffix == ".json":
        status = _status_in_name(path) if path.parent.name == ERRORS_FOLDER else None
        if status is not None and status >= 400:
            return Recording(
                path, "error", raw, status, (("Content-Type", "application/json"),), {}, sidecar
            )
        if path.parent.name == ERRORS_FOLDER:
            raise UsageError(
                f"{path}: an error body needs its HTTP status in its name "
                "(`<vendor>__<status>_<what>.json`), or record it as a .http file"
            )
        return Recording(path, "body", raw, sidecar=sidecar)
    return Recording(path, "stream", raw, sidecar=sidecar)


def _status_in_name(path: Path) -> int | None:
    found = _STATUS_IN_NAME.search(path.stem)
    return int(found.group(1)) if found else None


def _sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{sidecar}: cannot read the request sidecar ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{sidecar}: a request sidecar is a mapping (model, tools, dialect)")
    unknown = sorted(set(data) - {"model", "tools", "dialect"})
    if unknown:
        raise UsageError(
            f"{sidecar}: unknown key {unknown[0]!r}; a request sidecar has model, tools, dialect"
        )
    return data


def _read_http(path: Path, raw: bytes, corpus: Path | None, sidecar: dict[str, Any]) -> Recording:
    head, separator, body = raw.partition(b"\n\n")
    if not separator:
        head, separator, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    provenance: dict[str, str] = {}
    while lines and lines[0].startswith("#"):
        key, _, value = lines.pop(0).lstrip("#").partition(":")
        provenance[key.strip().lower()] = value.strip()
    matched = _STATUS_LINE.match(lines[0].strip()) if lines else None
    if matched is None:
        raise UsageError(
            f"{path}: a .http recording starts with a status line ('HTTP/1.1 429 Too Many "
            "Requests'), after optional '# key: value' lines"
        )
    headers = tuple(
        (name.strip(), value.strip())
        for name, _, value in (line.partition(":") for line in lines[1:] if line.strip())
    )
    reference = _BODY_REFERENCE.match(body.decode("utf-8", errors="replace").strip())
    if reference is not None:
        body = _referenced_body(path, reference.group(1).strip(), corpus)
    status = int(matched.group(1))
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    if status >= 400:
        kind: Kind = "error"
    elif content_type.lower().startswith(_STREAM_TYPES):
        kind = "stream"
    else:
        kind = "body"
    return Recording(path, kind, body, status, headers, provenance, sidecar)


def _referenced_body(path: Path, reference: str, corpus: Path | None) -> bytes:
    candidates = [path.parent / reference, path.parent.parent / reference]
    if corpus is not None:
        candidates.insert(0, corpus / reference)
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_bytes()
    raise UsageError(f"{path}: its body refers to {reference}, which is not in the corpus")


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


def corpus_scenarios(dialect: Dialect, corpus: Path) -> dict[str, Scenario]:
    """The scenarios `dialect` reads in `corpus`, by name (`wire-<file stem>`)."""
    if not corpus.is_dir():
        raise UsageError(f"--wire-corpus {corpus}: no such folder")
    found: dict[str, Scenario] = {}
    for path in corpus_files(corpus):
        if not _may_read(dialect, path, corpus):
            continue
        recording = read_recording(path, corpus)
        if not reads(dialect, recording, corpus):
            continue
        scenario = recording_scenario(dialect, recording)
        if scenario is None:
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
    scenario = recording_scenario(dialect, recording)
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
    for this kind of file (a dialect without a body reader, for a `.json`)."""
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
        if error.retry_after is not None or _states_retry(error.headers):
            focus.append("ER-2")
        if not _is_json(recording.body):
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
        return Reply(error=_http_error(recording))
    if recording.kind == "stream":
        return replace(dialect.recording_reply(recording.body), recorded=recording.body)
    reading = dialect.recording_body_reply(recording.body)
    if reading.error is not None:
        # An error object in a 200 body: the API's error, in the place of the answer.
        reading = replace(reading, error=replace(reading.error, in_stream=True))
    return replace(reading, recorded=recording.body, recorded_stream=False)


def _http_error(recording: Recording) -> ErrorReply:
    """A recorded HTTP error, served as recorded: its body, its headers, a fresh Retry-After."""
    headers: dict[str, str] = {}
    content_type = "application/json"
    retry_after: float | None = None
    for name, value in recording.headers:
        lowered = name.lower()
        if lowered in _HOP_HEADERS:
            continue
        if lowered == "content-type":
            content_type = value
        elif lowered == "retry-after" and not _is_number(value):
            # An HTTP-date is a moment: stated again, as far ahead as when it was recorded.
            retry_after = _date_delay(value, recording.header("date"))
        else:
            headers[name] = value
    return ErrorReply(
        status=recording.status,
        message=api_message(recording.body),
        headers=headers,
        body=recording.body.decode("utf-8", errors="replace"),
        content_type=content_type,
        retry_after=retry_after,
        retry_after_form="http-date",
        category="auth" if _bad_key_reason(recording.body) else None,
    )


#: google.rpc.ErrorInfo reasons that mean a bad credential whatever the status: Gemini answers an
#: invalid key with 400 INVALID_ARGUMENT, and a caller must still be told to fix its key.
_BAD_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})


def _bad_key_reason(body: bytes) -> bool:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    error = payload.get("error") if isinstance(payload, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return any(
        isinstance(detail, dict) and detail.get("reason") in _BAD_KEY_REASONS
        for detail in details or ()
    )


def api_message(body: bytes) -> str | None:
    """The API's own message in an error body (`error.message`, Ollama's `error`), if any."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        payload = payload[0]  # Google's error array
    if not isinstance(payload, dict):
        return None
    error = payload.get("error", payload)
    if isinstance(error, str):
        return error
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return False
    return True


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _states_retry(headers: Mapping[str, str]) -> bool:
    return any(name.lower() in ("retry-after", "retry-after-ms") for name in headers)


def _date_delay(value: str, recorded_at: str | None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
        now = email.utils.parsedate_to_datetime(recorded_at) if recorded_at else None
    except (TypeError, ValueError):
        return None
    if now is None:
        return None
    return max((when - now).total_seconds(), 0.0)


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
