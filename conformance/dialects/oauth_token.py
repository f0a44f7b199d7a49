"""An OAuth token endpoint in front of any dialect, for providers that fetch a token first.

Some APIs (GigaChat, and every gateway on OAuth client credentials) want a token exchange before
the chat calls: `POST .../oauth` with the authorization key as `Authorization: Basic <key>` and a
form body (`scope=...`), answered by `{"access_token": ..., "expires_at": <epoch ms>}`; the chat
calls then carry `Authorization: Bearer <access_token>`. `OAuthTokenDialect` wraps a dialect: it
answers the token path itself and hands everything else to the wrapped dialect, with the issued
token as the credential the chat calls must carry. The fake server needs no change: the token
path is one more endpoint of the dialect.

- Token path: `<base_path>/oauth` (for openai-chat `/v1/oauth`), i.e. `{base_url}/oauth` for the
  provider. Providers whose token URL is a class constant are pointed at it with the profile
  option `set.OAUTH_URL={base_url}/oauth`.
- Credentials at the token path: `Authorization: Basic <key>` (and `Bearer <key>`, which the
  published GigaChatProvider sends); the key must be in neither the URL nor the form (RQ-2 judges
  both endpoints). The issued token is derived from the key, so every session checks its own.
- Token errors: `errors_at="chat"` (dialect `oauth+<inner>`) always issues a token, and a
  scenario's HTTP error is the chat endpoint's. `errors_at="token"` (dialect
  `oauth-token-errors+<inner>`) answers the token request with the error of the scenario's first
  turn instead, in the token API's own body shape `{"code": <status>, "message": ...}` with the
  scenario's headers (Retry-After ...), so the ER clauses judge what the provider makes of a
  failing token endpoint. Transport faults, errors inside a stream and the resilience checks'
  scripted answers (scenarios tagged `resilience`, which count chat requests) stay on the chat
  endpoint.

The two variants are two rows of a report: one judges the chat endpoint's errors, the other the
token endpoint's. Select them with `--dialect conformance.dialects.oauth_token:OAuthOpenAIChat`
(or `...:OAuthTokenErrorsOpenAIChat`), or `oauth_dialect("oauth+NAME")` for any other dialect.
"""

from __future__ import annotations

import email.utils
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal
from urllib.parse import parse_qs

from conformance.dialects.base import CanonicalRequest, Dialect, Endpoint
from conformance.scenarios.model import ErrorReply, Reply, Scenario
from conformance.vocabulary.canonical import Mode, ToolCall, Usage
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

ErrorsAt = Literal["chat", "token"]

TOKEN_SUFFIX = "/oauth"
#: How long an issued token lives; providers renew it a little before `expires_at`.
TOKEN_LIFETIME = 30 * 60

_PREFIXES: dict[str, ErrorsAt] = {"oauth": "chat", "oauth-token-errors": "token"}


def issued_token(api_key: str) -> str:
    """The access token the endpoint issues for `api_key`: derived, so no state is kept."""
    return "at-" + hashlib.sha256(f"conformance-oauth:{api_key}".encode()).hexdigest()[:40]


