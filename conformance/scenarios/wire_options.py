"""How a scenario's reply is laid on the wire within its dialect: SSE spelling, where the body is
cut into writes, how tool-call arguments are fragmented, and the vendor variants of
OpenAI-compatible servers. Apart from the scenario model because only dialects and the server read
it, and because each option is one real server's habit a client must survive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

#: Wire shapes a scenario may need that only some dialects can express, with what each is.
WIRE_FEATURES: Mapping[str, str] = {
    "unparsable_tool_arguments": "tool-call arguments that are not valid JSON (the wire carries "
    "arguments as JSON objects, not text)",
    "null_tool_arguments": '`"arguments": null` on a tool call (an OpenAI Chat shape)',
    "content_parts": "text content as a list of typed parts with thinking parts (a Mistral / "
    "OpenAI-compatible shape)",
    "tool_call_index_one": "streamed tool calls numbered from 1 (the wire has no call index)",
    "tool_call_index_omit": "streamed tool calls without `index` (the wire has no call index)",
    "empty_continuation_names": 'tool-call continuations with `name: ""` (the wire has no '
    "per-fragment name)",
    "usage_x_groq": "usage only in Groq's `x_groq.usage` field of the last chunk (an OpenAI "
    "Chat shape)",
    "usage_every_chunk": "the answer's usage on every chunk, as Perplexity sends it (an OpenAI "
    "Chat shape)",
    "finish_reason_twice": "`finish_reason` on two chunks, as OpenRouter sends it (an OpenAI "
    "Chat shape)",
    "chunk_after_usage": "a chunk after the usage chunk (an OpenAI Chat shape)",
    "arguments_only_in_done": "function-call arguments only in the `.done` events, no deltas "
    "(an OpenAI Responses shape)",
    "response_id_changes": "a response id that changes between `response.created` and "
    "`response.completed` (an OpenAI Responses shape)",
}
#: The vendor variants only OpenAI Responses streams can carry; every other one is OpenAI Chat's.
RESPONSES_VARIANTS = frozenset({"arguments_only_in_done", "response_id_changes"})
LineEnding = Literal["lf", "crlf", "cr"]
ContinuationIds = Literal["omit", "null", "repeat", "empty"]
ToolCallIndex = Literal["zero", "one", "omit"]
UsageIn = Literal["chunk", "x_groq", "every_chunk"]


@dataclass(frozen=True)
class WireOptions:
    data_space: bool = True
    line_ending: LineEnding = "lf"
    split_bytes: int = 0
    continuation_ids: ContinuationIds = "omit"
    argument_fragments: int = 3
    comments: bool = False
    #: SSE: write each JSON payload over two `data:` lines (joined by a newline, still JSON).
    multiline_data: bool = False
    #: SSE: give events `id:` and `retry:` fields, and add events of an unknown type.
    extra_fields: bool = False
    #: Where the server cuts the rendered body into separately flushed writes, as `KIND:N`
    #: (conformance/vocabulary/fragmentation.py): `utf8:N` inside a multi-byte character, `crlf:N`
    #: between
    #: a CR and its LF, `field:N` right after a field name's colon, `eol:N` after a line end,
    #: `event:N` after an event, `byte:N` at a byte offset. Replaces `split_bytes` when given.
    cuts: tuple[str, ...] = ()
    #: Per streamed tool call, the character offsets where its arguments are cut into fragments
    #: (repeated offsets give empty fragments). Replaces `argument_fragments` for those calls.
    argument_cuts: tuple[tuple[int, ...], ...] = ()
    #: The order in which parallel tool calls' fragments go out: each entry sends the next
    #: fragment of that call (by position); the rest follow in call order. Dialects whose API
    #: never interleaves calls ignore it (Dialect.interleaves_tool_calls).
    interleave: tuple[int, ...] = ()
    #: SSE: `comment:N` or `unknown:N` puts a comment line or an event of an unknown type after
    #: the Nth event (0: before the first).
    inserts: tuple[str, ...] = ()
    #: Streamed tool calls numbered from 0 (as OpenAI does), from 1, or sent without `index`
    #: (each call then whole in one fragment), as some OpenAI-compatible servers do.
    tool_call_index: ToolCallIndex = "zero"
    #: A call with no arguments carries `"arguments": null` instead of "{}" or "".
    null_arguments: bool = False
    #: Text content as a list of typed parts (Mistral's `[{"type": "text", ...}]`), with
    #: `thinking` sent first as a thinking part that is never part of the answer.
    content_parts: bool = False
    thinking: str = ""
    #: Vendor variants seen in real streams of OpenAI-compatible servers: where the usage goes
    #: (the usage-only chunk `include_usage` asks for; Groq's `x_groq.usage` on the last chunk,
    #: sent unasked; Perplexity's on every chunk), `finish_reason` on two chunks (OpenRouter),
    #: and one more chunk, without usage, after the usage chunk.
    usage_in: UsageIn = "chunk"
    finish_reason_twice: bool = False
    chunk_after_usage: bool = False
    #: Vendor variants of OpenAI Responses streams: a function call's arguments only in the
    #: `.done` events (no deltas), and a response id that changes before `response.completed`.
    arguments_only_in_done: bool = False
    response_id_changes: bool = False

    @property
    def eol(self) -> str:
        return {"lf": "\n", "crlf": "\r\n", "cr": "\r"}[self.line_ending]
