"""The one option table (conformance/plugin/options.py) is what the CLI, the plugin, the CLI's
forwarding to pytest and the reproduce line are built from: they cannot drift apart."""

from __future__ import annotations

from types import SimpleNamespace

from _pytest.config.argparsing import Parser

from conformance.cli import _parser
from conformance.plugin import hooks
from conformance.plugin.options import OPTIONS, pytest_arguments, reproduce_arguments
from conformance.secrets.options import redact_arguments


def _command(name: str) -> object:
    commands = next(a for a in _parser()._actions if a.dest == "command")
    return commands.choices[name]  # type: ignore[index]


def test_every_run_option_given_reaches_the_plugin_with_its_value() -> None:
    argv = [
        "run",
        *("--provider", "acme:Acme", "--providers-file", "p.yaml"),
        *("--dialect", "gemini", "--profile", "victor", "--profile-option", "a=1"),
        *("--capabilities", "c.yaml", "--model", "m1", "--registry", "r:R"),
        *("--scenarios-dir", "d", "--wire-corpus", "w", "--check-timeout", "2.5"),
        *("--provider-timeout", "3", "--scenario", "text_plain", "--report-dir", "out"),
        *("--no-provider-coverage", "--run-timeout", "9", "--memory-limit", "512"),
        *("--entry-points", "g", "--baseline", "b.json", "--shard", "1/2"),
        *("--progress", "lines", "--property-profile", "dev", "--property-seed", "0"),
        "--no-properties",
    ]
    args, extra = _parser().parse_known_args(argv)
    assert extra == []
    forwarded = [a for a in pytest_arguments(args) if a not in ("-n",) and a != args.workers]
    parser = Parser(_ispytest=True)
    hooks.pytest_addoption(parser)
    option = parser.parse(forwarded)
    for row in OPTIONS:
        if row.plugin and row.dest != "scenario_file":
            assert getattr(option, row.dest) == getattr(args, row.dest), row.flags
    assert option.property_seed == 0  # a seed of 0 is given, not unset


def test_cli_only_options_are_passed_on_as_pytest_spells_them() -> None:
    args, _ = _parser().parse_known_args(
        ["run", "-k", "ST-3", "-m", "ST_3", "--log-level", "INFO", "--last-failed", "-v", "-n", "2"]
    )
    forwarded = pytest_arguments(args)
    for pair in (["-k", "ST-3"], ["-m", "ST_3"], ["--log-level", "INFO"], ["-n", "2"]):
        index = forwarded.index(pair[0])
        assert forwarded[index : index + 2] == pair
    assert "--lf" in forwarded and "-v" in forwarded
    args, _ = _parser().parse_known_args(["run", "-n", "0"])
    assert "-n" not in pytest_arguments(args)  # 0: in this process, no xdist


def test_replay_offers_the_check_options_and_documents_them() -> None:
    replay = _command("replay")
    flags = {f for a in replay._actions for f in a.option_strings}  # type: ignore[attr-defined]
    for row in OPTIONS:
        assert ("replay" in row.commands) == (row.flags[0] in flags), row.flags
    assert all(a.help for a in replay._actions)  # type: ignore[attr-defined]
    args, _ = _parser().parse_known_args(["replay", "f.yaml"])
    assert args.report_dir is None  # run's default (./reports) is run's alone
    args, _ = _parser().parse_known_args(["run"])
    assert args.report_dir == "reports"


def test_reproduce_line_repeats_only_rows_marked_so() -> None:
    option = SimpleNamespace(
        **{row.dest: row.default for row in OPTIONS},
    )
    assert reproduce_arguments(option) == []
    option.shard = "1/2"
    option.baseline = "b.json"
    option.wire_corpus = "corpus"
    option.check_timeout = 4.0
    assert reproduce_arguments(option) == ["--wire-corpus", "corpus", "--check-timeout", "4"]


def test_secret_rows_are_the_ones_redacted() -> None:
    shown = redact_arguments(["--profile-option", "api_key=typed-0042", "--model", "m"])
    assert shown == ["--profile-option", "api_key=<redacted>", "--model", "m"]
    shown = redact_arguments(["--header", "token=typed-0042"], secret_flags=("--header",))
    assert shown == ["--header", "token=<redacted>"]
