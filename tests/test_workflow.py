"""The GitHub Actions workflow (docs/github-actions/conformance.yml), its shell steps run here.

GitHub is played by this test: every matrix job runs in a folder of its own with the matrix value
and `${{ ... }}` expressions substituted, `actions/upload-artifact` and `download-artifact` are
copies between those folders, `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY` are files, and `gh` is a
stand-in that records the comment it was asked to post. The steps run with `bash -eo pipefail`, as
Actions runs them. Checkout, Python set-up and installation are GitHub's business and are skipped:
this environment has the project installed already.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / "docs" / "github-actions" / "conformance.yml"
#: The run: steps this test executes, by job; the others (install) are GitHub's.
EXECUTED = {"shard": ["shard"], "merge": ["merge", "summary", "comment", "gate"]}
PR_NUMBER = "17"
FAKE_GH = """#!/usr/bin/env bash
# Records `gh pr comment NUMBER --body-file FILE [--edit-last]` as GitHub would receive it.
set -euo pipefail
printf '%s\\n' "$*" >> "$GH_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = "--body-file" ]; then cp "$2" "$GH_LOG.body"; fi
  shift
done
"""


def _workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return document


class Job:
    """One job of the workflow, run by hand in its own folder."""

    def __init__(self, name: str, spec: Mapping[str, Any], folder: Path, context: dict[str, str]):
        self.name = name
        self.spec = spec
        self.folder = folder
        self.context = context
        self.outputs: dict[str, dict[str, str]] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def expand(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match[1].strip()
            step = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expression)
            if step:
                return self.outputs[step[1]][step[2]]
            if expression not in self.context:
                pytest.fail(f"the test does not know the expression {expression!r}: teach it")
            return self.context[expression]

        return re.sub(r"\$\{\{(.*?)\}\}", value, text)

    def condition(self, step: Mapping[str, Any]) -> bool:
        known = {"always()": True, "always() && github.event_name == 'pull_request'": True}
        condition = step.get("if")
        if condition is None:
            return True
        if condition not in known:
            pytest.fail(f"the test does not know the condition {condition!r}: teach it")
        return known[condition]

    def run(
        self, step: Mapping[str, Any], env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        script = self.folder / f".step-{step['id']}.sh"
        script.write_text(self.expand(step["run"]), encoding="utf-8")
        output = self.folder / f".output-{step['id']}"
        output.write_text("", encoding="utf-8")
        step_env = {k: self.expand(str(v)) for k, v in step.get("env", {}).items()}
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.folder,
            env={**env, **step_env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        lines = output.read_text(encoding="utf-8").splitlines()
        self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
        return result


def _uses(step: Mapping[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).startswith(f"actions/{action}@")


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return _workflow()


def test_the_workflow_has_a_shard_matrix_and_a_merge_job(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    assert jobs["merge"]["needs"] == "shard"
    assert jobs["merge"]["if"] == "always()"  # a failing shard must not hide the report
    assert len(jobs["shard"]["strategy"]["matrix"]["shard"]) >= 2
    assert jobs["shard"]["strategy"]["fail-fast"] is False
    assert jobs["merge"]["permissions"]["pull-requests"] == "write"
    for job, ids in EXECUTED.items():
        steps = [s.get("id") for s in jobs[job]["steps"]]
        assert all(i in steps for i in ids), (job, steps)
    summary = next(s for s in jobs["merge"]["steps"] if s.get("id") == "summary")
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]


def _context() -> dict[str, str]:
    return {
        "github.token": "token-for-the-fake-gh",
        "github.event.pull_request.number": PR_NUMBER,
        "github.server_url": "https://github.example",
        "github.repository": "org/repo",
        "github.run_id": "123",
    }


def _play_shards(workflow: dict[str, Any], root: Path, env: dict[str, str]) -> Path:
    """Run the shard matrix's jobs side by side, as GitHub does; returns the artifacts folder."""
    spec = workflow["jobs"]["shard"]
    shards = spec["strategy"]["matrix"]["shard"]
    context = {**_context(), "strategy.job-total": str(len(shards))}
    artifacts = root / "artifacts"

    def play(shard: int) -> None:
        job = Job(
            "shard", spec, root / f"shard-job-{shard}", {**context, "matrix.shard": str(shard)}
        )
        for step in spec["steps"]:
            if step.get("id") in EXECUTED["shard"] and job.condition(step):
                result = job.run(step, env)
                assert result.returncode == 0, (shard, result.stdout[-3000:], result.stderr[-3000:])
            elif _uses(step, "upload-artifact") and job.condition(step):
                name = job.expand(step["with"]["name"])
                shutil.copytree(job.folder / job.expand(step["with"]["path"]), artifacts / name)

    with ThreadPoolExecutor(max_workers=len(shards)) as pool:
        list(pool.map(play, shards))
    return artifacts


