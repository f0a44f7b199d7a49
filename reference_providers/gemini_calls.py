"""Collecting Gemini function calls from response parts, whole or streamed in pieces.

The Gemini API sends each `functionCall` part complete: a name and an `args` object. Vertex AI's
streamed function-call arguments instead open a call with `{"name": ..., "willContinue": true}`,
send its argument values in later parts as `partialArgs` (a JSON path and one value each; a string
may come in several pieces at the same path), and close it with a part that no longer says
`willContinue`, usually an empty `{}`. Both shapes go through this one collector so that a caller
sees each call exactly once, complete (ST-3).

Neither shape carries an id the caller can rely on (the Gemini API sends none), so each call gets
one made up from its name and position; the API pairs a result with its call by name anyway.
A result goes back as a `functionResponse` part (`function_response` builds its `response`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reference_providers.contract import ToolCall
from reference_providers.error_mapping import make_error
from reference_providers.errors import ErrorCategory, ProviderError

#: One step of an RFC 9535 JSON path: `.name`, `[3]`, `['name']` or `["name"]`.
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")

#: The largest array index a partial argument may name; a bigger one is a broken response, and
#: padding a list up to it would let one bad part exhaust memory.
_MAX_INDEX = 10_000


@dataclass
class _OpenCall:
    id: str
    name: str
    arguments: dict[str, Any]
    #: Paths whose string value said `willContinue`: the next string there is appended.
    continued: set[str] = field(default_factory=set)


class FunctionCallCollector:
    """Feed it each `functionCall` object in order; `finish()` gives the complete calls."""

    def __init__(self, *, provider: str | None = None) -> None:
        self._provider = provider
        self._done: list[ToolCall] = []
        self._open: _OpenCall | None = None

    def add(self, call: Mapping[str, Any]) -> None:
        if not isinstance(call, Mapping):
            raise self._invalid("a functionCall is not an object")
        name = call.get("name")
        if name is not None and not isinstance(name, str):
            raise self._invalid("a functionCall name is not a string")
        if name and self._open is not None:
            # A new call while one is still open: the open one missed its closing part.
            self._close()
        if name:
            self._open = _OpenCall(
                id=self._call_id(call, name, len(self._done)),
                name=name,
                arguments=self._arguments(call.get("args"), name),
            )
        pieces = call.get("partialArgs")
        if self._open is None:
            if pieces:
                raise self._invalid("function-call argument pieces arrived before any call")
            return  # an empty closing part with nothing open
        if pieces is not None:
            if not isinstance(pieces, list):
                raise self._invalid("functionCall 'partialArgs' is not a list")
            for piece in pieces:
                self._apply(self._open, piece)
        if call.get("willContinue") is not True:
            self._close()

    def finish(self) -> list[ToolCall]:
        """The calls, in order; a call still open at the end is complete as far as it got."""
        self._close()
        calls, self._done = self._done, []
        return calls

    @property
    def has_calls(self) -> bool:
        return bool(self._done) or self._open is not None

    # -- helpers --------------------------------------------------------------------------------

    def _call_id(self, call: Mapping[str, Any], name: str, position: int) -> str:
        raw = call.get("id")
        return raw if isinstance(raw, str) and raw else f"{name}_{position}"

    def _arguments(self, raw: Any, name: str) -> dict[str, Any]:
        if raw is None:
            return {}  # a function without parameters is called with no args at all
        if not isinstance(raw, Mapping):
            raise self._invalid(f"the args of function call {name!r} are not an object")
        return dict(raw)

    def _apply(self, call: _OpenCall, piece: Any) -> None:
        if not isinstance(piece, Mapping) or not isinstance(piece.get("jsonPath"), str):
            raise self._invalid(f"a partial argument of {call.name!r} has no jsonPath")
        path = piece["jsonPath"]
        value: Any
        if "stringValue" in piece:
            value = piece["stringValue"]
            if not isinstance(value, str):
                raise self._invalid(f"partial argument {path} of {call.name!r}: not a string")
            if path in call.continued:
                earlier = self._get(call, path)
                value = (earlier if isinstance(earlier, str) else "") + value
        elif "numberValue" in piece:
            value = piece["numberValue"]
        elif "boolValue" in piece:
            value = piece["boolValue"]
        elif "nullValue" in piece:
            value = None
        else:
            raise self._invalid(f"partial argument {path} of {call.name!r} carries no value")
        self._set(call, path, value)
        if piece.get("willContinue") is True:
            call.continued.add(path)
        else:
            call.continued.discard(path)

    def _get(self, call: _OpenCall, path: str) -> Any:
        value: Any = call.arguments
        for step in self._steps(call, path):
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        return value

    def _set(self, call: _OpenCall, path: str, value: Any) -> None:
        steps = self._steps(call, path)
        if not steps:
            raise self._invalid(f"partial argument of {call.name!r} names the whole arguments")
        container: Any = call.arguments
        for step, following in itertools.pairwise(steps):
            empty: Any = [] if isinstance(following, int) else {}
            container = self._child(container, step, empty, call, path)
        self._place(container, steps[-1], value, call, path)

    def _child(
        self, container: Any, step: str | int, empty: Any, call: _OpenCall, path: str
    ) -> Any:
        current = self._slot(container, step, call, path)
        if current is None:
            self._place(container, step, empty, call, path)
            return empty
        if not isinstance(current, dict | list):
            raise self._invalid(f"partial argument {path} of {call.name!r} goes through a value")
        return current

    def _slot(self, container: Any, step: str | int, call: _OpenCall, path: str) -> Any:
        if isinstance(step, int):
            if not isinstance(container, list):
                raise self._invalid(f"partial argument {path} of {call.name!r}: not an array")
            return container[step] if step < len(container) else None
        if not isinstance(container, dict):
            raise self._invalid(f"partial argument {path} of {call.name!r}: not an object")
        return container.get(step)

    def _place(
        self, container: Any, step: str | int, value: Any, call: _OpenCall, path: str
    ) -> None:
        self._slot(container, step, call, path)  # checks the container's kind
        if isinstance(step, int):
            if step > _MAX_INDEX:
                raise self._invalid(f"partial argument {path} of {call.name!r}: index too large")
            container.extend([None] * (step + 1 - len(container)))
        container[step] = value

    def _steps(self, call: _OpenCall, path: str) -> list[str | int]:
        if not path.startswith("$"):
            raise self._invalid(f"partial argument of {call.name!r}: bad JSON path {path!r}")
        steps: list[str | int] = []
        position = 1
        while position < len(path):
            match = _STEP.match(path, position)
            if match is None:
                raise self._invalid(f"partial argument of {call.name!r}: bad JSON path {path!r}")
            dotted, index, single, double = match.groups()
            steps.append(int(index) if index is not None else (dotted or single or double or ""))
            position = match.end()
        return steps

    def _close(self) -> None:
        if self._open is not None:
            call = self._open
            self._done.append(ToolCall(id=call.id, name=call.name, arguments=call.arguments))
        self._open = None

    def _invalid(self, message: str) -> ProviderError:
        prefix = f"{self._provider}: " if self._provider else ""
        return make_error(
            ErrorCategory.INVALID_RESPONSE, f"{prefix}{message}", provider=self._provider
        )


def function_response(content: str) -> dict[str, Any]:
    """A tool result as a functionResponse's `response`, which must be a JSON object.

    A result that is a JSON object goes as it is; anything else is wrapped as `{"content": ...}`.
    """
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    return {"content": content}
