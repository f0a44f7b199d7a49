"""Real provider classes from the package index keep their expected verdicts.

One suite run per package (module-scoped), then one test per provider class: no harness error in
its report, and every clause verdict as `expected/<id>.yaml` says, each failing clause explained.
Skipped, with the tox environment to use, where the package is not installed (the plain
`pytest -n 2` environment has neither package).
"""

from __future__ import annotations

import pytest
import realworld

CASES = [
    pytest.param(package, provider_id, id=provider_id)
    for package in realworld.PACKAGES.values()
    for provider_id in package.provider_ids()
]

_runs: dict[str, realworld.RunResult] = {}


def _run(package: realworld.Package) -> realworld.RunResult:
    """The package's run, once per test session (every provider of the package shares it)."""
    if package.key not in _runs:
        _runs[package.key] = realworld.run_package(package)
    return _runs[package.key]


@pytest.mark.parametrize(("package", "provider_id"), CASES)
def test_real_class_keeps_its_verdicts(package: realworld.Package, provider_id: str) -> None:
    reason = package.skip_reason()
    if reason:
        pytest.skip(reason)
    result = _run(package)
    assert result.exit_code in (0, 1), (
        f"provider-conformance run exited {result.exit_code} (2: a provider was not built, "
        f"3: the run is incomplete); it said:\n{result.output}"
    )
    provider = result.provider(provider_id)
    assert realworld.harness_problems(provider) == []
    expected = realworld.load_expected(provider_id)
    assert expected, (
        f"no {realworld.expected_path(provider_id)}: write it with "
        f"`python tests/real_world/realworld.py update {package.key}`"
    )
    changed = realworld.differences(expected, provider)
    summary = realworld.failure_summary(provider)
    detail = "\n".join(
        f"  {clause}: {lines[0]}"
        for clause, lines in sorted(summary.items())
        if any(line.startswith(clause + ":") for line in changed)
    )
    assert changed == [], (
        "\n".join(changed)
        + (f"\nwhat fails now:\n{detail}" if detail else "")
        + "\n(after a deliberate change: "
        + f"python tests/real_world/realworld.py update {package.key})"
    )


def test_every_expected_file_belongs_to_a_provider() -> None:
    """An expected file whose provider left the providers files would never be checked again."""
    known = {provider_id for _, provider_id in (case.values for case in CASES)}
    pending = {
        provider_id
        for path in realworld.PROVIDERS_DIR.glob("*-pending.yaml")
        for provider_id in realworld.listed_ids(path)
    }
    stray = sorted(
        path.stem
        for path in realworld.EXPECTED_DIR.glob("*.yaml")
        if path.stem not in known | pending
    )
    assert stray == []


def test_differences_name_every_changed_verdict_and_unexplained_failure() -> None:
    expected = {
        "clauses": {
            "ER-2": {"verdict": "fail", "why": "retry_after never read (x.py:1)"},
            "ST-1": {"verdict": "fail", "why": realworld.TODO},
            "RQ-1": {"verdict": "pass"},
        }
    }
    provider = {"clauses": {"ER-2": "pass", "ST-1": "fail", "RQ-1": "pass"}}
    assert realworld.differences(expected, provider) == [
        "ER-2: expected fail, got pass",
        "ST-1: fails with no explanation of the bug in the expected file",
    ]


def test_harness_errors_are_never_verdicts() -> None:
    provider = {
        "clauses": {"RQ-1": "harness-error", "ER-1": "fail"},
        "errors": ["could not be built: TypeError"],
        "failures": [{"check": "text_plain[chat]", "incomplete": {"kind": "crashed"}}],
    }
    problems = realworld.harness_problems(provider)
    assert len(problems) == 3
    assert problems[0].startswith("harness error: could not be built")


def test_update_keeps_explanations_of_clauses_that_still_fail() -> None:
    package = realworld.PACKAGES["victor"]
    previous = {
        "clauses": {
            "ER-2": {"verdict": "fail", "why": "kept"},
            "ST-1": {"verdict": "fail", "why": "dropped: it passes now"},
        }
    }
    provider = {
        "id": "p",
        "clauses": {"ER-2": "fail", "ST-1": "pass", "ER-3": "fail"},
        "failures": [{"check": "error_429[chat]", "messages": ["ER-2: retry-after None"]}],
    }
    clauses = realworld.updated_expected(package, provider, previous)["clauses"]
    assert clauses["ER-2"] == {"verdict": "fail", "why": "kept", "checks": ["error_429[chat]"]}
    assert clauses["ST-1"] == {"verdict": "pass"}
    assert clauses["ER-3"]["why"] == realworld.TODO


def test_the_run_reaches_nothing_but_the_fake_server() -> None:
    """A class that reaches for the internet by itself (orchestrator's Router downloads tiktoken's
    encoding) is refused at once instead of waiting on DNS: tests talk only to 127.0.0.1."""
    env = realworld.offline_env({"https_proxy": "http://corp:3128", "PATH": "/bin"})
    assert env["PATH"] == "/bin"
    assert env["HTTPS_PROXY"] == env["https_proxy"] == realworld.OFFLINE_PROXY
    assert "127.0.0.1" in env["NO_PROXY"].split(",")
    assert "corp" not in " ".join(env.values())
