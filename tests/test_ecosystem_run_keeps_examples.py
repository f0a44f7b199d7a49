"""ecosystem/run.py keeps what a reader of the matrix needs to rerun a failure: each run's own
report folder, with the failed properties' minimal examples (regressions/*.yaml) that the merged
report's replay commands name, and says where they are. It used to run in a temporary folder and
delete it, so every replay command in the published report named a file that no longer existed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Stands for `python -m conformance.cli`: `run` writes a report and one regression file into its
#: --report-dir, `merge` writes the merged report, as the real commands do (no suite is run).
FAKE_CLI = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    args = sys.argv[1:]
    out = Path(args[args.index("--report-dir") + 1])
    out.mkdir(parents=True, exist_ok=True)
    report = {"providers": [{"id": "langchain-openai-chat"}]}
    (out / "compatibility.json").write_text(json.dumps(report))
    if args[0] == "run":
        (out / "regressions").mkdir(exist_ok=True)
        (out / "regressions" / "x-regression-answers-stream-0.yaml").write_text("name: x\\n")
    else:
        (out / "compatibility.md").write_text("# Report\\n\\n## Clauses\\n\\n| a |\\n")
    sys.exit(1)
    """
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ecosystem_run_keeps", ROOT / "ecosystem" / "run.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fake = tmp_path / "fake_cli.py"
    fake.write_text(FAKE_CLI, encoding="utf-8")
    monkeypatch.setattr(module, "CLI", [sys.executable, str(fake)])
    monkeypatch.setattr(module, "installed", lambda package: "1.0")
    return module


def test_the_runs_and_their_minimal_examples_are_kept_and_named(
    runner: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    stale = report / "runs" / "part-7" / "regressions" / "old.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("name: old\n", encoding="utf-8")

    status = runner.main(
        [
            "--package",
            "langchain-openai",
            "--report-dir",
            str(report),
            "--markdown",
            str(tmp_path / "m.md"),
        ]
    )

    assert status == 1
    kept = report / "runs" / "part-0" / "regressions" / "x-regression-answers-stream-0.yaml"
    assert kept.exists(), "the run's minimal example was deleted with its folder"
    assert not stale.exists(), "an earlier run's example must not pass for this run's"
    out = capsys.readouterr().out
    assert str(kept) in out, out


def test_the_note_says_when_no_property_failed(runner: ModuleType, tmp_path: Path) -> None:
    runs = runner.runs_dir(tmp_path)
    assert "no property failed" in runner.kept_examples_note(runs)


#: Draws the examples a property of the matrix's run judges (ecosystem/run.py's seed and profile)
#: and prints them as their scenario files state them.
DRAW = textwrap.dedent(
    """
    import json, sys
    from hypothesis import given, seed
    from conformance.properties.catalogue import PROPERTIES
    from conformance.properties.settings import property_profile

    declared = frozenset({"tools", "parallel_tool_calls", "streaming", "streaming_tool_calls"})
    for prop in PROPERTIES:
        for mode in prop.modes:
            drawn = []

            @seed(int(sys.argv[1]))
            @property_profile(sys.argv[2]).settings()
            @given(prop.strategy(mode, declared))
            def draw(scenario):
                drawn.append(scenario.as_json())

            draw()
            print(prop.id, mode, json.dumps(drawn, sort_keys=True, default=str))
    """
)


def test_the_matrix_draws_the_same_examples_in_every_process(runner: ModuleType) -> None:
    """The published cells of the properties are reproducible only if each process draws the
    same examples; string hashing (sets, dict orders built from them) differs per process."""
    arguments = [sys.executable, "-c", DRAW, runner.PROPERTY_SEED, runner.PROPERTY_PROFILE]
    drawn = [
        subprocess.run(
            arguments,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        for hash_seed in ("1", "2")
    ]
    assert drawn[0].count("\n") == 4, drawn[0][:500]
    assert drawn[0] == drawn[1]
