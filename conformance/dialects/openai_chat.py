# Whole on purpose (over 400 lines): one API's wire, requests to streams to errors, in one file.
"""OpenAI Chat Completions, the dialect most provider classes speak (and every OpenAI-compatible
server: vLLM, LM Studio, OpenRouter, Groq, DeepSeek ...).

The rendering follows recorded api.openai.com traffic: a role chunk first, one chunk per text
delta, a tool call opened with id/type/name and `"arguments": ""` then continued by argument
fragments, a finish chunk with an empty delta, a usage-only chunk with `"choices": []` when the
request asked for it with `stream_options.include_usage`, then `data: [DONE]`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.call_schedule import call_schedule
from conformance.dialects.model_lists import models_endpoint, openai_models
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import sse_event, sse_json, sse_json_texts, sse_response
from conformance.scenarios.model import (
    RESPONSES_VARIANTS,
    WIRE_FEATURES,
    ErrorReply,
    Reply,
    Scenario,
    WireOptions,
)
from conformance.scenarios.tool_arguments import unparsable_arguments
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_CREATED = 1_727_346_168
_FINGERPRINT = "fp_conformance"

#: The `error.type` / `error.code` OpenAI sends for each status.
_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout", None),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "engine_overloaded"),
    504: ("timeout", None),
    529: ("server_error", "overloaded"),
}


class OpenAIChatDialect(Dialect):
    name: ClassVar[str] = "openai-chat"
    title: ClassVar[str] = "OpenAI Chat Completions (SSE)"
    base_path: ClassVar[str] = "/v1"
    request_schema: ClassVar[str] = "openai-chat.request.schema.json"
    credential_description: ClassVar[str] = "the header 'Authorization: Bearer <key>'"
    chat_path_description: ClassVar[str] = "POST /v1/chat/completions"
    corpus_folder: ClassVar[str | None] = "openai_chat"
    #: Arguments travel as text, calls have an index, content may be a list of parts: every
    #: optional shape the scenarios know is an OpenAI-compatible server's.
    wire_features: ClassVar[frozenset[str]] = frozenset(WIRE_FEATURES) - RESPONSES_VARIANTS
    request_parameters: ClassVar[frozenset[str]] = frozenset({"top_p", "stop"})

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == "/v1/chat/completions":
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
        if reply.error is not None and not (stream and reply.error.in_stream):
            return self.render_error(reply.error)
        model = _requested_model(request) or scenario.request.model
        completion_id = f"chatcmpl-conformance-{scenario.name}-{turn}"
        if not stream:
            payload = self._completion(reply, model, completion_id)
            _apply_wire_shapes(payload, reply, scenario.wire)
            response = json_response(200, payload, _HEADERS)
            response.meta["usage_sent"] = reply.usage is not None
            return response
        body = request.json()
        options = body.get("stream_options") if isinstance(body, dict) else None
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        return self._stream(scenario, reply, model, completion_id, include_usage=include_usage)

    def _completion(self, reply: Reply, model: str, completion_id: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.text if (reply.text or not reply.tool_calls) else None,
            "refusal": None,
        }
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": _arguments(call)},
                }
                for call in reply.tool_calls
            ]
        payload: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion",
            "created": _CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reply.effective_stop_reason,
                }
            ],
            "system_fingerprint": _FINGERPRINT,
        }
        if reply.usage is not None:
            payload["usage"] = reply.usage.as_json()
        return payload

    def _stream(
        self,
        scenario: Scenario,
        reply: Reply,
        model: str,
        completion_id: str,
        *,
        include_usage: bool,
    ) -> WireResponse:
        wire = scenario.wire
        usage = reply.usage.as_json() if reply.usage is not None else None

        def chunk_payload(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": _CREATED,
                "model": model,
                "system_fingerprint": _FINGERPRINT,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
            if wire.usage_in == "every_chunk" and usage is not None:
                payload["usage"] = usage  # Perplexity: the answer's usage, on every chunk
            return payload

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            return sse_json(chunk_payload(delta, finish), wire)

        first_content: str | None = "" if reply.text_parts or not reply.tool_calls else None
        events = [chunk({"role": "assistant", "content": first_content, "refusal": None})]
        if wire.content_parts or wire.thinking:
            # Mistral's reasoning models: typed parts, the thinking first and never the answer.
            if wire.thinking:
                events.append(chunk({"content": [_thinking_part(wire.thinking)]}))
            events += [chunk({"content": [_text_part(part)]}) for part in reply.text_parts]
        else:
            events += sse_json_texts(
                lambda part: chunk_payload({"content": part}), reply.text_parts, wire
            )
        if reply.error is not None:
            # As OpenAI-compatible servers send it: an error object in a data line, then the end.
            error_type, _ = _ERROR_TYPES.get(reply.error.status, ("server_error", None))
            payload = {
                "error": {
                    "message": reply.error.message,
                    "type": reply.error.code or error_type,
                    "code": reply.error.status,
                }
            }
            return sse_response([*events, sse_json(payload, wire)], wire)
        calls = reply.tool_calls
        texts = [_argument_text(reply, call, wire) for call in calls]
        if wire.tool_call_index == "omit":
            # Servers that send no index send each call whole, in one fragment.
            events += [
                chunk({"tool_calls": [_whole_call(call, text)]})
                for call, text in zip(calls, texts, strict=True)
            ]
            calls = ()
        base = 1 if wire.tool_call_index == "one" else 0
        schedule = call_schedule([text or "" for text in texts[: len(calls)]], wire)
        for step in schedule:
            index, call = step.call + base, calls[step.call]
            if step.kind == "open":
                opener = {
                    "index": index,
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": None if texts[step.call] is None else "",
                    },
                }
                events.append(chunk({"tool_calls": [opener]}))
            elif step.kind == "delta" and texts[step.call] is not None:
                # (`"arguments": null` is the whole of a call's arguments: nothing follows it.)
                events.append(chunk({"tool_calls": [_continuation(index, call, step.piece, wire)]}))
        finish = chunk({}, finish=reply.effective_stop_reason)
        if wire.usage_in == "x_groq" and usage is not None:
            # Groq: usage unasked, only in its own field of the last chunk.
            payload = json.loads(next(iter(sse_blocks(finish)))[1])
            payload["x_groq"] = {"id": f"req_{completion_id}", "usage": usage}
            finish = sse_json(payload, wire)
        events.append(finish)
        if wire.finish_reason_twice:
            events.append(finish)  # OpenRouter: the finish chunk again
        usage_chunk = wire.usage_in == "chunk" and include_usage and usage is not None
        if usage_chunk:
            events.append(self._usage_chunk(completion_id, model, usage, wire))
        if wire.chunk_after_usage:
            events.append(self._usage_chunk(completion_id, model, None, wire))
        events.append(sse_event("[DONE]", wire))
        response = sse_response(events, wire)
        unasked = wire.usage_in != "chunk"
        response.meta["usage_sent"] = (include_usage or unasked) and usage is not None
        response.meta["usage_hint"] = (
            ""
            if include_usage or unasked
            else (
                "the request did not ask for usage with stream_options.include_usage, "
                "so the server sent none"
            )
        )
        return response

    @staticmethod
    def _usage_chunk(
        completion_id: str, model: str, usage: dict[str, Any] | None, wire: WireOptions
    ) -> bytes:
        """The chunk with no choices that carries the usage (or, after it, a `null` usage)."""
        return sse_json(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": _CREATED,
                "model": model,
                "system_fingerprint": _FINGERPRINT,
                "choices": [],
                "usage": usage,
            },
            wire,
        )

    def render_error(self, error: ErrorReply) -> WireResponse:
        error_type, code = _ERROR_TYPES.get(
            error.status, ("server_error" if error.status >= 500 else "invalid_request_error", None)
        )
        body = {
            "error": {
                "message": error.message,
                "type": error.code or error_type,
                "param": None,
                "code": code,
            }
        }
        headers = dict(_HEADERS)
        headers.update(error.headers)
        return json_response(error.status, body, headers)

    # -- reading recordings ----------------------------------------------------------------

    def recording_reply(self, body: bytes) -> Reply:
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        finish: str | None = None
        usage: Usage | None = None
        for event, data in sse_blocks(body):
            if data.strip() == "[DONE]":
                break
            payload = json.loads(data)
            if payload.get("error") is not None or event == "error":
                return Reply(error=_in_stream_error(payload.get("error") or payload))
            raw = payload.get("usage") or (payload.get("x_groq") or {}).get("usage")
            if raw:
                usage = Usage(raw["prompt_tokens"], raw["completion_tokens"], raw["total_tokens"])
            for choice in payload.get("choices") or ():
                if choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta") or {}
                text += _content_texts(delta.get("content"))
                for fragment in delta.get("tool_calls") or ():
                    call = calls.setdefault(
                        fragment.get("index", 0), {"id": "", "name": "", "args": ""}
                    )
                    call["id"] = call["id"] or fragment.get("id") or ""
                    function = fragment.get("function") or {}
                    call["name"] = call["name"] or function.get("name") or ""
                    call["args"] += function.get("arguments") or ""
                finish = choice.get("finish_reason") or finish
        tool_calls = tuple(
            ToolCall(c["id"], c["name"], json.loads(c["args"]) if c["args"].strip() else {})
            for _, c in sorted(calls.items())
        )
        return Reply(
            text_parts=tuple(text),
            tool_calls=tool_calls,
            stop_reason="tool_calls" if finish == "function_call" else finish,
            usage=usage,
        )

    def recording_body_reply(self, body: bytes) -> Reply:
        payload = json.loads(body)
        if payload.get("error") is not None:
            return Reply(error=_in_stream_error(payload["error"]))
        choices = [c for c in payload.get("choices") or () if c.get("index", 0) == 0]
        message = (choices[0].get("message") if choices else None) or {}
        finish = choices[0].get("finish_reason") if choices else None
        tool_calls = tuple(
            ToolCall(str(raw.get("id") or ""), str(function.get("name") or ""), _loads(raw))
            for raw in message.get("tool_calls") or ()
            for function in [raw.get("function") or {}]
        )
        raw_usage = payload.get("usage")
        usage = (
            Usage(
                raw_usage["prompt_tokens"],
                raw_usage["completion_tokens"],
                raw_usage["total_tokens"],
            )
            if raw_usage
            else None
        )
        return Reply(
            text_parts=tuple(_content_texts(message.get("content"))),
            tool_calls=tool_calls,
            stop_reason="tool_calls" if finish == "function_call" else finish,
            usage=usage,
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
        raw_messages = body.get("messages")
        if not isinstance(raw_messages, list):
            raw_messages = []
        messages: list[ChatMessage] = []
        system: str | None = None
        for position, raw in enumerate(raw_messages):
            if not isinstance(raw, dict):
                problems.append(("RQ-1", f"messages[{position}] is not an object"))
                continue
            role = raw.get("role")
            content = _text_content(raw.get("content"))
            if role in ("system", "developer"):
                if position == 0 and system is None:
                    system = content
                else:
                    problems.append(
                        (
                            "RQ-6",
                            f"a {role} message stands at messages[{position}]; OpenAI expects "
                            "the system prompt as the first message",
                        )
                    )
                continue
            if role not in ("user", "assistant", "tool"):
                problems.append(("RQ-1", f"messages[{position}] has role {role!r}"))
                continue
            calls = tuple(
                ToolCall(str(c.get("id")), str(c.get("function", {}).get("name")), _loads(c))
                for c in raw.get("tool_calls") or ()
                if isinstance(c, dict)
            )
            messages.append(
                ChatMessage(role, content, tool_calls=calls, tool_call_id=raw.get("tool_call_id"))
            )
        if "system" in body:
            problems.append(
                (
                    "RQ-6",
                    "the body has a top-level 'system' field (an Anthropic shape); "
                    "OpenAI ignores it and expects a system message",
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
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        stream = body.get("stream")
        return CanonicalRequest(
            model=body.get("model"),
            temperature=body.get("temperature"),
            max_tokens=max_tokens,
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=tools,
            problems=tuple(problems),
            extras={"stream_options": body.get("stream_options")},
            top_p=body.get("top_p"),
            stop=_stop_sequences(body.get("stop")),
        )


_HEADERS: Mapping[str, str] = {"x-request-id": "req_conformance", "openai-version": "2020-10-01"}


_STATUS_FOR_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "rate_limit_error": 429,
    "overloaded_error": 529,
}


def _in_stream_error(error: Mapping[str, Any]) -> ErrorReply:
    """An error object found inside a stream, with the HTTP status it stands for."""
    status = error.get("status_code")
    if not isinstance(status, int) and isinstance(error.get("code"), int):
        status = error["code"]
    if not isinstance(status, int):
        status = _STATUS_FOR_TYPE.get(str(error.get("type")), 500)
    return ErrorReply(status=status, message=str(error.get("message", "")), in_stream=True)


def _arguments(call: ToolCall) -> str:
    return json.dumps(dict(call.arguments), ensure_ascii=False, separators=(",", ":"))


def _argument_text(reply: Reply, call: ToolCall, wire: WireOptions) -> str | None:
    """The arguments as the server sends them: JSON text, text cut short, or null."""
    if reply.fault.unparsable_tool_arguments:
        return unparsable_arguments(call)
    if wire.null_arguments and not call.arguments:
        return None
    return _arguments(call)


def _whole_call(call: ToolCall, text: str | None) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": text}}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _thinking_part(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": [{"type": "text", "text": text}]}


def _apply_wire_shapes(payload: dict[str, Any], reply: Reply, wire: WireOptions) -> None:
    """A completion body with the scenario's optional shapes: arguments, content parts."""
    message = payload["choices"][0]["message"]
    for raw, call in zip(message.get("tool_calls") or (), reply.tool_calls, strict=True):
        raw["function"]["arguments"] = _argument_text(reply, call, wire)
    if (wire.content_parts or wire.thinking) and message.get("content") is not None:
        parts = [_thinking_part(wire.thinking)] if wire.thinking else []
        message["content"] = [*parts, _text_part(message["content"])]


