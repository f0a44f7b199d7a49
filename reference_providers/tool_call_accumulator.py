"""Reassembling OpenAI Chat Completions tool calls from their streamed fragments.

The API sends each call as a header fragment (index, id, name, often empty arguments) and then
argument fragments that carry only the index; parallel calls' fragments may interleave, and
continuations may repeat the header fields as null or "". The index is the only field every
fragment carries, so it is the only safe key (ST-3).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reference_providers.contract import ToolCall
from reference_providers.error_mapping import make_error
from reference_providers.errors import ErrorCategory, ProviderError

logger = logging.getLogger(__name__)

_EXCERPT = 200


@dataclass
class _PartialCall:
    index: int
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"tool call {self.name or '<unnamed>'!r} (index {self.index}, id {self.id!r})"


class ToolCallAccumulator:
    """Collects `choices[0].delta.tool_calls` elements; `finish()` gives the complete calls."""

    def __init__(self, *, provider: str | None = None) -> None:
        self._provider = provider
        self._calls: dict[int, _PartialCall] = {}
        self._last_index: int | None = None

    def add(self, delta: Mapping[str, Any]) -> None:
        if not isinstance(delta, Mapping):
            raise self._invalid(f"tool call fragment is not an object: {delta!r:.{_EXCERPT}}")
        call = self._call_for(delta)
        function = delta.get("function")
        if function is not None and not isinstance(function, Mapping):
            raise self._invalid(f"{call.describe()}: 'function' is not an object")
        function = function or {}
        call.id = _first_non_empty(call.id, delta.get("id"))
        call.name = _first_non_empty(call.name, function.get("name"))
        self._append_arguments(call, function.get("arguments"))

    def finish(self) -> list[ToolCall]:
        """The calls in index order, arguments parsed; a call we cannot complete is an error.

        Returning `{}` for arguments that do not parse would run a tool with none of the inputs
        the model chose, so unparsable arguments raise instead (ER-5).
        """
        return [self._complete(self._calls[index]) for index in sorted(self._calls)]

    def _call_for(self, delta: Mapping[str, Any]) -> _PartialCall:
        index = delta.get("index")
        if index is None:
            index = self._index_without_index_field(delta)
        elif isinstance(index, bool) or not isinstance(index, int):
            raise self._invalid(f"tool call fragment has a non-integer index: {index!r}")
        self._last_index = index
        if index not in self._calls:
            self._calls[index] = _PartialCall(index=index)
        return self._calls[index]

    def _index_without_index_field(self, delta: Mapping[str, Any]) -> int:
        # Some OpenAI-compatible servers omit `index`. Then a new id starts a new call, and a
        # fragment without an id continues the latest one: the best reading of what they send.
        call_id = delta.get("id")
        if isinstance(call_id, str) and call_id:
            for existing in self._calls.values():
                if existing.id == call_id:
                    return existing.index
            return max(self._calls, default=-1) + 1
        if self._last_index is not None:
            return self._last_index
        return 0

    def _append_arguments(self, call: _PartialCall, fragment: Any) -> None:
        if fragment is None:
            return
        if isinstance(fragment, str):
            call.arguments.append(fragment)
        elif isinstance(fragment, Mapping):
            # A few compatible servers send the arguments already parsed, in one fragment.
            call.arguments.append(json.dumps(fragment, ensure_ascii=False))
        else:
            raise self._invalid(f"{call.describe()}: arguments fragment is not a string")

    def _complete(self, call: _PartialCall) -> ToolCall:
        if not call.name:
            raise self._invalid(f"{call.describe()} never received a function name")
        call_id = call.id
        if not call_id:
            # The id only pairs a result with its call; a stable made-up one still does that.
            call_id = f"call_{call.index}"
            logger.debug("tool call at index %d came without an id; using %s", call.index, call_id)
        return ToolCall(id=call_id, name=call.name, arguments=self._parse_arguments(call))

    def _parse_arguments(self, call: _PartialCall) -> dict[str, Any]:
        text = "".join(call.arguments)
        if not text.strip():
            return {}
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            error = self._invalid(
                f"{call.describe()}: arguments are not valid JSON ({exc}): {text!r:.{_EXCERPT}}"
            )
            raise error from exc
        if not isinstance(parsed, dict):
            raise self._invalid(
                f"{call.describe()}: arguments are JSON {type(parsed).__name__}, not an object"
            )
        return parsed

    def _invalid(self, message: str) -> ProviderError:
        prefix = f"{self._provider}: " if self._provider else ""
        return make_error(
            ErrorCategory.INVALID_RESPONSE, f"{prefix}{message}", provider=self._provider
        )


def _first_non_empty(current: str | None, candidate: Any) -> str | None:
    if current:
        return current
    if isinstance(candidate, str) and candidate:
        return candidate
    return current
