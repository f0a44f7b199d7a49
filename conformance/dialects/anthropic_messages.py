# Whole on purpose (over 400 lines): one API's wire, requests to streams to errors, in one file.
"""Anthropic Messages (`POST /v1/messages`), JSON for chat and SSE with `event:` lines for streams.

The rendering follows recorded api.anthropic.com traffic: `message_start` carrying the input token
count (and a provisional output count), one content block per text answer and per tool use, each
opened by `content_block_start` and closed by `content_block_stop`; text arrives as `text_delta`,
tool input as `input_json_delta` fragments that start from an empty string while the block's
`input` says `{}`; `ping` events come between the others; `message_delta` carries the stop reason
and the final output token count; `message_stop` ends the stream. An error inside a stream is an
`event: error` after which the server closes the body.

The wire has no total token count, and tool calls and their results pair by `tool_use_id`. Of
the scenario wire options, `continuation_ids` has nothing to act on: input fragments carry only
their block's index, never an id or a name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.call_schedule import argument_pieces
from conformance.dialects.model_lists import anthropic_side, anthropic_side_endpoint
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import sse_event, sse_json, sse_response
from conformance.scenarios.model import ErrorReply, Reply, Scenario, WireOptions
from conformance.scenarios.tool_arguments import unparsable_arguments
from conformance.vocabulary.canonical import ChatMessage, Mode, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

API_VERSION = "2023-06-01"
_REQUEST_ID = "req_conformance"

#: `error.type` per HTTP status, as the API documents them; unlisted statuses fall back by class.
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

#: The reverse, for errors that arrive inside a 200 stream and so carry no status of their own.
STATUS_FOR_ERROR_TYPE: dict[str, int] = {word: status for status, word in ERROR_TYPES.items()}

#: Canonical stop reasons in the API's words.
_WIRE_STOP: dict[str, str] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}

#: The API's stop reasons in canonical words (the oracle's vocabulary: CH-3 compares canonically).
CANONICAL_STOP: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}

#: What the real API sends as a ping's data, space included.
_PING = '{"type": "ping"}'


def error_type_for_status(status: int) -> str:
    if status in ERROR_TYPES:
        return ERROR_TYPES[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


class AnthropicMessagesDialect(Dialect):
    name: ClassVar[str] = "anthropic-messages"
    title: ClassVar[str] = "Anthropic Messages (SSE with event lines)"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = "anthropic-messages.request.schema.json"
    credential_description: ClassVar[str] = (
        "the header 'x-api-key: <key>' (or 'Authorization: Bearer <key>', which the official SDK "
        "sends since 2.x), with 'anthropic-version'"
    )
    chat_path_description: ClassVar[str] = "POST /v1/messages"
    corpus_folder: ClassVar[str | None] = "anthropic"
    #: A streamed tool_use input is JSON text (partial_json); a complete message's is an object.
    wire_features: ClassVar[frozenset[str]] = frozenset({"unparsable_tool_arguments"})
    #: `top_p` and `stop_sequences`.
    request_parameters: ClassVar[frozenset[str]] = frozenset({"top_p", "stop"})

    def cannot_express(self, scenario: Scenario, mode: Mode) -> str | None:
        if mode == "chat" and "unparsable_tool_arguments" in scenario.wire_features(mode):
            return (
                f"dialect {self.name} cannot express tool-call arguments that are not valid JSON "
                "in a complete message (`input` is a JSON object); only a stream carries them "
                "as text"
            )
        return super().cannot_express(scenario, mode)

    def wire_usage(self, usage: Usage) -> Usage:
        # Only input and output counts travel; a provider can only report their sum as the total.
        return Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.prompt_tokens + usage.completion_tokens,
        )

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == "/v1/messages":
            return Endpoint("chat")
        return anthropic_side_endpoint(method, path)

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        if endpoint.kind in ("models", "count_tokens"):
            return anthropic_side(endpoint, request, scenario, self.render_error)
        return self.unknown_endpoint(request.method, request.path)

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        body = request.json()
        return isinstance(body, dict) and body.get("stream") is True

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        # x-api-key is the documented header; the official SDK 2.x sends an API key as a bearer
        # token instead, and the API takes either.
        return (
            request.header("x-api-key") == api_key
            or request.header("authorization") == f"Bearer {api_key}"
        )

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        rejected = self._rejection(request)
        if rejected is not None:
            return self.render_error(ErrorReply(400, rejected))
        reply = scenario.turns[turn].reply
        if reply.error is not None and not (stream and reply.error.in_stream):
            return self.render_error(reply.error)
        model = _requested_model(request) or scenario.request.model
        message_id = f"msg_conformance_{scenario.name}_{turn}"
        if stream:
            return self._stream(scenario.wire, reply, model, message_id)
        response = json_response(200, self._message(reply, model, message_id), _headers())
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def _rejection(self, request: RecordedRequest) -> str | None:
        """What the real API answers 400 for before looking at the conversation."""
        if not request.header("anthropic-version"):
            return "anthropic-version: header is required"
        body = request.json()
        if isinstance(body, dict) and "max_tokens" not in body:
            return "max_tokens: Field required"
        return None

    def _message(self, reply: Reply, model: str, message_id: str) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content += [
            {"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.arguments)}
            for call in reply.tool_calls
        ]
        prompt, completion = _counts(reply)
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": _wire_stop(reply),
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": completion,
                "service_tier": "standard",
            },
        }

    def _stream(self, wire: WireOptions, reply: Reply, model: str, message_id: str) -> WireResponse:
        def event(payload: dict[str, Any]) -> bytes:
            return sse_json(payload, wire, event=str(payload["type"]))

        ping = sse_event(_PING, wire, event="ping")
        prompt, completion = _counts(reply)
        events = [
            event(
                {
                    "type": "message_start",
                    "message": {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": {
                            "input_tokens": prompt,
                            "cache_creation_input_tokens": 0,
                            "cache_read_input_tokens": 0,
                            # Provisional, as the API sends it: the real count comes at the end.
                            "output_tokens": min(completion, 1),
                            "service_tier": "standard",
                        },
                    },
                }
            )
        ]
        index = 0
        if reply.text_parts:
            events.append(
                event(
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {"type": "text", "text": ""},
                    }
                )
            )
            # The API pings right after the first block opens, and now and then between deltas.
            events.append(ping)
            for position, part in enumerate(reply.text_parts):
                if position == 1:
                    events.append(ping)
                events.append(
                    event(
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "text_delta", "text": part},
                        }
                    )
                )
            if reply.error is None:
                events.append(event({"type": "content_block_stop", "index": index}))
            index += 1
        if reply.error is not None:
            # An overload or internal failure mid-answer: the API sends the error and hangs up.
            if len(events) == 1:
                events.append(ping)
            events.append(
                event(
                    {
                        "type": "error",
                        "error": {
                            "type": reply.error.code or error_type_for_status(reply.error.status),
                            "message": reply.error.message,
                        },
                    }
                )
            )
            return self._finish(events, wire, reply)
        for position, call in enumerate(reply.tool_calls):
            events.append(
                event(
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {
                            "type": "tool_use",
                            "id": call.id,
                            "name": call.name,
                            "input": {},
                        },
                    }
                )
            )
            if len(events) == 2:
                events.append(ping)
            # Input always streams from an empty fragment; an empty input stays at that one.
            pieces = [""]
            if reply.fault.unparsable_tool_arguments:
                pieces += argument_pieces(unparsable_arguments(call), wire, position)
            elif call.arguments:
                pieces += argument_pieces(_arguments(call), wire, position)
            for number, piece in enumerate(pieces):
                if number == 2:
                    events.append(ping)
                events.append(
                    event(
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": piece},
                        }
                    )
                )
            events.append(event({"type": "content_block_stop", "index": index}))
            index += 1
        if index == 0:
            events.append(ping)
        events.append(
            event(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": _wire_stop(reply), "stop_sequence": None},
                    "usage": {"output_tokens": completion},
                }
            )
        )
        events.append(event({"type": "message_stop"}))
        return self._finish(events, wire, reply)

    def _finish(self, events: list[bytes], wire: WireOptions, reply: Reply) -> WireResponse:
        response = sse_response(events, wire)
        response.headers += list(_headers().items())
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def render_error(self, error: ErrorReply) -> WireResponse:
        body = {
            "type": "error",
            "error": {
                "type": error.code or error_type_for_status(error.status),
                "message": error.message,
            },
            "request_id": _REQUEST_ID,
        }
        headers = _headers()
        headers["x-should-retry"] = (
            "true" if error.status in (408, 409, 429) or error.status >= 500 else "false"
        )
        headers.update(error.headers)
        return json_response(error.status, body, headers)

    # -- reading recordings ----------------------------------------------------------------

    def recording_reply(self, body: bytes) -> Reply:
        """A plain reading: text from text deltas, calls from closed tool_use blocks.

        A tool_use block that never receives its content_block_stop (the answer hit max_tokens
        inside it) is not a call: its input is unfinished, and the stop reason says so.
        """
        text: list[str] = []
        blocks: dict[int, dict[str, Any]] = {}
        stop: str | None = None
        prompt: int | None = None
        completion: int | None = None
        for event, data in sse_blocks(body):
            payload = json.loads(data)
            kind = payload.get("type")
            if event == "error" or kind == "error":
                error = payload.get("error") or {}
                return Reply(
                    error=ErrorReply(
                        status=STATUS_FOR_ERROR_TYPE.get(str(error.get("type")), 500),
                        message=str(error.get("message", "")),
                        in_stream=True,
                    )
                )
            if kind == "message_start":
                usage = payload["message"].get("usage") or {}
                prompt = usage.get("input_tokens", prompt)
                completion = usage.get("output_tokens", completion)
            elif kind == "content_block_start":
                block = payload["content_block"]
                blocks[payload["index"]] = {
                    "type": block["type"],
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "input": "",
                    "closed": False,
                }
            elif kind == "content_block_delta":
                delta = payload["delta"]
                if delta["type"] == "text_delta":
                    text.append(delta["text"])
                elif delta["type"] == "input_json_delta":
                    blocks[payload["index"]]["input"] += delta["partial_json"]
            elif kind == "content_block_stop":
                blocks[payload["index"]]["closed"] = True
            elif kind == "message_delta":
                stop = payload["delta"].get("stop_reason") or stop
                usage = payload.get("usage") or {}
                prompt = usage.get("input_tokens", prompt)
                completion = usage.get("output_tokens", completion)
        calls = tuple(
            ToolCall(b["id"], b["name"], json.loads(b["input"]) if b["input"].strip() else {})
            for _, b in sorted(blocks.items())
            if b["type"] == "tool_use" and b["closed"]
        )
        return Reply(
            text_parts=tuple(text),
            tool_calls=calls,
            stop_reason=CANONICAL_STOP.get(stop, stop) if stop else None,
            usage=(
                Usage(prompt, completion, prompt + completion)
                if prompt is not None and completion is not None
                else None
            ),
        )

    def recording_body_reply(self, body: bytes) -> Reply:
        """A Messages response read plainly: text blocks, tool_use blocks, stop_reason, usage.

        Strict on purpose: a document that is not a Messages response (no `content` list) is
        an error naming the file, never an empty answer that any provider would match.
        """
        payload = json.loads(body)
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object (a Messages response or an error)")
        if payload.get("type") == "error" or payload.get("error") is not None:
            error = payload.get("error") or {}
            return Reply(
                error=ErrorReply(
                    status=STATUS_FOR_ERROR_TYPE.get(str(error.get("type")), 500),
                    message=str(error.get("message", "")),
                )
            )
        content = payload["content"]
        if not isinstance(content, list):
            raise ValueError("'content' is not a list of content blocks")
        text = tuple(str(b["text"]) for b in content if b["type"] == "text")
        calls = tuple(
            ToolCall(str(b["id"]), str(b["name"]), dict(b.get("input") or {}))
            for b in content
            if b["type"] == "tool_use"
        )
        stop = payload.get("stop_reason")
        usage = payload.get("usage") or {}
        prompt, completion = usage.get("input_tokens"), usage.get("output_tokens")
        return Reply(
            text_parts=text,
            tool_calls=calls,
            stop_reason=CANONICAL_STOP.get(stop, stop) if stop else None,
            usage=(
                Usage(prompt, completion, prompt + completion)
                if prompt is not None and completion is not None
                else None
            ),
        )

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        problems: list[tuple[str, str]] = []
        if not request.header("anthropic-version"):
            problems.append(
                (
                    "RQ-1",
                    "the anthropic-version header is missing; the API answers 400 "
                    f"without it (send 'anthropic-version: {API_VERSION}')",
                )
            )
        body = request.json()
        if not isinstance(body, dict):
            problems.append(("RQ-1", "the body is not a JSON object"))
            return CanonicalRequest(None, None, None, None, None, (), (), problems=tuple(problems))
        system = _system_text(body.get("system"), problems)
        messages: list[ChatMessage] = []
        raw_messages = body.get("messages")
        previous_calls: set[str] = set()
        for position, raw in enumerate(raw_messages if isinstance(raw_messages, list) else ()):
            if not isinstance(raw, dict):
                continue  # the schema reports it
            role = raw.get("role")
            if role == "system":
                problems.append(
                    (
                        "RQ-6",
                        f"a system message stands at messages[{position}]; the Messages API "
                        "takes the system prompt in the top-level 'system' field",
                    )
                )
                continue
            if role == "assistant":
                message = _assistant_message(raw.get("content"))
                previous_calls = {call.id for call in message.tool_calls}
                messages.append(message)
            elif role == "user":
                parsed = _user_messages(raw.get("content"))
                for result in (m for m in parsed if m.role == "tool"):
                    if result.tool_call_id not in previous_calls:
                        problems.append(
                            (
                                "RQ-5",
                                f"messages[{position}] has a tool_result for "
                                f"{result.tool_call_id!r}, which is not a tool_use of the "
                                "assistant message right before it (the API answers 400)",
                            )
                        )
                previous_calls = set()
                messages += parsed
        tools = tuple(
            ToolSpec(str(t.get("name")), str(t.get("description", "")), t.get("input_schema", {}))
            for t in body.get("tools") or ()
            if isinstance(t, dict) and t.get("type") in (None, "custom")
        )
        stream = body.get("stream")
        return CanonicalRequest(
            model=body.get("model"),
            temperature=body.get("temperature"),
            max_tokens=body.get("max_tokens"),
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=tools,
            problems=tuple(problems),
            top_p=body.get("top_p"),
            stop=_strings(body.get("stop_sequences")),
        )


def _strings(value: Any) -> tuple[str, ...] | None:
    return tuple(str(v) for v in value) if isinstance(value, list) else None


def _headers() -> dict[str, str]:
    return {"request-id": _REQUEST_ID, "anthropic-organization-id": "org_conformance"}


def _counts(reply: Reply) -> tuple[int, int]:
    """Input and output tokens; the API always reports usage, so a reply without any sends 0."""
    if reply.usage is None:
        return 0, 0
    return reply.usage.prompt_tokens, reply.usage.completion_tokens


def _wire_stop(reply: Reply) -> str:
    stop = reply.effective_stop_reason
    return _WIRE_STOP.get(stop, stop)


def _arguments(call: ToolCall) -> str:
    # The API's partial_json is JSON with spaces after separators, non-ASCII left as is.
    return json.dumps(dict(call.arguments), ensure_ascii=False)


def _requested_model(request: RecordedRequest) -> str | None:
    body = request.json()
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def _text_of(content: Any) -> str:
    """The text of a string or of a list of blocks (only text blocks count)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(block.get("text", ""))
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
    return ""


