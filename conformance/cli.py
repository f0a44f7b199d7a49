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
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import NoReturn

import pytest

from conformance import __version__
from conformance.checks.runner import DEFAULT_CHECK_TIMEOUT, DEFAULT_PROVIDER_TIMEOUT
from conformance.dialects import available_dialects, get_dialect
from conformance.dialects.corpus import is_recording
from conformance.plugin.option_checks import (
    argument_type,
    existing_folder,
    port_number,
    positive_seconds,
    worker_count,
    writable_report_dir,
)
from conformance.plugin.provider_files import reference_providers_file
from conformance.profiles import available_profiles
from conformance.recording import commands as recordings
from conformance.report.commands import HANDLERS as REPORT_COMMANDS
from conformance.report.commands import add_commands as add_report_commands
from conformance.scenarios import bundled_scenarios, load_file, load_scenarios
from conformance.vocabulary.clauses import CLAUSES
from conformance.vocabulary.errors import UsageError

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def _default_workers() -> str:
    """Checks mostly wait on sockets and small timeouts: a worker per CPU pays off from two."""
    cpus = os.cpu_count() or 1
    return str(min(cpus, 4)) if cpus > 1 else "1"


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
        "'::TestProviderConformance::test_scenario[...]'.",
        epilog="Select by clause: -k ST-3 (ids name the clauses each check judges) or "
        "-m ST_3 (a marker per clause). Rerun what failed last time: --lf.",
    )
    _add_check_options(run)
    run.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this scenario (or property-*, resilience check); repeatable",
    )
    run.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="run only the checks whose id matches EXPR, as pytest -k: a clause (ST-3), a "
        "scenario (text_plain), a provider, a mode (stream), with and/or/not",
    )
    run.add_argument(
        "-m",
        dest="markexpr",
        metavar="EXPR",
        help="run only the checks marked EXPR: one marker per clause, ST_3 for ST-3",
    )
    run.add_argument(
        "--log-level",
        metavar="LEVEL",
        help="capture log records from LEVEL up with each failure, every library's (default: "
        "the provider's own at any level, httpx, openai and other libraries' from WARNING)",
    )
    run.add_argument(
        "--lf",
        "--last-failed",
        dest="last_failed",
        action="store_true",
        help="rerun only the checks that failed in the last run with the same --report-dir "
        "(the record is kept under DIR/.pytest-cache, not the working directory)",
    )
    run.add_argument(
        "--report-dir",
        default="reports",
        metavar="DIR",
        help="where reports go (default: ./reports)",
    )
    run.add_argument(
        "--no-provider-coverage",
        action="store_true",
        help="do not measure which lines of the provider's own code the checks ran",
    )
    run.add_argument(
        "-n",
        "--workers",
        metavar="N",
        type=argument_type("-n", worker_count),
        default=_default_workers(),
        help="run checks in N worker processes (pytest-xdist), where a provider's crash, exit "
        "or hang costs only its check; default: one per CPU, at most 4; 0 runs them in this "
        "process, unprotected (for debugging)",
    )
    run.add_argument(
        "--run-timeout",
        type=float,
        metavar="S",
        help="end the whole run after S seconds and write the reports; unfinished checks are "
        "listed as 'deadline', exit status 3 (default 1800)",
    )
    run.add_argument(
        "--memory-limit",
        type=int,
        metavar="MB",
        help="limit each worker process's address space to MB megabytes, so a provider hogging "
        "memory costs only its check",
    )
    run.add_argument(
        "--entry-points",
        action="append",
        default=[],
        metavar="GROUP",
        help="judge every provider published under this entry-point group; repeatable",
    )
    run.add_argument(
        "--baseline",
        metavar="FILE",
        help="fail only on regressions against FILE (a previous compatibility.json or a "
        "known-failures file, docs/ci.md)",
    )
    run.add_argument(
        "--shard", metavar="INDEX/COUNT", help="run part INDEX of COUNT of the checks (CI matrix)"
    )
    run.add_argument(
        "--progress",
        choices=["auto", "live", "lines", "off"],
        default="auto",
        help="progress per provider (default auto: a live line on a terminal, lines in CI)",
    )
    run.add_argument(
        "--property-profile",
        choices=["dev", "ci", "thorough"],
        help="how hard the properties search (default ci: a fixed seed, reproducible)",
    )
    run.add_argument(
        "--property-seed", type=int, metavar="N", help="draw the properties' examples from seed N"
    )
    run.add_argument("--no-properties", action="store_true", help="run the example scenarios only")

    replay = commands.add_parser(
        "replay",
        help="re-run saved scenario files (a property's minimal example, a regression)",
        description="Run only the scenarios of FILE (written by a failing property, or any "
        "scenario file) against --provider (or every bundled reference provider), and print "
        "each check's verdicts. No reports unless --report-dir is given.",
    )
    replay.add_argument("files", nargs="+", metavar="FILE")
    _add_check_options(replay)
    replay.add_argument("--report-dir", metavar="DIR", help="also write reports here")

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


