"""Bugs only the properties catch: each passes every example scenario, and fails a property.

Like tests/known_bad/providers.py, each class is a reference provider with one seam overridden.
These mistakes hide behind a combination nobody writes down as an example (a read that ends
between a CR and its LF, parallel calls whose fragments interleave, an empty argument fragment, a
status outside the table someone copied): the case for generating examples at all.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from reference_providers.anthropic_messages import AnthropicProvider
from reference_providers.error_mapping import api_error_message, make_error, parse_retry_after
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.openai_compatible import OpenAICompatibleProvider
from reference_providers.sse import ServerSentEvent
from reference_providers.tool_call_accumulator import ToolCallAccumulator, _PartialCall

# -- ST-3: interleaved parallel calls -------------------------------------------------------------


class _LastIdAccumulator(ToolCallAccumulator):
    def _call_for(self, delta: Mapping[str, Any]) -> _PartialCall:
        call_id = delta.get("id")
        if isinstance(call_id, str) and call_id:
            for existing in self._calls.values():
                if existing.id == call_id:
                    self._last_index = existing.index
                    return existing
            index = len(self._calls)
            self._calls[index] = _PartialCall(index=index)
            self._last_index = index
            return self._calls[index]
        return self._calls[self._last_index or 0]


class GroupsFragmentsByLastId(OpenAICompatibleProvider):
    """ST-3: a fragment without an id joins the call whose id was seen last, not its `index`.

    Right for every API that sends calls one after the other; wrong as soon as a server
    interleaves parallel calls' fragments, which the `index` field exists for: arguments of two
    calls end up in one.
    """

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _LastIdAccumulator(provider=self._name)


# -- ST-3: an empty argument fragment -------------------------------------------------------------


class _EmptyOpensAccumulator(ToolCallAccumulator):
    def _call_for(self, delta: Mapping[str, Any]) -> _PartialCall:
        function = delta.get("function")
        if isinstance(function, Mapping) and function.get("arguments") == "":
            # "The opener is the fragment with empty arguments": true of OpenAI's own openers.
            index = len(self._calls)
            self._calls[index] = _PartialCall(index=index)
            self._last_index = index
            return self._calls[index]
        return super()._call_for(delta)


class EmptyFragmentOpensCall(OpenAICompatibleProvider):
    """ST-3: a fragment with `"arguments": ""` is taken for a new call's opener.

    OpenAI's openers do carry empty arguments, but so may any continuation: an extra, nameless
    call appears (or the provider fails) whenever a server sends an empty fragment.
    """

    def _new_accumulator(self) -> ToolCallAccumulator:
        return _EmptyOpensAccumulator(provider=self._name)


# -- ST-1 / ST-6: a CRLF cut between two reads ----------------------------------------------------

_LINE_END = re.compile(r"\r\n|\r|\n")


class SplitsCrlfAcrossReads(AnthropicProvider):
    """ST-1: a read ending between CR and LF ends the line at the CR, and the LF makes a blank line.

    The blank line dispatches the event before its `data:` line arrives, so the `event:` name is
    lost and the data goes out as an unnamed `message`, which this provider (routing by event
    name, and ignoring names it does not know) drops. Every framing passes alone: CRLF in one
    read, CR split anywhere, LF split anywhere; only CRLF split in the middle breaks.
    """

    async def _iter_events(self, response: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        decoder = codecs.getincrementaldecoder("utf-8")()
        buffer, event_type, data = "", "", []
        async for chunk in response.aiter_bytes():
            buffer += decoder.decode(chunk)
            while (end := _LINE_END.search(buffer)) is not None:
                line, buffer = buffer[: end.start()], buffer[end.end() :]
                if not line:
                    if data:
                        yield ServerSentEvent(event_type or "message", "\n".join(data))
                    event_type, data = "", []
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    event_type = value
                elif name == "data":
                    data.append(value)

    def _absorb_event(self, event: ServerSentEvent, state: Any) -> str:
        if event.event == "message":
            return ""  # not an Anthropic event name: ignored, as ST-6 says unknown types are
        return super()._absorb_event(event, state)


# -- ER-1 / ER-8: a status outside the copied table -----------------------------------------------

_COPIED_TABLE: dict[int, tuple[ErrorCategory, bool]] = {
    400: (ErrorCategory.INVALID_REQUEST, False),
    401: (ErrorCategory.AUTH, False),
    403: (ErrorCategory.AUTH, False),
    404: (ErrorCategory.NOT_FOUND, False),
    408: (ErrorCategory.TIMEOUT, True),
    413: (ErrorCategory.INVALID_REQUEST, False),
    422: (ErrorCategory.INVALID_REQUEST, False),
    429: (ErrorCategory.RATE_LIMIT, True),
    500: (ErrorCategory.SERVER, True),
    502: (ErrorCategory.SERVER, True),
    503: (ErrorCategory.SERVER, True),
    504: (ErrorCategory.TIMEOUT, True),
    529: (ErrorCategory.SERVER, True),
}


class StatusTableLookup(OpenAICompatibleProvider):
    """ER-8: the status table is a dict indexed directly, so a 418 or a 507 raises KeyError.

    Every status the documentation lists maps right; the first one it does not list escapes as a
    raw KeyError instead of an error the caller can handle.
    """

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        category, retryable = _COPIED_TABLE[status]
        message = f"{self._name}: HTTP {status} {category.value}"
        detail = api_error_message(body)
        return make_error(
            category,
            f"{message}: {detail}" if detail else message,
            provider=self._name,
            retryable=retryable,
            status_code=status,
            retry_after=parse_retry_after(headers),
        )


#: (provider class, dialect, property, mode, the clause the property must break; "A|B" when
#: which one depends on the event the bug happens to lose)
PROPERTY_ONLY: list[tuple[type[Any], str, str, str, str]] = [
    (GroupsFragmentsByLastId, "openai-chat", "answers", "stream", "ST-3"),
    (EmptyFragmentOpensCall, "openai-chat", "answers", "stream", "ST-3"),
    (SplitsCrlfAcrossReads, "anthropic-messages", "answers", "stream", "ST-1|ST-3|ST-5"),
    (StatusTableLookup, "openai-chat", "errors", "chat", "ER-8"),
]
