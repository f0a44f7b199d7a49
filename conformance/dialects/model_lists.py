"""Model listing (and Anthropic's token count): the side endpoints providers call as health checks.

Real providers list models to check that the API is up (victor's OpenAI and Anthropic providers
call `client.models.list()`), so a fake server that answers those paths with 404 would fail a
healthy provider. The bodies follow the APIs' documented shapes, listing the scenario's model.
Like every side endpoint, they share the scenario's error and fault (the server applies them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

from conformance.dialects.base import Endpoint
from conformance.scenarios.model import ErrorReply, Scenario
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

_MODELS = re.compile(r"^/v1/models(?:/(?P<model>[^/]+))?/?$")
_COUNT_TOKENS = "/v1/messages/count_tokens"
#: A fixed creation time: the same bytes on every run.
_CREATED = 1686935002


def models_endpoint(method: str, path: str) -> Endpoint | None:
    """`GET /v1/models` and `GET /v1/models/{id}` (OpenAI and Anthropic share the paths)."""
    if method == "GET" and _MODELS.match(path):
        return Endpoint("models")
    return None


def anthropic_side_endpoint(method: str, path: str) -> Endpoint | None:
    if method == "POST" and path.rstrip("/") == _COUNT_TOKENS:
        return Endpoint("count_tokens")
    return models_endpoint(method, path)


def _asked(request: RecordedRequest) -> str | None:
    match = _MODELS.match(request.path)
    return unquote(match["model"]) if match and match["model"] else None


def openai_models(
    request: RecordedRequest,
    scenario: Scenario,
    render_error: Callable[[ErrorReply], WireResponse],
) -> WireResponse:
    model = scenario.request.model
    entry = {"id": model, "object": "model", "created": _CREATED, "owned_by": "system"}
    asked = _asked(request)
    if asked is None:
        return json_response(200, {"object": "list", "data": [entry]})
    if asked != model:
        message = f"The model `{asked}` does not exist or you do not have access to it."
        return render_error(ErrorReply(404, message, code="model_not_found"))
    return json_response(200, entry)


def anthropic_side(
    endpoint: Endpoint,
    request: RecordedRequest,
    scenario: Scenario,
    render_error: Callable[[ErrorReply], WireResponse],
) -> WireResponse:
    model = scenario.request.model
    if endpoint.kind == "count_tokens":
        usage = scenario.turns[0].reply.usage if scenario.turns else None
        return json_response(200, {"input_tokens": usage.prompt_tokens if usage else 12})
    entry = {
        "type": "model",
        "id": model,
        "display_name": model,
        "created_at": "2025-02-19T00:00:00Z",
    }
    asked = _asked(request)
    if asked is None:
        return json_response(
            200, {"data": [entry], "has_more": False, "first_id": model, "last_id": model}
        )
    if asked != model:
        return render_error(ErrorReply(404, f"model: {asked}"))
    return json_response(200, entry)
