"""An example dialect written outside the harness: a vendor completion API with its own JSON.

The wire is modelled on YandexGPT's Foundation Models API (`POST /foundationModels/v1/completion`,
`Authorization: Api-Key <key>`, the answer at `result.alternatives[0].message.text`, 64-bit counts
written as JSON strings, as gRPC gateways do). Streaming is newline-delimited JSON in which every
line repeats the whole text so far; the API has no tool calls. It is here to show the small API a
user implements (see docs/dialects.md), not to stand in for the real service.

Run it: PYTHONPATH=docs/examples provider-conformance run
    --provider completion_provider:CompletionProvider --dialect completion_dialect:CompletionDialect
"""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar

from conformance import (
    CanonicalRequest,
    ChatMessage,
    Dialect,
    Endpoint,
    ErrorReply,
    RecordedRequest,
    Reply,
    Scenario,
    WireResponse,
    json_response,
)

SCHEMA = Path(__file__).resolve().with_name("completion.request.schema.json")
CHAT_PATH = "/foundationModels/v1/completion"
MODEL_URI_PREFIX = "gpt://"

#: The API's word for each canonical stop reason.
STATUSES = {
    "stop": "ALTERNATIVE_STATUS_FINAL",
    "length": "ALTERNATIVE_STATUS_TRUNCATED_FINAL",
    "content_filter": "ALTERNATIVE_STATUS_CONTENT_FILTER",
}
PARTIAL = "ALTERNATIVE_STATUS_PARTIAL"

#: The gRPC status a gRPC-to-JSON gateway reports beside each HTTP status.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 408: 4, 409: 6, 413: 3, 422: 3, 429: 8, 499: 1}
GRPC_CODES.update({500: 13, 501: 12, 502: 14, 503: 14, 504: 4})


class CompletionDialect(Dialect):
    name: ClassVar[str] = "example-completion"
    title: ClassVar[str] = "Example vendor completion API (YandexGPT-style JSON)"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = str(SCHEMA)
    credential_description: ClassVar[str] = "the header 'Authorization: Api-Key <key>'"
    chat_path_description: ClassVar[str] = f"POST {CHAT_PATH}"
    stream_content_type: ClassVar[str] = "application/json"

    # -- routing and credentials -----------------------------------------------------------

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == CHAT_PATH:
            return Endpoint("chat")
        return None

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        options = _object(_object(request.json()).get("completionOptions"))
        return options.get("stream") is True

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return request.header("authorization") == f"Api-Key {api_key}"

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        if reply.error is not None:
            return self.render_error(reply.error)
        if reply.tool_calls:
            # Only reached by a provider that declares tools this API does not have.
            return self.render_error(ErrorReply(400, "tool calls are not supported by this API"))
        status = STATUSES.get(reply.effective_stop_reason, STATUSES["stop"])
        if not stream:
            response = json_response(200, {"result": _result(reply.text, status, reply)})
        else:
            # Each line carries the whole text so far; only the last one carries usage.
            lines: list[Any] = []
            so_far = ""
            for part in reply.text_parts:
                so_far += part
                lines.append({"result": _result(so_far, PARTIAL, None)})
            lines.append({"result": _result(reply.text, status, reply)})
            response = WireResponse(
                status=200,
                headers=[("Content-Type", self.stream_content_type)],
                pieces=[(json.dumps(line, ensure_ascii=False) + "\n").encode() for line in lines],
                chunked=True,
            )
            response.split(scenario.wire.split_bytes)
        # The judge asks whether the wire carried usage before it demands it of the provider.
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def render_error(self, error: ErrorReply) -> WireResponse:
        try:
            phrase = HTTPStatus(error.status).phrase
        except ValueError:
            phrase = "Unknown"
        body = {
            "error": {
                "grpcCode": GRPC_CODES.get(error.status, 2),
                "httpCode": error.status,
                "message": error.message,
                "httpStatus": phrase,
                "details": [],
            }
        }
        return json_response(error.status, body, error.headers)

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
                ("RQ-1", f"modelUri {body.get('modelUri')!r} is not gpt://FOLDER/MODEL")
            )
        options = _object(body.get("completionOptions"))
        system: str | None = None
        messages: list[ChatMessage] = []
        raw_messages = body.get("messages")
        for position, raw in enumerate(raw_messages if isinstance(raw_messages, list) else ()):
            raw = _object(raw)
            role, text = raw.get("role"), raw.get("text")
            text = text if isinstance(text, str) else ""
            if role == "system" and position == 0:
                system = text
            elif role == "system":
                problems.append(("RQ-6", f"a system message stands at messages[{position}]"))
            elif role in ("user", "assistant"):
                messages.append(ChatMessage(role, text))
            else:
                problems.append(("RQ-1", f"messages[{position}] has role {role!r}"))
        stream = options.get("stream")
        return CanonicalRequest(
            model=model,
            temperature=options.get("temperature"),
            max_tokens=_count(options.get("maxTokens")),
            stream=stream if isinstance(stream, bool) else None,
            system=system,
            messages=tuple(messages),
            tools=(),
            problems=tuple(problems),
        )


def _result(text: str, status: str, reply: Reply | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "alternatives": [{"message": {"role": "assistant", "text": text}, "status": status}],
        "modelVersion": "23.10.2024",
    }
    if reply is not None and reply.usage is not None:
        result["usage"] = {
            "inputTextTokens": str(reply.usage.prompt_tokens),
            "completionTokens": str(reply.usage.completion_tokens),
            "totalTokens": str(reply.usage.total_tokens),
        }
    return result


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _model(uri: Any) -> str | None:
    """The model in `gpt://FOLDER/MODEL`, which is what a provider was asked to call."""
    if not isinstance(uri, str) or not uri.startswith(MODEL_URI_PREFIX):
        return None
    folder, _, model = uri.removeprefix(MODEL_URI_PREFIX).partition("/")
    return model if folder and model else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