def _system_text(raw: Any, problems: list[tuple[str, str]]) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return "\n".join(
            str(block.get("text", ""))
            for block in raw
            if isinstance(block, dict) and block.get("type") == "text"
        )
    problems.append(("RQ-6", f"'system' is a {type(raw).__name__}, not a string or text blocks"))
    return None


def _assistant_message(content: Any) -> ChatMessage:
    calls = tuple(
        ToolCall(str(block.get("id")), str(block.get("name")), _input(block.get("input")))
        for block in (content if isinstance(content, list) else ())
        if isinstance(block, dict) and block.get("type") == "tool_use"
    )
    return ChatMessage("assistant", _text_of(content), tool_calls=calls)


def _user_messages(content: Any) -> list[ChatMessage]:
    """A user turn as canonical messages: one `tool` message per tool_result, then the text."""
    if not isinstance(content, list):
        return [ChatMessage("user", _text_of(content))]
    out = [
        ChatMessage(
            "tool",
            _text_of(block.get("content")),
            tool_call_id=str(block.get("tool_use_id")) if block.get("tool_use_id") else None,
        )
        for block in content
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]
    if any(isinstance(b, dict) and b.get("type") != "tool_result" for b in content) or not out:
        out.append(ChatMessage("user", _text_of(content)))
    return out


def _input(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, dict) else {"<not an object>": raw}
