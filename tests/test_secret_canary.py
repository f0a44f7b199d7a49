"""The canary: a provider that spills its key everywhere, and a run that shows it nowhere.

The provider prints, logs and warns every key it gets (the harness's per-check API key and a
credential passed as a profile option) in plain, upper-case, base64 and URL-encoded form, to
stdout, stderr, a non-propagating logger with its own handler, the root logger and warnings, and
puts the key in its error messages. `provider-conformance run` is then run as a user runs it (a
subprocess, in a fresh working directory, with its own cache directory); its stdout, stderr and
every file it wrote (report directory, working directory, cache directory) are searched for
every form of every key.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from conformance.secrets.options import HOW_TO_SUPPLY

CANARY_TOKEN = "canary-Token/4f9c2a7e+b81d0e6a5c3f"
CANARY_PASSWORD = "canary-pass-73e1c0d9b2a8f6"

CANARY_PROVIDER = """
import base64
import logging
import os
import sys
import warnings
from urllib.parse import quote

from conformance.secrets.options import HOW_TO_SUPPLY

from reference_providers.errors import ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider

_quiet = logging.getLogger("canary.private")
_quiet.propagate = False
_quiet.addHandler(logging.StreamHandler(sys.stderr))
_quiet.setLevel(logging.DEBUG)
_loud = logging.getLogger("canary.public")
_orphan = logging.getLogger("canary.orphan")  # no handler anywhere: logging.lastResort writes it
_orphan.propagate = False


def _forms(secret):
    raw = secret.encode()
    return [
        secret,
        secret.upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(b"user:" + raw).decode(),
        quote(secret, safe=""),
    ]


def _spill(where, *secrets):
    with open(os.environ["CANARY_KEYS"], "a", encoding="utf-8") as keys:
        keys.writelines(secret + "\\n" for secret in secrets)
    for secret in secrets:
        for form in _forms(secret):
            print(f"{where}: stdout {form}")
            print(f"{where}: stderr {form}", file=sys.stderr)
            _quiet.warning("%s: private logger %s", where, form)
            _loud.warning("%s: root logger %s", where, form)
            _orphan.error("%s: orphan logger %s", where, form)
            warnings.warn(f"{where}: warning {form}", UserWarning, stacklevel=1)
        try:
            raise ValueError(f"{where}: exception {secret}")
        except ValueError:
            _loud.exception("%s: with a traceback", where)


class CanaryProvider(OpenAICompatibleProvider):
    def __init__(self, *, api_key, base_url, timeout, token="", password=""):
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout)
        self._token = token
        _spill("init", api_key, token, password)

    async def chat(self, *args, **kwargs):
        _spill("chat", self._api_key, self._token)
        return await super().chat(*args, **kwargs)

    async def stream(self, *args, **kwargs):
        _spill("stream", self._api_key, self._token)
        async for chunk in super().stream(*args, **kwargs):
            yield chunk

    def _error_from_response(self, status, headers, body):
        error = super()._error_from_response(status, headers, body)
        if isinstance(error, ProviderError):
            error.message = f"{error.message} (key {self._api_key}, token {self._token})"
            error.args = (error.message,)
        return error
"""


def _forms(secret: str) -> tuple[list[str], list[str]]:
    """(forms searched ignoring case, forms searched exactly) of one secret."""
    raw = secret.encode()
    exact = [
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]
    # Inside `user:key`, at each alignment: the characters whose bits all come from the key.
    for prefix in (b"user:", b"ab:", b"a:"):
        encoded = base64.b64encode(prefix + raw).decode()
        first, last = -(-8 * len(prefix) // 6), 8 * (len(prefix) + len(raw)) // 6
        exact.append(encoded[first:last])
    return [secret.lower(), quote(secret, safe="").lower()], exact


def _found(text: str, secrets: list[str]) -> list[str]:
    lowered = text.lower()
    hits = []
    for secret in secrets:
        folded, exact = _forms(secret)
        hits += [form for form in folded if form in lowered]
        hits += [form for form in exact if form in text]
    return hits


def _files(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def test_the_canary_key_appears_nowhere(tmp_path: Path) -> None:
    work, side, cache = tmp_path / "work", tmp_path / "side", tmp_path / "cache"
    for folder in (work, side, cache):
        folder.mkdir()
    (side / "canary_provider.py").write_text(CANARY_PROVIDER, encoding="utf-8")
    keys = side / "keys.txt"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(side), env.get("PYTHONPATH")])),
        CANARY_KEYS=str(keys),
        XDG_CACHE_HOME=str(cache),
        CANARY_TOKEN=CANARY_TOKEN,
    )
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    env.pop("PROVIDER_CONFORMANCE_CACHE_DIR", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--provider",
            "canary_provider:CanaryProvider",
            "--profile-option",
            "token=env:CANARY_TOKEN",
            "--profile-option",
            f"password={CANARY_PASSWORD}",
            "--scenario",
            "text_plain",
            "--scenario",
            "error_401",
            "--scenario",
            "error_429",
            "--scenario",
            "property-errors",
            "--property-profile",
            "dev",
            "--report-dir",
            "out",
            "-n",
            "1",
            "-v",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert keys.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    secrets = sorted({line for line in keys.read_text().splitlines() if line})
    assert {CANARY_TOKEN, CANARY_PASSWORD} <= set(secrets) and len(secrets) >= 5
    # The provider did spill (SE-1 is failed), and the run still says so without the key.
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "SE-1" in result.stdout
    assert "<redacted" in result.stdout
    leaks = {"stdout": _found(result.stdout, secrets), "stderr": _found(result.stderr, secrets)}
    written = _files(work, cache)
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaks[str(path.relative_to(tmp_path))] = _found(text, secrets)
    assert not {where: hits for where, hits in leaks.items() if hits}
    # No state in the working directory but the report directory asked for.
    assert sorted(p.name for p in work.iterdir()) == ["out"]
    # The reproduce commands carry the reference and a marked credential, and say how to supply it.
    report = json.loads((work / "out" / "compatibility.json").read_text())
    (failure, *_) = report["providers"][0]["failures"]
    assert "token=env:CANARY_TOKEN" in failure["reproduce"]
    assert "'password=<redacted>'" in failure["reproduce"]
    assert HOW_TO_SUPPLY.split("> ")[1] in (work / "out" / "compatibility.md").read_text()
