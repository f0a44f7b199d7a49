"""The loopback fake API server, its sessions, and the wire data it records."""

from conformance.server.http_server import FakeServer
from conformance.server.session import Exchange, Session
from conformance.vocabulary.wire import REDACTED, RecordedRequest, WireResponse, redact

__all__ = [
    "REDACTED",
    "Exchange",
    "FakeServer",
    "RecordedRequest",
    "Session",
    "WireResponse",
    "redact",
]
