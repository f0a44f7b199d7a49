"""The provider's own traceback for an exception it raised, without the harness's frames.

A failure that says only "APIConnectionError: Connection error." sends the user into their
client library's source; the frames that raised it say where to look. The harness's frames (this
package, the event loop and thread machinery that drive the provider) are noise to the reader and
are left out; the provider's and its libraries' frames are kept, chained causes included.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path

from conformance.vocabulary.redaction import redact

_HIDDEN_DIRS = (Path(asyncio.__file__).parent, Path(concurrent.futures.__file__).parent)
_HIDDEN = tuple(
    f"{d.resolve()}/" for d in (*_HIDDEN_DIRS, Path(__file__).parents[1])
)  # all of conformance
_HIDDEN_FILES = frozenset(str(Path(f).resolve()) for f in (threading.__file__,) if f)

#: Frames kept at most per exception: the innermost, where the error was raised.
MAX_FRAMES = 12


def _shown(filename: str) -> bool:
    resolved = str(Path(filename).resolve()) if filename and not filename.startswith("<") else ""
    return not resolved.startswith(_HIDDEN) and resolved not in _HIDDEN_FILES


def _trim(summary: traceback.TracebackException) -> None:
    seen: set[int] = set()
    current: traceback.TracebackException | None = summary
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = [frame for frame in current.stack if _shown(frame.filename)]
        current.stack = traceback.StackSummary.from_list(frames[-MAX_FRAMES:])
        current = current.__cause__ or current.__context__


def provider_traceback(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """The traceback text with harness frames hidden, redacted; "" when no frame is left."""
    summary = traceback.TracebackException.from_exception(exc, capture_locals=False)
    _trim(summary)
    text = "".join(summary.format()).rstrip("\n")
    return redact(text, tuple(secrets))
