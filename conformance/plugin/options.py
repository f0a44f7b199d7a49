# Whole on purpose (over 400 lines): the table is the point; its rows read best together.
"""The one table of the run's options, read by the pytest plugin, the CLI and the reports.

Every option used to be spelled three or four times (pytest's `addoption`, the CLI's argparse,
the CLI's forwarding to pytest, the reproduce line in reports) and the copies drifted: help text
on one side only, a default here and none there. Each row here says once what the option is,
where it appears, how `provider-conformance run` passes it on to pytest and whether a failure's
reproduce command repeats it. `declare_pytest_options`, `add_cli_options`, `pytest_arguments` and
`reproduce_arguments` are all built from `OPTIONS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from conformance.checks.runner import DEFAULT_CHECK_TIMEOUT, DEFAULT_PROVIDER_TIMEOUT
from conformance.isolation.workers import DEFAULT_RUN_TIMEOUT
from conformance.plugin.option_checks import argument_type, positive_seconds, worker_count
from conformance.plugin.progress import MODES
from conformance.properties.settings import DEFAULT_PROFILE, PROFILES

Action = Literal["store", "append", "store_true", "count"]
#: The CLI commands that run the suite; a row's `commands` names those that offer it.
CHECKS = ("run", "replay")
RUN = ("run",)


def _seconds(value: Any) -> str:
    return f"{float(value):g}"


@dataclass(frozen=True)
class Option:
    """One option of a run.

    `flags` are the CLI's spelling and, unless `plugin_flags` differs, the plugin's; `dest` is
    the attribute on both namespaces. `plugin=False` rows are pytest's own options (or
    pytest-xdist's) that the CLI offers and passes on as `forward`.
    """

    flags: tuple[str, ...]
    dest: str
    help: str
    action: Action = "store"
    metavar: str | None = None
    #: The plugin's default, and the CLI's unless `cli_defaults` names the command.
    default: Any = None
    cli_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: What the plugin's argparse converts the text with (the plugin checks values at configure).
    type: Callable[[str], Any] | None = None
    #: The CLI's strict reading, `check(flag, text)`, whose one-line error reaches the user.
    check: Callable[[str, str], Any] | None = None
    choices: Sequence[str] | None = None
    plugin: bool = True
    plugin_flags: tuple[str, ...] = ()
    #: The flag the CLI passes the value on as; default: the plugin's first flag.
    forward: str | None = None
    #: Values the CLI does not pass on (besides None, False, "" and []).
    unset: tuple[Any, ...] = ()
    #: The CLI commands offering it; () for an option of the plugin alone.
    commands: tuple[str, ...] = CHECKS
    #: A failure's reproduce command repeats it (when not the default): it shapes what a check
    #: does, not which checks run or where reports go.
    reproduce: bool = False
    #: Its values may be credentials: commands written to reports show them redacted.
    secret: bool = False
    text: Callable[[Any], str] = str

    @property
    def pytest_flags(self) -> tuple[str, ...]:
        return self.plugin_flags or self.flags

    @property
    def passed_as(self) -> str:
        return self.forward or self.pytest_flags[0]

    def arguments(self, value: Any) -> list[str]:
        """The value as command-line arguments after `passed_as`; none when it is unset."""
        if value is None or value is False or value == "" or value == []:
            return []
        if any(value == u for u in self.unset):
            return []
        if self.action == "store_true":
            return [self.passed_as]
        if self.action == "count":
            return [self.passed_as] * int(value)
        values = value if self.action == "append" else [value]
        return [text for v in values for text in (self.passed_as, self.text(v))]


OPTIONS: tuple[Option, ...] = (
    Option(
        ("--provider",),
        "provider",
        "the provider class (or a factory function) to judge; repeatable. It must be "
        "importable: install it, or run with PYTHONPATH=<its folder>",
        action="append",
        metavar="MODULE:CLASS",
        default=[],
    ),
    Option(
        ("--providers-file",),
        "providers_file",
        "a YAML file listing providers, each with target (or factory), dialect, profile, id and "
        "options (schemas/providers.schema.json)",
        metavar="FILE",
    ),
    Option(
        ("--dialect",),
        "dialect",
        "the API the provider speaks, served by the fake server (default: openai-chat; "
        "'provider-conformance list dialects'), or module:Class of your own",
        metavar="NAME",
        default="openai-chat",
    ),
    Option(
        ("--profile",),
        "profile",
        "the interface the provider offers (default: native; 'provider-conformance list "
        "profiles', docs/profiles.md), or module:Class of your own",
        metavar="NAME",
        default="native",
    ),
    Option(
        ("--profile-option",),
        "profile_option",
        "an option of the profile (types_module=...), or an extra constructor argument of the "
        "provider; VALUE env:NAME reads a secret from the environment; repeatable",
        action="append",
        metavar="KEY=VALUE",
        default=[],
        secret=True,
    ),
    Option(
        ("--capabilities",),
        "capabilities",
        "take the declared capabilities from this model_capabilities.yaml-form file and judge "
        "CF-2 (docs/capabilities.md)",
        metavar="FILE",
        reproduce=True,
    ),
    Option(
        ("--model",),
        "capabilities_model",
        "run the scenarios as model NAME (the requests' model and the capability file's "
        "lookup); default: each scenario's own",
        metavar="NAME",
        reproduce=True,
    ),
    Option(
        ("--registry",),
        "registry",
        "check CF-1 against this provider registry, or entry-points:GROUP; repeatable",
        action="append",
        metavar="MODULE:OBJECT",
        default=[],
        reproduce=True,
    ),
    Option(
        ("--scenarios-dir",),
        "scenarios_dir",
        "also load the scenario files (*.yaml) of DIR; repeatable",
        action="append",
        metavar="DIR",
        default=[],
        # A folder's scenario replaces the bundled one of the same name: without it, another check.
        reproduce=True,
    ),
    Option(
        ("--wire-corpus",),
        "wire_corpus",
        "also replay each dialect's recorded streams found under DIR",
        metavar="DIR",
        reproduce=True,
    ),
    Option(
        ("--check-timeout",),
        "check_timeout",
        f"stop a check after S seconds (default {DEFAULT_CHECK_TIMEOUT:g})",
        metavar="S",
        default=DEFAULT_CHECK_TIMEOUT,
        type=float,
        check=positive_seconds,
        reproduce=True,
        text=_seconds,
    ),
    Option(
        ("--provider-timeout",),
        "provider_timeout",
        f"the timeout the provider is built with (default {DEFAULT_PROVIDER_TIMEOUT:g}); stall "
        "scenarios set their own",
        metavar="S",
        default=DEFAULT_PROVIDER_TIMEOUT,
        type=float,
        check=positive_seconds,
        reproduce=True,
        text=_seconds,
    ),
    Option(
        ("-v", "--verbose"),
        "verbose",
        "one line per check; -vv also prints failures' wire transcripts whole",
        action="count",
        default=0,
        plugin=False,
        forward="-v",
    ),
    Option(
        ("--scenario",),
        "scenario",
        "run only this scenario (or property-*, resilience check); repeatable",
        action="append",
        metavar="NAME",
        default=[],
        commands=RUN,
    ),
    Option(
        ("--scenario-file",),
        "scenario_file",
        "run only the scenarios of this file (a saved regression, say); repeatable",
        action="append",
        metavar="FILE",
        default=[],
        commands=(),
    ),
    Option(
        ("-k",),
        "keyword",
        "run only the checks whose id matches EXPR, as pytest -k: a clause (ST-3), a scenario "
        "(text_plain), a provider, a mode (stream), with and/or/not",
        metavar="EXPR",
        plugin=False,
        commands=RUN,
    ),
    Option(
        ("-m",),
        "markexpr",
        "run only the checks marked EXPR: one marker per clause, ST_3 for ST-3",
        metavar="EXPR",
        plugin=False,
        commands=RUN,
    ),
    Option(
        ("--log-level",),
        "log_level",
        "capture log records from LEVEL up with each failure, every library's (default: the "
        "provider's own at any level, httpx, openai and other libraries' from WARNING)",
        metavar="LEVEL",
        plugin=False,
        commands=RUN,
    ),
    Option(
        ("--lf", "--last-failed"),
        "last_failed",
        "rerun only the checks that failed in the last run with the same --report-dir (the "
        "record is kept under DIR/.pytest-cache, not the working directory)",
        action="store_true",
        plugin=False,
        forward="--lf",
        commands=RUN,
    ),
    Option(
        ("--report-dir",),
        "report_dir",
        "where the compatibility report, junit.xml and provider coverage go (run's default: "
        "./reports; replay and pytest write none unless given)",
        metavar="DIR",
        cli_defaults={"run": "reports"},
    ),
    Option(
        ("--no-provider-coverage",),
        "no_provider_coverage",
        "do not measure which lines of the provider's own code the checks ran",
        action="store_true",
        commands=RUN,
    ),
    Option(
        ("-n", "--workers"),
        "workers",
        "run checks in N worker processes (pytest-xdist), where a provider's crash, exit or "
        "hang costs only its check; default: one per CPU, at most 4 (for every bundled provider: "
        "one more, at most 5); 0 runs them in this process, unprotected (for debugging)",
        metavar="N",
        check=worker_count,
        plugin=False,
        forward="-n",
        unset=("0",),
        commands=RUN,
    ),
    Option(
        ("--run-timeout",),
        "run_timeout",
        "end the whole run after S seconds with a report; checks that did not finish are "
        f"listed as 'deadline' and the exit status is 3 (default {DEFAULT_RUN_TIMEOUT:g} when "
        "providers are given on the command line, none for a suite in your own tests)",
        metavar="S",
        type=float,
        commands=RUN,
    ),
    Option(
        ("--memory-limit",),
        "memory_limit",
        "limit each worker process's address space to MB megabytes (RLIMIT_AS), so a provider "
        "hogging memory costs only its check (not with -n 0)",
        metavar="MB",
        type=int,
        commands=RUN,
    ),
    Option(
        ("--entry-points",),
        "entry_points",
        "also judge every provider published under this entry-point group; repeatable",
        action="append",
        metavar="GROUP",
        default=[],
        commands=RUN,
    ),
    Option(
        ("--baseline",),
        "baseline",
        "fail only on regressions against FILE (a previous compatibility.json or a "
        "known-failures file, docs/ci.md)",
        metavar="FILE",
        commands=RUN,
    ),
    Option(
        ("--shard",),
        "shard",
        "run only part INDEX of COUNT of the checks (a deterministic split, for a CI matrix)",
        metavar="INDEX/COUNT",
        commands=RUN,
    ),
    Option(
        ("--progress",),
        "conformance_progress",
        "progress per provider (default auto: a live line on a terminal, lines in CI)",
        default="auto",
        choices=MODES,
        plugin_flags=("--conformance-progress",),
        commands=RUN,
    ),
    Option(
        ("--property-profile",),
        "property_profile",
        "how hard the properties search: dev (quick), ci (default: a fixed seed, "
        "reproducible), thorough (long)",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        commands=RUN,
    ),
    Option(
        ("--property-seed",),
        "property_seed",
        "draw the properties' examples from seed N (shown with every property failure)",
        metavar="N",
        type=int,
        commands=RUN,
    ),
    Option(
        ("--no-properties",),
        "no_properties",
        "run the example scenarios only",
        action="store_true",
        commands=RUN,
    ),
)

#: Flags whose values may be credentials (redaction of the command a report shows).
SECRET_FLAGS: tuple[str, ...] = tuple(f for o in OPTIONS if o.secret for f in o.flags)


def _settings(option: Option, default: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {"action": option.action, "dest": option.dest, "help": option.help}
    if option.action == "count":
        settings["default"] = default
    elif option.action != "store_true":
        settings["metavar"] = option.metavar
        settings["default"] = default
        if option.choices is not None:
            settings["choices"] = list(option.choices)
    return settings


def declare_pytest_options(group: pytest.OptionGroup) -> None:
    """The plugin's options (`pytest_addoption`)."""
    for option in OPTIONS:
        if not option.plugin:
            continue
        settings = _settings(option, option.default)
        if option.type is not None:
            settings["type"] = option.type
        group.addoption(*option.pytest_flags, **settings)