def _add_check_options(command: argparse.ArgumentParser) -> None:
    """What decides how each check runs: shared by `run` and `replay`, so a replay command can
    repeat every option the run that found the failure had."""
    command.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="the provider class (or a factory function) to judge; repeatable. It must be "
        "importable: install it, or run with PYTHONPATH=<its folder>",
    )
    command.add_argument(
        "--providers-file",
        metavar="FILE",
        help="a YAML file listing providers, each with target (or factory), dialect, profile, "
        "id and options (schemas/providers.schema.json)",
    )
    command.add_argument(
        "--dialect",
        default="openai-chat",
        help="the API the provider speaks, served by the fake server (default: openai-chat; "
        "'provider-conformance list dialects'), or module:Class of your own",
    )
    command.add_argument(
        "--profile",
        default="native",
        help="the interface the provider offers (default: native; 'provider-conformance list "
        "profiles', docs/profiles.md), or module:Class of your own",
    )
    command.add_argument(
        "--profile-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option of the profile (types_module=...), or an extra constructor argument "
        "of the provider; VALUE env:NAME reads a secret from the environment; repeatable",
    )
    command.add_argument(
        "--scenarios-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load the scenario files (*.yaml) of DIR; repeatable",
    )
    command.add_argument(
        "--wire-corpus",
        metavar="DIR",
        help="also replay each dialect's recorded streams found under DIR",
    )
    command.add_argument(
        "--check-timeout",
        type=argument_type("--check-timeout", positive_seconds),
        metavar="S",
        help=f"stop a check after S seconds (default {DEFAULT_CHECK_TIMEOUT:g})",
    )
    command.add_argument(
        "--provider-timeout",
        type=argument_type("--provider-timeout", positive_seconds),
        metavar="S",
        help=f"the timeout the provider is built with (default {DEFAULT_PROVIDER_TIMEOUT:g}); "
        "stall scenarios set their own",
    )
    command.add_argument(
        "--capabilities",
        metavar="FILE",
        help="take declared capabilities from this model_capabilities.yaml-form file and judge "
        "CF-2 (docs/capabilities.md)",
    )
    command.add_argument(
        "--model", metavar="NAME", help="run the scenarios as this model (and read FILE for it)"
    )
    command.add_argument(
        "--registry",
        action="append",
        default=[],
        metavar="MODULE:OBJECT",
        help="check CF-1 against this provider registry, or entry-points:GROUP; repeatable",
    )
    command.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="one line per check; -vv also prints failures' wire transcripts whole",
    )


def _scenarios(extra: Sequence[str], args: argparse.Namespace | None = None) -> dict[str, object]:
    found: dict[str, object] = dict(bundled_scenarios())
    if extra:
        found.update(load_scenarios([existing_folder("--scenarios-dir", d) for d in extra]))
    if args is not None:
        found.update({n: s for n, (_, s) in recordings.corpus_scenarios_of(args).items()})
    return found


class _PytestUsageErrors:
    """Takes the usage errors raised while pytest configures the run (bad provider, scenario,
    shard, baseline ...) so the CLI prints them as its own: one line, no `ERROR:` banner."""

    def __init__(self) -> None:
        self.message: str | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_main(self) -> Generator[None, int | pytest.ExitCode, int | pytest.ExitCode]:
        try:  # configure runs inside it, and collection (the plugin's pytest_generate_tests)
            return (yield)
        except pytest.UsageError as exc:
            self.message = " ".join(str(arg) for arg in exc.args)
            raise pytest.UsageError() from None  # no arguments: pytest prints nothing


def _check_inputs(args: argparse.Namespace) -> None:
    """What the CLI can check before pytest starts, so its error is one line (no pytest banner)
    and no report folder is left half-written."""
    if args.wire_corpus:
        existing_folder("--wire-corpus", args.wire_corpus)
    if args.scenarios_dir:
        load_scenarios([existing_folder("--scenarios-dir", d) for d in args.scenarios_dir])
    for path in getattr(args, "scenario_files", []):
        if not is_recording(Path(path)):
            load_file(Path(path))
    recordings.check_recording_files(
        getattr(args, "scenario_files", []), args.dialect, provider_given=bool(args.provider)
    )
    if args.report_dir is not None:
        writable_report_dir("--report-dir", args.report_dir)


