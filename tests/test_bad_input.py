"""The bad-input catalogue: every mistake a user can make gets one line and exit 2, never a report.

Each input here once blamed the provider (a report failing the reference provider), printed a
traceback or an INTERNALERROR, or was silently accepted. A bad input must cost nothing but one
line on stderr: exit 2, no traceback, and no compatibility.json written or overwritten.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

REFERENCE = "reference_providers.openai_compatible:OpenAICompatibleProvider"
SENTINEL = '{"not": "a report; the bad input must leave it alone"}'
ERROR_PREFIX = "provider-conformance: error: "

#: A scenario file the schema must refuse: each a number the server has to render.
_BAD_NUMBERS = {
    "retry_after_huge": (
        "error: {status: 429, message: slow down, retry_after: {seconds: 1.0e+308}}",
        "/turns/0/reply/error/retry_after/seconds",
    ),
    "retry_after_nan": (
        "error: {status: 429, message: slow down, retry_after: {seconds: .nan}}",
        "/turns/0/reply/error/retry_after/seconds",
    ),
    "status_600": ("error: {status: 600, message: no such status}", "/turns/0/reply/error/status"),
    "drip_inf": ("text: [a, b], fault: {drip_seconds: .inf}", "/turns/0/reply/fault/drip_seconds"),
    "hold_huge": (
        "text: [a, b], fault: {hold_after_first_text: 1.0e+300}",
        "/turns/0/reply/fault/hold_after_first_text",
    ),
    "pieces_huge": (
        "text: [a, b], fault: {stall_after_pieces: 100000000000}",
        "/turns/0/reply/fault/stall_after_pieces",
    ),
    "usage_huge": (
        "text: hi, usage: {prompt_tokens: 1.0e+30, completion_tokens: 1}",
        "/turns/0/reply/usage/prompt_tokens",
    ),
}


def _scenario_file(folder: Path, reply: str, *, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mine.yaml"
    path.write_text(
        f"name: mine\ntitle: A bad number\n{extra}turns:\n  - reply: {{{reply}}}\n",
        encoding="utf-8",
    )
    return path


def _not_a_folder(tmp: Path) -> str:
    (tmp / "afile").write_text("x", encoding="utf-8")
    return str(tmp / "afile")


def _under_a_file(tmp: Path) -> str:
    return f"{_not_a_folder(tmp)}/reports"


def _read_only_filesystem(tmp: Path) -> str:
    path = "/sys/provider-conformance-reports"
    if not Path("/sys").is_dir() or _can_create(path):
        pytest.skip("no read-only file system (/sys) to write to")
    return path


def _can_create(path: str) -> bool:
    try:
        os.mkdir(path)
    except OSError:
        return False
    os.rmdir(path)
    return True


def _bad_numbers_dir(key: str) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        reply, _ = _BAD_NUMBERS[key]
        return str(_scenario_file(tmp / "scenarios", reply).parent)

    return make


def _bad_numbers_file(key: str) -> Callable[[Path], str]:
    def make(tmp: Path) -> str:
        reply, _ = _BAD_NUMBERS[key]
        return str(_scenario_file(tmp / "scenarios", reply))

    return make


Arg = str | Callable[[Path], str]

#: (id, command line, words the one line must hold). A callable argument is built in tmp_path.
CATALOGUE: list[tuple[str, list[Arg], list[str]]] = [
    *[
        (
            f"check-timeout-{value}",
            ["run", "--check-timeout", value],
            ["--check-timeout", value, "above 0"],
        )
        for value in ("-5", "0", "nan", "inf", "soon")
    ],
    ("check-timeout-minus-inf", ["run", "--check-timeout=-inf"], ["--check-timeout -inf"]),
    (
        "provider-timeout-negative",
        ["run", "--provider-timeout", "-1"],
        ["--provider-timeout -1", "above 0"],
    ),
    (
        "provider-timeout-zero",
        ["run", "--provider-timeout", "0"],
        ["--provider-timeout 0", "above 0"],
    ),
    (
        "replay-check-timeout-nan",
        ["replay", "x.yaml", "--check-timeout", "nan"],
        ["--check-timeout nan"],
    ),
    ("workers-negative", ["run", "-n", "-1"], ["-n -1", "worker processes"]),
    ("workers-word", ["run", "-n", "many"], ["-n many", "'auto'"]),
    (
        "report-dir-is-a-file",
        ["run", "--report-dir", _not_a_folder],
        ["--report-dir", "afile", "not a folder"],
    ),
    (
        "report-dir-under-a-file",
        ["run", "--report-dir", _under_a_file],
        ["--report-dir", "cannot write reports there"],
    ),
    (
        "report-dir-read-only",
        ["run", "--report-dir", _read_only_filesystem],
        ["--report-dir", "cannot write reports there"],
    ),
    (
        "report-dir-not-utf8",
        ["run", "--report-dir", lambda tmp: os.fsdecode(bytes(tmp) + b"/r\xff")],
        ["--report-dir", "r\\xff", "not valid UTF-8"],
    ),
    (
        "wire-corpus-missing",
        ["run", "--wire-corpus", "no-such-corpus"],
        ["--wire-corpus no-such-corpus", "no such folder"],
    ),
    (
        "wire-corpus-a-file",
        ["run", "--wire-corpus", _not_a_folder],
        ["--wire-corpus", "not a folder"],
    ),
    (
        "scenarios-dir-missing",
        ["run", "--scenarios-dir", "no-such-dir"],
        ["--scenarios-dir no-such-dir", "no such folder"],
    ),
    (
        "list-scenarios-dir-missing",
        ["list", "scenarios", "--scenarios-dir", "no-such-dir"],
        ["--scenarios-dir no-such-dir", "no such folder"],
    ),
    (
        "serve-scenarios-dir-bad-number",
        ["serve", "--scenario", "mine", "--scenarios-dir", _bad_numbers_dir("retry_after_huge")],
        ["mine.yaml", "/turns/0/reply/error/retry_after/seconds"],
    ),
    ("serve-port-too-big", ["serve", "--scenario", "text_plain", "--port", "70000"], ["--port"]),
    ("serve-port-negative", ["serve", "--scenario", "text_plain", "--port", "-1"], ["--port -1"]),
    ("serve-port-word", ["serve", "--scenario", "text_plain", "--port", "http"], ["--port http"]),
    *[
        (
            f"scenarios-dir-{key}",
            ["run", "--scenarios-dir", _bad_numbers_dir(key)],
            ["mine.yaml", pointer],
        )
        for key, (_, pointer) in _BAD_NUMBERS.items()
    ],
    *[
        (
            f"replay-{key}",
            ["replay", _bad_numbers_file(key)],
            ["mine.yaml", pointer],
        )
        for key, (_, pointer) in _BAD_NUMBERS.items()
    ],
    # What pytest finds while configuring the run reaches the user the same way.
    ("unknown-scenario", ["run", "--scenario", "no_such"], ["--scenario no_such", "list"]),
    ("profile-option-no-value", ["run", "--profile-option", "token"], ["KEY=VALUE"]),
    ("shard-out-of-range", ["run", "--shard", "3/2"], ["--shard 3/2"]),
    ("baseline-missing", ["run", "--baseline", "nothere.json"], ["--baseline nothere.json"]),
    ("provider-not-a-class", ["run", "--provider", "json"], ["--provider json"]),
    ("providers-file-missing", ["run", "--providers-file", "nothere.yaml"], ["nothere.yaml"]),
    (
        "scenario-timeout-huge",
        ["run", "--scenarios-dir", lambda tmp: str(_extra_dir(tmp, "timeout: 1.0e+300\n"))],
        ["mine.yaml", "/timeout"],
    ),
]


def _extra_dir(tmp: Path, extra: str) -> Path:
    return _scenario_file(tmp / "scenarios", "text: hi", extra=extra).parent


def _cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=timeout,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(ERROR_PREFIX), result.stderr
    return lines[0]


def _reports_in(tmp: Path) -> list[Path]:
    return [p for p in tmp.rglob("compatibility.json") if p.read_text() != SENTINEL]


@pytest.mark.parametrize(
    ("args", "words"),
    [pytest.param(args, words, id=name) for name, args, words in CATALOGUE],
)
def test_bad_input_gets_one_line_exit_2_and_no_report(
    tmp_path: Path, args: list[Arg], words: list[str]
) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "compatibility.json").write_text(SENTINEL, encoding="utf-8")
    (tmp_path / "x.yaml").write_text("name: x\ntitle: x\nturns: [{reply: {text: hi}}]\n")
    command = [arg(tmp_path) if callable(arg) else arg for arg in args]
    if command[0] in ("run", "replay"):
        command += ["--provider", REFERENCE]
    if command[0] == "run":
        command += ["--scenario", "text_plain"] + ([] if "-n" in command else ["-n", "1"])
    line = _one_error_line(_cli(command, tmp_path, timeout=30))
    for word in words:
        assert word in line, line
    assert _reports_in(tmp_path) == []
    assert (tmp_path / "reports" / "compatibility.json").read_text() == SENTINEL
    written = [p.name for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert written == ["compatibility.json"]
    assert list(tmp_path.rglob("junit.xml")) == []


# -- the same options given to pytest --------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("--check-timeout=-5", ["--check-timeout -5", "above 0"]),
        ("--check-timeout=nan", ["--check-timeout nan"]),
        ("--check-timeout=0", ["--check-timeout 0"]),
        ("--provider-timeout=inf", ["--provider-timeout inf"]),
        ("--report-dir=afile", ["--report-dir afile", "not a folder"]),
        ("--report-dir=afile/sub", ["--report-dir afile/sub", "cannot write reports there"]),
        ("--wire-corpus=no-such-corpus", ["--wire-corpus no-such-corpus", "no such folder"]),
        ("--report-dir=" + os.fsdecode(b"r\xff"), ["--report-dir r\\xff", "not valid UTF-8"]),
    ],
)
def test_the_pytest_plugin_refuses_them_at_configure_time(
    tmp_path: Path, option: str, words: list[str]
) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--provider",
            REFERENCE,
            "--scenario",
            "text_plain",
            "--no-properties",
            option,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ERROR: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert list(tmp_path.rglob("compatibility.json")) == []
    assert list(tmp_path.rglob("junit.xml")) == []


# -- serve --------------------------------------------------------------------------------


_SERVE = [sys.executable, "-m", "conformance.cli", "serve", "--scenario", "text_plain"]


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*_SERVE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    return err


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on (Linux: its socket inodes in /proc/net/tcp)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _ask(base_url: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": "Bearer sk-conformance-serve"},
        timeout=10,
    )
    content: str = response.json()["choices"][0]["message"]["content"]
    return content


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp")
def test_serve_on_a_free_port_serves_on_exactly_that_port() -> None:
    port = _free_port()
    process = _serve("--port", str(port))
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url == f"http://127.0.0.1:{port}"
        assert _ask(base_url) == "Hello, conformance suite!"
        assert _listening_ports(process.pid) == {port}
    finally:
        err = _stop(process)
    assert "already in use" not in err


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp")
def test_serve_on_port_0_listens_on_one_port_the_one_it_prints() -> None:
    process = _serve("--port", "0")
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        port = int(base_url.rsplit(":", 1)[1])
        assert _listening_ports(process.pid) == {port}
        assert _ask(base_url) == "Hello, conformance suite!"
    finally:
        _stop(process)


def test_serve_on_a_busy_port_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*_SERVE, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    line = _one_error_line(result)
    assert f"--port {port}: cannot listen on it" in line


def test_a_usage_error_leaves_no_report_folder_behind(tmp_path: Path) -> None:
    """The report folder is created early to prove it can be written; a usage error found
    later (here: a provider that does not import) removes it again when it is still empty."""
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--provider", "nosuch_module_x:P"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(ERROR_PREFIX)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
