"""The `provider-conformance` command: argument parsing only.

`run` runs the very suite the pytest plugin runs (in-process pytest), so the CLI and
`pytest --provider ...` can never disagree. Exit codes: 0 conforms, 1 a clause failed, 2 usage
error (bad option, target, dialect, scenario or file), 3 the run is incomplete (a check without a
verdict: harness error, crash, interrupt, deadline; an inconclusive verdict) and no clause failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from conformance import __version__
from conformance.dialects import available_dialects, get_dialect
from conformance.dialects.corpus import is_recording
from conformance.dialects.corpus_unjudged import not_judged
from conformance.plugin.inprocess import PytestUsageErrors, RunResult
from conformance.plugin.option_checks import (
    argument_type,
    existing_folder,
    port_number,
    writable_report_dir,
)
from conformance.plugin.options import add_cli_options
from conformance.plugin.options import pytest_arguments as forwarded_arguments
from conformance.plugin.provider_files import reference_providers_file
from conformance.profiles import available_profiles
from conformance.recording import commands as recordings
from conformance.report.commands import HANDLERS as REPORT_COMMANDS
from conformance.report.commands import add_commands as add_report_commands
from conformance.report.exit_codes import (
    EXIT_OK,
    EXIT_USAGE,
    run_exit_code,
)
from conformance.scenarios import bundled_scenarios, load_file, load_scenarios
from conformance.vocabulary.clauses import CLAUSES
from conformance.vocabulary.errors import UsageError


def _default_workers(bundled: bool = False) -> str:
    """Checks mostly wait on sockets and small timeouts: a worker per CPU pays off from two.

    The bundled run (every reference provider, about 1,400 checks) gives each worker seconds of
    deliberate stalls, holds and drips, a clock waiting and no CPU: one worker more than CPUs
    keeps the cores busy meanwhile. One provider's few such checks do not repay a worker's start.
    """
    cpus = os.cpu_count() or 1
    if cpus == 1:
        return "1"
    return str(min(cpus + 1, 5)) if bundled else str(min(cpus, 4))


class _Parser(argparse.ArgumentParser):
    """Every usage error is one line on stderr, like the harness's own (`UsageError`)."""

    def error(self, message: str) -> NoReturn:
        # Option checks (conformance/plugin/option_checks.py) name their option themselves.
        message = re.sub(r"^argument [^:]+: (?=-)", "", message)
        self.exit(EXIT_USAGE, f"provider-conformance: error: {message}; see '{self.prog} --help'\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="provider-conformance",
        description="Judge LLM provider classes against the conformance contract.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        allow_abbrev=False,  # a pytest option passed on is never mistaken for one of ours
        help="run the suite and write reports",
        description="Run the suite against --provider (or, with none, every bundled reference "
        "provider) and write the reports. Options this command does not know, and test ids "
        "(as pytest prints them), are passed on to pytest: -x, --show-capture=no, "
        "'::TestProviderConformance::test_scenario[...]'. Only the suite's own pytest plugins "
        "load (not every one installed): name another with -p NAME.",
        epilog="Select by clause: -k ST-3 (ids name the clauses each check judges) or "
        "-m ST_3 (a marker per clause). Rerun what failed last time: --lf.",
    )
    add_cli_options(run, "run", workers=None)  # _default_workers(), once the providers are known

    replay = commands.add_parser(
        "replay",
        help="re-run saved scenario files (a property's minimal example, a regression)",
        description="Run only the scenarios of FILE (written by a failing property, or any "
        "scenario file) against --provider (or every bundled reference provider), and print "
        "each check's verdicts. No reports unless --report-dir is given.",
    )
    replay.add_argument("files", nargs="+", metavar="FILE", help="scenario files to run")
    add_cli_options(replay, "replay")

    serve = commands.add_parser(
        "serve",
        help="start the fake server alone",
        description="Start the fake API server playing one scenario; the first line on stdout is "
        "its base URL. Stop it with Ctrl-C.",
    )
    serve.add_argument("--scenario", required=True, metavar="NAME")
    serve.add_argument(
        "--dialect",
        default="auto",
        help="the API to speak (default: auto, every dialect, chosen from the request path)",
    )
    serve.add_argument(
        "--port",
        type=argument_type("--port", port_number),
        default=0,
        help="default: an ephemeral port",
    )
    serve.add_argument(
        "--api-key",
        default="sk-conformance-serve",
        help="the key clients must send (default: sk-conformance-serve)",
    )
    serve.add_argument("--scenarios-dir", action="append", default=[], metavar="DIR")
    recordings.add_corpus_option(serve, dialect=False)

    listing = commands.add_parser("list", help="list scenarios, clauses, dialects or profiles")
    listing.add_argument("what", choices=["scenarios", "clauses", "dialects", "profiles"])
    listing.add_argument("--scenarios-dir", action="append", default=[], metavar="DIR")
    recordings.add_corpus_option(listing, dialect=True)

    show = commands.add_parser("show", help="show a scenario and its expected result")
    show.add_argument("what", choices=["scenario"])
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--scenarios-dir", action="append", default=[], metavar="DIR")
    recordings.add_corpus_option(show, dialect=True)
    add_report_commands(commands)
    recordings.add_record_command(commands)
    return parser


