"""A dialect that is every dialect: it picks, per request, the one whose API has that path.

So one fake server can answer an OpenAI client, an Anthropic client and an Ollama client at once
(`provider-conformance serve` without `--dialect`). Paths that two dialects share go to the one
registered first (openai-chat before its variants).
"""

from __future__ import annotations

from typing import ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.scenarios.model import ErrorReply, Reply, Scenario
from conformance.vocabulary.canonical import ToolCall, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response


class AutoDialect(Dialect):
    name: ClassVar[str] = "auto"
    title: ClassVar[str] = "Any built-in dialect, chosen from the request path"
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = ""
    credential_description: ClassVar[str] = (
        "the credential header of the dialect the path belongs to"
    )
    chat_path_description: ClassVar[str] = "the chat endpoint of any built-in dialect"

    def __init__(self, dialects: list[Dialect]) -> None:
        self._dialects = dialects

    def for_path(self, method: str, path: str) -> Dialect | None:
        for dialect in self._dialects:
            if dialect.endpoint(method, path) is not None:
                return dialect
        return None

    def _for(self, request: RecordedRequest) -> Dialect:
        dialect = self.for_path(request.method, request.path)
        if dialect is None:  # the server only asks after endpoint() matched
            raise LookupError(f"no dialect answers {request.method} {request.path}")
        return dialect

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        dialect = self.for_path(method, path)
        return dialect.endpoint(method, path) if dialect else None

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        return self._for(request).is_stream(request, endpoint)

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return self._for(request).credentials_ok(request, api_key)

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        return self._for(request).render_reply(scenario, turn, request, stream=stream)

    def render_turn(
        self,
        endpoint: Endpoint,
        scenario: Scenario,
        turn: int,
        request: RecordedRequest,
        *,
        stream: bool,
    ) -> WireResponse:
        return self._for(request).render_turn(endpoint, scenario, turn, request, stream=stream)

    def request_schema_for(self, request: RecordedRequest) -> str:
        return self._for(request).request_schema_for(request)

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        return self._for(request).render_endpoint(endpoint, request, scenario)

    def render_error(self, error: ErrorReply) -> WireResponse:
        return json_response(error.status, {"error": {"message": error.message}})

    def unknown_endpoint(self, method: str, path: str) -> WireResponse:
        known = "; ".join(f"{d.name}: {d.chat_path_description}" for d in self._dialects)
        return self.render_error(
            ErrorReply(404, f"Unknown endpoint {method} {path}; known: {known}")
        )

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        return self._for(request).parse_request(request)

    def recording_reply(self, body: bytes) -> Reply:
        raise NotImplementedError("the auto dialect replays no recordings")

    def wire_usage(self, usage: Usage) -> Usage:
        return usage

    def tool_call_key(self, call: ToolCall) -> str:
        return call.id
