"""The CLI's handling of recordings: `list`/`show`/`serve --wire-corpus DIR`, `replay FILE.sse`.

Kept out of cli.py so that the command line only wires options to these functions; the corpus
itself is read by conformance/dialects/corpus.py.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance.dialects import get_dialect
from conformance.dialects.corpus import (
    PRIMARY_DIALECTS,
    catalogue,
    file_scenario,
    is_dialects_file,
    is_recording,
)
from conformance.plugin.option_checks import argument_type, existing_folder, port_number
from conformance.scenarios.model import Scenario
from conformance.vocabulary.errors import UsageError


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


def check_recording_files(paths: Sequence[str], dialect: str, *, provider_given: bool) -> None:
    """`replay FILE`: each recording must be played by some dialect of the run and readable by
    it, so a wrong file is one line before anything runs. A file names its dialect (provenance,
    sidecar), or its corpus folder does, or it is `--dialect`'s."""
    for raw in paths:
        path = Path(raw)
        if not is_recording(path):
            continue
        candidates = (
            [dialect] if provider_given else list(dict.fromkeys([dialect, *PRIMARY_DIALECTS]))
        )
        players = [
            name for name in candidates if is_dialects_file(get_dialect(name), path, dialect)
        ]
        if not players:
            raise UsageError(
                f"replay {path}: not a recording of dialect {dialect}; give the --dialect it "
                "speaks, or put it in its dialect's corpus folder (docs/recordings.md)"
            )
        for name in players:
            file_scenario(get_dialect(name), path)


def serving_dialect(name: str, args: argparse.Namespace) -> str:
    """`serve`'s dialect: the one asked for, or for a recording with the default `auto`, the
    dialect that reads it (a recording is one API's bytes, not every API's)."""
    asked: str = args.dialect
    if asked == "auto" and name.startswith("wire-"):
        found = corpus_scenarios_of(args).get(name)
        if found is not None:
            return found[0]
    return asked


def add_record_command(commands: Any) -> None:
    """`record --upstream URL --dialect D --out DIR`: the recording proxy."""
    record = commands.add_parser(
        "record",
        help="record a live session as corpus recordings, credentials redacted",
        description="Start a recording reverse proxy on 127.0.0.1; the first line on stdout is "
        "its base URL. Point a provider or an SDK at it: each request goes to --upstream, and "
        "each answer at a chat endpoint is written under DIR/<dialect folder>/ as a .http "
        "recording with a provenance header, every credential redacted before it reaches the "
        "disk. Replay them with --wire-corpus DIR (docs/recordings.md). Ctrl-C stops.",
    )
    record.add_argument("--upstream", required=True, metavar="URL", help="the live API's root")
    record.add_argument("--dialect", required=True, help="the API the upstream speaks")
    record.add_argument("--out", required=True, metavar="DIR", help="the corpus folder to fill")
    record.add_argument(
        "--port",
        type=argument_type("--port", port_number),
        default=0,
        help="default: an ephemeral port",
    )


def run_record(args: argparse.Namespace) -> int:
    from conformance.recording.proxy import RecordingProxy, check_upstream, shown_upstream

    upstream = check_upstream(args.upstream)
    dialect = get_dialect(args.dialect)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        proxy = RecordingProxy(upstream, dialect, out, port=args.port).start()
    except OSError as exc:
        raise UsageError(f"--port {args.port}: cannot listen on it ({exc.strerror})") from None
    try:
        print(proxy.base_url, flush=True)
        print(
            f"recording {dialect.name} exchanges with {shown_upstream(upstream)} into {out}; "
            "Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        proxy.stop()
    return 0


HANDLERS = {"record": run_record}
