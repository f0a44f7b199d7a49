"""What every run pays before its first check: the imports and the plugins of each process.

Start-up is paid by the controller and again by every pytest-xdist worker, so a heavy module on the
import path of the plugin, or a plugin the suite never calls, costs on every run (issue 14). These
tests hold the line without timing anything: they check what gets imported and loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import yaml

from conformance.plugin.inprocess import long_checks_first
from conformance.scenarios import loader
from conformance.vocabulary.data_files import regressions_dir, scenarios_dir

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"

#: A conftest in the run's folder (its rootdir): writes down the plugins of each process.
PLUGIN_LIST = """
import os


def pytest_configure(config):
    names = sorted(name for name, _ in config.pluginmanager.list_name_plugin() if name)
    who = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    with open(f"plugins-{who}.txt", "w", encoding="utf-8") as out:
        out.write("\\n".join(names))


def pytest_collection_finish(session):
    with open("items.txt", "w", encoding="utf-8") as out:
        out.write("\\n".join(item.name for item in session.items))
"""


@pytest.mark.parametrize("module", ["conformance.plugin.hooks", "conformance.cli"])
def test_importing_the_plugin_does_not_import_hypothesis(module: str) -> None:
    """Hypothesis takes a quarter of a second to import: only a process that runs a property
    (conformance/properties/run.py) imports it, not every controller and worker at start-up."""
    code = f"import sys, {module}; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", f"importing {module} imported hypothesis"


def _run_cli(
    tmp_path: Path, *args: str, scenario: str = "text_plain", conftest: str = PLUGIN_LIST
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    # Nothing of an outer pytest run (PYTEST_ADDOPTS, PYTEST_XDIST_WORKER under `-n 2`...) may
    # reach the run under test: it would take the controller for a worker.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    command = [
        "run",
        "--provider",
        REFERENCE,
        *(["--scenario", scenario] if scenario else []),
        *args,
    ]
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _plugins(tmp_path: Path, who: str) -> set[str]:
    return set((tmp_path / f"plugins-{who}.txt").read_text(encoding="utf-8").split())


@pytest.mark.skipif(pytest.version_tuple < (8, 4), reason="pytest 8.4 loads -p by entry point")
def test_a_cli_run_loads_only_the_plugins_the_suite_needs(tmp_path: Path) -> None:
    """respx and anyio are installed here (dev extras) and autoload under plain pytest; the CLI's
    run neither imports them in the controller nor in its worker."""
    pytest.importorskip("respx")
    result = _run_cli(tmp_path, "-n", "1", "--no-provider-coverage")
    assert result.returncode == 0, result.stdout + result.stderr
    for who in ("controller", "gw0"):
        plugins = _plugins(tmp_path, who)
        assert "xdist" in plugins and "conformance.plugin.hooks" in plugins, (who, plugins)
        assert not plugins & {"respx", "anyio", "hypothesispytest"}, (who, plugins)


@pytest.mark.skipif(pytest.version_tuple < (8, 4), reason="pytest 8.4 loads -p by entry point")
def test_a_plugin_the_user_names_with_p_is_loaded(tmp_path: Path) -> None:
    pytest.importorskip("anyio")
    result = _run_cli(tmp_path, "-n", "0", "--no-provider-coverage", "-p", "anyio")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "anyio" in _plugins(tmp_path, "controller")


def _item(name: str, fixture: str | None) -> Any:
    params = {fixture: object()} if fixture else {}
    return SimpleNamespace(name=name, callspec=SimpleNamespace(params=params))


def test_long_checks_are_dealt_out_first_the_rest_keep_their_order() -> None:
    """pytest-xdist hands checks out in collection order: properties collected last used to sit
    queued behind each other on one worker while the other had finished."""
    items = [
        _item("identity", "conformance_spec"),
        _item("a", "conformance_check"),
        _item("p1", "conformance_property"),
        _item("b", "conformance_check"),
        _item("plain", None),
        _item("p2", "conformance_property"),
        SimpleNamespace(name="no-callspec"),
    ]
    ordered = long_checks_first(cast(Any, items))
    assert [i.name for i in ordered] == ["p1", "p2", "identity", "a", "b", "plain", "no-callspec"]


def test_a_cli_run_collects_the_properties_first(tmp_path: Path) -> None:
    """What the workers collect is the order pytest-xdist deals the checks out in."""
    _run_cli(tmp_path, "-n", "0", "--no-provider-coverage", "--collect-only", scenario="")
    names = (tmp_path / "items.txt").read_text(encoding="utf-8").split()
    properties = [i for i, name in enumerate(names) if name.startswith("test_property[")]
    assert len(properties) == 4 and len(names) > 4, names
    assert properties == [0, 1, 2, 3], names


@pytest.mark.skipif(not getattr(yaml, "__with_libyaml__", False), reason="PyYAML without libyaml")
def test_scenarios_are_parsed_with_libyaml_to_the_same_documents() -> None:
    """Every process parses the scenario files on start-up: libyaml's parser takes an eighth of
    the pure-Python one's time, and the constructor (safe) is the same, so are the documents."""
    assert loader._SAFE_LOADER is yaml.CSafeLoader
    files = sorted(scenarios_dir().glob("*.y*ml")) + sorted(regressions_dir().glob("*.y*ml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=loader._SAFE_LOADER) == yaml.safe_load(text), path


#: Written by the controller when pytest-xdist is about to start its workers.
AT_SPAWN = """
import sys


def pytest_xdist_setupnodes(config, specs):
    built = "reference_providers.openai_compatible" in sys.modules
    with open("built-before-workers.txt", "w", encoding="utf-8") as out:
        out.write(str(built))
"""


def test_the_controller_starts_the_workers_before_it_builds_the_providers(
    tmp_path: Path,
) -> None:
    """Each worker imports and builds the providers itself: the controller doing it first held
    back every worker's start. It builds them once the workers are starting (exit 2 if it
    cannot: tests/test_report_building.py)."""
    result = _run_cli(tmp_path, "-n", "1", "--no-provider-coverage", conftest=AT_SPAWN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "built-before-workers.txt").read_text(encoding="utf-8") == "False"
