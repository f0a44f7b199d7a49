"""Run the ecosystem matrix: every target of ecosystem/targets.yaml whose package is installed,
judged by the suite, merged into one report, and the Markdown matrix written for docs/ecosystem/.

    python ecosystem/run.py [--report-dir DIR] [--markdown FILE] [--package NAME] [-n N]

Targets that need a different model name (targets.yaml `model:`) run as separate runs of the
suite; `provider-conformance merge` joins them into one compatibility.json/md/html. The committed
Markdown carries the package versions, the date, the command and the clause matrix; the failures
with their transcripts stay in the report folder (compatibility.html), and docs/ecosystem/README.md
explains each failing clause.

Each run's own report folder is kept under REPORT_DIR/runs/ (printed at the end): a failed
property's minimal example is saved there (runs/part-N/regressions/*.yaml), and the replay command
in the merged report names that file, so a reader can rerun what the matrix counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets.yaml"
DEFAULT_MARKDOWN = HERE.parent / "docs" / "ecosystem" / "matrix.md"
#: Packages whose versions the matrix states, besides each target's own package.
ALSO_STATED = ("openai", "anthropic", "google-genai", "httpx")
#: Environment for the runs: LiteLLM fetches its model price map from the network at import
#: unless told to use the copy it ships (the machine may have no network; the run needs none).
RUN_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
#: The properties draw from a fixed seed, so the published matrix regenerates as it is: the same
#: examples in every process (tests/test_ecosystem_run_keeps_examples.py), and so the same cells.
PROPERTY_SEED = "1"
PROPERTY_PROFILE = "dev"


def load_targets(path: Path = TARGETS) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, list) or not targets:
        raise SystemExit(f"{path}: expected a mapping with a non-empty list `targets`")
    for target in targets:
        missing = {"id", "package", "profile", "provider", "dialect"} - set(target)
        if missing:
            raise SystemExit(f"{path}: target {target!r} lacks {', '.join(sorted(missing))}")
    return targets


def installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def provider_entry(target: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "id": target["id"],
        "target": target["provider"],
        "dialect": target["dialect"],
        "profile": target["profile"],
    }
    if target.get("options"):
        entry["options"] = dict(target["options"])
    return entry


def groups(targets: list[dict[str, Any]]) -> dict[str | None, list[dict[str, Any]]]:
    """Targets by the model name they run as (None: the scenarios' own)."""
    found: dict[str | None, list[dict[str, Any]]] = {}
    for target in targets:
        found.setdefault(target.get("model"), []).append(target)
    return found


def run_group(
    targets: list[dict[str, Any]], model: str | None, report_dir: Path, workers: int
) -> int:
    providers = report_dir.parent / f"{report_dir.name}.providers.yaml"
    providers.write_text(
        yaml.safe_dump({"providers": [provider_entry(t) for t in targets]}, sort_keys=False),
        encoding="utf-8",
    )
    command = [
        *CLI,
        "run",
        "--providers-file",
        str(providers),
        "--report-dir",
        str(report_dir),
        "--property-profile",
        PROPERTY_PROFILE,
        "--property-seed",
        PROPERTY_SEED,
        "--no-provider-coverage",
        "-n",
        str(workers),
    ]
    if model:
        command += ["--model", model]
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, env={**os.environ, **RUN_ENV}, check=False).returncode


CLI = [sys.executable, "-m", "conformance.cli"]


def runs_dir(report_dir: Path) -> Path:
    """The folder the runs write their own reports to, emptied first: a regression file left by
    an earlier run would otherwise sit next to this run's as if it had been found now."""
    runs = report_dir / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    return runs


def kept_examples_note(runs: Path) -> str:
    """Where the failed properties' minimal examples are, for the printed output."""
    found = sorted(runs.glob("part-*/regressions/*.yaml"))
    if not found:
        return f"each run's report: {runs}/part-*/ (no property failed)"
    lines = [
        f"minimal examples of the failed properties ({len(found)}), kept under {runs}; "
        "replay one with the command its failure shows in compatibility.html:"
    ]
    lines += [f"  {path}" for path in found]
    return "\n".join(lines)


def matrix_markdown(
    report_dir: Path, versions: dict[str, str], skipped: list[str], command: str
) -> str:
    report = (report_dir / "compatibility.md").read_text(encoding="utf-8")
    # The clause matrix; each provider's failures (with transcripts) stay in the report folder.
    head, _, _ = report.partition("\n## `")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    lines = [
        "# Ecosystem matrix",
        "",
        f"Generated {today} by `{command}` (Python {platform.python_version()}).",
        "What each failing clause is, with the evidence in the package's source and the smallest",
        "command that shows it: [README.md](README.md). Regenerate with `tox -e ecosystem`.",
        "",
        "| package | version |",
        "|---|---|",
        *(f"| {name} | {version} |" for name, version in sorted(versions.items())),
        "",
    ]
    if skipped:
        lines += [f"Not installed, not judged: {', '.join(skipped)}.", ""]
    body = head.split("\n", 1)[1] if head.startswith("# ") else head
    return "\n".join(lines) + "\n" + body.strip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report-dir", type=Path, default=Path("reports/ecosystem"))
    parser.add_argument("--markdown", type=Path, default=DEFAULT_MARKDOWN)
    parser.add_argument("--package", action="append", default=[], help="only this package")
    parser.add_argument("-n", type=int, default=2, help="worker processes per run")
    args = parser.parse_args(argv)

    targets = load_targets()
    if args.package:
        targets = [t for t in targets if t["package"] in args.package]
    versions: dict[str, str] = {}
    skipped: list[str] = []
    chosen = []
    for target in targets:
        version = installed(target["package"])
        if version is None:
            skipped.append(f"{target['id']} ({target['package']})")
            continue
        versions[target["package"]] = version
        chosen.append(target)
    if not chosen:
        print("no target's package is installed; see ecosystem/targets.yaml", file=sys.stderr)
        return 2
    for name in ALSO_STATED:
        version = installed(name)
        if version is not None:
            versions[name] = version

    report_dir: Path = args.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    runs = runs_dir(report_dir)
    statuses = []
    parts = []
    for index, (model, members) in enumerate(groups(chosen).items()):
        part = runs / f"part-{index}"
        statuses.append(run_group(members, model, part, args.n))
        if (part / "compatibility.json").exists():
            parts.append(str(part))
    if not parts:
        print("no run wrote a report", file=sys.stderr)
        return 3
    merged = subprocess.run(
        [*CLI, "merge", *parts, "--report-dir", str(report_dir)], check=False
    ).returncode
    print(kept_examples_note(runs), flush=True)
    if merged not in (0, 1, 3):
        return merged
    command = "python ecosystem/run.py" + "".join(f" --package {p}" for p in args.package)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(matrix_markdown(report_dir, versions, skipped, command), "utf-8")
    summary = json.loads((report_dir / "compatibility.json").read_text(encoding="utf-8"))
    print(f"{len(summary['providers'])} targets judged; report in {report_dir}; {args.markdown}")
    # 0 all conform, 1 a clause fails (expected: docs/ecosystem/README.md), 3 incomplete.
    return merged


if __name__ == "__main__":
    sys.exit(main())
