# Whole on purpose (over 400 lines): one API's wire, requests to streams to errors, in one file.
"""OpenAI Responses API (`POST /v1/responses`), the successor of Chat Completions.

Where it parts from openai-chat, and so where providers ported from Chat Completions go wrong:

- The conversation is a flat `input` list of items: messages, `function_call` items (the calls
  the assistant made) and `function_call_output` items (their results), paired by `call_id`.
- An output `function_call` item has two ids: the item id (`fc_...`, the API's handle for the
  stored item) and `call_id` (`call_...`). The contract's tool-call id is `call_id`, because it is
  what a tool result must name (RQ-5); a provider reporting the item id has the wrong id.
- There is no finish_reason. `status: "completed"` means `stop`, or `tool_calls` when the output
  holds function calls; `status: "incomplete"` with `incomplete_details.reason`
  `max_output_tokens` means `length` (and `content_filter` means `content_filter`).
- RQ-6: the API takes the system prompt either as the top-level `instructions` or as a first
  `system` / `developer` input item, so the dialect accepts both. A system item further down, or
  the prompt in both places at once, is flagged.
- A stream is typed SSE events, each with an `event:` line equal to `data.type` and a growing
  `sequence_number`, ending in `response.completed` or `response.incomplete` (with the whole
  response and its usage), or in an `error` event and `response.failed`; there is no `[DONE]`.

Rendering follows recorded api.openai.com traffic: `response.created` and `.in_progress`, then per
output item `output_item.added`, its content part or argument deltas, their `.done` events and
`output_item.done`, then the terminal event. `WireOptions.continuation_ids` has no counterpart here
(argument deltas always carry the item id and never the call id or name), so it is ignored.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar, Literal

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.call_schedule import argument_pieces
from conformance.dialects.model_lists import models_endpoint, openai_models
from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import sse_json, sse_response
from conformance.scenarios.model import RESPONSES_VARIANTS, ErrorReply, Reply, Scenario, WireOptions
from conformance.scenarios.tool_arguments import unparsable_arguments
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_CREATED = 1_727_346_168
_HEADERS: Mapping[str, str] = {"x-request-id": "req_conformance", "openai-version": "2020-10-01"}

#: `incomplete_details.reason` for each canonical stop reason that leaves a response incomplete.
_INCOMPLETE_REASONS: dict[str, str] = {
    "length": "max_output_tokens",
    "content_filter": "content_filter",
}

#: The other way round, for reading: the API's reason for an incomplete response, canonically.
_STOP_FOR_REASON: dict[str, str] = {v: k for k, v in _INCOMPLETE_REASONS.items()}

#: The `code` a failed response carries for a status. An in-stream failure has no HTTP status,
#: only this word, so only these statuses (and 500, "server_error") survive a round trip.
_FAILURE_CODES: dict[int, str] = {400: "invalid_prompt", 429: "rate_limit_exceeded"}

#: Error words seen in streams (`error` events, `response.failed`), with their HTTP twin's status.
_STATUS_FOR_WORD: dict[str, int] = {
    "invalid_request_error": 400,
    "invalid_prompt": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "rate_limit_exceeded": 429,
    "rate_limit_error": 429,
    "insufficient_quota": 429,
    "server_error": 500,
    "overloaded_error": 529,
}

#: Chat Completions parameters the Responses API rejects ("Unsupported parameter"), with the
#: Responses way of saying the same.
_CHAT_ONLY_FIELDS: dict[str, str] = {
    "messages": "'input' (and 'instructions' for the system prompt)",
    "max_tokens": "'max_output_tokens'",
    "max_completion_tokens": "'max_output_tokens'",
}

_ROLES: dict[str, Literal["user", "assistant"]] = {"user": "user", "assistant": "assistant"}

#: The platform's error body is the same for both OpenAI APIs; one renderer keeps them in step.
_PLATFORM_ERRORS = OpenAIChatDialect()


class OpenAIResponsesDialect(Dialect):
    name: ClassVar[str] = "openai-responses"
    title: ClassVar[str] = "OpenAI Responses API (SSE)"
    base_path: ClassVar[str] = "/v1"
    request_schema: ClassVar[str] = "openai-responses.request.schema.json"
    credential_description: ClassVar[str] = "the header 'Authorization: Bearer <key>'"
    chat_path_description: ClassVar[str] = "POST /v1/responses"
    corpus_folder: ClassVar[str | None] = "openai_responses"
    #: Arguments travel as JSON text; calls are items, not indexed fragments.
    wire_features: ClassVar[frozenset[str]] = frozenset(
        {"unparsable_tool_arguments", *RESPONSES_VARIANTS}
    )
    #: The Responses API takes `top_p` and has no stop sequences.
    request_parameters: ClassVar[frozenset[str]] = frozenset({"top_p"})

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == "/v1/responses":
            return Endpoint("chat")
        return models_endpoint(method, path)

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        if endpoint.kind == "models":
            return openai_models(request, scenario, self.render_error)
        return self.unknown_endpoint(request.method, request.path)

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        body = request.json()
        return isinstance(body, dict) and body.get("stream") is True

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return request.header("authorization") == f"Bearer {api_key}"

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        body = request.json()
        echo = _Echo.of(body if isinstance(body, dict) else {}, scenario.request.model)
        response_id = f"resp_conformance_{scenario.name}_{turn}"
        if reply.error is not None:
            if stream and reply.error.in_stream:
                return self._failed_stream(reply.error, echo, response_id, scenario.wire)
            return self.render_error(reply.error)
        if not stream:
            response = json_response(
                200, echo.response(response_id, reply, _output(reply, turn)), _HEADERS
            )
            response.meta["usage_sent"] = reply.usage is not None
            return response
        return self._stream(reply, turn, echo, response_id, scenario.wire)

    def _stream(
        self, reply: Reply, turn: int, echo: _Echo, response_id: str, wire: WireOptions
    ) -> WireResponse:
        events = _Events(wire)
        started = echo.response(response_id, None, [])
        events.emit("response.created", response=started)
        events.emit("response.in_progress", response=started)
        calls = 0
        for index, item in enumerate(_output(reply, turn)):
            if item["type"] == "message":
                self._stream_message(events, index, item, reply.text_parts)
            else:
                pieces = argument_pieces(item["arguments"], wire, calls)
                # A variant some servers send: no deltas, the arguments only in `.done`.
                self._stream_call(
                    events, index, item, [] if wire.arguments_only_in_done else pieces
                )
                calls += 1
        if wire.response_id_changes:
            response_id += "_final"  # seen in real traffic: created and completed ids differ
        terminal = echo.response(response_id, reply, _output(reply, turn))
        kind = "response.incomplete" if terminal["status"] == "incomplete" else "response.completed"
        events.emit(kind, response=terminal)
        response = sse_response(events.written, wire)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def _stream_message(
        self, events: _Events, index: int, item: dict[str, Any], parts: tuple[str, ...]
    ) -> None:
        item_id = item["id"]
        events.emit(
            "response.output_item.added",
            item={**item, "status": "in_progress", "content": []},
            output_index=index,
        )
        where: dict[str, Any] = {"item_id": item_id, "output_index": index, "content_index": 0}
        events.emit("response.content_part.added", **where, part=_text_part(""))
        for part in parts:
            if part:  # the API never sends an empty delta
                events.emit("response.output_text.delta", **where, delta=part, logprobs=[])
        text = "".join(parts)
        events.emit("response.output_text.done", **where, text=text, logprobs=[])
        events.emit("response.content_part.done", **where, part=_text_part(text))
        events.emit("response.output_item.done", item=item, output_index=index)

    def _stream_call(
        self, events: _Events, index: int, item: dict[str, Any], pieces: list[str]
    ) -> None:
        where: dict[str, Any] = {"item_id": item["id"], "output_index": index}
        events.emit(
            "response.output_item.added",
            item={**item, "status": "in_progress", "arguments": ""},
            output_index=index,
        )
        for piece in pieces:
            events.emit("response.function_call_arguments.delta", **where, delta=piece)
        events.emit("response.function_call_arguments.done", **where, arguments=item["arguments"])
        events.emit("response.output_item.done", item=item, output_index=index)

    def _failed_stream(
        self, error: ErrorReply, echo: _Echo, response_id: str, wire: WireOptions
    ) -> WireResponse:
        """A stream accepted with 200 that fails on the server's side (ER-6)."""
        code = error.code or _FAILURE_CODES.get(error.status, "server_error")
        events = _Events(wire)
        started = echo.response(response_id, None, [])
        events.emit("response.created", response=started)
        events.emit("response.in_progress", response=started)
        events.emit("error", code=code, message=error.message, param=None)
        failed = {
            **started,
            "status": "failed",
            "error": {"code": code, "message": error.message},
        }
        events.emit("response.failed", response=failed)
        return sse_response(events.written, wire)

    def render_error(self, error: ErrorReply) -> WireResponse:
        return _PLATFORM_ERRORS.render_error(error)

    # -- reading recordings ----------------------------------------------------------------

    def recording_reply(self, body: bytes) -> Reply:
        text: list[str] = []
        calls: list[ToolCall] = []
        item_types: dict[Any, str] = {}
        stop: str | None = None
        usage: Usage | None = None
        for event, data in sse_blocks(body):
            if data.strip() == "[DONE]":
                break
            payload = json.loads(data)
            kind = payload.get("type") or event
            if kind == "error":
                return Reply(error=_in_stream_error(payload.get("error") or payload))
            if kind == "response.failed":
                return Reply(error=_in_stream_error(payload["response"].get("error") or {}))
            if kind == "response.output_item.added":
                item_types[payload.get("output_index")] = payload["item"].get("type")
            elif kind == "response.output_text.delta":
                # Only message items carry output text; reasoning has events of its own.
                if item_types.get(payload.get("output_index"), "message") == "message":
                    text.append(payload["delta"])
            elif kind == "response.output_item.done" and payload["item"]["type"] == "function_call":
                item = payload["item"]
                calls.append(ToolCall(item["call_id"], item["name"], _loads(item["arguments"])))
            elif kind in ("response.completed", "response.incomplete"):
                response = payload["response"]
                raw = response.get("usage")
                if raw:
                    usage = Usage(raw["input_tokens"], raw["output_tokens"], raw["total_tokens"])
                if response.get("status") == "incomplete" or kind == "response.incomplete":
                    reason = (response.get("incomplete_details") or {}).get("reason")
                    stop = _STOP_FOR_REASON.get(str(reason), "length")
                else:
                    stop = "tool_calls" if calls else "stop"
                break
        return Reply(text_parts=tuple(text), tool_calls=tuple(calls), stop_reason=stop, usage=usage)

    def recording_body_reply(self, body: bytes) -> Reply:
        response = json.loads(body)
        if response.get("error") is not None:
            return Reply(error=_in_stream_error(response["error"]))
        text: list[str] = []
        calls: list[ToolCall] = []
        for item in response.get("output") or ():
            if item.get("type") == "message":
                text += [
                    part["text"]
                    for part in item.get("content") or ()
                    if part.get("type") == "output_text" and part.get("text")
                ]
            elif item.get("type") == "function_call":
                calls.append(ToolCall(item["call_id"], item["name"], _loads(item["arguments"])))
        raw = response.get("usage")
        usage = (
            Usage(raw["input_tokens"], raw["output_tokens"], raw["total_tokens"]) if raw else None
        )
        if response.get("status") == "incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            stop = _STOP_FOR_REASON.get(str(reason), "length")
        else:
            stop = "tool_calls" if calls else "stop"
        return Reply(text_parts=tuple(text), tool_calls=tuple(calls), stop_reason=stop, usage=usage)

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        body = request.json()
        if not isinstance(body, dict):
            return CanonicalRequest(
                None,
                None,
                None,
                None,
                None,
                (),
                (),
                problems=(("RQ-1", "the body is not a JSON object"),),
            )
        problems: list[tuple[str, str]] = [
            (
                "RQ-1",
                f"the body has {field!r}, a Chat Completions parameter that the Responses API "
                f"rejects; it expects {instead}",
            )
            for field, instead in _CHAT_ONLY_FIELDS.items()
            if field in body
        ]
        instructions = body.get("instructions")
        system = instructions if isinstance(instructions, str) else None
        messages: list[ChatMessage] = []
        for position, item in enumerate(_input_items(body.get("input"))):
            if not isinstance(item, dict):
                problems.append(("RQ-1", f"input[{position}] is not an object"))
                continue
            kind = item.get("type", "message")
            if kind == "function_call":
                if not item.get("call_id"):
                    problems.append(
                        (
                            "RQ-1",
                            f"input[{position}] is a function_call without 'call_id' (its 'id' "
                            f"is {item.get('id')!r}); a tool result pairs with the call_id, the "
                            "item id is only the API's handle for a stored item",
                        )
                    )
                call = ToolCall(
                    _string(item.get("call_id")),
                    _string(item.get("name")),
                    _loads(item.get("arguments")),
                )
                if messages and messages[-1].role == "assistant":
                    last = messages[-1]
                    messages[-1] = replace(last, tool_calls=(*last.tool_calls, call))
                else:
                    messages.append(ChatMessage("assistant", tool_calls=(call,)))
            elif kind == "function_call_output":
                call_id = item.get("call_id")
                messages.append(
                    ChatMessage(
                        "tool",
                        _text_content(item.get("output")),
                        tool_call_id=call_id if isinstance(call_id, str) else None,
                    )
                )
            elif kind == "message":
                role = item.get("role")
                content = _text_content(item.get("content"))
                if role in ("system", "developer"):
                    if position == 0 and system is None:
                        system = content
                    elif position == 0:
                        problems.append(
                            (
                                "RQ-6",
                                f"the system prompt is sent twice: in 'instructions' and as a "
                                f"{role} message at input[0]",
                            )
                        )
                    else:
                        problems.append(
                            (
                                "RQ-6",
                                f"a {role} message stands at input[{position}]; the Responses "
                                "API expects the system prompt in 'instructions' or as the "
                                "first input item",
                            )
                        )
                elif isinstance(role, str) and role in _ROLES:
                    messages.append(ChatMessage(_ROLES[role], content))
                else:
                    problems.append(("RQ-1", f"input[{position}] has role {role!r}"))
            # Other item types (reasoning, item references, hosted tools) carry no message.
        if "system" in body:
            problems.append(
                (
                    "RQ-6",
                    "the body has a top-level 'system' field (an Anthropic shape); the Responses "
                    "API expects 'instructions' or a first system/developer input item",
                )
            )
        tools: list[ToolSpec] = []
        for position, tool in enumerate(body.get("tools") or ()):
            if not isinstance(tool, dict) or tool.get("type") != "function":
                continue
            if "name" not in tool and isinstance(tool.get("function"), dict):
                problems.append(
                    (
                        "RQ-1",
                        f"tools[{position}] has the Chat Completions shape "
                        "{type, function: {...}}; the Responses API wants name, description and "
                        "parameters beside type",
                    )
                )
                continue
            tools.append(
                ToolSpec(
                    _string(tool.get("name")),
                    tool.get("description", ""),
                    tool.get("parameters", {}),
                )
            )
        stream = body.get("stream")
        return CanonicalRequest(
            model=body.get("model"),
            temperature=body.get("temperature"),
            max_tokens=body.get("max_output_tokens"),
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=tuple(tools),
            problems=tuple(problems),
            extras={"instructions": instructions, "store": body.get("store")},
            top_p=body.get("top_p"),
        )


