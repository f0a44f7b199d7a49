"""The report commands of `provider-conformance`: merge, diff and known-failures (and docs).

They read and write reports only, never run a provider, so a CI merge job needs no provider
installed. Exit codes as `run`: 0 fine, 1 a provider fails (or, gated, a regression), 2 usage.
`docs`, which prints the installed guides, is registered here too: like these, it runs nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.report.baseline import (
    diff_reports,
    evaluate_gate,
    gate_lines,
    known_failures_document,
    load_baseline,
)
from conformance.report.docs_command import add_docs_command, docs_command
from conformance.report.exit_codes import EXIT_FAIL, EXIT_OK, report_exit_code
from conformance.report.merge import (
    load_report,
    merge_coverage,
    merge_junit,
    merge_reports,
    report_path,
)
from conformance.report.writers import verdict_lines, write_report_files

Handler = Callable[[argparse.Namespace], int]


def add_commands(commands: Any) -> None:
    """Add the subcommands to the CLI's subparsers (their handlers are `HANDLERS`)."""
    merge = commands.add_parser(
        "merge",
        help="join shard reports into one report",
        description="Join compatibility.json files (of shards, or of jobs that each judged other "
        "providers) into one report: json, md and html, plus junit.xml and provider coverage when "
        "they sit beside the inputs. Verdicts are recomputed from the merged counts.",
    )
    merge.add_argument(
        "reports", nargs="+", type=Path, metavar="REPORT", help="compatibility.json or its folder"
    )
    merge.add_argument("--report-dir", required=True, type=Path, metavar="DIR")
    merge.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="gate the merged report: a previous compatibility.json or a known-failures file",
    )

    diff = commands.add_parser(
        "diff",
        help="regressions and improvements between two reports",
        description="Compare two compatibility.json files; exit 1 when a clause that was not "
        "failing in OLD fails in NEW.",
    )
    diff.add_argument("old", type=Path, metavar="OLD")
    diff.add_argument("new", type=Path, metavar="NEW")

    known = commands.add_parser(
        "known-failures",
        help="start a known-failures file from a report",
        description="Print a known-failures file (schemas/baseline.schema.json) listing every "
        "failing clause of REPORT, each with a reason to fill in.",
    )
    known.add_argument("report", type=Path, metavar="REPORT")
    add_docs_command(commands)


def merge_command(args: argparse.Namespace) -> int:
    parts = [(str(report_path(p)), load_report(p)) for p in args.reports]
    baseline = load_baseline(args.baseline) if args.baseline else None
    command = " ".join(["provider-conformance", *sys.argv[1:]])
    report = merge_reports(parts, command=command)
    if baseline is not None:
        report["gate"] = evaluate_gate(report, baseline)
    directory: Path = args.report_dir
    written = write_report_files(directory, report)
    folders = [report_path(p).parent for p in args.reports]
    junit = merge_junit([f / "junit.xml" for f in folders], directory / "junit.xml")
    written += [junit] if junit else []
    data = [f / "coverage" / ".coverage" for f in folders]
    written += merge_coverage(data, directory / "coverage")
    print(f"merged {len(parts)} report(s) into {directory}:")
    for path in written:
        print(f"  {path}")
    for line in verdict_lines(report):
        print(line)
    if baseline is not None:
        print("\n".join(gate_lines(report["gate"])))
    # As `run` exits: 1 a clause (or the gate) failed, 3 incomplete with none failed, 0 conforms.
    return report_exit_code(report)


def diff_command(args: argparse.Namespace) -> int:
    old, new = load_report(args.old), load_report(args.new)
    gate = diff_reports(old, new, str(args.old))
    print(f"{args.old} -> {args.new}")
    if not (gate["regressions"] or gate["improvements"] or gate["unconfirmed"]):
        print("no change in any failing clause")
    for line in gate_lines(gate)[1:]:
        print(line)
    print(f"{len(gate['regressions'])} regression(s), {len(gate['improvements'])} improvement(s)")
    return EXIT_FAIL if gate["regressions"] else EXIT_OK


def known_command(args: argparse.Namespace) -> int:
    sys.stdout.write(known_failures_document(load_report(args.report)))
    return EXIT_OK


HANDLERS: dict[str, Handler] = {
    "merge": merge_command,
    "diff": diff_command,
    "known-failures": known_command,
    "docs": docs_command,
}
