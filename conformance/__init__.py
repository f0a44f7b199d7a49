"""provider-conformance: contract tests and a conformance harness for LLM provider clients.

The public API: the subclassable suite, the fake server, scenarios, the seams (Dialect, Profile),
the clause catalogue, and the redaction a custom profile applies to what it writes. Everything
else is internal and may change.
"""

from conformance import _moved
from conformance.checks.runner import Case, CaseOutcome, ProviderUnderTest, run_case, run_identity
from conformance.dialects import CanonicalRequest, Dialect, Endpoint, get_dialect
from conformance.plugin.suite import ProviderConformanceSuite
from conformance.profiles import Connection, Profile, ProviderSpec, get_profile
from conformance.scenarios import (
    ErrorReply,
    Reply,
    RequestSpec,
    Scenario,
    Turn,
    WireOptions,
    bundled_scenarios,
    load_scenarios,
)
from conformance.server import FakeServer, RecordedRequest, Session, WireResponse
from conformance.vocabulary.canonical import ChatMessage, ExpectedError, ToolCall, ToolSpec, Usage
from conformance.vocabulary.clauses import CLAUSES, Clause, clause
from conformance.vocabulary.errors import ScenarioError, UsageError
from conformance.vocabulary.observation import (
    Observation,
    ObservedChunk,
    ObservedError,
    TurnObservation,
)
from conformance.vocabulary.redaction import redact, register_secret
from conformance.vocabulary.wire import json_response

_moved.install()

__version__ = "0.1.0"

__all__ = [
    "CLAUSES",
    "CanonicalRequest",
    "Case",
    "CaseOutcome",
    "ChatMessage",
    "Clause",
    "Connection",
    "Dialect",
    "Endpoint",
    "ErrorReply",
    "ExpectedError",
    "FakeServer",
    "Observation",
    "ObservedChunk",
    "ObservedError",
    "Profile",
    "ProviderConformanceSuite",
    "ProviderSpec",
    "ProviderUnderTest",
    "RecordedRequest",
    "Reply",
    "RequestSpec",
    "Scenario",
    "ScenarioError",
    "Session",
    "ToolCall",
    "ToolSpec",
    "Turn",
    "TurnObservation",
    "Usage",
    "UsageError",
    "WireOptions",
    "WireResponse",
    "__version__",
    "bundled_scenarios",
    "clause",
    "get_dialect",
    "get_profile",
    "json_response",
    "load_scenarios",
    "redact",
    "register_secret",
    "run_case",
    "run_identity",
]
