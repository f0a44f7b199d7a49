# Whole on purpose (over 400 lines): one API's wire, requests to streams to errors, in one file.
"""Google Gemini API: generateContent, and streamGenerateContent with `alt=sse`.

The model and the stream flag travel in the path (`/v1beta/models/{model}:streamGenerateContent`),
not in the body, and the key in the `x-goog-api-key` header. Replies follow recorded
generativelanguage.googleapis.com traffic: `data: {...}` events separated by CRLF CRLF, Google's
`"key": value` spacing with `<` and `>` escaped as `\\u003c`/`\\u003e`, one text part per chunk,
parallel function calls complete in one chunk, `usageMetadata` on every chunk (the candidate count
growing, absent while zero, as proto3 JSON leaves zeros out) and `finishReason` on the last one.
Gemini reports usage on every response, and clients rely on it (LiteLLM raises without it), so a
reply whose scenario states no usage still carries placeholder counts, marked unjudged.

The wire carries no tool-call ids: a call and its result pair by function name, so the dialect
sets `tool_call_ids = False` and the judge links and compares calls by name. Gemini says `STOP`
even when it answers with function calls; a provider must report that as `tool_calls` itself.

Recorded Vertex AI streams may also send a call's arguments in pieces (`willContinue` and
`partialArgs` with a JSON path each); the oracle assembles them so those recordings replay too.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import unquote

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.corpus_file import NotJudged
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import sse_event, sse_response
from conformance.scenarios.model import ErrorReply, Reply, Scenario, WireOptions
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse

_CHAT_PATH = re.compile(
    r"^/(?P<version>v1|v1beta|v1alpha)/(?P<model>(?:models|tunedModels)/[^/:]+)"
    r":(?P<method>generateContent|streamGenerateContent)$"
)
_MODELS_PATH = re.compile(r"^/(?:v1|v1beta|v1alpha)/models(?:/(?P<model>[^/:]+))?$")

#: The google.rpc status word Google's front end sends with each HTTP status.
_STATUS_WORDS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    529: "UNAVAILABLE",
}

#: The HTTP status each google.rpc status word stands for, for errors inside a stream.
_WORD_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}

#: Canonical stop reason -> Gemini finishReason. `tool_calls` has no word of its own: STOP.
_FINISH_WORDS = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",
    "content_filter": "SAFETY",
}

#: Gemini finishReason -> canonical stop reason, for reading recordings.
_CANONICAL_STOP = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}


class GeminiDialect(Dialect):
    name: ClassVar[str] = "gemini"
    title: ClassVar[str] = "Google Gemini generateContent (SSE with alt=sse)"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = "gemini.request.schema.json"
    credential_description: ClassVar[str] = "the header 'x-goog-api-key: <key>'"
    chat_path_description: ClassVar[str] = (
        "POST /v1beta/models/{model}:generateContent "
        "(streamed: POST /v1beta/models/{model}:streamGenerateContent?alt=sse)"
    )
    corpus_folder: ClassVar[str | None] = "gemini"
    #: The folder's one `.json` file is a stream requested without alt=sse (a JSON array), a
    #: different wire format from the one this dialect serves; it is left out.
    corpus_pattern: ClassVar[str] = "*.sse"
    stream_content_type: ClassVar[str] = "text/event-stream"
    tool_call_ids: ClassVar[bool] = False
    #: `generationConfig.topP` and `.stopSequences`.
    request_parameters: ClassVar[frozenset[str]] = frozenset({"top_p", "stop"})

    # -- paths -----------------------------------------------------------------------------

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        match = _CHAT_PATH.match(path)
        if match is not None:
            if method != "POST":
                return None
            return Endpoint("chat", stream=match["method"] == "streamGenerateContent")
        if method == "GET" and _MODELS_PATH.match(path):
            return Endpoint("models")
        return None

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        return endpoint.stream is True

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        # The real API also accepts `?key=`; it is served, and RQ-2 flags the key in the URL.
        return request.header("x-goog-api-key") == api_key or request.query.get("key") == api_key

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        model = _path_model(request.path) or scenario.request.model
        response_id = f"conformance-{scenario.name}-{turn}"
        if reply.error is not None and not (reply.error.in_stream and stream):
            return self.render_error(reply.error)
        # Placeholder counts where the scenario states none; `usage_sent` keeps them unjudged.
        usage = reply.usage if reply.usage is not None else _placeholder_usage(scenario, reply)
        if not stream:
            response = _json_response(200, self._response(reply, model, response_id, usage))
            response.meta["usage_sent"] = reply.usage is not None
            return response
        chunks = self._chunks(reply, model, response_id, usage)
        if request.query.get("alt") != "sse":
            response = _json_array_stream(chunks)
        else:
            response = _sse_stream(chunks, scenario.wire)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def _response(self, reply: Reply, model: str, response_id: str, usage: Usage) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if reply.text or not reply.tool_calls:
            parts.append({"text": reply.text})
        parts += [_function_call_part(call) for call in reply.tool_calls]
        return _payload(
            parts,
            model,
            response_id,
            finish=_finish_word(reply),
            usage=_usage_metadata(usage, None),
        )

    def _chunks(
        self, reply: Reply, model: str, response_id: str, usage: Usage
    ) -> list[dict[str, Any]]:
        """The stream's chunks; an in-stream error becomes an error chunk after the text."""
        groups: list[list[dict[str, Any]]] = [[{"text": part}] for part in reply.text_parts]
        if reply.tool_calls:
            groups.append([_function_call_part(call) for call in reply.tool_calls])
        if reply.error is not None:
            # Counts so far on each chunk before the error (the answer never got to its end).
            chunks = [
                _payload(
                    group,
                    model,
                    response_id,
                    usage=_usage_metadata(usage, (position, len(groups) + 1)),
                )
                for position, group in enumerate(groups, start=1)
            ]
            return [*chunks, _error_body(reply.error)]
        if not groups:
            groups.append([{"text": ""}])
        chunks = []
        for position, group in enumerate(groups, start=1):
            last = position == len(groups)
            metadata = _usage_metadata(usage, None if last else (position, len(groups)))
            finish = _finish_word(reply) if last else None
            chunks.append(_payload(group, model, response_id, finish=finish, usage=metadata))
        return chunks

    def render_error(self, error: ErrorReply) -> WireResponse:
        headers = dict(error.headers)
        return _json_response(error.status, _error_body(error), headers, indent=2)

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        model = {
            "name": f"models/{scenario.request.model}",
            "displayName": scenario.request.model,
            "supportedGenerationMethods": ["generateContent", "countTokens"],
        }
        match = _MODELS_PATH.match(request.path)
        if match is not None and match["model"]:
            if unquote(match["model"]) != scenario.request.model:
                return self.render_error(
                    ErrorReply(404, f"models/{match['model']} is not found for API version.")
                )
            return _json_response(200, model)
        return _json_response(200, {"models": [model]})

    # -- reading recordings ----------------------------------------------------------------

    def recording_reply(self, body: bytes) -> Reply:
        return _reading(json.loads(data) for _event, data in sse_blocks(body))

    def recording_body_reply(self, body: bytes) -> Reply:
        """A generateContent response is one stream chunk on its own, read the same plain way.

        A JSON array is a stream asked for without `alt=sse`: the fake server serves Gemini
        streams as server-sent events only, and a client that asks that way breaks RQ-1, so
        it is listed as not judged rather than read as an answer.
        """
        payload = json.loads(body)
        if isinstance(payload, list):
            raise NotJudged(
                "a Gemini stream recorded without alt=sse (one JSON array of chunks); the fake "
                "server serves streams as server-sent events only: record it with ?alt=sse"
            )
        if not isinstance(payload, dict):
            raise ValueError("the body is not a JSON object (a generateContent response)")
        if "candidates" not in payload and not isinstance(payload.get("error"), Mapping):
            raise ValueError("the body has neither 'candidates' nor an 'error'")
        return _reading([payload])

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        endpoint = self.endpoint(request.method, request.path)
        model = _path_model(request.path)
        stream = endpoint.stream if endpoint is not None else None
        problems: list[tuple[str, str]] = []
        if stream and request.query.get("alt") != "sse":
            problems.append(
                (
                    "RQ-1",
                    "streamGenerateContent without '?alt=sse': the API then answers with one "
                    "JSON array instead of server-sent events",
                )
            )
        body = request.json()
        if not isinstance(body, dict):
            problems.append(("RQ-1", "the body is not a JSON object"))
            return CanonicalRequest(model, None, None, stream, None, (), (), tuple(problems))

        config = _field(body, "generationConfig")
        config = config if isinstance(config, dict) else {}
        system = _system_text(_field(body, "systemInstruction"))
        contents = body.get("contents")
        messages = _messages(contents if isinstance(contents, list) else [], problems)
        if system is None and _system_like_first_turn(contents):
            problems.append(
                (
                    "RQ-6",
                    "there is no systemInstruction, and contents[0] is a user turn followed by "
                    "another user turn: a system prompt sent as a user message?",
                )
            )
        for name in ("temperature", "maxOutputTokens", "max_tokens", "system", "messages"):
            if name in body:
                problems.append(
                    (
                        "RQ-1",
                        f"the body has a top-level {name!r} field, which the API rejects "
                        "(generation settings go in generationConfig)",
                    )
                )
        return CanonicalRequest(
            model=model,
            temperature=config.get("temperature"),
            max_tokens=_field(config, "maxOutputTokens"),
            stream=stream,
            system=system,
            messages=tuple(messages),
            tools=_tools(body.get("tools")),
            problems=tuple(problems),
            extras={"alt": request.query.get("alt")},
            top_p=_field(config, "topP"),
            stop=tuple(stops)
            if isinstance(stops := _field(config, "stopSequences"), list)
            else None,
        )