class _Events:
    """SSE events as the API writes them: `event:` equal to the type, numbered in sequence."""

    def __init__(self, wire: WireOptions) -> None:
        self._wire = wire
        self._numbers: Iterator[int] = itertools.count()
        self.written: list[bytes] = []

    def emit(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, **fields, "sequence_number": next(self._numbers)}
        self.written.append(sse_json(payload, self._wire, event=kind))


class _Echo:
    """The request settings a response object repeats, read defensively from any request body.

    A real response echoes what was asked; echoing a malformed value would make the answer itself
    malformed, so anything of the wrong type is echoed as the API's default instead.
    """

    def __init__(
        self,
        model: str,
        instructions: str | None,
        temperature: float,
        max_output_tokens: int | None,
        tools: list[dict[str, Any]],
    ) -> None:
        self.model = model
        self.instructions = instructions
        self.temperature = temperature
        self.max_output_tokens = max_output_tokens
        self.tools = tools

    @classmethod
    def of(cls, body: Mapping[str, Any], default_model: str) -> _Echo:
        model = body.get("model")
        instructions = body.get("instructions")
        temperature = body.get("temperature")
        limit = body.get("max_output_tokens")
        tools = [
            {
                "type": "function",
                "name": tool["name"],
                "description": tool.get("description")
                if isinstance(tool.get("description"), str)
                else None,
                "parameters": tool.get("parameters")
                if isinstance(tool.get("parameters"), dict)
                else None,
                "strict": tool.get("strict") if isinstance(tool.get("strict"), bool) else None,
            }
            for tool in body.get("tools") or ()
            if isinstance(tool, dict)
            and tool.get("type") == "function"
            and isinstance(tool.get("name"), str)
        ]
        return cls(
            model=model if isinstance(model, str) and model else default_model,
            instructions=instructions if isinstance(instructions, str) else None,
            temperature=float(temperature)
            if isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
            else 1.0,
            max_output_tokens=limit
            if isinstance(limit, int) and not isinstance(limit, bool)
            else None,
            tools=tools,
        )

    def response(
        self, response_id: str, reply: Reply | None, output: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The response object: in progress (no reply yet) or finished with the reply."""
        status, incomplete = "in_progress", None
        if reply is not None:
            reason = _INCOMPLETE_REASONS.get(reply.effective_stop_reason)
            status = "incomplete" if reason else "completed"
            incomplete = {"reason": reason} if reason else None
        return {
            "id": response_id,
            "object": "response",
            "created_at": _CREATED,
            "status": status,
            "background": False,
            "completed_at": _CREATED + 1 if reply is not None else None,
            "error": None,
            "incomplete_details": incomplete,
            "instructions": self.instructions,
            "max_output_tokens": self.max_output_tokens,
            "max_tool_calls": None,
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": self.temperature,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": self.tools,
            "top_logprobs": 0,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": _usage(reply.usage) if reply is not None and reply.usage else None,
            "user": None,
            "metadata": {},
        }


def _output(reply: Reply, turn: int) -> list[dict[str, Any]]:
    """The output items of a finished reply: its text as one message, then each function call."""
    finished = "incomplete" if reply.effective_stop_reason in _INCOMPLETE_REASONS else "completed"
    items: list[dict[str, Any]] = []
    if reply.text_parts or not reply.tool_calls:
        items.append(
            {
                "id": f"msg_conformance_{turn}",
                "type": "message",
                "status": finished,
                "content": [_text_part(reply.text)],
                "role": "assistant",
            }
        )
    for index, call in enumerate(reply.tool_calls):
        items.append(
            {
                # Deliberately unlike the call id, so a provider reporting it is caught.
                "id": f"fc_conformance_{turn}_{index}",
                "type": "function_call",
                "status": "completed",
                "arguments": unparsable_arguments(call)
                if reply.fault.unparsable_tool_arguments
                else json.dumps(dict(call.arguments), ensure_ascii=False, separators=(",", ":")),
                "call_id": call.id,
                "name": call.name,
            }
        )
    return items


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def _in_stream_error(error: Mapping[str, Any]) -> ErrorReply:
    """An error object found inside a stream, with the HTTP status it stands for."""
    status = error.get("status_code")
    if not isinstance(status, int):
        words = (error.get("code"), error.get("type"))
        status = next(
            (_STATUS_FOR_WORD[w] for w in words if isinstance(w, str) and w in _STATUS_FOR_WORD),
            500,
        )
    return ErrorReply(status=status, message=str(error.get("message", "")), in_stream=True)


def _input_items(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    return raw if isinstance(raw, list) else []


def _text_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _loads(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return {"<unparsable arguments>": raw}
    return value if isinstance(value, dict) else {"<not an object>": value}
