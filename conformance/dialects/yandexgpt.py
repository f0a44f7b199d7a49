"""YandexGPT: Yandex Cloud's Foundation Models text generation API (REST).

As Yandex Cloud's API reference and its SDKs have it:

- `POST /foundationModels/v1/completion` on `llm.api.cloud.yandex.net`; the provider is given the
  server root as its base URL.
- Credentials: `Authorization: Api-Key <API key>` (a service account's key) or
  `Authorization: Bearer <IAM token>`; the real API takes both, and so does this dialect. An
  `x-folder-id` header may come with an IAM token.
- Body: `modelUri` `gpt://<folder>/<model>[/<version>]` (RQ-3 reads the model from it),
  `completionOptions` (`stream`, `temperature`, `maxTokens` as an int64, a JSON string),
  `messages` of `{role, text}`, `tools` of `{"function": {name, description, parameters}}`.
- Answer: `{"result": {"alternatives": [{"message": {...}, "status": ...}], "usage": {...},
  "modelVersion": ...}}`, counts as strings (int64 through a gRPC gateway). The status says why
  it ended: `ALTERNATIVE_STATUS_FINAL`, `_TRUNCATED_FINAL`, `_CONTENT_FILTER`, `_TOOL_CALLS`.
- Tool calls: `message.toolCallList.toolCalls[].functionCall` with `name` and `arguments` (a JSON
  object), no ids; results come back as a message with
  `toolResultList.toolResults[].functionResult` `{name, content}` and pair with calls by name.
- Streams: newline-delimited JSON, one `{"result": ...}` per line, each repeating the whole
  alternative so far (cumulative text, status `ALTERNATIVE_STATUS_PARTIAL` until the last line)
  with the usage so far. An error after the answer began is a last line `{"error": {...}}`.
- Errors: the gRPC gateway's `{"error": {"grpcCode", "httpCode", "message", "httpStatus",
  "details"}}`.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.scenarios.model import ErrorReply, Reply, Scenario
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

CHAT_PATH = "/foundationModels/v1/completion"
MODEL_URI_PREFIX = "gpt://"
PARTIAL = "ALTERNATIVE_STATUS_PARTIAL"
STATUSES = {
    "stop": "ALTERNATIVE_STATUS_FINAL",
    "length": "ALTERNATIVE_STATUS_TRUNCATED_FINAL",
    "content_filter": "ALTERNATIVE_STATUS_CONTENT_FILTER",
    "tool_calls": "ALTERNATIVE_STATUS_TOOL_CALLS",
}
#: The gRPC status the gateway reports beside each HTTP status.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 408: 4, 409: 6, 413: 3, 422: 3, 429: 8}
GRPC_CODES.update({500: 13, 501: 12, 502: 14, 503: 14, 504: 4})
_MODEL_VERSION = "23.10.2024"


class YandexGPTDialect(Dialect):
    name: ClassVar[str] = "yandexgpt"
    title: ClassVar[str] = "YandexGPT Foundation Models completion (JSON + cumulative NDJSON)"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = "yandexgpt.request.schema.json"
    credential_description: ClassVar[str] = (
        "the header 'Authorization: Api-Key <key>' (or 'Authorization: Bearer <IAM token>')"
    )
    chat_path_description: ClassVar[str] = f"POST {CHAT_PATH}"
    stream_content_type: ClassVar[str] = "application/json"
    #: Calls carry no id: a result names the function it answers.
    tool_call_ids: ClassVar[bool] = False

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == CHAT_PATH:
            return Endpoint("chat")
        return None

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        return _object(_object(request.json()).get("completionOptions")).get("stream") is True

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return request.header("authorization") in (f"Api-Key {api_key}", f"Bearer {api_key}")

    def tool_call_key(self, call: ToolCall) -> str:
        return call.name

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        if reply.error is not None and not (stream and reply.error.in_stream):
            return self.render_error(reply.error)
        final = STATUSES.get(reply.effective_stop_reason, STATUSES["stop"])
        if not stream:
            response = json_response(200, {"result": _result(reply, reply.text, final, True)})
            response.meta["usage_sent"] = reply.usage is not None
            return response
        lines: list[Any] = []
        so_far = ""
        parts = reply.text_parts
        for part in parts[:-1] if reply.error is None and not reply.tool_calls else parts:
            so_far += part
            lines.append({"result": _result(reply, so_far, PARTIAL, False)})
        if reply.error is not None:
            lines.append({"error": _error_object(reply.error)})
        else:
            lines.append({"result": _result(reply, reply.text, final, True)})
        response = WireResponse(
            status=200,
            headers=[("Content-Type", "application/json")],
            pieces=[(json.dumps(line, ensure_ascii=False) + "\n").encode() for line in lines],
            chunked=True,
        )
        response.split(scenario.wire.split_bytes)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def render_error(self, error: ErrorReply) -> WireResponse:
        return json_response(error.status, {"error": _error_object(error)}, error.headers)

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        body = request.json()
        if not isinstance(body, dict):
            problem = ("RQ-1", "the body is not a JSON object")
            return CanonicalRequest(None, None, None, None, None, (), (), problems=(problem,))
        problems: list[tuple[str, str]] = []
        model = _model(body.get("modelUri"))
        if model is None:
            problems.append(
                ("RQ-1", f"modelUri {body.get('modelUri')!r} is not gpt://FOLDER/MODEL[/VERSION]")
            )
        if "model" in body:
            problems.append(("RQ-1", "the body has 'model'; YandexGPT reads 'modelUri'"))
        options = _object(body.get("completionOptions"))
        system: str | None = None
        messages: list[ChatMessage] = []
        raw_messages = body.get("messages")
        for position, raw in enumerate(raw_messages if isinstance(raw_messages, list) else ()):
            raw = _object(raw)
            role, text = raw.get("role"), raw.get("text")
            text = text if isinstance(text, str) else ""
            results = _object(raw.get("toolResultList")).get("toolResults")
            calls = _object(raw.get("toolCallList")).get("toolCalls")
            if isinstance(results, list):
                for result in results:
                    function = _object(_object(result).get("functionResult"))
                    name, content = function.get("name"), function.get("content")
                    messages.append(
                        ChatMessage(
                            "tool",
                            content if isinstance(content, str) else "",
                            tool_call_id=name if isinstance(name, str) else None,
                        )
                    )
            elif isinstance(calls, list):
                parsed = []
                for call in calls:
                    function = _object(_object(call).get("functionCall"))
                    name, arguments = str(function.get("name")), function.get("arguments")
                    if not isinstance(arguments, dict):
                        problems.append(
                            (
                                "RQ-5",
                                f"messages[{position}] functionCall {name!r} arguments are "
                                f"{type(arguments).__name__}; YandexGPT wants the JSON object",
                            )
                        )
                        arguments = {}
                    parsed.append(ToolCall(name, name, arguments))
                messages.append(ChatMessage("assistant", text, tool_calls=tuple(parsed)))
            elif role == "system" and position == 0:
                system = text
            elif role == "system":
                problems.append(("RQ-6", f"a system message stands at messages[{position}]"))
            elif role in ("user", "assistant"):
                messages.append(ChatMessage(role, text))
            else:
                problems.append(("RQ-1", f"messages[{position}] has role {role!r}"))
        tools = tuple(
            ToolSpec(
                str(function.get("name")),
                function.get("description", ""),
                function.get("parameters", {}),
            )
            for tool in body.get("tools") or ()
            if (function := _object(_object(tool).get("function")))
        )
        stream = options.get("stream")
        return CanonicalRequest(
            model=model,
            temperature=options.get("temperature"),
            max_tokens=_count(options.get("maxTokens")),
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=tools,
            problems=tuple(problems),
        )


def _result(reply: Reply, text: str, status: str, final: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant"}
    if final and reply.tool_calls:
        if text:
            message["text"] = text
        message["toolCallList"] = {
            "toolCalls": [
                {"functionCall": {"name": call.name, "arguments": dict(call.arguments)}}
                for call in reply.tool_calls
            ]
        }
    else:
        message["text"] = text
    result: dict[str, Any] = {"alternatives": [{"message": message, "status": status}]}
    if reply.usage is not None:
        # Every line carries the usage so far; only the last one is the answer's.
        completion = reply.usage.completion_tokens if final else max(0, len(text) // 4)
        completion = min(completion, reply.usage.completion_tokens)
        result["usage"] = {
            "inputTextTokens": str(reply.usage.prompt_tokens),
            "completionTokens": str(completion),
            "totalTokens": str(reply.usage.prompt_tokens + completion)
            if not final
            else str(reply.usage.total_tokens),
        }
    result["modelVersion"] = _MODEL_VERSION
    return result


def _error_object(error: ErrorReply) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(error.status).phrase
    except ValueError:
        phrase = "Unknown"
    return {
        "grpcCode": GRPC_CODES.get(error.status, 2),
        "httpCode": error.status,
        "message": error.message,
        "httpStatus": phrase,
        "details": [],
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _model(uri: Any) -> str | None:
    """The model in `gpt://FOLDER/MODEL[/VERSION]`, which is what a provider was asked to call."""
    if not isinstance(uri, str) or not uri.startswith(MODEL_URI_PREFIX):
        return None
    folder, _, rest = uri.removeprefix(MODEL_URI_PREFIX).partition("/")
    model = rest.partition("/")[0]
    return model if folder and model else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
