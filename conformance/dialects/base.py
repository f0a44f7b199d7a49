"""The Dialect seam: everything that differs between wire protocols, and nothing else.

A dialect turns a scenario's reply into exact wire bytes, answers the paths its API answers, and
reads a recorded request back into canonical form for the RQ clauses. Adding a dialect is one
module and one registry line; every scenario then runs in it.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from conformance.scenarios.model import WIRE_FEATURES, ErrorReply, Reply, Scenario
from conformance.vocabulary.canonical import ChatMessage, Mode, ToolCall, ToolSpec, Usage
from conformance.vocabulary.wire import RecordedRequest, WireResponse

#: A recorded body cut after each blank line (any line ending), the last piece as it is.
_EVENT_PIECES = re.compile(rb".*?(?:\r\n\r\n|\n\n|\r\r)|.+", re.DOTALL)


@dataclass(frozen=True)
class CanonicalRequest:
    """A provider's request as the dialect understands it, for the RQ clauses."""

    model: str | None
    temperature: float | None
    max_tokens: int | None
    stream: bool | None
    system: str | None
    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...]
    #: (clause id, what is wrong): things a real API would reject or misread.
    problems: tuple[tuple[str, str], ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    top_p: float | None = None
    stop: tuple[str, ...] | None = None


#: Endpoint kinds that answer a call with the model's answer (chat, Ollama's generate): each
#: request plays the scenario's next reply, is counted, and is judged as a turn.
TURN_KINDS = frozenset({"chat", "generate"})
#: Endpoint kinds that answer by rules of their own (an OAuth token endpoint), not the scenario's.
OWN_RULE_KINDS = frozenset({"token"})


@dataclass(frozen=True)
class Endpoint:
    """What a request path means in this dialect.

    Every endpoint is judged alike: a turn endpoint plays the scenario's reply; any other
    (a model list, a health check, a token count) gives its own answer, but shares the reply's
    error and fault, as a real API that is down or broken answers every path alike.
    """

    kind: str  # "chat" for the completion endpoint; dialects may add others (health, models)
    stream: bool | None = None  # when the path itself says (Gemini); None: the body says

    @property
    def plays_turn(self) -> bool:
        return self.kind in TURN_KINDS

    @property
    def shares_faults(self) -> bool:
        """Whether the scenario's current error and fault apply here too."""
        return self.kind not in TURN_KINDS and self.kind not in OWN_RULE_KINDS


class Dialect(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    #: Appended to the server root to form the base URL a provider is configured with.
    base_path: ClassVar[str] = ""
    #: File under schemas/requests/ that chat request bodies must validate against (RQ-1).
    request_schema: ClassVar[str]
    #: Where the credentials go, for messages: e.g. "Authorization: Bearer <key>".
    credential_description: ClassVar[str]
    #: The canonical path a provider should call, for messages.
    chat_path_description: ClassVar[str]
    #: The wire corpus folder with this dialect's recordings (`--wire-corpus DIR/<folder>`), and
    #: the file pattern of recorded stream bodies there; None when the dialect has no corpus.
    corpus_folder: ClassVar[str | None] = None
    corpus_pattern: ClassVar[str] = "*.sse"
    #: The file-name pattern, without suffix, of the recorded non-streamed bodies (`.json`) and
    #: HTTP responses (`.http`) there; None: corpus_pattern's (conformance/dialects/corpus.py).
    corpus_bodies: ClassVar[str | None] = None
    #: Content-Type of streamed answers, used when a recorded body is replayed verbatim.
    stream_content_type: ClassVar[str] = "text/event-stream; charset=utf-8"
    #: Whether the wire carries tool-call ids (Gemini's does not: calls and results pair by
    #: name). When False, the judge compares and links tool calls by name instead of id.
    tool_call_ids: ClassVar[bool] = True
    #: The optional wire shapes (scenarios.model.WIRE_FEATURES) this API can carry; a scenario
    #: needing another is not applicable here, never passed.
    wire_features: ClassVar[frozenset[str]] = frozenset()
    #: Optional request parameters (RequestSpec: "top_p", "stop") this wire carries and
    #: `parse_request` reads back; RQ-3 judges only those.
    request_parameters: ClassVar[frozenset[str]] = frozenset()

    def cannot_express(self, scenario: Scenario, mode: Mode) -> str | None:
        """Why this wire cannot carry what `scenario` needs in `mode`, or None if it can."""
        missing = sorted(scenario.wire_features(mode) - self.wire_features)
        if not missing:
            return None
        return f"dialect {self.name} cannot express " + "; ".join(
            WIRE_FEATURES[feature] for feature in missing
        )

    def wire_usage(self, usage: Usage) -> Usage:
        """The usage a provider can know from this wire (some APIs send no total: it is the sum)."""
        return usage

    @abstractmethod
    def endpoint(self, method: str, path: str) -> Endpoint | None:
        """The endpoint for `method path` (below base_path's root), or None if the API has none."""

    @abstractmethod
    def is_stream(self, request: RecordedRequest, endpoint: Endpoint) -> bool:
        """Whether the provider asked for a streamed answer."""

    @abstractmethod
    def credentials_ok(self, request: RecordedRequest, api_key: str) -> bool:
        """Whether the request carries `api_key` where this API expects it."""

    @abstractmethod
    def render_reply(
        self, scenario: Scenario, turn: int, request: RecordedRequest, *, stream: bool
    ) -> WireResponse:
        """The exact response the real API would send for the scenario's turn."""

    @abstractmethod
    def render_error(self, error: ErrorReply) -> WireResponse:
        """An HTTP error with this API's own error body shape."""

    @abstractmethod
    def parse_request(self, request: RecordedRequest) -> CanonicalRequest:
        """Read a chat request back into canonical form."""

    def request_schema_for(self, request: RecordedRequest) -> str:
        """The request schema a turn request's body must validate against (RQ-1).

        One per dialect, unless the dialect has more than one turn endpoint (Ollama's generate).
        """
        return self.request_schema

    def render_turn(
        self,
        endpoint: Endpoint,
        scenario: Scenario,
        turn: int,
        request: RecordedRequest,
        *,
        stream: bool,
    ) -> WireResponse:
        """The scenario's turn in the shape of the endpoint that was asked (chat by default)."""
        return self.render_reply(scenario, turn, request, stream=stream)

    def tool_call_key(self, call: ToolCall) -> str:
        """What pairs a tool result with its call on this wire: the id, or the name."""
        return call.id if self.tool_call_ids else call.name

    def render_endpoint(
        self, endpoint: Endpoint, request: RecordedRequest, scenario: Scenario
    ) -> WireResponse:
        """Answer an endpoint other than chat (a model list, a health check)."""
        return self.unknown_endpoint(request.method, request.path)

    def recording_reply(self, body: bytes) -> Reply:
        """The canonical answer in a recorded stream body: what a conforming provider reports.

        The oracle for replaying the wire corpus. Keep it deliberately plain (read the recording
        the obvious way) so that it does not share a bug with the providers it judges.
        """
        raise NotImplementedError(f"dialect {self.name} cannot read recordings")

    def recording_body_reply(self, body: bytes) -> Reply:
        """The canonical answer in a recorded non-streamed body (a `.json` recording).

        The same plain oracle as `recording_reply`, for the API's one-document answer.
        """
        raise NotImplementedError(f"dialect {self.name} cannot read recorded bodies")

    def render_recorded(self, body: bytes) -> WireResponse:
        """A recorded stream body, written verbatim, one recorded event per piece."""
        pieces = _EVENT_PIECES.findall(body)
        assert b"".join(pieces) == body
        return WireResponse(
            status=200,
            headers=[("Content-Type", self.stream_content_type), ("Cache-Control", "no-cache")],
            pieces=pieces or [body],
            chunked=True,
        )

    def unknown_endpoint(self, method: str, path: str) -> WireResponse:
        return self.render_error(
            ErrorReply(
                404, f"Unknown endpoint {method} {path}; expected {self.chat_path_description}"
            )
        )

    def auth_failure(self) -> WireResponse:
        return self.render_error(
            ErrorReply(
                401, f"Missing or incorrect credentials; expected {self.credential_description}."
            )
        )