# -- rendering helpers -----------------------------------------------------------------------


def _dumps(payload: Any, *, indent: int | None = None) -> str:
    """JSON the way Google's front end writes it: `"key": value`, and `<` `>` escaped."""
    separators = (",", ": ") if indent is None else None
    text = json.dumps(payload, ensure_ascii=False, separators=separators, indent=indent)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _json_response(
    status: int,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    *,
    indent: int | None = None,
) -> WireResponse:
    all_headers = [("Content-Type", "application/json; charset=UTF-8"), ("Vary", "Origin")]
    all_headers += list((headers or {}).items())
    body = _dumps(payload, indent=indent).encode("utf-8")
    return WireResponse(status=status, headers=all_headers, pieces=[body])


def _sse_stream(chunks: Sequence[dict[str, Any]], wire: WireOptions) -> WireResponse:
    comment = "keep-alive" if wire.comments else None
    events = [sse_event(_dumps(chunk), wire, comment=comment) for chunk in chunks]
    response = sse_response(events, wire)
    response.headers = [
        (key, "text/event-stream") if key.lower() == "content-type" else (key, value)
        for key, value in response.headers
    ]
    return response


def _json_array_stream(chunks: Sequence[dict[str, Any]]) -> WireResponse:
    """What the API streams when `alt=sse` is missing: one JSON array, element by element."""
    pieces = [
        ("[" if n == 0 else "\n,\r\n") + _dumps(chunk, indent=2) for n, chunk in enumerate(chunks)
    ]
    pieces.append("]")
    return WireResponse(
        status=200,
        headers=[("Content-Type", "application/json; charset=UTF-8")],
        pieces=[piece.encode("utf-8") for piece in pieces],
        chunked=True,
    )


