"""`serve` prints its own key once, by design, and nothing a client sent; it writes no files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

SERVE_KEY = "sk-serve-canary-5d1f0e"
CLIENT_KEY = "sk-client-canary-a83b27c4d9"


def test_serve_prints_only_its_own_key_and_leaves_no_files(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "serve",
            "--scenario",
            "text_plain",
            "--dialect",
            "openai-chat",
            "--api-key",
            SERVE_KEY,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        for key in (CLIENT_KEY, SERVE_KEY):
            httpx.post(
                f"{base_url}/chat/completions?key={key}",
                json={"model": "m", "messages": [{"role": "user", "content": key}]},
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            )
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert stdout == "" and CLIENT_KEY not in stderr
    assert stderr.count(SERVE_KEY) == 1  # the line telling the user which key to send
    assert list(tmp_path.iterdir()) == []
