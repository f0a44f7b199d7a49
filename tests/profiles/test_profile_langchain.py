"""The `langchain` profile, without langchain installed: a LangChain-shaped stand-in
(tests/known_bad/langchain_standin.py) must conform on the scenarios the known-bad models are
caught on, each known-bad model (tests/known_bad/langchain_style.py) must fail its clause, the
error tables must read each client's classes, and the profile must load and say what to install
when langchain is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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
from conformance.profiles import get_profile
from conformance.profiles import langchain_errors as errors
from conformance.profiles.langchain import LangChainProfile
from conformance.vocabulary.errors import UsageError

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from known_bad import langchain_style  # noqa: E402
from known_bad.langchain_standin import ChatStandin  # noqa: E402

SCENARIOS = bundled_scenarios()
STANDIN = "known_bad.langchain_standin"
OPTIONS = {"messages_module": STANDIN, "errors_module": STANDIN}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


def run_check(server: FakeServer, cls: type, scenario: str, mode: str) -> CaseOutcome:
    spec = ProviderSpec(
        target=f"{cls.__module__}:{cls.__qualname__}",
        dialect="openai-chat",
        profile="langchain",
        label=cls.__name__,
        options=dict(OPTIONS),
    )
    put = ProviderUnderTest.load(spec)
    return run_case(server, put, Case(SCENARIOS[scenario], mode))  # type: ignore[arg-type]


GOOD_CASES = [
    ("text_plain", "chat"),
    ("text_plain", "stream"),
    ("usage_reporting", "chat"),
    ("usage_reporting", "stream"),
    ("tool_calls_parallel", "chat"),
    ("tool_calls_parallel", "stream"),
    ("tool_conversation", "chat"),
    ("regression_interleaved_calls", "stream"),
    ("tool_call_unparsable_arguments", "chat"),
    ("tool_call_unparsable_arguments", "stream"),
    ("error_403", "chat"),
    ("error_429", "chat"),
    ("error_429", "stream"),
    ("error_504", "chat"),
    ("text_unicode_long", "chat"),
    ("stop_length", "chat"),
    ("fault_stream_cut", "stream"),
    ("fault_malformed_json", "chat"),
    ("fault_stall_before_headers", "chat"),
    ("stream_early_exit", "stream"),
]


@pytest.mark.parametrize(("scenario", "mode"), GOOD_CASES, ids=[f"{s}-{m}" for s, m in GOOD_CASES])
def test_correct_stand_in_conforms(server: FakeServer, scenario: str, mode: str) -> None:
    """Without this, a failing known-bad row could be the profile's fault."""
    outcome = run_check(server, ChatStandin, scenario, mode)
    assert outcome.error is None, outcome.failure_text()
    assert not outcome.failures, outcome.failure_text()
    assert [v for v in outcome.verdicts if v.outcome == "pass"], "nothing was judged"


@dataclass(frozen=True)
class Row:
    cls: type
    clause: str
    scenario: str
    mode: str
    evidence: str

    @property
    def id(self) -> str:
        return f"{self.clause}-{self.cls.__name__}-{self.scenario}-{self.mode}"


ROWS = (
    Row(langchain_style.RawJsonErrors, "ER-5", "fault_malformed_json", "chat", "JSONDecodeError"),
    Row(langchain_style.CutStreamIsSuccess, "ER-7", "fault_stream_cut", "stream", "success"),
    Row(
        langchain_style.ArrivalOrderToolCalls,
        "ST-3",
        "regression_interleaved_calls",
        "stream",
        "expected 'call_0'",
    ),
    Row(
        langchain_style.GenericModelErrors,
        "ER-1",
        "error_429",
        "chat",
        "category 'unknown', expected 'rate_limit'",
    ),
    Row(langchain_style.SummedUsageTotal, "CH-4", "usage_reporting", "chat", "total"),
    Row(langchain_style.NoLastChunk, "ST-2", "text_plain", "stream", "final"),
    Row(langchain_style.ResponselessErrors, "ER-2", "error_429", "chat", "retry-after None"),
    Row(langchain_style.StrippedText, "CH-1", "text_unicode_long", "chat", "texts differ"),
    Row(langchain_style.NoFinishReason, "CH-3", "stop_length", "chat", "stop reason None"),
    Row(
        langchain_style.RawTransportErrors,
        "ER-4",
        "fault_stall_before_headers",
        "chat",
        "escaped as httpx.ReadTimeout",
    ),
    Row(langchain_style.DropsMaxTokens, "RQ-3", "text_plain", "chat", "max_tokens"),
)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_known_bad_chat_model_is_caught(server: FakeServer, row: Row) -> None:
    outcome = run_check(server, row.cls, row.scenario, row.mode)
    text = outcome.failure_text()
    assert outcome.error is None, text
    failed = {v.clause for v in outcome.failures}
    assert row.clause in failed, f"{row.clause} was not flagged:\n{text}"
    messages = " ".join(v.message for v in outcome.failures if v.clause == row.clause)
    assert row.evidence in messages, text