class OAuthTokenDialect(Dialect):
    """`inner` behind an OAuth client-credentials token endpoint."""

    name: ClassVar[str] = "oauth"
    title: ClassVar[str] = "OAuth token endpoint in front of a dialect"
    #: The wrapped dialect when built without arguments (the `module:Class` form of --dialect).
    default_inner: ClassVar[str] = "openai-chat"
    default_errors_at: ClassVar[ErrorsAt] = "chat"

    def __init__(self, inner: Dialect | None = None, *, errors_at: ErrorsAt | None = None) -> None:
        if inner is None:
            from conformance.dialects import get_dialect

            inner = get_dialect(self.default_inner)
        self.inner = inner
        self.errors_at: ErrorsAt = errors_at or self.default_errors_at
        prefix = "oauth" if self.errors_at == "chat" else "oauth-token-errors"
        # The seam's attributes are class-level; this wrapper states the wrapped dialect's own.
        self.name = f"{prefix}+{inner.name}"  # type: ignore[misc]
        self.title = f"{inner.title}, behind an OAuth token endpoint"  # type: ignore[misc]
        self.base_path = inner.base_path  # type: ignore[misc]
        self.request_schema = inner.request_schema  # type: ignore[misc]
        self.chat_path_description = inner.chat_path_description  # type: ignore[misc]
        self.corpus_folder = inner.corpus_folder  # type: ignore[misc]
        self.corpus_pattern = inner.corpus_pattern  # type: ignore[misc]
        self.corpus_bodies = inner.corpus_bodies  # type: ignore[misc]
        self.stream_content_type = inner.stream_content_type  # type: ignore[misc]
        self.tool_call_ids = inner.tool_call_ids  # type: ignore[misc]
        self.wire_features = inner.wire_features  # type: ignore[misc]
        self.request_parameters = inner.request_parameters  # type: ignore[misc]
        self.token_path = inner.base_path.rstrip("/") + TOKEN_SUFFIX
        self.credential_description = (  # type: ignore[misc]
            f"'Authorization: Basic <key>' at POST {self.token_path}, then "
            f"{inner.credential_description} with the issued access token in place of the key"
        )

    # -- paths and credentials ------------------------------------------------------------

    def _is_token_path(self, path: str) -> bool:
        return path.rstrip("/") == self.token_path

    def endpoint(self, method: str, path: str) -> Endpoint | None:
        if self._is_token_path(path):
            return Endpoint("token") if method == "POST" else None
        return self.inner.endpoint(method, path)

    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        return self.inner.is_stream(request, endpoint)

    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        if self._is_token_path(request.path):
            return request.header("authorization") in (f"Basic {api_key}", f"Bearer {api_key}")
        return self.inner.credentials_ok(request, issued_token(api_key))

    # -- the token endpoint ---------------------------------------------------------------

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        if endpoint.kind != "token":
            return self.inner.render_endpoint(endpoint, request, scenario)
        problem = _form_problem(request)
        if problem:
            return json_response(400, {"code": 400, "message": problem})
        error = self._token_error(scenario)
        if error is not None:
            return _token_error_response(error)
        key = _basic_credential(request)
        expires_at = int((time.time() + TOKEN_LIFETIME) * 1000)
        return json_response(200, {"access_token": issued_token(key), "expires_at": expires_at})

    def _token_error(self, scenario: Scenario) -> ErrorReply | None:
        if self.errors_at != "token" or not scenario.turns:
            return None
        if "resilience" in scenario.tags:
            return None  # the RE checks count chat requests: their scripted errors stay there
        reply = scenario.turns[0].reply
        error = reply.error
        if error is None or error.in_stream:
            return None
        return error

    # -- everything else is the wrapped dialect's ----------------------------------------

    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        return self.inner.render_reply(scenario, turn, request, stream=stream)

    def render_error(self, error: ErrorReply) -> WireResponse:
        return self.inner.render_error(error)

    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        return self.inner.parse_request(request)

    def recording_reply(self, body: bytes) -> Reply:
        return self.inner.recording_reply(body)

    def recording_body_reply(self, body: bytes) -> Reply:
        return self.inner.recording_body_reply(body)

    def render_recorded(self, body: bytes) -> WireResponse:
        return self.inner.render_recorded(body)

    def wire_usage(self, usage: Usage) -> Usage:
        return self.inner.wire_usage(usage)

    def tool_call_key(self, call: ToolCall) -> str:
        return self.inner.tool_call_key(call)

    def cannot_express(self, scenario: Scenario, mode: Mode) -> str | None:
        return self.inner.cannot_express(scenario, mode)

    def unknown_endpoint(self, method: str, path: str) -> WireResponse:
        return self.inner.unknown_endpoint(method, path)

    def auth_failure(self) -> WireResponse:
        return self.inner.auth_failure()


class OAuthOpenAIChat(OAuthTokenDialect):
    """`oauth+openai-chat`: a token endpoint that always issues; errors come from the chat calls."""


class OAuthTokenErrorsOpenAIChat(OAuthTokenDialect):
    """`oauth-token-errors+openai-chat`: the scenario's HTTP error comes from the token endpoint."""

    default_errors_at: ClassVar[ErrorsAt] = "token"


def oauth_dialect(name: str) -> OAuthTokenDialect:
    """`oauth+<dialect>` or `oauth-token-errors+<dialect>` (what `get_dialect` should accept)."""
    prefix, plus, inner = name.partition("+")
    if not plus or prefix not in _PREFIXES or not inner:
        raise UsageError(
            f"--dialect {name}: expected oauth+<dialect> or oauth-token-errors+<dialect>"
        )
    from conformance.dialects import get_dialect

    return OAuthTokenDialect(get_dialect(inner), errors_at=_PREFIXES[prefix])


def _basic_credential(request: RecordedRequest) -> str:
    header = request.header("authorization") or ""
    return header.partition(" ")[2]


def _form_problem(request: RecordedRequest) -> str | None:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return (
            f"the token request must be a form (Content-Type "
            f"application/x-www-form-urlencoded), got {content_type or 'no Content-Type'!r}"
        )
    form = parse_qs(request.body.decode("utf-8", errors="replace"))
    if "scope" not in form and "grant_type" not in form:
        return "the token request's form has neither scope nor grant_type"
    return None


def _token_error_response(error: ErrorReply) -> WireResponse:
    """The scenario's error in the token API's shape, with its headers and Retry-After."""
    headers = list(error.headers.items())
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers.append(_retry_after_header(retry_after, getattr(error, "retry_after_form", "")))
    body = getattr(error, "body", None)
    if body is not None:
        content_type = getattr(error, "content_type", "text/plain")
        return WireResponse(
            status=error.status,
            headers=[("Content-Type", content_type), *headers],
            pieces=[body.encode("utf-8")],
        )
    response = json_response(error.status, {"code": error.status, "message": error.message})
    response.headers += headers
    return response


def _retry_after_header(seconds: float, form: str) -> tuple[str, str]:
    if form == "ms":
        return ("retry-after-ms", str(int(seconds * 1000)))
    if form == "http-date":
        when = datetime.now(UTC) + timedelta(seconds=seconds)
        return ("Retry-After", email.utils.format_datetime(when, usegmt=True))
    return ("Retry-After", f"{seconds:g}")

    def render_turn(
        self,
        endpoint: Endpoint,
        scenario: Scenario,
        turn: int,
        request: RecordedRequest,
        *,
        stream: bool,
    ) -> WireResponse:
        return self.inner.render_turn(endpoint, scenario, turn, request, stream=stream)

    def request_schema_for(self, request: RecordedRequest) -> str:
        return self.inner.request_schema_for(request)
