"""The one observation model every profile reports into, whatever the provider's interface.

The judge only ever sees these; that is what lets a victor-style, an orchestrator-style and a
native provider be judged by the same clause code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.vocabulary.canonical import Mode, ToolCall, Usage


@dataclass(frozen=True)
class ObservedChunk:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    is_final: bool = False
    stop_reason: str | None = None
    usage: Usage | None = None
    #: time.perf_counter() when the provider yielded the chunk (ST-4).
    at: float = 0.0

    def __post_init__(self) -> None:
        # A provider that yields something else than text (a list of content parts, say) is
        # judged on what it yielded, shown as it is; it must not break the harness's reading.
        if not isinstance(self.text, str):
            object.__setattr__(self, "text", str(self.text))


@dataclass(frozen=True)
class ObservedError:
    """An exception the provider raised, in canonical terms."""

    type_name: str
    #: Canonical category, or None when the exception is not one of the profile's error types
    #: (a raw httpx, json, KeyError ... escaped: ER-8).
    category: str | None
    status_code: int | None
    retryable: bool | None
    retry_after: float | None
    provider: str | None
    message: str
    cause_type: str | None
    representation: str
    #: Whether the interface's errors have a place for the provider's name (an attribute). Where
    #: they have none, a missing name is not judged (ER-3); a wrong one still is.
    names_provider: bool = True
    #: Whether the interface's errors have a place for the HTTP status (an attribute). Where they
    #: have none, a status read from the cause chain is judged, a missing one is not (ER-3).
    states_status: bool = True
    #: The provider's traceback, harness frames hidden
    #: (conformance/profiles/provider_traceback.py): shown
    #: with a failure, never judged.
    traceback: str = field(default="", compare=False, repr=False)

    @property
    def is_profile_error(self) -> bool:
        return self.category is not None


@dataclass
class TurnObservation:
    """What the provider reported for one request/response exchange."""

    mode: Mode
    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    stop_reason: str | None = None
    usage: Usage | None = None
    chunks: list[ObservedChunk] = field(default_factory=list)
    error: ObservedError | None = None
    #: time.perf_counter() around the call, set by the runner (ER-4's bounded timeout).
    started: float = 0.0
    ended: float = 0.0

    @property
    def elapsed(self) -> float:
        return self.ended - self.started

    @property
    def streamed_text(self) -> str:
        return "".join(chunk.text for chunk in self.chunks)


@dataclass
class Observation:
    """Everything observed while running one scenario in one mode against one provider."""

    mode: Mode
    turns: list[TurnObservation] = field(default_factory=list)
    provider_name: object = None
    provider_repr: str = ""
    log_lines: list[str] = field(default_factory=list)
    timed_out: bool = False
    #: The worst lateness (s) of the harness's own loop and threads during the check: timing
    #: failures that coincide with a starved harness are inconclusive (conformance/isolation).
    harness_lag: float = 0.0
    #: An exception from the harness's own driving (building or closing the provider), if any.
    harness_error: str | None = None
    #: What a second close() raised (RS-1: closing twice must be safe).
    close_errors: list[str] = field(default_factory=list)
    #: Connections of this check still open after close() and a short grace (RS-1).
    open_connections: int = 0
    #: ResourceWarnings and "Unclosed ..." log lines while the provider ran (RS-2).
    resource_warnings: list[str] = field(default_factory=list)