def _continuation(index: int, call: ToolCall, piece: str, wire: WireOptions) -> dict[str, Any]:
    """An argument fragment after the opener: id and name left out, null, or repeated."""
    if wire.continuation_ids == "null":
        return {
            "index": index,
            "id": None,
            "type": None,
            "function": {"name": None, "arguments": piece},
        }
    if wire.continuation_ids == "empty":
        return {"index": index, "id": "", "function": {"name": "", "arguments": piece}}
    if wire.continuation_ids == "repeat":
        return {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": piece},
        }
    return {"index": index, "function": {"arguments": piece}}


def _requested_model(request: RecordedRequest) -> str | None:
    body = request.json()
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


def _stop_sequences(stop: Any) -> tuple[str, ...] | None:
    """`stop` as OpenAI takes it: one string or a list of them."""
    if isinstance(stop, str):
        return (stop,)
    if isinstance(stop, list):
        return tuple(str(s) for s in stop)
    return None


def _content_texts(content: Any) -> list[str]:
    """The answer's text in a delta's content: a string, or the text parts of a list of parts
    (thinking parts are the model's reasoning, never its answer)."""
    if isinstance(content, str):
        return [content] if content else []
    if isinstance(content, list):
        return [
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and part.get("text")
        ]
    return []


def _text_content(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _loads(call: Mapping[str, Any]) -> dict[str, Any]:
    raw = call.get("function", {}).get("arguments")
    try:
        value = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return {"<unparsable arguments>": raw}
    return value if isinstance(value, dict) else {"<not an object>": value}