# -- error tables ------------------------------------------------------------------------------


def _error(module: str, *names: str, **attributes: Any) -> BaseException:
    """An exception whose MRO has classes `names` (most derived first) in `module`."""
    base: type = Exception
    for name in reversed(names):
        base = type(name, (base,), {"__module__": module})
    exc = base("boom")
    for key, value in attributes.items():
        setattr(exc, key, value)
    return exc


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers


@pytest.mark.parametrize(
    ("exc", "clients", "category"),
    [
        (
            _error("openai._exceptions", "RateLimitError", "APIStatusError"),
            ("openai",),
            "rate_limit",
        ),
        (_error("openai", "APIStatusError", status_code=408), ("openai",), "timeout"),
        (_error("openai", "APIError"), ("openai",), "unknown"),
        (_error("anthropic", "OverloadedError", "APIStatusError"), ("anthropic",), "server"),
        (_error("google.genai.errors", "ClientError", code=404), ("google-genai",), "not_found"),
        (_error("ollama._types", "ResponseError", status_code=401), ("ollama",), "auth"),
        (_error("httpx", "ReadTimeout", "TimeoutException"), ("ollama", "httpx"), "timeout"),
        # google-genai's own class for a body that is not JSON.
        (
            _error("google.genai.errors", "UnknownApiResponseError", "ValueError"),
            ("google-genai", "httpx"),
            "invalid_response",
        ),
        # httpx only counts where the client lets it through by design.
        (_error("httpx", "ReadTimeout", "TimeoutException"), ("openai",), None),
        (_error("json.decoder", "JSONDecodeError"), ("openai", "httpx"), None),
        # langchain-core's classes come first, whatever the SDK base.
        (
            _error("langchain_core.exceptions", "ModelAPIError", "ModelError", status_code=504),
            ("openai",),
            "timeout",
        ),
        (
            _error("langchain_core.exceptions", "ModelError", status_code=429),
            ("openai",),
            "unknown",
        ),
    ],
)
def test_error_tables(exc: BaseException, clients: tuple[str, ...], category: str | None) -> None:
    assert errors.classify(exc, clients).category == category


def test_retry_after_and_status_come_from_the_response_or_the_cause() -> None:
    inner = _error("google.genai.errors", "ClientError", code=429)
    inner.response = _Response(429, {"Retry-After": "7"})  # type: ignore[attr-defined]
    outer = _error("langchain_google_genai.chat_models", "ChatGoogleGenerativeAIError")
    outer.__cause__ = inner
    observed = errors.classify(outer, ("google-genai",))
    assert (observed.category, observed.status_code, observed.retry_after) == (
        "rate_limit",
        429,
        7.0,
    )
    assert observed.names_provider is False


def test_clients_follow_the_integration_package() -> None:
    chat_ollama = type("ChatOllama", (), {"__module__": "langchain_ollama.chat_models"})
    assert errors.clients_for(chat_ollama) == ("ollama", "httpx")
    assert errors.clients_for(ChatStandin) == errors.DEFAULT_CLIENTS
    with pytest.raises(UsageError, match="known: openai"):
        LangChainProfile({"clients": "openai,nope"})


# -- loading without langchain -----------------------------------------------------------------


def test_profile_loads_without_langchain_and_says_what_to_install() -> None:
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0].startswith("langchain"):
                    raise ModuleNotFoundError(f"No module named {name!r}")
        sys.meta_path.insert(0, Block())
        from conformance.vocabulary.errors import UsageError
        from conformance.profiles import available_profiles, get_profile
        assert "langchain" in available_profiles()
        profile = get_profile("langchain")
        try:
            profile.check_target(object, None)
        except UsageError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "pip install langchain-core langchain-openai" in done.stdout


def test_build_uses_the_keyword_names_of_the_class() -> None:
    from conformance.vocabulary.spec import Connection

    profile = get_profile("langchain", OPTIONS)
    connection = Connection("http://127.0.0.1:9/v1", "sk-test", 2.5)
    model = profile.build(ChatStandin, ProviderSpec("x:ChatStandin", "openai-chat"), connection)
    assert (model.base_url, model.api_key.get_secret_value(), model.timeout, model.max_retries) == (
        "http://127.0.0.1:9/v1",
        "sk-test",
        2.5,
        0,
    )
    assert model.stream_usage is True
    assert profile.declared_capabilities(model) >= {"tools", "streaming", "usage"}


@pytest.mark.parametrize(
    ("word", "calls", "expected"),
    [
        ("STOP", True, "tool_calls"),  # Gemini's word when it called tools
        ("stop", True, "tool_calls"),  # Ollama's
        ("length", True, "length"),
        ("stop", False, "stop"),
        (None, False, None),
    ],
)
def test_a_finished_turn_with_tool_calls_is_tool_calls(
    word: str | None, calls: bool, expected: str | None
) -> None:
    from known_bad.langchain_standin import AIMessage

    from conformance.profiles.langchain_messages import stop_of

    message = AIMessage(
        tool_calls=[{"id": "c", "name": "f", "args": {}}] if calls else [],
        response_metadata={"done_reason": word} if word else {},
    )
    assert stop_of(message) == expected