def _play_merge(
    workflow: dict[str, Any],
    artifacts: Path,
    folder: Path,
    env: dict[str, str],
    known_failures: str | None,
) -> tuple[Job, dict[str, subprocess.CompletedProcess[str]]]:
    """Run the merge job on the shards' artifacts; returns the job and its steps' results."""
    spec = workflow["jobs"]["merge"]
    merge = Job("merge", spec, folder, _context())
    if known_failures is not None:
        target = merge.folder / env["KNOWN_FAILURES"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(known_failures, encoding="utf-8")
    results = {}
    for step in spec["steps"]:
        if _uses(step, "download-artifact"):
            destination = merge.folder / step["with"]["path"]
            for artifact in sorted(artifacts.iterdir()):
                if fnmatch.fnmatch(artifact.name, step["with"]["pattern"]):
                    shutil.copytree(artifact, destination / artifact.name)
        elif step.get("id") in EXECUTED["merge"] and merge.condition(step):
            results[step["id"]] = merge.run(step, env)
    return merge, results


def test_the_workflow_commands_shard_merge_gate_and_comment(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "providers.yaml").write_text(
        yaml.safe_dump(
            {
                "providers": [
                    {
                        "id": "openai-compatible",
                        "target": "reference_providers.openai_compatible:OpenAICompatibleProvider",
                        "dialect": "openai-chat",
                    },
                    {
                        "id": "strips-content",
                        "target": "known_bad.providers:StripsContent",
                        "dialect": "openai-chat",
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "gh").write_text(FAKE_GH, encoding="utf-8")
    (fake_bin / "gh").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "PYTEST_"))}
    env["PATH"] = os.pathsep.join([str(fake_bin), str(Path(sys.executable).parent), env["PATH"]])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "tests"), env.get("PYTHONPATH", "")])
    env["CI"] = "true"

    env.update({k: str(v) for k, v in workflow.get("env", {}).items()})
    env["CONFORMANCE_OPTIONS"] = (
        f"--providers-file {tmp_path / 'providers.yaml'} --scenario text_unicode_long "
        "--scenario tool_calls_parallel --scenario error_429 --scenario usage_reporting"
    )
    artifacts = _play_shards(workflow, tmp_path, env)

    known = yaml.safe_dump(
        {"known_failures": [{"provider": "strips-content", "clause": "CH-1", "reason": "#3"}]}
    )
    for label, known_failures in {"known": known, "none": None}.items():
        summary = tmp_path / f"step-summary-{label}.md"
        gh_log = tmp_path / f"gh-{label}.log"
        merge, results = _play_merge(
            workflow,
            artifacts,
            tmp_path / f"merge-job-{label}",
            {**env, "GITHUB_STEP_SUMMARY": str(summary), "GH_LOG": str(gh_log)},
            known_failures,
        )
        for step_id in ("merge", "summary", "comment"):
            result = results[step_id]
            assert result.returncode == 0, (
                label,
                step_id,
                result.stdout[-3000:],
                result.stderr[-3000:],
            )
        report_dir = merge.folder / "conformance-report"
        report = json.loads((report_dir / "compatibility.json").read_text(encoding="utf-8"))
        assert [p["id"] for p in report["providers"]] == ["openai-compatible", "strips-content"]
        assert "shard" not in report  # all shards merged
        for name in (
            "compatibility.md",
            "compatibility.html",
            "junit.xml",
            "coverage/coverage.xml",
        ):
            assert (report_dir / name).is_file(), name
        markdown = (report_dir / "compatibility.md").read_text(encoding="utf-8")
        assert summary.read_text(encoding="utf-8") == markdown
        assert (
            gh_log.read_text(encoding="utf-8")
            .splitlines()[0]
            .startswith(
                f"pr comment {PR_NUMBER} --body-file conformance-report/pr-comment.md --edit-last"
            )
        )
        body = Path(f"{gh_log}.body").read_text(encoding="utf-8")
        assert body.startswith(
            "<!-- provider-conformance report -->\n# Provider compatibility report"
        )

        gate = results["gate"]
        if known_failures is not None:
            # strips-content's CH-1 is a known failure: the gate passes and says so.
            assert gate.returncode == 0, gate.stdout + gate.stderr
            assert report["gate"]["passed"] is True
            assert "## Gate ✅ passed" in markdown
        else:
            # No known failures: a failing provider fails the merge job, after summary and comment.
            assert merge.outputs["merge"]["status"] == "1"
            assert gate.returncode == 1
            assert "gate" not in report
