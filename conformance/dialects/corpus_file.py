"""One wire-corpus file, read: a recorded stream, body or HTTP response with what is known of the
request that it answered (`.http` provenance lines, a `NAME.request.yaml` sidecar).

Reading a file is apart from deciding which dialect plays it (`corpus.py`): `record` writes these
files, and `replay FILE` reads one on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from conformance.vocabulary.errors import UsageError

RECORDING_SUFFIXES = (".sse", ".ndjson", ".json", ".http")
SIDECAR_SUFFIX = ".request.yaml"
ERRORS_FOLDER = "errors"
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


class NotJudged(Exception):
    """A recording read, but one the harness cannot play to a provider (a wire framing its fake
    server never serves): `list scenarios --wire-corpus` shows it with this reason, so no file is
    dropped silently. Not a ValueError: a file that cannot be read at all is the user's error."""


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