def _cache_args(report_dir: str | None) -> list[str]:
    """pytest's cache (what --lf reads) under the report folder; none without one."""
    if report_dir is None:
        return ["-p", "no:cacheprovider"]
    return ["-o", f"cache_dir={Path(report_dir).resolve() / '.pytest-cache'}"]


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
        "-" + "v" * args.verbose if args.verbose else "-q",
        "-rfE",
        # The suite fails with its own messages, not asserts; and this module has imported
        # conformance already, which assertion rewriting would warn about.
        "--assert=plain",
    ]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        pytest_args += ["-p", "conformance.plugin.hooks"]
    if not args.provider and not args.providers_file and not args.entry_points:
        pytest_args += ["--providers-file", str(reference_providers_file())]
    for target in args.provider:
        pytest_args += ["--provider", target]
    if args.providers_file:
        pytest_args += ["--providers-file", args.providers_file]
    pytest_args += ["--dialect", args.dialect, "--profile", args.profile]
    for pair in args.profile_option:
        pytest_args += ["--profile-option", pair]
    for name in args.scenario:
        pytest_args += ["--scenario", name]
    for directory in args.scenarios_dir:
        pytest_args += ["--scenarios-dir", directory]
    if args.wire_corpus:
        pytest_args += ["--wire-corpus", args.wire_corpus]
    if args.report_dir is not None:
        pytest_args += ["--report-dir", args.report_dir]
    for path in getattr(args, "scenario_files", []):
        pytest_args += ["--scenario-file", path]
    if getattr(args, "property_profile", None):
        pytest_args += ["--property-profile", args.property_profile]
    if getattr(args, "property_seed", None) is not None:
        pytest_args += ["--property-seed", str(args.property_seed)]
    if getattr(args, "no_properties", False):
        pytest_args.append("--no-properties")
    if args.check_timeout is not None:
        pytest_args += ["--check-timeout", str(args.check_timeout)]
    if args.provider_timeout is not None:
        pytest_args += ["--provider-timeout", str(args.provider_timeout)]
    if args.no_provider_coverage:
        pytest_args.append("--no-provider-coverage")
    if args.workers and args.workers != "0":
        pytest_args += ["-n", args.workers]
    if getattr(args, "run_timeout", None) is not None:
        pytest_args += ["--run-timeout", str(args.run_timeout)]
    if getattr(args, "memory_limit", None) is not None:
        pytest_args += ["--memory-limit", str(args.memory_limit)]
    for group in args.entry_points:
        pytest_args += ["--entry-points", group]
    if args.baseline:
        pytest_args += ["--baseline", args.baseline]
    if args.shard:
        pytest_args += ["--shard", args.shard]
    pytest_args += ["--conformance-progress", args.progress]
    if args.capabilities:
        pytest_args += ["--capabilities", args.capabilities]
    if args.model:
        pytest_args += ["--model", args.model]
    for reference in args.registry:
        pytest_args += ["--registry", reference]
    if getattr(args, "keyword", None):
        pytest_args += ["-k", args.keyword]
    if getattr(args, "markexpr", None):
        pytest_args += ["-m", args.markexpr]
    if getattr(args, "log_level", None):
        pytest_args += ["--log-level", args.log_level]
    if getattr(args, "last_failed", False):
        pytest_args.append("--lf")
    pytest_args += getattr(args, "pytest_args", [])
    usage_errors = _PytestUsageErrors()
    result = _RunResult()
    code = int(pytest.main(pytest_args, plugins=[usage_errors, result]))
    if usage_errors.message is not None:
        raise UsageError(usage_errors.message)
    return run_exit_code(code, result.report_code)


class _RunResult:
    """Catches the exit status the run's report implies, before pytest tears the session down."""

    report_code: int | None = None

    def pytest_unconfigure(self, config: object) -> None:
        from conformance.plugin.hooks import run_exit_code as from_report

        self.report_code = from_report(config)  # type: ignore[arg-type]


def run_exit_code(pytest_code: int, report_code: int | None) -> int:
    """0 conforms, 1 a clause failed, 2 usage error, 3 the run is incomplete (no clause failed).

    A run that produced a report is judged by it: an interrupt or a crash after some checks is an
    incomplete run (3) unless a clause already failed (1). Without a report the run never began.
    """
    import pytest

    if pytest_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED):
        return EXIT_USAGE
    if report_code is not None:
        return report_code
    if pytest_code == pytest.ExitCode.OK:
        return EXIT_OK
    if pytest_code == pytest.ExitCode.TESTS_FAILED:
        return EXIT_FAIL
    return EXIT_INCOMPLETE


def _replay(args: argparse.Namespace) -> int:
    """`run` restricted to the files' scenarios, in this process, without reports by default."""
    for path in args.files:
        if not Path(path).is_file():
            raise UsageError(f"replay {path}: no such file")
    args.scenario_files = list(args.files)
    args.workers = "1"
    args.no_provider_coverage = args.report_dir is None
    for name, default in (
        ("scenario", []),
        ("entry_points", []),
        ("baseline", None),
        ("shard", None),
        ("progress", "off"),
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
