"""What every run pays before its first check: the imports and the plugins of each process.

Start-up is paid by the controller and again by every pytest-xdist worker, so a heavy module on the
import path of the plugin, or a plugin the suite never calls, costs on every run (issue 14). These
tests hold the line without timing anything: they check what gets imported and loaded.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


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