def _payload(
    parts: list[dict[str, Any]],
    model: str,
    response_id: str,
    *,
    finish: str | None = None,
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish is not None:
        candidate["finishReason"] = finish
    candidate["index"] = 0
    payload: dict[str, Any] = {"candidates": [candidate]}
    if usage is not None:
        payload["usageMetadata"] = usage
    payload["modelVersion"] = model
    payload["responseId"] = response_id
    return payload


def _function_call_part(call: ToolCall) -> dict[str, Any]:
    return {"functionCall": {"name": call.name, "args": dict(call.arguments)}}


def _finish_word(reply: Reply) -> str:
    stop = reply.effective_stop_reason
    return _FINISH_WORDS.get(stop, stop.upper())


def _placeholder_usage(scenario: Scenario, reply: Reply) -> Usage:
    """Plausible counts (about four characters a token) for a reply whose scenario states none.

    The prompt count is never zero, as Gemini's never is: a client that treats a missing
    `promptTokenCount` as no usage at all must not be pushed into an error the real API never
    causes. The counts come from the scenario alone, so every provider is served the same bytes.
    """
    prompt_chars = sum(len(message.content) for message in scenario.request.messages)
    answer_chars = len(reply.text) + sum(
        len(call.name) + len(json.dumps(dict(call.arguments))) for call in reply.tool_calls
    )
    prompt, completion = 1 + prompt_chars // 4, (answer_chars + 3) // 4
    return Usage(prompt, completion, prompt + completion)


def _usage_metadata(usage: Usage, progress: tuple[int, int] | None) -> dict[str, int]:
    """usageMetadata; mid-stream (`progress` = chunk k of n) the candidate count so far."""
    if progress is None:
        completion, total = usage.completion_tokens, usage.total_tokens
    else:
        done, of = progress
        completion = usage.completion_tokens * done // of
        total = usage.prompt_tokens + completion
    counts = {
        "promptTokenCount": usage.prompt_tokens,
        "candidatesTokenCount": completion,
        "totalTokenCount": total,
    }
    # proto3 JSON leaves zero counts out.
    return {key: value for key, value in counts.items() if value}


def _error_body(error: ErrorReply) -> dict[str, Any]:
    status_word = error.code or _STATUS_WORDS.get(
        error.status, "INTERNAL" if error.status >= 500 else "INVALID_ARGUMENT"
    )
    body: dict[str, Any] = {
        "code": error.status,
        "message": error.message,
        "status": status_word,
    }
    delay = {k.lower(): v for k, v in error.headers.items()}.get("retry-after")
    if delay is not None and delay.strip().isdigit():
        # Google states the delay in the body (google.rpc.RetryInfo), not only in a header.
        body["details"] = [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{delay}s"}
        ]
    return {"error": body}


# -- reading helpers -------------------------------------------------------------------------


def _path_model(path: str) -> str | None:
    match = _CHAT_PATH.match(path)
    if match is None:
        return None
    return unquote(match["model"]).removeprefix("models/")


def _in_stream_error(error: Mapping[str, Any]) -> ErrorReply:
    status = error.get("code")
    if not isinstance(status, int) or isinstance(status, bool):
        status = _WORD_STATUS.get(str(error.get("status", "")).upper(), 500)
    return ErrorReply(status=status, message=str(error.get("message", "")), in_stream=True)


def _reading(payloads: Iterable[Any]) -> Reply:
    """The canonical answer in a run of response chunks (a stream's, or a body's one)."""
    text: list[str] = []
    calls = _RecordedCalls()
    finish: str | None = None
    usage: Usage | None = None
    for payload in payloads:
        error = payload.get("error")
        if isinstance(error, Mapping):
            return Reply(error=_in_stream_error(error))
        metadata = payload.get("usageMetadata") or {}
        if "promptTokenCount" in metadata or "totalTokenCount" in metadata:
            prompt = int(metadata.get("promptTokenCount", 0))
            completion = int(metadata.get("candidatesTokenCount", 0))
            usage = Usage(prompt, completion, int(metadata.get("totalTokenCount", 0)))
        for candidate in payload.get("candidates") or ():
            if candidate.get("index", 0) != 0:
                continue
            for part in (candidate.get("content") or {}).get("parts") or ():
                if "functionCall" in part:
                    calls.add(part["functionCall"])
                elif "text" in part and not part.get("thought"):
                    text.append(part["text"])
            finish = candidate.get("finishReason") or finish
    tool_calls = calls.finish()
    stop = _CANONICAL_STOP.get(finish, finish.lower()) if finish else None
    if stop == "stop" and tool_calls:
        stop = "tool_calls"
    return Reply(
        text_parts=tuple(part for part in text if part),
        tool_calls=tool_calls,
        stop_reason=stop,
        usage=usage,
    )


class _RecordedCalls:
    """Function calls in a recording: whole calls, or Vertex's `partialArgs` pieces.

    A call whose first part says `willContinue` stays open: later parts without a name add
    argument values at JSON paths (a string continued while its previous piece said
    `willContinue`), and a part without `willContinue` (often an empty `{}`) closes it.
    """

    def __init__(self) -> None:
        self._done: list[ToolCall] = []
        self._open: tuple[str, str, dict[str, Any]] | None = None
        self._continued: set[str] = set()

    def add(self, call: Mapping[str, Any]) -> None:
        name = call.get("name")
        if name and self._open is not None:
            self._close()
        if name:
            args = dict(call.get("args") or {})
            self._open = (str(call.get("id") or name), str(name), args)
        if self._open is not None:
            for piece in call.get("partialArgs") or ():
                self._apply(self._open[2], piece)
            if not call.get("willContinue"):
                self._close()

    def _apply(self, args: dict[str, Any], piece: Mapping[str, Any]) -> None:
        path = str(piece["jsonPath"])
        if "stringValue" in piece:
            value: Any = piece["stringValue"]
            if path in self._continued:
                value = _get_path(args, path) + value
        elif "numberValue" in piece:
            value = piece["numberValue"]
        elif "boolValue" in piece:
            value = piece["boolValue"]
        else:
            value = None
        _set_path(args, path, value)
        if piece.get("willContinue"):
            self._continued.add(path)
        else:
            self._continued.discard(path)

    def _close(self) -> None:
        if self._open is not None:
            self._done.append(ToolCall(*self._open))
        self._open = None
        self._continued.clear()

    def finish(self) -> tuple[ToolCall, ...]:
        self._close()
        return tuple(self._done)


_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _steps(path: str) -> list[str | int]:
    if not path.startswith("$"):
        raise ValueError(f"not a JSON path: {path!r}")
    steps: list[str | int] = []
    position = 1
    while position < len(path):
        match = _PATH_STEP.match(path, position)
        if match is None:
            raise ValueError(f"cannot read JSON path {path!r} at {position}")
        dotted, index, single, double = match.groups()
        steps.append(int(index) if index is not None else (dotted or single or double or ""))
        position = match.end()
    return steps


def _get_path(root: Any, path: str) -> Any:
    value = root
    for step in _steps(path):
        value = value[step]
    return value


def _set_path(root: dict[str, Any], path: str, value: Any) -> None:
    steps = _steps(path)
    if not steps:
        raise ValueError("a partial argument cannot replace the whole arguments object")
    container: Any = root
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            while len(container) <= step:
                container.append(None)
            if container[step] is None:
                container[step] = empty
        else:
            container.setdefault(step, empty)
        container = container[step]
    last = steps[-1]
    if isinstance(last, int):
        while len(container) <= last:
            container.append(None)
    container[last] = value


def _field(obj: Mapping[str, Any], camel: str) -> Any:
    """A field by its JSON name or its proto name: the API accepts both spellings."""
    if camel in obj:
        return obj[camel]
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()
    return obj.get(snake)


def _part_texts(parts: Any) -> list[str]:
    return [
        part["text"]
        for part in parts or ()
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")
    ]


def _system_text(instruction: Any) -> str | None:
    if isinstance(instruction, str):
        return instruction
    if not isinstance(instruction, dict):
        return None
    return "".join(_part_texts(instruction.get("parts")))


def _system_like_first_turn(contents: Any) -> bool:
    if not isinstance(contents, list) or len(contents) < 2:
        return False
    first, second = contents[0], contents[1]
    return (
        isinstance(first, dict)
        and isinstance(second, dict)
        and first.get("role", "user") == "user"
        and second.get("role", "user") == "user"
        and bool(_part_texts(first.get("parts")))
        and bool(_part_texts(second.get("parts")))
    )


def _messages(contents: list[Any], problems: list[tuple[str, str]]) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    calls_in_last_model_turn = 0
    for position, content in enumerate(contents):
        if not isinstance(content, dict):
            problems.append(("RQ-1", f"contents[{position}] is not an object"))
            continue
        role = content.get("role", "user")
        parts = content.get("parts")
        parts = [p for p in parts if isinstance(p, dict)] if isinstance(parts, list) else []
        if role == "system":
            problems.append(
                (
                    "RQ-6",
                    f"contents[{position}] has role 'system'; Gemini has no system role in "
                    "contents and expects the system prompt in systemInstruction",
                )
            )
            continue
        if role == "model":
            calls = tuple(
                _sent_call(call)
                for part in parts
                if isinstance(call := _field(part, "functionCall"), dict)
            )
            calls_in_last_model_turn = len(calls)
            text = "".join(_part_texts(parts))
            messages.append(ChatMessage("assistant", text, tool_calls=calls))
            continue
        if role not in ("user", "function"):
            problems.append(("RQ-1", f"contents[{position}] has role {role!r}"))
            continue
        responses = 0
        texts: list[str] = []
        for part in parts:
            answer = _field(part, "functionResponse")
            if isinstance(answer, dict):
                responses += 1
                response = answer.get("response")
                messages.append(
                    ChatMessage(
                        "tool",
                        json.dumps(response, ensure_ascii=False),
                        tool_call_id=str(answer.get("name") or ""),
                    )
                )
            elif isinstance(part.get("text"), str):
                texts.append(part["text"])
        if responses and calls_in_last_model_turn and responses != calls_in_last_model_turn:
            problems.append(
                (
                    "RQ-1",
                    f"contents[{position}] answers {responses} function call(s), but the model "
                    f"turn before it made {calls_in_last_model_turn}: the API wants one "
                    "functionResponse part per functionCall part, in one turn",
                )
            )
        calls_in_last_model_turn = 0
        if texts or not responses:
            messages.append(ChatMessage("user", "".join(texts)))
    return messages


def _sent_call(call: Mapping[str, Any]) -> ToolCall:
    args = call.get("args")
    return ToolCall(
        str(call.get("id") or call.get("name")),
        str(call.get("name")),
        args if isinstance(args, dict) else {},
    )


def _lower_types(schema: Any) -> Any:
    """A Schema with its `type` words lowercased: the API takes "OBJECT" and "object" alike."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: _lower_types(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _lower_types(value)
        elif key in ("anyOf", "oneOf", "allOf", "prefixItems") and isinstance(value, list):
            out[key] = [_lower_types(sub) for sub in value]
        else:
            out[key] = value
    return out


def _tools(raw: Any) -> tuple[ToolSpec, ...]:
    specs: list[ToolSpec] = []
    for tool in raw if isinstance(raw, list) else ():
        if not isinstance(tool, dict):
            continue
        for declaration in _field(tool, "functionDeclarations") or ():
            if not isinstance(declaration, dict):
                continue
            parameters = declaration.get("parameters")
            if parameters is None:
                parameters = _field(declaration, "parametersJsonSchema")
            specs.append(
                ToolSpec(
                    str(declaration.get("name")),
                    str(declaration.get("description", "")),
                    _lower_types(parameters) if isinstance(parameters, dict) else {},
                )
            )
    return tuple(specs)
