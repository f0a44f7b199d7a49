"""Where a run's providers come from: providers files with factories, and entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conformance.plugin.provider_files import load_entry_point_providers, load_providers_file
from conformance.vocabulary.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"

FACTORY_MODULE = '''
from reference_providers.openai_compatible import OpenAICompatibleProvider


def build(*, api_key, base_url, timeout, model_prefix, max_retries=0):
    """A constructor the native profile could not call itself: it needs model_prefix."""
    assert model_prefix == "acme-"
    return OpenAICompatibleProvider(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
    )


class Declared(OpenAICompatibleProvider):
    conformance_dialect = "openai-chat"
    conformance_profile = "native"
    conformance_options = {"organization": "acme"}

    def __init__(self, *, organization, **kwargs):
        assert organization == "acme"
        super().__init__(**kwargs)
'''


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module and an installed distribution that publishes it under an entry-point group."""
    (tmp_path / "acme_llm.py").write_text(FACTORY_MODULE, encoding="utf-8")
    dist = tmp_path / "acme_llm-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-llm\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[acme.llm_providers]\n"
        f"reference@openai-chat/native = {REFERENCE}\n"
        "declared = acme_llm:Declared\n"
        "[acme.broken]\n"
        "missing = acme_llm_missing:Provider\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("acme_llm", None)


def test_entry_points_give_id_dialect_and_profile_by_name_or_by_class(published: Path) -> None:
    specs = load_entry_point_providers("acme.llm_providers", dialect="gemini")
    assert [(s.id, s.target, s.dialect, s.profile) for s in specs] == [
        ("declared", "acme_llm:Declared", "openai-chat", "native"),
        ("reference", REFERENCE, "openai-chat", "native"),
    ]
    assert dict(specs[0].options) == {"organization": "acme"}
    assert specs[1].module_name == "reference_providers.openai_compatible"


def test_entry_points_that_do_not_load_or_do_not_exist_are_one_line(published: Path) -> None:
    with pytest.raises(UsageError, match=r"missing = acme_llm_missing:Provider \(from acme-llm\)"):
        load_entry_point_providers("acme.broken")
    with pytest.raises(UsageError, match="no entry points in this group"):
        load_entry_point_providers("acme.nothing_here")


def _write(path: Path, providers: list[dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"providers": providers}), encoding="utf-8")
    return path


def test_a_providers_file_entry_may_name_a_factory_with_options(published: Path) -> None:
    path = _write(
        published / "providers.yaml",
        [
            {
                "id": "acme",
                "factory": "acme_llm:build",
                "dialect": "openai-chat",
                "options": {"model_prefix": "acme-"},
            }
        ],
    )
    (spec,) = load_providers_file(path)
    assert spec.target == "acme_llm:build" and spec.factory is not None
    assert spec.factory.__name__ == "build"
    assert dict(spec.options) == {"model_prefix": "acme-"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"target": REFERENCE, "factory": "acme_llm:build"}, "invalid at /providers/0"),
        ({}, "invalid at /providers/0"),
        ({"factory": "acme_nope:build"}, "factory acme_nope:build: module 'acme_nope' does not"),
        ({"factory": "acme_llm:nope"}, "has no attribute 'nope'"),
    ],
)
def test_bad_factories_are_one_line(published: Path, entry: dict[str, str], message: str) -> None:
    path = _write(published / "providers.yaml", [{"dialect": "openai-chat", **entry}])
    with pytest.raises(UsageError, match=message):
        load_providers_file(path)


def test_a_run_over_a_file_and_entry_points_writes_one_matrix(published: Path) -> None:
    providers = _write(
        published / "providers.yaml",
        [
            {
                "id": "acme",
                "factory": "acme_llm:build",
                "dialect": "openai-chat",
                "options": {"model_prefix": "acme-"},
            }
        ],
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(published), str(REPO)]))
    args = ["run", "--providers-file", str(providers), "--entry-points", "acme.llm_providers"]
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args, "--scenario", "text_plain",
         "--report-dir", "out"],
        cwd=published, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((published / "out" / "compatibility.json").read_text(encoding="utf-8"))
    assert [(p["id"], p["target"], p["conforms"]) for p in report["providers"]] == [
        ("acme", "acme_llm:build", True),
        ("declared", "acme_llm:Declared", True),
        ("reference", REFERENCE, True),
    ]
    coverage = (published / "out" / "coverage" / "coverage.xml").read_text(encoding="utf-8")
    assert "acme_llm.py" in coverage and "openai_compatible.py" in coverage

    same_id = _write(
        published / "same.yaml",
        [{"id": "reference", "target": REFERENCE, "dialect": "openai-chat"}],
    )
    clash = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--providers-file", str(same_id),
         "--entry-points", "acme.llm_providers"],
        cwd=published, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert clash.returncode == 2, clash.stdout + clash.stderr
    assert "provider ids ['reference'] are not unique" in clash.stdout + clash.stderr
    assert "Traceback" not in clash.stdout + clash.stderr
