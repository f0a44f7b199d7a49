"""The CLI's handling of recordings: `list`/`show`/`serve --wire-corpus DIR`, `replay FILE.sse`.

Kept out of cli.py so that the command line only wires options to these functions; the corpus
itself is read by conformance/dialects/corpus.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from conformance.dialects import get_dialect
from conformance.dialects.corpus import PRIMARY_DIALECTS, catalogue, file_scenario, is_recording
from conformance.errors import UsageError
from conformance.option_checks import existing_folder
from conformance.scenarios.model import Scenario


def add_corpus_option(command: argparse.ArgumentParser, *, dialect: bool) -> None:
    """`--wire-corpus DIR` (and, where the command has none, `--dialect`) on list/show/serve."""
    command.add_argument(
        "--wire-corpus",
        metavar="DIR",
        help="also the recordings under DIR (wire-<file name>), docs/recordings.md",
    )
    if dialect:
        command.add_argument(
            "--dialect",
            default=None,
            help="read the recordings as this dialect (default: each by its folder)",
        )


def corpus_scenarios_of(args: argparse.Namespace) -> dict[str, tuple[str, Scenario]]:
    """The recordings the command's `--wire-corpus` names, with the dialect that reads each."""
    corpus = getattr(args, "wire_corpus", None)
    if not corpus:
        return {}
    folder = existing_folder("--wire-corpus", corpus)
    return catalogue(folder, getattr(args, "dialect", None))


def unknown_recording_hint(name: str, args: argparse.Namespace) -> str:
    """What to add to 'unknown scenario' when the name is a recording's."""
    if name.startswith("wire-") and not getattr(args, "wire_corpus", None):
        return "; recordings (wire-*) need --wire-corpus DIR"
    return ""


def check_recording_files(paths: Sequence[str], dialect: str | None) -> None:
    """`replay FILE`: each recording file must be readable by the dialect it will be played in
    (the given one, else any API's), so a wrong file is one line before anything runs."""
    for raw in paths:
        path = Path(raw)
        if not is_recording(path):
            continue
        if dialect is not None:
            file_scenario(get_dialect(dialect), path)
            continue
        problems: list[str] = []
        for name in PRIMARY_DIALECTS:
            try:
                file_scenario(get_dialect(name), path)
                break
            except UsageError as exc:
                problems.append(str(exc))
        else:
            raise UsageError(
                f"replay {path}: no dialect reads this recording; give --dialect "
                f"(first problem: {problems[0]})"
            )


def serving_dialect(name: str, args: argparse.Namespace) -> str:
    """`serve`'s dialect: the one asked for, or for a recording with the default `auto`, the
    dialect that reads it (a recording is one API's bytes, not every API's)."""
    asked: str = args.dialect
    if asked == "auto" and name.startswith("wire-"):
        found = corpus_scenarios_of(args).get(name)
        if found is not None:
            return found[0]
    return asked
