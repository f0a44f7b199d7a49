"""The real LangChain integrations through the `langchain` profile, where they are installed
(skipped otherwise; the ecosystem environment installs the pinned versions).

Each package must read a plain answer in both modes (so a failure elsewhere is the package's,
not the profile's), and one published finding per package (docs/ecosystem/langchain-findings.md)
must still be what the suite reports: when a release fixes it, this test says so and the
findings page is updated.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from conformance import (
    Case,
    CaseOutcome,
    FakeServer,
    ProviderSpec,
    ProviderUnderTest,
    bundled_scenarios,
    run_case,
)

SCENARIOS = bundled_scenarios()


@dataclass(frozen=True)
class Package:
    module: str
    target: str
    dialect: str
    options: dict[str, Any] = field(default_factory=dict)


OPENAI = Package("langchain_openai", "langchain_openai:ChatOpenAI", "openai-chat")
ANTHROPIC = Package(
    "langchain_anthropic", "langchain_anthropic:ChatAnthropic", "anthropic-messages"
)
OLLAMA = Package("langchain_ollama", "langchain_ollama:ChatOllama", "ollama-chat")
GOOGLE = Package(
    "langchain_google_genai", "langchain_google_genai:ChatGoogleGenerativeAI", "gemini"
)
PACKAGES = (OPENAI, ANTHROPIC, OLLAMA, GOOGLE)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run(server: FakeServer, package: Package, scenario: str, mode: str) -> CaseOutcome:
    pytest.importorskip(package.module, reason=f"{package.module} is not installed")
    importlib.import_module(package.module)
    spec = ProviderSpec(
        target=package.target,
        dialect=package.dialect,
        profile="langchain",
        options=dict(package.options),
    )
    put = ProviderUnderTest.load(spec)
    return run_case(server, put, Case(SCENARIOS[scenario], mode))  # type: ignore[arg-type]


#: Published findings that show on a plain answer too (langchain-findings.md).
PLAIN_FINDINGS: dict[tuple[str, str], set[str]] = {
    ("langchain_anthropic", "stream"): {"ST-5"},  # input tokens read as 0
    ("langchain_ollama", "chat"): {"RQ-3"},  # ainvoke sends "stream": true
}


@pytest.mark.parametrize("mode", ["chat", "stream"])
@pytest.mark.parametrize("package", PACKAGES, ids=[p.module for p in PACKAGES])
def test_a_plain_answer_is_read(server: FakeServer, package: Package, mode: str) -> None:
    outcome = run(server, package, "text_plain", mode)
    assert outcome.error is None, outcome.failure_text()
    failed = {v.clause for v in outcome.failures}
    assert failed == PLAIN_FINDINGS.get((package.module, mode), set()), outcome.failure_text()
    passed = {v.clause for v in outcome.verdicts if v.outcome == "pass"}
    assert {"CH-1"} <= passed if mode == "chat" else {"ST-1", "ST-2"} <= passed


FINDINGS = [
    # langchain-core parses truncated tool-call arguments as partial JSON, silently.
    (OPENAI, "tool_call_unparsable_arguments", "stream", "ER-5"),
    # openai's stream ends silently on a cut body; langchain-openai checks no finish reason.
    (OPENAI, "fault_stream_cut", "stream", "ER-7"),
    # langchain-anthropic reads input tokens only from message_delta.
    (ANTHROPIC, "usage_reporting", "stream", "ST-5"),
    # langchain-ollama invents tool-call ids.
    (OLLAMA, "tool_call_single", "chat", "CH-2"),
    # langchain-google-genai strips trailing newlines from non-streamed text.
    (GOOGLE, "text_unicode_long", "chat", "CH-1"),
]


@pytest.mark.parametrize(
    ("package", "scenario", "mode", "clause"),
    FINDINGS,
    ids=[f"{p.module}-{s}-{m}-{c}" for p, s, m, c in FINDINGS],
)
def test_published_finding_still_holds(
    server: FakeServer, package: Package, scenario: str, mode: str, clause: str
) -> None:
    outcome = run(server, package, scenario, mode)
    assert outcome.error is None, outcome.failure_text()
    assert clause in {v.clause for v in outcome.failures}, outcome.failure_text()


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_google_genai_transport_errors_are_read_on_either_transport(
    server: FakeServer, mode: str
) -> None:
    """google-genai sends through aiohttp when it is installed (the ecosystem environment has it,
    from LiteLLM) and through httpx otherwise; a refused connection is ER-4's `network` on both."""
    outcome = run(server, GOOGLE, "fault_connection_refused", mode)
    assert outcome.error is None, outcome.failure_text()
    failed = {v.clause for v in outcome.failures}
    assert not failed & {"ER-4", "ER-8"}, outcome.failure_text()