def add_cli_options(command: argparse.ArgumentParser, name: str, **defaults: Any) -> None:
    """The options of CLI command `name` (`run`, `replay`); `defaults` are the CLI's own."""
    for option in OPTIONS:
        if name not in option.commands:
            continue
        default = defaults.get(option.dest, option.cli_defaults.get(name, option.default))
        settings = _settings(option, default)
        if option.check is not None:
            settings["type"] = argument_type(option.flags[0], option.check)
        elif option.type is not None:
            settings["type"] = option.type
        command.add_argument(*option.flags, **settings)


def pytest_arguments(namespace: argparse.Namespace) -> list[str]:
    """The CLI's parsed options as the pytest arguments that carry them on (those given)."""
    arguments: list[str] = []
    for option in OPTIONS:
        arguments += option.arguments(getattr(namespace, option.dest, None))
    return arguments


def _reproducing(option: Any) -> Iterator[list[str]]:
    for row in OPTIONS:
        if not row.reproduce:
            continue
        value = getattr(option, row.dest, None)
        if value is not None and value != row.default:
            yield row.arguments(value)


def reproduce_arguments(option: Any) -> list[str]:
    """The run's options that decide what a check does, as a reproducing command repeats them.

    Not the ones that only choose which checks run or where reports go (`--scenario`, `--shard`,
    `--report-dir`, `--baseline`): the reproducing command names its one scenario itself.
    """
    return [argument for arguments in _reproducing(option) for argument in arguments]


__all__ = [
    "OPTIONS",
    "SECRET_FLAGS",
    "Option",
    "add_cli_options",
    "declare_pytest_options",
    "pytest_arguments",
    "reproduce_arguments",
]
