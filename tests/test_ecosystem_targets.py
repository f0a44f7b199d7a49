"""The ecosystem matrix's target list (ecosystem/targets.yaml) and its runner (ecosystem/run.py):
every target names a known profile and dialect, becomes a valid providers-file entry, and the
published Markdown carries the versions, the date and the clause matrix (docs/ecosystem/)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from conformance.dialects import available_dialects
from conformance.profiles import available_profiles

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ecosystem_run", ROOT / "ecosystem" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_every_target_is_a_valid_provider_of_a_known_profile_and_dialect(
    runner: ModuleType,
) -> None:
    targets = runner.load_targets()
    ids = [t["id"] for t in targets]
    assert len(ids) == len(set(ids)), "target ids must be unique: they are the report's rows"
    schema = json.loads((ROOT / "schemas" / "providers.schema.json").read_text(encoding="utf-8"))
    entries = [runner.provider_entry(t) for t in targets]
    jsonschema.validate({"providers": entries}, schema)
    for target in targets:
        assert target["profile"] in available_profiles(), target
        assert target["dialect"] in available_dialects(), target


def test_targets_needing_another_model_run_apart(runner: ModuleType) -> None:
    groups = runner.groups([{"id": "a"}, {"id": "b", "model": "gemini-2.5-flash"}, {"id": "c"}])
    assert [[t["id"] for t in members] for members in groups.values()] == [["a", "c"], ["b"]]


def test_a_target_without_its_fields_is_refused(runner: ModuleType, tmp_path: Path) -> None:
    broken = tmp_path / "targets.yaml"
    broken.write_text("targets:\n  - {id: x, profile: litellm}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="lacks dialect, package, provider"):
        runner.load_targets(broken)


def test_the_markdown_names_versions_date_and_keeps_only_the_matrix(
    runner: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "compatibility.md").write_text(
        "# Provider compatibility report\n\n2 provider(s)\n\n## Clauses\n\n| a |\n\n"
        "## `litellm-openai`\n\nlong failure details\n",
        encoding="utf-8",
    )
    text = runner.matrix_markdown(
        tmp_path, {"litellm": "1.110.2"}, ["x (langchain-openai)"], "python ecosystem/run.py"
    )
    assert "| litellm | 1.110.2 |" in text
    assert "Not installed, not judged: x (langchain-openai)." in text
    assert "## Clauses" in text and "long failure details" not in text
    assert text.startswith("# Ecosystem matrix")
    assert "| litellm | 1.110.2 |\n\n" in text, "a table needs a blank line after it"
