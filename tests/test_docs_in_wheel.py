"""The guides and examples the docs tell users to copy are installed with the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.vocabulary.data_files import docs_dir

ROOT = Path(__file__).resolve().parents[1]


def test_docs_lists_the_guides_and_prints_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs"]) == 0
    listing = capsys.readouterr().out
    assert f"installed in {docs_dir()}" in listing
    assert "guide-native" in listing and "examples/native_minimal.py" in listing
    assert main(["docs", "docs/guide-native.md#fix-st-3"]) == 0  # as a failure line links it
    assert capsys.readouterr().out.startswith("# Write your provider: the `native` profile")
    assert main(["docs", "examples/native_minimal.py", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(docs_dir() / "examples" / "native_minimal.py")


def test_an_unknown_doc_names_the_ones_there_are(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "guide-nope"]) == 2
    error = capsys.readouterr().err
    assert "docs: no file 'guide-nope'" in error and "guide-native" in error
    assert main(["docs", "../pyproject.toml"]) == 2  # only the docs folder


def test_the_wheel_carries_the_docs_and_the_command_finds_them(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(tmp_path), "--no-deps", "-q"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("provider_conformance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for doc in ("guide-native.md", "contract.md", "profiles.md", "examples/native_minimal.py"):
        assert f"conformance/_data/docs/{doc}" in names, doc
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ, PYTHONPATH=str(installed))
    shown = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "docs", "examples/native_minimal.py", "--path"],
        cwd=empty, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert (
        Path(shown.stdout.strip())
        == installed / "conformance/_data/docs/examples/native_minimal.py"
    )
