"""Two OpenAI Chat variants that break providers written against api.openai.com alone.

`azure-openai` is Azure OpenAI's data plane: the model is a deployment named in the path, the
`api-version` query parameter is mandatory, the key travels in an `api-key` header, streams open
with a prompt-filter chunk that has no choices, and most error bodies are `{"error": {"code",
"message"}}` rather than OpenAI's typed objects. Rendering follows the recorded Azure stream in the
wire corpus (`openai_chat__azure_prompt_filter_tool_call.sse`): keys serialised alphabetically,
`content_filter_results` on every choice.

`openai-gateway` is an OpenAI-compatible server behind a gateway (OpenRouter, a corporate proxy, a
load balancer) that keeps connections alive with SSE comment lines: a few before the first event,
and one between every two events, whatever the scenario's own wire options say. A provider that
hands every line to `json.loads` fails here on the first byte.

Both subclass the openai-chat dialect and override only what their wire does differently.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import unquote

from conformance.dialects.base import CanonicalRequest, Endpoint
from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.dialects.sse_writer import sse_json
from conformance.scenarios.model import ErrorReply, Reply, Scenario, WireOptions
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_CHAT_PATH = re.compile(r"/openai/deployments/(?P<deployment>[^/]+)/chat/completions/?")
#: GA versions are dates, previews add `-preview` (2024-10-21, 2025-01-01-preview).
_API_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(?:-preview)?")

#: What Azure's content filter says about text it let through.
_SAFE = {"filtered": False, "severity": "safe"}
_TEXT_FILTERS: dict[str, Any] = {
    "hate": _SAFE,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
}
_PROMPT_FILTERS: dict[str, Any] = {
    **_TEXT_FILTERS,
    "jailbreak": {"filtered": False, "detected": False},
}

#: Azure's own `error.code` for statuses its gateway answers itself (OpenAI's validation errors,
#: 400/413/422, pass through with OpenAI's typed shape instead).
_AZURE_CODES: dict[int, str] = {
    401: "401",
    403: "403",
    404: "DeploymentNotFound",
    408: "Timeout",
    429: "429",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_PASSED_THROUGH = frozenset({400, 413, 422})

_AZURE_HEADERS: dict[str, str] = {
    "apim-request-id": "00000000-0000-4000-8000-000000000001",
    "x-request-id": "req_conformance",
    "x-ms-region": "conformance",
}


class AzureOpenAIDialect(OpenAIChatDialect):
    name: ClassVar[str] = "azure-openai"
    title: ClassVar[str] = "Azure OpenAI Chat Completions (deployments, api-key, api-version)"
    #: The provider is configured with the resource root (https://NAME.openai.azure.com).
    base_path: ClassVar[str] = ""
    request_schema: ClassVar[str] = "azure-openai.request.schema.json"
    credential_description: ClassVar[str] = "the header 'api-key: <key>'"
    chat_path_description: ClassVar[str] = (
        "POST /openai/deployments/{deployment}/chat/completions?api-version=YYYY-MM-DD"
    )
    corpus_folder: ClassVar[str | None] = "openai_chat"
    #: Only Azure's own recordings: the rest of the folder is api.openai.com's traffic.
    corpus_pattern: ClassVar[str] = "openai_chat__azure_*.sse"

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if method == "POST" and _CHAT_PATH.fullmatch(path):
            return Endpoint("chat")
        return None

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        return request.header("api-key") == api_key

    # -- rendering -------------------------------------------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        version = request.query.get("api-version")
        if not version:
            # What Azure really answers (not a 400): the route does not exist without a version.
            return self.render_error(ErrorReply(404, "Resource not found", code="404"))
        if not _API_VERSION.fullmatch(version):
            return self.render_error(
                ErrorReply(400, "API version not supported", code="BadRequest")
            )
        response = super().render_reply(scenario, turn, request, stream=stream)
        if response.status == 200:
            response.headers = _azure_headers(response.headers)
        return response

    def _completion(self, reply: Reply, model: str, completion_id: str) -> dict[str, Any]:
        payload = super()._completion(reply, model, completion_id)
        payload["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": _PROMPT_FILTERS}
        ]
        for choice in payload["choices"]:
            has_text = bool(choice["message"].get("content"))
            choice["content_filter_results"] = _TEXT_FILTERS if has_text else {}
        return dict(_sorted(payload))

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
        whole = replace(scenario, wire=replace(wire, split_bytes=0))
        response = super()._stream(whole, reply, model, completion_id, include_usage=include_usage)
        response.pieces = [_prompt_filter_chunk(wire)] + [
            _with_content_filters(piece, wire) for piece in response.pieces
        ]
        response.split(wire.split_bytes)
        return response

    def render_error(self, error: ErrorReply) -> WireResponse:
        if error.status in _PASSED_THROUGH and error.code is None:
            body: dict[str, Any] = {
                "message": error.message,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        else:
            code = error.code or _AZURE_CODES.get(error.status, str(error.status))
            body = {"code": code, "message": error.message}
        headers = dict(_AZURE_HEADERS)
        headers.update(error.headers)
        return json_response(error.status, {"error": body}, headers)

    # -- reading requests ------------------------------------------------------------------

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        parsed = super().parse_request(request)
        match = _CHAT_PATH.fullmatch(request.path)
        deployment = unquote(match["deployment"]) if match else None
        problems = list(parsed.problems)
        version = request.query.get("api-version")
        if not version:
            problems.append(
                (
                    "RQ-1",
                    "the query parameter api-version is missing (Azure answers 404 "
                    "'Resource not found' without it); send ?api-version=YYYY-MM-DD",
                )
            )
        elif not _API_VERSION.fullmatch(version):
            problems.append(
                ("RQ-1", f"api-version {version!r} is not a YYYY-MM-DD[-preview] version")
            )
        return replace(
            parsed,
            # Azure ignores a model in the body: the deployment in the path is what runs.
            model=deployment,
            problems=tuple(problems),
            extras={**parsed.extras, "body_model": parsed.model, "api_version": version},
        )


class OpenAIGatewayDialect(OpenAIChatDialect):
    name: ClassVar[str] = "openai-gateway"
    title: ClassVar[str] = "OpenAI-compatible server behind a gateway (SSE keep-alive comments)"
    corpus_folder: ClassVar[str | None] = "openai_chat"
    #: The recordings of OpenAI-compatible servers (OpenRouter's gateway among them).
    corpus_pattern: ClassVar[str] = "openai_chat__compat_*.sse"
    #: Comments a gateway sends while the upstream model has not answered yet.
    leading_comments: ClassVar[int] = 3

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
        whole = replace(scenario, wire=replace(wire, split_bytes=0))
        response = super()._stream(whole, reply, model, completion_id, include_usage=include_usage)
        pieces = [_comment("PROCESSING", wire)] * self.leading_comments
        for index, piece in enumerate(response.pieces):
            if index:
                pieces.append(_comment("keep-alive", wire))
            pieces.append(piece)
        response.pieces = pieces
        response.split(wire.split_bytes)
        return response


def _comment(text: str, wire: WireOptions) -> bytes:
    """A comment on its own, dispatching nothing: what keep-alive gateways write."""
    return f": {text}{wire.eol}{wire.eol}".encode()


def _prompt_filter_chunk(wire: WireOptions) -> bytes:
    """Azure's first stream event: the verdict on the prompt, before any choice exists."""
    return sse_json(
        _sorted(
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": [
                    {"prompt_index": 0, "content_filter_results": _PROMPT_FILTERS}
                ],
            }
        ),
        wire,
    )


def _with_content_filters(piece: bytes, wire: WireOptions) -> bytes:
    """One rendered chunk as Azure sends it: filter results on each choice, keys sorted."""
    blocks = list(sse_blocks(piece))
    if len(blocks) != 1 or blocks[0][1].strip() == "[DONE]":
        return piece
    payload = json.loads(blocks[0][1])
    for choice in payload.get("choices") or ():
        has_text = bool((choice.get("delta") or {}).get("content"))
        choice["content_filter_results"] = _TEXT_FILTERS if has_text else {}
    return sse_json(_sorted(payload), wire)


def _azure_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in headers if k.lower() not in ("openai-version", "x-request-id")]
    return kept + list(_AZURE_HEADERS.items())


def _sorted(value: Any) -> Any:
    """Azure serialises object keys in alphabetical order, at every depth."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value