def _scenarios(extra: Sequence[str], args: argparse.Namespace | None = None) -> dict[str, object]:
    found: dict[str, object] = dict(bundled_scenarios())
    if extra:
        found.update(load_scenarios([existing_folder("--scenarios-dir", d) for d in extra]))
    if args is not None:
        found.update({n: s for n, (_, s) in recordings.corpus_scenarios_of(args).items()})
    return found


def _check_inputs(args: argparse.Namespace) -> None:
    """What the CLI can check before pytest starts, so its error is one line (no pytest banner)
    and no report folder is left half-written."""
    if args.wire_corpus:
        existing_folder("--wire-corpus", args.wire_corpus)
    if args.scenarios_dir:
        load_scenarios([existing_folder("--scenarios-dir", d) for d in args.scenarios_dir])
    for path in getattr(args, "scenario_file", []):
        if not is_recording(Path(path)):
            load_file(Path(path))
    recordings.check_recording_files(
        getattr(args, "scenario_file", []), args.dialect, provider_given=bool(args.provider)
    )
    if args.report_dir is not None:
        writable_report_dir("--report-dir", args.report_dir)


def _cache_args(report_dir: str | None) -> list[str]:
    """pytest's cache (what --lf reads) under the report folder; none without one."""
    if report_dir is None:
        return ["-p", "no:cacheprovider"]
    return ["-o", f"cache_dir={Path(report_dir).resolve() / '.pytest-cache'}"]


def _plugin_args() -> list[str]:
    """Load only the plugins the suite needs, in this process and in every worker.

    pytest would import every plugin installed in the environment (respx, anyio, hypothesis's
    ...) in the controller and again in each worker, a cost paid on every run for plugins the
    suite never calls. The switch travels to the workers with the arguments. A user who needs
    another plugin names it: `provider-conformance run ... -p NAME`. `pytest --provider ...`
    keeps loading whatever the user's environment installs.
    """
    # inprocess orders the checks for the workers (long ones first): conformance/plugin/inprocess.py
    ours = ["-p", "conformance.plugin.hooks", "-p", "conformance.plugin.inprocess"]
    if pytest.version_tuple >= (8, 4):  # `-p` takes entry-point names (`-p no:xdist` still works)
        return ["--disable-plugin-autoload", "-p", "xdist", *ours]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return ours
    return ours[2:]  # the hooks come from their entry point


def _run(args: argparse.Namespace) -> int:
    folder = Path(args.report_dir) if args.report_dir is not None else None
    created = folder is not None and not folder.exists()
    try:
        return _run_checked(args)
    except UsageError:
        if created and folder is not None:
            _remove_empty_folders(folder)  # a usage error leaves nothing behind
        raise


def _remove_empty_folders(folder: Path) -> None:
    """Remove `folder` and the folders under it, as long as no file was written there."""
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir():
            with contextlib.suppress(OSError):
                path.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _run_checked(args: argparse.Namespace) -> int:
    _check_inputs(args)
    pytest_args = [
        "-c",
        os.devnull,
        "--rootdir",
        os.getcwd(),
        *_cache_args(args.report_dir),
        *([] if args.verbose else ["-q"]),
        "-rfE",
        # The suite fails with its own messages, not asserts; and this module has imported
        # conformance already, which assertion rewriting would warn about.
        "--assert=plain",
    ]
    pytest_args += _plugin_args()
    given = args.provider or args.providers_file or getattr(args, "entry_points", [])
    bundled = not given
    if bundled:
        args.providers_file = str(reference_providers_file())
    if args.workers is None:
        args.workers = _default_workers(bundled)
    pytest_args += forwarded_arguments(args)
    pytest_args += getattr(args, "pytest_args", [])
    usage_errors = PytestUsageErrors()
    result = RunResult()
    code = int(pytest.main(pytest_args, plugins=[usage_errors, result]))
    if usage_errors.message is not None:
        raise UsageError(usage_errors.message)
    return run_exit_code(code, result.report_code)


