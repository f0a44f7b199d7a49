"""Real third-party provider classes through the suite, against checked-in expected verdicts.

The suite's worth is its verdicts on classes nobody wrote for it. Each package listed in PACKAGES
is installed from the package index in an environment of its own (tox `real-victor`,
`real-orchestrator`: the packages pin conflicting dependencies), its classes are run through
`provider-conformance run` once per package, and every provider's clause verdicts are compared
with `expected/<provider id>.yaml`. Every failing clause there carries a one-line explanation of
the true bug of that class and its evidence (file:line in the package, what the transcript shows);
a harness error (a provider not built, a crashed or inconclusive check) is never an expected
verdict. While a known harness bug makes a clause fail falsely, its entry says so in `harness_bug`
(which bug, and the transcript that shows it); the verdict changes when the harness is fixed, and
the file is regenerated then.

Regenerate an expected file after a deliberate change, keeping every explanation whose clause
still fails (new failing clauses get a TODO the test refuses until it is written):

    python tests/real_world/realworld.py update victor        # or orchestrator
    python tests/real_world/realworld.py show victor          # the run's failures per clause

(run it in the package's environment: `tox -e real-victor -- ...` runs the tests there, or
`.tox/real-victor/bin/python tests/real_world/realworld.py update victor`.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
EXPECTED_DIR = HERE / "expected"
PROVIDERS_DIR = HERE / "providers"

#: Clause verdicts a report can give that are judgements of the provider. Anything else (a harness
#: error, an inconclusive or incomplete check) is the harness's, never an expected verdict.
PROVIDER_VERDICTS = frozenset({"pass", "fail", "not-applicable", "declared-but-broken", "not-run"})
FAILING = frozenset({"fail", "declared-but-broken"})
TODO = "TODO: explain the true bug and its evidence (file:line, transcript), or fix the harness"

#: How the suite is run on real classes: the example scenarios only (the properties would
#: triple the job's time in CI), a short per-check deadline (stall scenarios of providers that
#: ignore their timeout end there), no coverage of the package's own module.
RUN_OPTIONS = (
    "--no-properties",
    "--check-timeout",
    "5",
    "--no-provider-coverage",
    "--progress",
    "off",
)


@dataclass(frozen=True)
class Package:
    """One package from the index: the pinned version the expected verdicts were made on."""

    key: str
    distribution: str
    version: str

    @property
    def providers_file(self) -> Path:
        return PROVIDERS_DIR / f"{self.key}.yaml"

    def skip_reason(self) -> str | None:
        """Why this environment cannot judge the package, or None when it can."""
        try:
            installed = metadata.version(self.distribution)
        except metadata.PackageNotFoundError:
            return (
                f"{self.distribution} is not installed here (tox -e real-{self.key} installs "
                f"{self.distribution}=={self.version} and runs these tests)"
            )
        if installed != self.version:
            return (
                f"the expected verdicts are for {self.distribution}=={self.version}, "
                f"{installed} is installed (tox -e real-{self.key})"
            )
        return None

    def provider_ids(self) -> list[str]:
        return listed_ids(self.providers_file)


PACKAGES: dict[str, Package] = {
    "victor": Package("victor", "victor-ai", "0.9.5"),
    "orchestrator": Package("orchestrator", "multi-llm-orchestrator", "0.9.1"),
}


def listed_ids(providers_file: Path) -> list[str]:
    """The provider ids a providers file lists (a `*-pending.yaml` one too: classes whose dialect
    the harness does not have yet, prepared but not run in CI)."""
    document = yaml.safe_load(providers_file.read_text(encoding="utf-8"))
    return [str(entry["id"]) for entry in document["providers"]]


@dataclass
class RunResult:
    exit_code: int
    report: dict[str, Any]
    output: str

    def provider(self, provider_id: str) -> dict[str, Any]:
        for entry in self.report.get("providers", []):
            if entry["id"] == provider_id:
                return dict(entry)
        raise KeyError(f"{provider_id} is not in the run's report; the run said:\n{self.output}")


#: Where the run's outbound traffic goes: a loopback port nothing listens on, as a proxy for every
#: host but the fake server's. Real classes reach for the internet on their own (orchestrator's
#: Router counts tokens with tiktoken, which downloads its encoding with no timeout on each call
#: until one succeeds, blocking the event loop on a DNS lookup for up to seconds); refused at once,
#: they fall back, and the run stays on 127.0.0.1 and takes the same time every time.
OFFLINE_PROXY = "http://127.0.0.1:9"


def offline_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` with every non-loopback HTTPS request sent to a proxy that refuses it."""
    env = {k: v for k, v in base.items() if k.lower() not in _PROXY_VARIABLES}
    # https only: what reaches for the internet here asks for https (tiktoken's download), and
    # each proxy set costs every httpx client built in the run a transport of its own.
    env["HTTPS_PROXY"] = env["https_proxy"] = OFFLINE_PROXY
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})


