"""The shared vocabulary at the bottom of the house: what every layer above speaks.

Canonical values (`canonical`), what a provider was seen to do (`observation`), the clause
catalogue and its fix hints (`clauses`, `clause_hints`, `check_ids`), what crosses the wire
(`wire`, `fragmentation`, `retry_after`, `status_table`), the scrubbing of secrets from any text
(`redaction`), the provider's spec and connection
(`spec`, `targets`), the harness's user-facing errors (`errors`), and where bundled data and run
state live (`data_files`, `state_dirs`). Nothing here imports anything above it.
"""

from conformance.vocabulary.canonical import (
    ChatMessage,
    ExpectedError,
    Mode,
    ToolCall,
    ToolSpec,
    Usage,
)
from conformance.vocabulary.clauses import CLAUSES, Clause, clause
from conformance.vocabulary.errors import ScenarioError, UsageError
from conformance.vocabulary.observation import (
    Observation,
    ObservedChunk,
    ObservedError,
    TurnObservation,
)
from conformance.vocabulary.spec import Connection, ProviderSpec
from conformance.vocabulary.wire import RecordedRequest, WireResponse, json_response

__all__ = [
    "CLAUSES",
    "ChatMessage",
    "Clause",
    "Connection",
    "ExpectedError",
    "Mode",
    "Observation",
    "ObservedChunk",
    "ObservedError",
    "ProviderSpec",
    "RecordedRequest",
    "ScenarioError",
    "ToolCall",
    "ToolSpec",
    "TurnObservation",
    "Usage",
    "UsageError",
    "WireResponse",
    "clause",
    "json_response",
]
