"""The corpus files no scenario judges, each with why (`list scenarios --wire-corpus DIR`).

A user who dropped a file in the folder learns what became of it (a framing the fake server
cannot serve, a name no dialect's pattern matches) instead of finding it silently missing.
"""

from __future__ import annotations

from pathlib import Path

from conformance.dialects.corpus import (
    ERROR_VENDORS,
    ERRORS_FOLDER,
    PRIMARY_DIALECTS,
    corpus_files,
    corpus_scenarios,
)

__all__ = ["not_judged"]


def not_judged(corpus: Path, dialect_name: str | None = None) -> dict[Path, str]:
    """Every file of `corpus` that no scenario judges (read by `dialect_name`, or by any primary
    dialect), with why."""
    from conformance.dialects import get_dialect

    names = [dialect_name] if dialect_name not in (None, "auto") else list(PRIMARY_DIALECTS)
    skipped: dict[Path, str] = {}
    judged: set[Path] = set()
    for name in names:
        assert name is not None
        found = corpus_scenarios(get_dialect(name), corpus, skipped)
        judged.update(s.source for s in found.values() if s.source is not None)
    readers = ", ".join(names)
    return {
        path: skipped.get(path, f"no dialect of {readers} reads it: {_no_reader(path, corpus)}")
        for path in corpus_files(corpus)
        if path not in judged
    }


def _no_reader(path: Path, corpus: Path) -> str:
    if path.parent.name == ERRORS_FOLDER:
        known = sorted({v for vendors in ERROR_VENDORS.values() for v in vendors})
        return f"its vendor prefix is none of {', '.join(known)} (name it <vendor>__<status>_...)"
    if path.parent == corpus:
        return "put it in its dialect's folder, or name the dialect in a sidecar"
    from conformance.dialects import get_dialect

    for name in PRIMARY_DIALECTS:
        dialect = get_dialect(name)
        if dialect.corpus_folder == path.parent.name:
            pattern = dialect.corpus_pattern
            if path.suffix not in (".sse", ".ndjson"):
                pattern = (dialect.corpus_bodies or pattern.rsplit(".", 1)[0]) + path.suffix
            return f"{name} reads the files of {path.parent.name}/ named {pattern}"
    return f"its folder {path.parent.name}/ is no dialect's"