def run_package(package: Package, workers: int | None = None) -> RunResult:
    """One `provider-conformance run` over the package's providers file, in a subprocess.

    A subprocess, so the package's imports, event loops and module state never mix with the
    caller's; PYTHONPATH holds only this folder (the factories), never the stand-ins.
    """
    count = workers or int(os.environ.get("REAL_WORLD_WORKERS", "1"))
    with tempfile.TemporaryDirectory(prefix=f"real-{package.key}-") as report_dir:
        command = [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--providers-file",
            str(package.providers_file),
            "--report-dir",
            report_dir,
            "-n",
            str(count),
            *RUN_OPTIONS,
        ]
        env = {**offline_env(os.environ), "PYTHONPATH": str(HERE)}
        done = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        output = (done.stdout + done.stderr)[-6000:]
        report_file = Path(report_dir) / "compatibility.json"
        report = {}
        if report_file.is_file():
            report = json.loads(report_file.read_text(encoding="utf-8"))
    return RunResult(done.returncode, report, output)


def expected_path(provider_id: str) -> Path:
    return EXPECTED_DIR / f"{provider_id}.yaml"


def load_expected(provider_id: str) -> dict[str, Any]:
    path = expected_path(provider_id)
    if not path.is_file():
        return {}
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


def expected_verdicts(expected: Mapping[str, Any]) -> dict[str, str]:
    return {
        clause: str(entry["verdict"]) for clause, entry in (expected.get("clauses") or {}).items()
    }


def harness_problems(provider: Mapping[str, Any]) -> list[str]:
    """What in a provider's report is the harness's doing, not a verdict on the provider."""
    problems = [f"harness error: {error}" for error in provider.get("errors") or []]
    for clause, verdict in provider.get("clauses", {}).items():
        if verdict not in PROVIDER_VERDICTS:
            problems.append(f"{clause}: verdict {verdict!r} is not a judgement of the provider")
    for failure in provider.get("failures") or []:
        if failure.get("incomplete"):
            problems.append(f"{failure.get('check')}: incomplete check {failure['incomplete']}")
    return problems


def differences(expected: Mapping[str, Any], provider: Mapping[str, Any]) -> list[str]:
    """Every clause whose verdict changed, and every failing clause left unexplained.

    A failing clause is explained by `why` (the true bug of the class and its evidence) or, while
    a known harness bug makes it fail falsely, by `harness_bug` (which one, and its evidence):
    those verdicts change when the harness is fixed, and the file is regenerated then.
    """
    want = expected_verdicts(expected)
    got = dict(provider.get("clauses", {}))
    lines = []
    for clause in sorted(set(want) | set(got)):
        if want.get(clause) != got.get(clause):
            lines.append(f"{clause}: expected {want.get(clause)}, got {got.get(clause)}")
    for clause, entry in (expected.get("clauses") or {}).items():
        if entry.get("verdict") in FAILING and not _explained(entry):
            lines.append(f"{clause}: fails with no explanation of the bug in the expected file")
    return lines