def test_a_class_without_a_key_field_gets_no_key() -> None:
    """ChatOllama has no key field: a key put in its client_kwargs headers would show in repr."""
    from pydantic import BaseModel

    from conformance.vocabulary.spec import Connection

    class ChatOllamaShaped(BaseModel):
        model: str
        base_url: str | None = None
        client_kwargs: dict[str, Any] = {}
        num_predict: int | None = None

    profile = get_profile("langchain", OPTIONS)
    connection = Connection("http://127.0.0.1:9", "sk-never-shown", 2.0)
    spec = ProviderSpec("x:ChatOllamaShaped", "ollama-chat")
    model = profile.build(ChatOllamaShaped, spec, connection)
    assert "sk-never-shown" not in repr(model)
    assert model.client_kwargs == {"timeout": 2.0}
    assert model.base_url == "http://127.0.0.1:9"


SUITE = """
from conformance import ProviderConformanceSuite
from known_bad.langchain_standin import ChatStandin


class TestChatStandin(ProviderConformanceSuite):
    provider_class = ChatStandin
    dialect = "openai-chat"
    profile = "langchain"
    provider_options = {
        "messages_module": "known_bad.langchain_standin",
        "errors_module": "known_bad.langchain_standin",
    }
    scenarios = ["text_plain", "tool_calls_parallel"]
    properties = []
"""


def test_runs_from_a_suite_subclass(tmp_path: Path) -> None:
    (tmp_path / "test_standin_suite.py").write_text(SUITE, encoding="utf-8")
    paths = [str(tmp_path), str(TESTS), str(Path.cwd())]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "test_standin_suite.py", "-q", "-p", "no:randomly"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "passed" in done.stdout and "failed" not in done.stdout, done.stdout[-3000:]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"status": "completed", "incomplete_details": None}, "completed"),
        (
            {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}},
            "max_output_tokens",
        ),
    ],
)
def test_the_responses_api_stop_is_read_from_status(
    metadata: dict[str, Any], expected: str
) -> None:
    """ChatOpenAI(use_responses_api=True) has no finish_reason in response_metadata."""
    from known_bad.langchain_standin import AIMessage

    from conformance.profiles.langchain_messages import stop_of

    assert stop_of(AIMessage(response_metadata=metadata)) == expected


def test_an_azure_class_gets_endpoint_deployment_and_version() -> None:
    """AzureChatOpenAI: azure_endpoint (not base_url), a deployment, a mandatory api-version;
    a version the caller gives (by alias) wins."""
    from pydantic import BaseModel, ConfigDict, Field

    from conformance.vocabulary.spec import Connection

    class AzureShaped(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        model_name: str = Field(default="gpt", alias="model")
        openai_api_key: str | None = Field(default=None, alias="api_key")
        openai_api_base: str | None = Field(default=None, alias="base_url")
        azure_endpoint: str | None = None
        deployment_name: str | None = Field(default=None, alias="azure_deployment")
        openai_api_version: str | None = Field(default=None, alias="api_version")

    connection = Connection("http://127.0.0.1:9/c/x", "k", 2.0)
    spec = ProviderSpec("x:AzureShaped", "azure-openai")
    model = get_profile("langchain", OPTIONS).build(AzureShaped, spec, connection)
    assert (model.azure_endpoint, model.openai_api_base) == ("http://127.0.0.1:9/c/x", None)
    assert (model.deployment_name, model.openai_api_version) == (
        "conformance-model-1",
        "2024-10-21",
    )
    given = get_profile("langchain", {**OPTIONS, "api_version": "2025-01-01-preview"})
    assert given.build(AzureShaped, spec, connection).openai_api_version == "2025-01-01-preview"


def test_a_stream_without_chunk_position_ends_by_ending() -> None:
    """Before langchain-core 1.x chunks have no `chunk_position`: the last chunk is the final
    one, carrying what the sum says."""
    import asyncio
    from dataclasses import dataclass as plain

    from conformance.vocabulary.observation import TurnObservation

    @plain
    class OldChunk:
        content: str
        response_metadata: dict[str, Any]

        def __add__(self, other: OldChunk) -> OldChunk:
            merged = {**self.response_metadata, **other.response_metadata}
            return OldChunk(self.content + other.content, merged)

    async def stream() -> Any:
        yield OldChunk("Hel", {})
        yield OldChunk("lo", {"finish_reason": "stop"})

    observed = TurnObservation(mode="stream")
    profile = LangChainProfile(OPTIONS)
    asyncio.run(profile._observe_stream(stream(), SCENARIOS["text_plain"], observed))
    assert [c.text for c in observed.chunks] == ["Hel", "lo"]
    assert [c.is_final for c in observed.chunks] == [False, True]
    assert observed.chunks[-1].stop_reason == "stop"
