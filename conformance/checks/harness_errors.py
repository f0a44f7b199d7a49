"""How a check the harness itself broke on is described: one redacted line naming where it broke.

The text goes into every report and the pytest failure, so it names the exception and the line of
the harness (or provider) code that raised it, which is what a maintainer needs to fix it, and it
carries no secret: the fake API keys the runner hands out and the values of secret-looking profile
options are replaced.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

from conformance.vocabulary.spec import ProviderSpec
from conformance.vocabulary.wire import REDACTED

#: The clauses the identity check judges (conformance/checks/runner.py run_identity).
IDENTITY_CLAUSES = ("ID-1", "SE-1")
_FAKE_KEY = re.compile(r"sk-conformance-fake-[0-9a-f]+")
_SECRET_OPTION = re.compile(r"key|token|secret|password|credential|auth", re.IGNORECASE)
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_MAX_MESSAGE = 500


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    frame = frames[-1]
    path = Path(frame.filename)
    try:
        shown = path.resolve().relative_to(_PACKAGE_ROOT).as_posix()
    except ValueError:
        shown = path.name
    return f"{shown}:{frame.lineno}"


def redact_run_secrets(text: str, spec: ProviderSpec | None = None) -> str:
    text = _FAKE_KEY.sub(REDACTED, text)
    if spec is not None:
        for key, value in spec.options.items():
            if _SECRET_OPTION.search(str(key)) and isinstance(value, str) and len(value) >= 4:
                text = text.replace(value, "<redacted>")
    return text


def harness_error_text(exc: BaseException, spec: ProviderSpec | None = None) -> str:
    """`<ExcType>: <message> (at file:line)`, redacted and on one line."""
    message = " ".join(str(exc).split())
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + " …"
    text = f"{type(exc).__name__}: {message} (at {_where(exc)})"
    return redact_run_secrets(text, spec)


def spec_facts(spec: ProviderSpec) -> dict[str, Any]:
    """What the report needs of a provider whose check produced no facts of its own."""
    return {"target": spec.target, "dialect": spec.dialect, "profile": spec.profile}