def _explained(entry: Mapping[str, Any]) -> bool:
    why = str(entry.get("why") or "")
    return bool(why and not why.startswith("TODO")) or bool(entry.get("harness_bug"))


def failure_summary(provider: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per clause, one line per distinct failure message (for `show` and new TODO entries)."""
    by_clause: dict[str, list[str]] = {}
    for failure in provider.get("failures") or []:
        for message in failure.get("messages", []):
            clause = message.split(":", 1)[0]
            line = f"{failure['check']}: {message}"[:300]
            seen = by_clause.setdefault(clause, [])
            if line not in seen:
                seen.append(line)
    return by_clause


def updated_expected(
    package: Package, provider: Mapping[str, Any], previous: Mapping[str, Any]
) -> dict[str, Any]:
    """The provider's verdicts now, keeping each explanation whose clause still fails."""
    old = previous.get("clauses") or {}
    failing_checks = failure_summary(provider)
    clauses: dict[str, Any] = {}
    for clause, verdict in provider.get("clauses", {}).items():
        entry: dict[str, Any] = {"verdict": verdict}
        kept = old.get(clause, {})
        same = kept.get("verdict") == verdict or {kept.get("verdict"), verdict} <= FAILING
        for note in ("why", "harness_bug", "note"):
            if same and kept.get(note):
                entry[note] = kept[note]
        if verdict in FAILING:
            if not _explained(entry):
                entry["why"] = TODO
            entry["checks"] = sorted(
                {line.split(":", 1)[0] for line in failing_checks.get(clause, [])}
            )
        clauses[clause] = entry
    return {
        "package": f"{package.distribution}=={package.version}",
        "provider": provider["id"],
        "target": provider.get("target"),
        "dialect": provider.get("dialect"),
        "profile": provider.get("profile"),
        "clauses": clauses,
    }


def write_expected(document: Mapping[str, Any]) -> Path:
    path = expected_path(str(document["provider"]))
    EXPECTED_DIR.mkdir(exist_ok=True)
    header = (
        "# Expected verdicts of a real class (tests/real_world/realworld.py). Every failing\n"
        "# clause says why: the true bug and its evidence (or the known harness bug). Regenerate:\n"
        "#   python tests/real_world/realworld.py update <package>\n"
        "# `checks` lists the failing checks when it was written (evidence, not compared).\n"
    )
    body = yaml.safe_dump(dict(document), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + body, encoding="utf-8")
    return path


def _command_update(package: Package) -> int:
    result = run_package(package)
    if result.exit_code not in (0, 1):
        print(result.output, file=sys.stderr)
        print(f"the run exited {result.exit_code}: nothing written", file=sys.stderr)
        return 1
    status = 0
    for provider_id in package.provider_ids():
        provider = result.provider(provider_id)
        problems = harness_problems(provider)
        if problems:
            print(f"{provider_id}: not written, harness problems:", *problems, sep="\n  ")
            status = 1
            continue
        path = write_expected(updated_expected(package, provider, load_expected(provider_id)))
        todo = [c for c, e in load_expected(provider_id)["clauses"].items() if e.get("why") == TODO]
        print(f"{path.relative_to(REPO_ROOT)}" + (f" (explain: {', '.join(todo)})" if todo else ""))
    return status


def _command_show(package: Package) -> int:
    result = run_package(package)
    for provider_id in package.provider_ids():
        provider = result.provider(provider_id)
        print(f"== {provider_id}: {provider.get('clauses')}")
        for problem in harness_problems(provider):
            print(f"  HARNESS {problem}")
        for clause, lines in sorted(failure_summary(provider).items()):
            print(f"  -- {clause}")
            for line in lines:
                print(f"     {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("update", "show"))
    parser.add_argument("package", choices=sorted(PACKAGES))
    args = parser.parse_args(argv)
    package = PACKAGES[args.package]
    reason = package.skip_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    return _command_update(package) if args.command == "update" else _command_show(package)


if __name__ == "__main__":
    sys.exit(main())