def _replay(args: argparse.Namespace) -> int:
    """`run` restricted to the files' scenarios, in this process, without reports by default."""
    for path in args.files:
        if not Path(path).is_file():
            raise UsageError(f"replay {path}: no such file")
    args.scenario_file = list(args.files)
    args.workers = "1"
    args.no_provider_coverage = args.report_dir is None
    for name, default in (
        ("scenario", []),
        ("entry_points", []),
        ("baseline", None),
        ("shard", None),
        ("conformance_progress", "off"),
    ):
        setattr(args, name, default)
    return _run(args)


def _serve(args: argparse.Namespace) -> int:
    from conformance.server import FakeServer

    scenarios = _scenarios(args.scenarios_dir, args)
    if args.scenario not in scenarios:
        raise UsageError(
            f"--scenario {args.scenario}: unknown scenario; run "
            "'provider-conformance list scenarios'"
            + recordings.unknown_recording_hint(args.scenario, args)
        )
    dialect = get_dialect(recordings.serving_dialect(args.scenario, args))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server = FakeServer(port=args.port).start()
    except OSError as exc:
        raise UsageError(f"--port {args.port}: cannot listen on it ({exc.strerror})") from None
    try:  # started once: entering `with server` would start a second listener
        session = server.play_default(scenarios[args.scenario], dialect, args.api_key)  # type: ignore[arg-type]
        print(session.base_url, flush=True)
        print(
            f"serving scenario {args.scenario} as {dialect.name}; clients must send "
            f"{dialect.credential_description} with the key {args.api_key!r}; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        server.stop()
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    if args.what == "scenarios":
        names: list[str] = sorted(_scenarios(args.scenarios_dir, args))
        if args.wire_corpus:  # the files no scenario judges, and why (never dropped silently)
            for path, why in not_judged(Path(args.wire_corpus), args.dialect).items():
                print(f"not judged: {path}: {why}", file=sys.stderr)
    elif args.what == "clauses":
        names = list(CLAUSES)
    elif args.what == "dialects":
        names = sorted(available_dialects())
    else:
        names = sorted(available_profiles())
    print("\n".join(names))
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from conformance.scenarios import Scenario

    scenarios = _scenarios(args.scenarios_dir, args)
    scenario = scenarios.get(args.name)
    if not isinstance(scenario, Scenario):
        raise UsageError(
            f"show scenario {args.name}: unknown scenario; run "
            "'provider-conformance list scenarios'"
            + recordings.unknown_recording_hint(args.name, args)
        )
    data = scenario.as_json()
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{scenario.name}: {scenario.title}")
    if scenario.description:
        print(f"  {scenario.description.strip()}")
    print(f"  source: {scenario.source}")
    requires = ", ".join(sorted(scenario.requires)) or "nothing"
    print(f"  modes: {', '.join(scenario.modes)}; requires: {requires}")
    print(f"  focus: {', '.join(scenario.focus) or '-'}")
    print("  expected:")
    for key, value in data["expected"].items():
        print(f"    {key}: {json.dumps(value, ensure_ascii=False)}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra  # `run` hands what it does not know to pytest (-x, test ids)
    handlers = {
        "run": _run,
        "replay": _replay,
        "serve": _serve,
        "list": _list,
        "show": _show,
        **REPORT_COMMANDS,
        **recordings.HANDLERS,
    }
    try:
        code = handlers[args.command](args)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then ours to handle
        return code
    except UsageError as exc:
        print(f"provider-conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """`provider-conformance show scenario X | head`: the reader stopped, which is no error.

    stdout is pointed at the null device so the interpreter's final flush has nowhere to fail.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_OK


def console_main() -> None:
    """The console script: leftover provider threads never keep the process alive."""
    from conformance.isolation import exits

    exits.guard_exit()
    code = main()
    exits.set_exit_code(code)
    sys.exit(code)


if __name__ == "__main__":
    console_main()
