"""GigaChat (Sber): an OAuth client-credentials token exchange, then an OpenAI-like chat API.

What differs from OpenAI Chat Completions, as GigaChat's REST reference documents it:

- Token: `POST /api/v2/oauth` (on its own host in production, ngw.devices.sberbank.ru:9443) with
  `Authorization: Basic <authorization key>`, an `RqUID` header (a uuid4) and the form
  `scope=GIGACHAT_API_PERS|GIGACHAT_API_B2B|GIGACHAT_API_CORP`; answered with
  `{"access_token": ..., "expires_at": <epoch ms>}`. Token errors are `{"code": N, "message": ...}`
  (`{"code": 5, "message": "scope is empty"}`).
- Chat: `POST /api/v1/chat/completions` with `Authorization: Bearer <access token>`. The provider
  is given the base URL `…/api/v1`; the token path is then `…/api/v2/oauth` on the same root.
- Functions, not tools: the request lists `functions` (name, description, parameters); the answer
  carries one `message.function_call` whose `arguments` is a JSON object, with
  `finish_reason: "function_call"` and a `functions_state_id`. A call has no id: results come
  back as `{"role": "function", "name": ..., "content": ...}` and pair with their call by name.
  One call per answer, so parallel calls are never sent.
- Streams: `data: {...}` chunks with `"object": "chat.completion"` and no id, the finish reason
  and the usage on the last content chunk, then `data: [DONE]`. A function call arrives whole in
  one delta.
- Errors: `{"status": N, "message": ...}` (`{"status": 404, "message": "No such model"}`).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.dialects.oauth_token import ErrorsAt, OAuthTokenDialect
from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.dialects.sse_writer import sse_event, sse_json, sse_response
from conformance.scenarios.model import ErrorReply, Reply, Scenario
from conformance.vocabulary.canonical import ChatMessage, Mode, ToolCall, ToolSpec
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_CREATED = 1_727_346_168
#: The model name GigaChat echoes carries a version, as the real one does ("GigaChat:1.0.26.20").
_SCOPES = frozenset({"GIGACHAT_API_PERS", "GIGACHAT_API_B2B", "GIGACHAT_API_CORP"})
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "function_call"}


class GigaChatChatDialect(OpenAIChatDialect):
    """The chat half of GigaChat, behind the token endpoint of `GigaChatDialect`."""

    name: ClassVar[str] = "gigachat"
    title: ClassVar[str] = "GigaChat chat completions (SSE, functions)"
    base_path: ClassVar[str] = "/api/v1"
    request_schema: ClassVar[str] = "gigachat.request.schema.json"
    chat_path_description: ClassVar[str] = "POST /api/v1/chat/completions"
    corpus_folder: ClassVar[str | None] = None
    #: Calls carry no id: a function result names the function it answers.
    tool_call_ids: ClassVar[bool] = False
    #: Arguments are a JSON object, calls come whole and one at a time: no optional shape fits.
    wire_features: ClassVar[frozenset[str]] = frozenset()
    #: GigaChat takes top_p; it has no stop sequences.
    request_parameters: ClassVar[frozenset[str]] = frozenset({"top_p"})

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and path.rstrip("/") == "/api/v1/chat/completions":
            return Endpoint("chat")
        return None

    def tool_call_key(self, call: ToolCall) -> str:
        return call.name

    def cannot_express(self, scenario: Scenario, mode: Mode) -> str | None:
        if any(len(turn.reply.tool_calls) > 1 for turn in scenario.turns):
            return f"dialect {self.name} answers with one function call at a time"
        return super().cannot_express(scenario, mode)

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        reply = scenario.turns[turn].reply
        if reply.error is not None and not (stream and reply.error.in_stream):
            return self.render_error(reply.error)
        body = request.json()
        model = body.get("model") if isinstance(body, dict) else None
        model = model if isinstance(model, str) else scenario.request.model
        if not stream:
            response = json_response(200, self._completion_body(reply, model, turn))
            response.meta["usage_sent"] = reply.usage is not None
            return response
        return self._gigachat_stream(scenario, reply, model, turn)

    def _completion_body(self, reply: Reply, model: str, turn: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            call = reply.tool_calls[0]
            message["function_call"] = {"name": call.name, "arguments": dict(call.arguments)}
            message["functions_state_id"] = _state_id(turn)
        payload: dict[str, Any] = {
            "choices": [
                {
                    "message": message,
                    "index": 0,
                    "finish_reason": _finish(reply),
                }
            ],
            "created": _CREATED,
            "model": model,
            "object": "chat.completion",
        }
        if reply.usage is not None:
            payload["usage"] = {**reply.usage.as_json(), "precached_prompt_tokens": 0}
        return payload

    def _gigachat_stream(
        self, scenario: Scenario, reply: Reply, model: str, turn: int
    ) -> WireResponse:
        wire = scenario.wire

        def chunk(delta: dict[str, Any], *, last: bool = False) -> bytes:
            choice: dict[str, Any] = {"delta": delta, "index": 0}
            if last:
                choice["finish_reason"] = _finish(reply)
            payload: dict[str, Any] = {
                "choices": [choice],
                "created": _CREATED,
                "model": model,
                "object": "chat.completion",
            }
            if last and reply.usage is not None:
                payload["usage"] = {**reply.usage.as_json(), "precached_prompt_tokens": 0}
            return sse_json(payload, wire)

        parts = list(reply.text_parts) or [""]
        deltas: list[dict[str, Any]] = [
            {"content": part, **({"role": "assistant"} if n == 0 else {})}
            for n, part in enumerate(parts)
        ]
        if reply.error is not None:
            events = [chunk(delta) for delta in deltas if delta["content"]]
            error = {"status": reply.error.status, "message": reply.error.message}
            return sse_response([*events, sse_json(error, wire)], wire)
        if reply.tool_calls:
            call = reply.tool_calls[0]
            deltas.append(
                {
                    "content": "",
                    "role": "assistant",
                    "function_call": {"name": call.name, "arguments": dict(call.arguments)},
                    "functions_state_id": _state_id(turn),
                }
            )
        events = [chunk(delta, last=n == len(deltas) - 1) for n, delta in enumerate(deltas)]
        events.append(sse_event("[DONE]", wire))
        response = sse_response(events, wire)
        response.meta["usage_sent"] = reply.usage is not None
        return response

    def render_error(self, error: ErrorReply) -> WireResponse:
        response = json_response(error.status, {"status": error.status, "message": error.message})
        response.headers += list(error.headers.items())
        return response

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        body = request.json()
        if not isinstance(body, dict):
            return CanonicalRequest(
                None, None, None, None, None, (), (), (("RQ-1", "the body is not a JSON object"),)
            )
        problems: list[tuple[str, str]] = []
        messages: list[ChatMessage] = []
        system: str | None = None
        raw_messages = body.get("messages")
        for position, raw in enumerate(raw_messages if isinstance(raw_messages, list) else ()):
            if not isinstance(raw, dict):
                problems.append(("RQ-1", f"messages[{position}] is not an object"))
                continue
            role, content = raw.get("role"), raw.get("content")
            text = content if isinstance(content, str) else ""
            if role == "system":
                if position == 0:
                    system = text
                else:
                    problems.append(
                        (
                            "RQ-6",
                            f"a system message stands at messages[{position}]; GigaChat answers "
                            "422 'Invalid params: system message must be the first message'",
                        )
                    )
            elif role == "function":
                name = raw.get("name")
                messages.append(
                    ChatMessage("tool", text, tool_call_id=name if isinstance(name, str) else None)
                )
            elif role == "assistant":
                call = raw.get("function_call")
                calls: tuple[ToolCall, ...] = ()
                if isinstance(call, dict):
                    arguments = call.get("arguments")
                    if not isinstance(arguments, dict):
                        problems.append(
                            (
                                "RQ-5",
                                f"messages[{position}].function_call.arguments is "
                                f"{type(arguments).__name__}; GigaChat wants the JSON object",
                            )
                        )
                        arguments = {}
                    calls = (ToolCall(str(call.get("name")), str(call.get("name")), arguments),)
                messages.append(ChatMessage("assistant", text, tool_calls=calls))
            elif role == "user":
                messages.append(ChatMessage("user", text))
            else:
                problems.append(("RQ-1", f"messages[{position}] has role {role!r}"))
        if "tools" in body:
            problems.append(
                ("RQ-1", "the body has 'tools' (an OpenAI shape); GigaChat reads 'functions'")
            )
        tools = tuple(
            ToolSpec(str(f.get("name")), f.get("description", ""), f.get("parameters", {}))
            for f in body.get("functions") or ()
            if isinstance(f, dict)
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
        )


class GigaChatDialect(OAuthTokenDialect):
    """`gigachat`: GigaChat's token endpoint (`/api/v2/oauth`) in front of its chat API."""

    name: ClassVar[str] = "gigachat"

    def __init__(self, inner: Dialect | None = None, *, errors_at: ErrorsAt | None = None) -> None:
        super().__init__(inner or GigaChatChatDialect(), errors_at=errors_at)
        self.name = "gigachat"  # type: ignore[misc]
        self.title = "GigaChat (OAuth token at /api/v2/oauth, then chat completions)"  # type: ignore[misc]
        self.token_path = "/api/v2/oauth"
        self.credential_description = (  # type: ignore[misc]
            "'Authorization: Basic <authorization key>' with an RqUID header and a scope form at "
            "POST /api/v2/oauth, then 'Authorization: Bearer <access token>' on the chat calls"
        )

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        if endpoint.kind == "token":
            problem = _token_request_problem(request)
            if problem is not None:
                return json_response(400, problem)
        return super().render_endpoint(endpoint, request, scenario)


