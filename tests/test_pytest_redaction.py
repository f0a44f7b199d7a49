"""What pytest prints and stores (captured output, logs, failures, warnings, JUnit) has no key.

A pytest session in a subprocess runs tests that spill a harness-shaped key and a registered
secret every way pytest can keep them; the plugin is active as in any session where
provider-conformance is installed.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

KEY = "sk-conformance-fake-a1b2c3d4e5f60718293a4b5c"
SECRET = "hunter2-registered-secret-9f8e7d"

SPILLING_TESTS = f"""
import base64
import logging
import sys
import warnings

import pytest

from conformance.vocabulary.redaction import register_secret

KEY = {KEY!r}
SECRET = register_secret({SECRET!r})
quiet = logging.getLogger("spill.private")
quiet.propagate = False
quiet.addHandler(logging.StreamHandler(sys.stderr))


def spill(where):
    for secret in (KEY, SECRET):
        print(where, "out", secret, secret.upper())
        print(where, "err", base64.b64encode(secret.encode()).decode(), file=sys.stderr)
        quiet.error("%s private %s", where, secret)
        logging.getLogger("spill.public").error("%s public %s", where, secret)
        warnings.warn(f"{{where}} warning {{secret}}")


@pytest.fixture
def spilling():
    spill("setup")
    yield
    spill("teardown")


def test_fails(spilling):
    api_key = KEY  # shown with --showlocals
    spill("call")
    assert api_key == "", f"got {{SECRET}}"


def test_skips():
    pytest.skip(f"skipped with {{KEY}}")


def test_errors_in_setup(broken):
    pass


@pytest.fixture
def broken():
    raise RuntimeError(f"setup broke with {{KEY}} and {{SECRET}}")
"""


def _run_spilling_tests(folder: Path, *options: str) -> str:
    """stdout and stderr of a pytest session over SPILLING_TESTS, the plugin loaded as usual."""
    (folder / "test_spill.py").write_text(SPILLING_TESTS, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "test_spill.py",
            "-c",
            os.devnull,
            "--rootdir",
            str(folder),
            "-p",
            "no:cacheprovider",
            *options,
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        secret.upper(),
        base64.b64encode(raw).decode().rstrip("="),
        quote(secret, safe=""),
    ]


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["in-process", "xdist-worker"])
def test_captured_sections_failures_warnings_and_junit_are_redacted(
    tmp_path: Path, workers: list[str]
) -> None:
    """With a pytest-xdist worker the reports travel to the controller: redacted before."""
    junit = tmp_path / "junit.xml"
    output = _run_spilling_tests(
        tmp_path, "-rA", "--showlocals", "-o", "junit_logging=all", f"--junitxml={junit}", *workers
    )
    assert "1 failed" in output and "1 skipped" in output and "1 error" in output, output
    for section in ("Captured stdout setup", "Captured stderr call", "Captured log teardown"):
        assert section in output, section
    assert "warnings summary" in output
    assert "<redacted-api-key>" in output and "<redacted>" in output
    documents = {"output": output, "junit": junit.read_text(encoding="utf-8")}
    for where, text in documents.items():
        for secret in (KEY, SECRET):
            for form in _forms(secret):
                assert form not in text, (where, form)


def test_with_capture_off_what_the_provider_prints_is_redacted(tmp_path: Path) -> None:
    """`pytest -s` captures nothing: stdout and stderr themselves write redacted text."""
    output = _run_spilling_tests(tmp_path, "-s")
    assert "call out <redacted-api-key> <redacted-api-key>" in output, output
    assert "1 failed" in output
    for secret in (KEY, SECRET):
        for form in _forms(secret):
            assert form not in output, form
