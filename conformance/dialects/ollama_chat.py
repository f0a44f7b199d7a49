# Whole on purpose (over 400 lines): one API's wire, requests to streams to errors, in one file.
"""Ollama's native chat API: `POST /api/chat`, answered in newline-delimited JSON.

The rendering follows recorded Ollama traffic and the server's own encoder (Go's encoding/json):
one compact JSON object per line, each carrying `model`, `created_at`, a partial `message` and
`done: false`; a last line with `done: true`, `done_reason`, durations and the token counts
`prompt_eval_count` / `eval_count` (no total on this wire). Tool calls arrive whole, arguments
as a JSON object, each with an `id` and `function.index` as current Ollama sends them, and
`done_reason` stays `"stop"` when the model called tools: a provider must see the calls itself.

Streaming is the default: a request without `"stream": false` gets NDJSON. NDJSON has no SSE
framing, so of the scenario's wire options only `split_bytes` (lines cut across reads) and a CRLF
line ending (which NDJSON allows before the newline) apply.

Ollama-based providers also use `/api/generate` for plain text and `/api/tags`, `/api/version` or
`GET /` as a health check; those are answered too, from the same scenario. `/api/generate` plays
the scenario's turns exactly as `/api/chat` does (its text in the `response` field), so it is
judged alike; the health paths give their own answer, but share the scenario's errors and faults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.scenarios.model import ErrorReply, Reply, Scenario, WireOptions
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse

#: Ollama writes its JSON bodies through gin's c.JSON, with this Content-Type.
_JSON_TYPE = "application/json; charset=utf-8"
_NDJSON_TYPE = "application/x-ndjson"
_VERSION = "0.12.6"
_STARTED = datetime(2025, 8, 20, 13, 48, 24, 316155, tzinfo=UTC)
_TOKEN_INTERVAL = timedelta(microseconds=4957)
#: Durations in nanoseconds, as a local model reports them; only their presence matters.
_DURATIONS = {
    "total_duration": 171946792,
    "load_duration": 38473250,
    "prompt_eval_duration": 27608250,
    "eval_duration": 105611917,
}
_METRICS_ORDER = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)
_CONTEXT = [128006, 882, 128007, 271, 9906, 128009]


#: One compact encoder, built once: json.dumps with options builds a new encoder per call, which
#: is a large share of rendering a long stream.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

#: Go's encoder escapes these inside strings (HTML safety, and JavaScript line separators).
_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_GO_ESCAPE_PATTERN = re.compile("[<>&\u2028\u2029]")

#: What each path means: chat is judged; the others are what Ollama-based providers call for
#: plain text (/api/generate) and health checks.
_ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/chat"): "chat",
    ("POST", "/api/generate"): "generate",
    ("POST", "/api/show"): "show",
    ("GET", "/api/tags"): "tags",
    ("GET", "/api/version"): "version",
    ("GET", "/"): "root",
}

_GENERATE_SCHEMA = "ollama-generate.request.schema.json"

#: A recorded body cut after each newline, the last piece as it is.
_LINE_PIECES = re.compile(rb"[^\n]*\n|[^\n]+")


class OllamaChatDialect(Dialect):
    name: ClassVar[str] = "ollama-chat"
    title: ClassVar[str] = "Ollama /api/chat (NDJSON)"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = "ollama-chat.request.schema.json"
    credential_description: ClassVar[str] = (
        "no credentials (local Ollama), or the header 'Authorization: Bearer <key>' (Ollama cloud)"
    )
    chat_path_description: ClassVar[str] = "POST /api/chat"
    corpus_folder: ClassVar[str | None] = "ollama"
    # The generate stream answers another endpoint, and the .json file is a non-streamed body.
    corpus_pattern: ClassVar[str] = "ollama__chat_stream_*.ndjson"
    corpus_bodies: ClassVar[str | None] = "ollama__chat_*"
    stream_content_type: ClassVar[str] = _NDJSON_TYPE
    # Current Ollama gives every tool call an id (`call_…`), so a provider can and must pass it on.
    tool_call_ids: ClassVar[bool] = True

    def wire_usage(self, usage: Usage) -> Usage:
        # Ollama sends prompt_eval_count and eval_count only: the total is their sum.
        total = usage.prompt_tokens + usage.completion_tokens
        return Usage(usage.prompt_tokens, usage.completion_tokens, total)

    def tool_call_key(self, call: ToolCall) -> str:
        # A tool result names its call by `tool_name` (every Ollama version; the official Python
        # client sends nothing else) or by `tool_call_id` (newer servers); parse_request resolves
        # either to the name of the call it answers.
        return call.name

    # -- routing ---------------------------------------------------------------------------

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        kind = _ROUTES.get((method, path.rstrip("/") or "/"))
        return Endpoint(kind) if kind else None

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        body = request.json()
        # Ollama streams unless told not to: an absent or null `stream` means true.
        return isinstance(body, dict) and body.get("stream", True) is not False

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        # A local Ollama takes no credentials; a key, when sent, goes as a bearer token.
        authorization = request.header("authorization")
        return authorization is None or authorization == f"Bearer {api_key}"

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        model = _requested_model(request) or scenario.request.model
        if reply.error is not None:
            # Ollama writes an error line into a stream only once content has gone out, and that
            # line carries no status: it can only stand for a 500. Any other status is sent the
            # way Ollama sends errors before the first line, as an HTTP error.
            if stream and reply.error.in_stream and reply.error.status == 500:
                return self._stream_error(reply, model, scenario.wire)
            return self.render_error(reply.error)
        if not stream:
            message = _message(reply.text, reply.tool_calls)
            response = _json_response(200, self._done_line(model, 0, reply, message))
            response.meta["usage_sent"] = reply.usage is not None
            return response
        lines = self._text_lines(model, reply)
        for index, call in enumerate(reply.tool_calls):
            lines.append(
                self._line(model, len(lines), {"message": _message("", (call,), first=index)})
            )
        lines.append(self._done_line(model, len(lines), reply, _message("")))
        response = _ndjson_response(lines, scenario.wire)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def _stream_error(self, reply: Reply, model: str, wire: WireOptions) -> WireResponse:
        assert reply.error is not None
        lines = self._text_lines(model, reply)
        lines.append({"error": reply.error.message})
        return _ndjson_response(lines, wire)

    def _text_lines(self, model: str, reply: Reply) -> list[dict[str, Any]]:
        # Ollama sends no line for an empty piece of text.
        parts = [part for part in reply.text_parts if part]
        return [self._line(model, n, {"message": _message(part)}) for n, part in enumerate(parts)]

    def _line(self, model: str, position: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {"model": model, "created_at": _created_at(position), **fields, "done": False}

    def _done_line(
        self, model: str, position: int, reply: Reply, message: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "model": model,
            "created_at": _created_at(position),
            "message": message,
            "done": True,
            "done_reason": _done_reason(reply),
            **_metrics(reply.usage),
        }

    def render_error(self, error: ErrorReply) -> WireResponse:
        response = _json_response(error.status, {"error": error.message})
        response.headers += list(error.headers.items())
        return response

    def render_turn(
        self,
        endpoint: Endpoint,
        scenario: Scenario,
        turn: int,
        request: RecordedRequest,
        *,
        stream: bool,
    ) -> WireResponse:
        if endpoint.kind == "generate":
            return self._generate(request, scenario, turn, stream=stream)
        return self.render_reply(scenario, turn, request, stream=stream)

    def request_schema_for(self, request: RecordedRequest) -> str:
        if self.endpoint(request.method, request.path) == Endpoint("generate"):
            return _GENERATE_SCHEMA
        return self.request_schema

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        model = scenario.request.model
        if endpoint.kind == "tags":
            return _json_response(200, {"models": [_model_entry(model)]})
        if endpoint.kind == "version":
            return _json_response(200, {"version": _VERSION})
        if endpoint.kind == "show":
            return self._show(request, model)
        if endpoint.kind == "root":
            return WireResponse(
                200, [("Content-Type", "text/plain; charset=utf-8")], [b"Ollama is running"]
            )
        return self.unknown_endpoint(request.method, request.path)

    def _generate(
        self, request: RecordedRequest, scenario: Scenario, turn: int, *, stream: bool
    ) -> WireResponse:
        """/api/generate plays the turn as plain text: the same reply, in the `response` field.

        It has no tool calls to carry: a provider that answers a tool turn through it loses them,
        and the judge sees that.
        """
        reply = scenario.turns[turn].reply
        model = _requested_model(request) or scenario.request.model
        if reply.error is not None:
            if stream and reply.error.in_stream and reply.error.status == 500:
                lines = self._generate_text_lines(model, reply)
                lines.append({"error": reply.error.message})
                return _ndjson_response(lines, scenario.wire)
            return self.render_error(reply.error)
        if not stream:
            line = {"model": model, "created_at": _created_at(0), "response": reply.text}
            line.update(self._generate_done(reply))
            response = _json_response(200, line)
            response.meta["usage_sent"] = reply.usage is not None
            return response
        lines = self._generate_text_lines(model, reply)
        last = {"model": model, "created_at": _created_at(len(lines)), "response": ""}
        last.update(self._generate_done(reply))
        lines.append(last)
        response = _ndjson_response(lines, scenario.wire)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def _generate_text_lines(self, model: str, reply: Reply) -> list[dict[str, Any]]:
        parts = [part for part in reply.text_parts if part]
        return [
            {"model": model, "created_at": _created_at(n), "response": part, "done": False}
            for n, part in enumerate(parts)
        ]

    def _generate_done(self, reply: Reply) -> dict[str, Any]:
        return {
            "done": True,
            "done_reason": _done_reason(reply),
            "context": list(_CONTEXT),
            **_metrics(reply.usage),
        }

    def _show(self, request: RecordedRequest, model: str) -> WireResponse:
        body = request.json()
        asked = body.get("model", body.get("name")) if isinstance(body, dict) else None
        if asked != model:
            return self.render_error(ErrorReply(404, f"model '{asked}' not found"))
        return _json_response(
            200,
            {
                "modelfile": f"FROM {model}\n",
                "parameters": "",
                "template": "{{ .Prompt }}",
                "details": _model_details(),
                "model_info": {"general.architecture": "llama"},
                "capabilities": ["completion", "tools"],
                "modified_at": _created_at(0),
            },
        )

    def render_recorded(self, body: bytes) -> WireResponse:
        """A recorded NDJSON body, verbatim, one recorded line per piece."""
        pieces = _LINE_PIECES.findall(body)
        assert b"".join(pieces) == body
        return WireResponse(
            status=200,
            headers=[("Content-Type", self.stream_content_type)],
            pieces=pieces or [body],
            chunked=True,
        )

    # -- reading recordings ----------------------------------------------------------------

    def recording_body_reply(self, body: bytes) -> Reply:
        # A non-streamed answer is the stream's last line alone: one document with `done`.
        return self.recording_reply(body)

    def recording_reply(self, body: bytes) -> Reply:
        text: list[str] = []
        calls: list[ToolCall] = []
        done_reason: str | None = None
        usage: Usage | None = None
        for raw in body.split(b"\n"):
            if not raw.strip():
                continue
            payload = json.loads(raw)
            error = payload.get("error")
            if error is not None:
                status = payload.get("status")
                return Reply(
                    error=ErrorReply(
                        status=status if isinstance(status, int) else 500,
                        message=error if isinstance(error, str) else json.dumps(error),
                        in_stream=True,
                    )
                )
            message = payload.get("message") or {}
            if message.get("content"):
                text.append(message["content"])  # `thinking` is not answer text
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                calls.append(
                    ToolCall(
                        str(call.get("id") or ""),
                        str(function.get("name") or ""),
                        dict(function.get("arguments") or {}),
                    )
                )
            if payload.get("done"):
                done_reason = payload.get("done_reason") or "stop"
                prompt = payload.get("prompt_eval_count")
                completion = payload.get("eval_count")
                if prompt is not None or completion is not None:
                    usage = Usage(prompt or 0, completion or 0, (prompt or 0) + (completion or 0))
                break
        stop_reason = done_reason
        if calls and done_reason == "stop":
            stop_reason = "tool_calls"  # Ollama says "stop" when the model called tools
        return Reply(
            text_parts=tuple(text), tool_calls=tuple(calls), stop_reason=stop_reason, usage=usage
        )

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
        problems: list[tuple[str, str]] = []
        options = body.get("options")
        if options is None:
            options = {}
        elif not isinstance(options, dict):
            problems.append(("RQ-1", "'options' is not an object"))
            options = {}
        if self.endpoint(request.method, request.path) == Endpoint("generate"):
            return _generate_request(body, options, problems)
        raw_messages = body.get("messages")
        if not isinstance(raw_messages, list):
            raw_messages = []
        system, messages = _messages(raw_messages, problems)
        if "system" in body:
            problems.append(
                (
                    "RQ-6",
                    "the body has a top-level 'system' field (the /api/generate shape); "
                    "/api/chat ignores it and expects the system prompt as the first message, "
                    "with role 'system'",
                )
            )
        tools = tuple(
            ToolSpec(
                str(t["function"].get("name")),
                t["function"].get("description", ""),
                t["function"].get("parameters", {}),
            )
            for t in body.get("tools") or ()
            if isinstance(t, dict) and isinstance(t.get("function"), dict)
        )
        stream = body.get("stream", True)
        if stream is None:
            stream = True  # Go reads null as "not given": the default, streaming
        return CanonicalRequest(
            model=body.get("model"),
            temperature=options.get("temperature"),
            max_tokens=options.get("num_predict"),
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=tools,
            problems=tuple(problems),
            extras={
                "options": options,
                "ignored_top_level": sorted(
                    key for key in ("temperature", "max_tokens", "num_predict") if key in body
                ),
            },
        )


def _generate_request(
    body: Mapping[str, Any], options: Mapping[str, Any], problems: list[tuple[str, str]]
) -> CanonicalRequest:
    """A /api/generate body: one prompt, the system prompt in its top-level `system` field."""
    prompt = body.get("prompt")
    system = body.get("system")
    stream = body.get("stream", True)
    if stream is None:
        stream = True
    return CanonicalRequest(
        model=body.get("model"),
        temperature=options.get("temperature"),
        max_tokens=options.get("num_predict"),
        stream=stream if isinstance(stream, bool) else None,
        system=system if isinstance(system, str) else None,
        messages=(ChatMessage("user", prompt),) if isinstance(prompt, str) else (),
        tools=(),
        problems=tuple(problems),
        extras={
            "options": dict(options),
            "ignored_top_level": sorted(
                key for key in ("temperature", "max_tokens", "num_predict") if key in body
            ),
        },
    )


def _messages(
    raw_messages: list[Any], problems: list[tuple[str, str]]
) -> tuple[str | None, list[ChatMessage]]:
    system: str | None = None
    messages: list[ChatMessage] = []
    names_by_id: dict[str, str] = {}
    for position, raw in enumerate(raw_messages):
        if not isinstance(raw, dict):
            problems.append(("RQ-1", f"messages[{position}] is not an object"))
            continue
        role = raw.get("role")
        raw_content = raw.get("content")
        content = raw_content if isinstance(raw_content, str) else ""
        if role == "system":
            if position == 0:
                system = content
            else:
                problems.append(
                    (
                        "RQ-6",
                        f"a system message stands at messages[{position}]; Ollama expects the "
                        "system prompt as the first message",
                    )
                )
            continue
        if role not in ("user", "assistant", "tool"):
            problems.append(("RQ-1", f"messages[{position}] has role {role!r}"))
            continue
        calls = tuple(_request_calls(raw.get("tool_calls")))
        names_by_id.update({call.id: call.name for call in calls if call.id})
        link = _tool_link(raw, names_by_id) if role == "tool" else None
        messages.append(ChatMessage(role, content, tool_calls=calls, tool_call_id=link))
    return system, messages


def _request_calls(raw: Any) -> Iterable[ToolCall]:
    for call in raw if isinstance(raw, list) else ():
        if not isinstance(call, dict):
            continue
        function = call.get("function")
        if not isinstance(function, dict):
            function = {}
        arguments = function.get("arguments")
        if not isinstance(arguments, dict):
            arguments = {"<not an object>": arguments}
        yield ToolCall(str(call.get("id") or ""), str(function.get("name")), arguments)


def _tool_link(raw: Mapping[str, Any], names_by_id: Mapping[str, str]) -> str | None:
    """The name of the call a tool result answers, from its `tool_call_id` or its `tool_name`.

    An id that no earlier call carries, or one whose call has another name than `tool_name`
    says, is returned as it is, so that RQ-5 reports it as referring to no call.
    """
    call_id = raw.get("tool_call_id")
    tool_name = raw.get("tool_name")
    if isinstance(call_id, str) and call_id:
        called = names_by_id.get(call_id)
        if called is None or (isinstance(tool_name, str) and tool_name and tool_name != called):
            return call_id
        return called
    if isinstance(tool_name, str) and tool_name:
        return tool_name
    return None


# -- writing ---------------------------------------------------------------------------------


def _message(content: str, calls: tuple[ToolCall, ...] = (), *, first: int = 0) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "function": {
                    "index": first + offset,
                    "name": call.name,
                    "arguments": dict(call.arguments),
                },
            }
            for offset, call in enumerate(calls)
        ]
    return message


def _done_reason(reply: Reply) -> str:
    # Ollama has two words: "length" when num_predict cut the answer, "stop" for everything else,
    # tool calls included.
    return "length" if reply.effective_stop_reason == "length" else "stop"


def _metrics(usage: Usage | None) -> dict[str, int]:
    """Durations and counts in the order Go writes them; zero counts are omitted there, and a
    scenario without usage sends none at all."""
    values = dict(_DURATIONS)
    if usage is not None:
        values["prompt_eval_count"] = usage.prompt_tokens
        values["eval_count"] = usage.completion_tokens
    return {key: values[key] for key in _METRICS_ORDER if key in values}


def _created_at(position: int) -> str:
    """RFC 3339 with nanoseconds as Go writes it: trailing zeros of the fraction dropped."""
    moment = _STARTED + _TOKEN_INTERVAL * position
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"


def _encode(payload: Any) -> str:
    text = _COMPACT.encode(payload)
    return _GO_ESCAPE_PATTERN.sub(lambda match: _GO_ESCAPES[match.group()], text)


def _json_response(status: int, payload: Any) -> WireResponse:
    return WireResponse(
        status=status,
        headers=[("Content-Type", _JSON_TYPE)],
        pieces=[_encode(payload).encode("utf-8")],
    )


def _ndjson_response(lines: list[dict[str, Any]], wire: WireOptions) -> WireResponse:
    # NDJSON allows a carriage return before the newline, nothing else: a bare CR ends no line.
    eol = "\r\n" if wire.line_ending == "crlf" else "\n"
    response = WireResponse(
        status=200,
        headers=[("Content-Type", _NDJSON_TYPE)],
        pieces=[(_encode(line) + eol).encode("utf-8") for line in lines],
        chunked=True,
    )
    response.split(wire.split_bytes)
    return response


def _model_details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "1.2B",
        "quantization_level": "Q4_K_M",
    }


def _model_entry(model: str) -> dict[str, Any]:
    return {
        "name": model,
        "model": model,
        "modified_at": _created_at(0),
        "size": 815319791,
        "digest": "e2a8a3d3ef35" + "0" * 52,
        "details": _model_details(),
    }


def _requested_model(request: RecordedRequest) -> str | None:
    body = request.json()
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None