def _token_request_problem(request: RecordedRequest) -> dict[str, Any] | None:
    """GigaChat's own answers to a token request it rejects, before any key is looked at."""
    if not _UUID.fullmatch((request.header("rqUID") or "").strip()):
        return {"code": 6, "message": "RqUID header is missing or is not a uuid4"}
    form = request.body.decode("utf-8", errors="replace")
    scope = dict(part.partition("=")[::2] for part in form.split("&") if part).get("scope", "")
    if not scope:
        return {"code": 5, "message": "scope is empty"}
    if scope not in _SCOPES:
        return {"code": 1, "message": "scope data format invalid"}
    return None


def _finish(reply: Reply) -> str:
    return _FINISH.get(reply.effective_stop_reason, reply.effective_stop_reason)


def _state_id(turn: int) -> str:
    return f"00000000-0000-4000-8000-{turn:012d}"


class GigaChatTokenErrorsDialect(GigaChatDialect):
    """`gigachat` whose token endpoint answers with the scenario's HTTP error (`{"code",
    "message"}`), so the ER clauses judge what a provider makes of a failing token exchange."""

    default_errors_at: ClassVar[ErrorsAt] = "token"

    def __init__(self, inner: Dialect | None = None, *, errors_at: ErrorsAt | None = None) -> None:
        super().__init__(inner, errors_at=errors_at)
        self.name = "gigachat-token-errors"  # type: ignore[misc]
