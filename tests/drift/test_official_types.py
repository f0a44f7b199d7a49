"""Drift: every event each dialect renders is one the official client's own types know, strictly.

The official SDKs ship pydantic models of each API's responses (openai, anthropic, google-genai,
ollama). Most accept unknown fields silently (openai and anthropic keep them as extras, ollama
drops them) and coerce loose types, so a fake that drifted from the real API would still read
fine in an SDK test. Here every JSON document the fake server renders, for every bundled scenario
in every mode, is validated strictly (JSON-mode strict: no "1" for 1) and walked against the
models' declared fields: the first field the client does not know, or types differently, fails
with its path. The SDK types are used as installed, never edited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from conformance import get_dialect
from conformance.dialects.sse_reader import sse_blocks
from conformance.scenarios import Scenario, bundled_scenarios
from conformance.vocabulary.canonical import Mode
from conformance.vocabulary.wire import RecordedRequest

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
ollama = pytest.importorskip("ollama")
genai_types = pytest.importorskip("google.genai.types")


def _types() -> dict[str, tuple[Any, Any]]:
    """Per dialect: (the type of one streamed event, the type of a non-streamed body)."""
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from openai.types.responses import Response, ResponseStreamEvent

    return {
        "openai-chat": (ChatCompletionChunk, ChatCompletion),
        "openai-responses": (ResponseStreamEvent, Response),
        "anthropic-messages": (anthropic.types.RawMessageStreamEvent, anthropic.types.Message),
        "gemini": (genai_types.GenerateContentResponse, genai_types.GenerateContentResponse),
        "ollama-chat": (ollama.ChatResponse, ollama.ChatResponse),
    }


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def unknown_fields(value: Any, data: Any, path: str = "$") -> list[str]:
    """Paths of the fields in `data` that the validated model `value` does not declare."""
    if isinstance(value, BaseModel) and isinstance(data, dict):
        fields = type(value).model_fields
        by_wire = {(info.alias or name): name for name, info in fields.items()}
        by_wire.update({name: name for name in fields})
        found: list[str] = []
        for key, item in data.items():
            name = by_wire.get(key)
            if name is None:
                found.append(f"{path}.{key}")
            else:
                found += unknown_fields(getattr(value, name), item, f"{path}.{key}")
        return found
    if isinstance(value, (list, tuple)) and isinstance(data, list):
        return [
            problem
            for index, (v, d) in enumerate(zip(value, data, strict=False))
            for problem in unknown_fields(v, d, f"{path}[{index}]")
        ]
    if isinstance(value, dict) and isinstance(data, dict):
        return [
            problem
            for key, item in data.items()
            if key in value
            for problem in unknown_fields(value[key], item, f"{path}.{key}")
        ]
    return []


def strict_problems(kind: Any, text: str) -> list[str]:
    """Why the client's type `kind` does not read `text` exactly (empty: it does)."""
    try:
        value = _adapter(kind).validate_json(text, strict=True)
    except ValidationError as exc:
        return [
            f"$.{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in exc.errors()[:3]
        ]
    return [
        f"{path}: a field the client does not know"
        for path in unknown_fields(value, json.loads(text))
    ]


#: Fields real traffic carries that the installed SDK's types lack: the SDK lags the API, not the
#: fake. Each names the recording that shows the API sending it (docs/sdk-quirks.md); a test
#: below fails once the SDK learns the field, so the allowance is removed then.
SDK_GAPS: dict[str, dict[str, tuple[str, str]]] = {
    "openai-responses": {
        r"\$(\.response)?\.store": (
            "openai_responses/openai_responses__text_only.sse",
            '"store":',
        ),
    },
    "ollama-chat": {
        r"\$\.message\.tool_calls\[\d+\]\.id": (
            "ollama/ollama__chat_tool_call_id_index_thinking.json",
            '"id":"call_',
        ),
        r"\$\.message\.tool_calls\[\d+\]\.function\.index": (
            "ollama/ollama__chat_tool_call_id_index_thinking.json",
            '"index":0',
        ),
    },
}


def _allowed(dialect: str, problem: str) -> bool:
    path = problem.partition(":")[0]
    return problem.endswith("does not know") and any(
        re.fullmatch(pattern, path) for pattern in SDK_GAPS.get(dialect, {})
    )


# -- rendering every scenario as each dialect's client would ask for it -------------------------

_REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "openai-chat": ("/v1/chat/completions", "", {"messages": [{"role": "user", "content": "hi"}]}),
    "openai-responses": ("/v1/responses", "", {"input": "hi"}),
    "anthropic-messages": (
        "/v1/messages",
        "",
        {"max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]},
    ),
    "gemini": ("/v1beta/models/conformance-model-1:{verb}", "alt=sse", {"contents": []}),
    "ollama-chat": ("/api/chat", "", {"messages": [{"role": "user", "content": "hi"}]}),
}


def _request(dialect: str, *, stream: bool) -> RecordedRequest:
    path, query, body = _REQUESTS[dialect]
    body = {"model": "conformance-model-1", **body}
    if dialect == "gemini":
        path = path.format(verb="streamGenerateContent" if stream else "generateContent")
        target = f"{path}?{query}" if stream else path
    else:
        body["stream"] = stream
        target = path
        if stream and dialect == "openai-chat":
            body["stream_options"] = {"include_usage": True}
    headers = (("anthropic-version", "2023-06-01"),) if dialect == "anthropic-messages" else ()
    return RecordedRequest(
        "POST", target, path, headers, json.dumps(body).encode(), connection_id=0, sequence=0
    )


def _documents(dialect_name: str, scenario: Scenario, mode: Mode) -> Iterator[tuple[str, str]]:
    """(where, JSON text) of every document the dialect renders for the scenario's answers."""
    dialect = get_dialect(dialect_name)
    request = _request(dialect_name, stream=mode == "stream")
    endpoint = dialect.endpoint(request.method, request.path)
    assert endpoint is not None, request.path
    for turn_index, turn in enumerate(scenario.turns):
        if turn.reply.error is not None or turn.reply.fault.any:
            continue
        response = dialect.render_turn(
            endpoint, scenario, turn_index, request, stream=mode == "stream"
        )
        body = response.body
        if mode == "chat":
            yield f"turn {turn_index} body", body.decode()
        elif dialect_name == "ollama-chat":
            for number, line in enumerate(body.decode().splitlines()):
                if line.strip():
                    yield f"turn {turn_index} line {number}", line
        else:
            for number, (event, data) in enumerate(sse_blocks(body)):
                if data.strip() == "[DONE]" or event == "ping":
                    continue  # not documents: the end marker, and a keep-alive the SDKs skip
                yield f"turn {turn_index} event {number} ({event})", data


def _plain(scenario: Scenario, mode: Mode) -> bool:
    """A scenario whose bytes claim to be the API's own: no shape only other servers send, no
    event types made up to test tolerance (those are meant to be unknown)."""
    return not scenario.wire.extra_fields and not scenario.wire_features(mode)


_SCENARIOS = bundled_scenarios()
_CASES = [
    pytest.param(dialect, name, mode, id=f"{dialect}-{name}-{mode}")
    for dialect in _REQUESTS
    for name, scenario in sorted(_SCENARIOS.items())
    for mode in scenario.modes
    if _plain(scenario, mode) and not scenario.is_error
]


@pytest.mark.parametrize(("dialect", "name", "mode"), _CASES)
def test_every_rendered_document_is_one_the_official_client_knows(
    dialect: str, name: str, mode: Mode
) -> None:
    stream_type, body_type = _types()[dialect]
    kind = stream_type if mode == "stream" else body_type
    problems = [
        f"{where}: {problem}\n  {text[:300]}"
        for where, text in _documents(dialect, _SCENARIOS[name], mode)
        for problem in strict_problems(kind, text)
        if not _allowed(dialect, problem)
    ]
    assert not problems, f"{dialect} renders what its official client does not know:\n" + (
        "\n".join(problems[:5])
    )


def test_the_check_fails_on_an_unknown_field_and_on_a_loose_type() -> None:
    """The drift check itself can fail: a field the SDK lacks, a number sent as a string."""
    chunk_type = _types()["openai-chat"][0]
    good = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": None}],
    }
    assert strict_problems(chunk_type, json.dumps(good)) == []
    drifted = json.loads(json.dumps(good))
    drifted["choices"][0]["delta"]["contnet"] = "x"
    assert strict_problems(chunk_type, json.dumps(drifted)) == [
        "$.choices[0].delta.contnet: a field the client does not know"
    ]
    loose = {**good, "created": "1"}
    assert strict_problems(chunk_type, json.dumps(loose))[0].startswith("$.created:")
    ollama_line = {
        "model": "m",
        "created_at": "2024-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "x"},
        "done": False,
        "extra": 1,
    }
    assert strict_problems(_types()["ollama-chat"][0], json.dumps(ollama_line)) == [
        "$.extra: a field the client does not know"
    ]


@pytest.mark.parametrize(
    ("dialect", "pattern"),
    [(dialect, pattern) for dialect, gaps in SDK_GAPS.items() for pattern in gaps],
)
def test_each_allowed_gap_is_real_traffic_the_sdk_still_lacks(
    dialect: str, pattern: str, wire_corpus: Path
) -> None:
    recording, marker = SDK_GAPS[dialect][pattern]
    path = wire_corpus / recording
    if not path.is_file():
        pytest.skip(f"no {recording} under {wire_corpus}")
    assert marker in path.read_text(encoding="utf-8"), f"{recording} does not show {pattern}"
    stream_type, body_type = _types()[dialect]
    if path.suffix == ".sse":
        documents = [(stream_type, data) for _, data in sse_blocks(path.read_bytes())]
    else:
        documents = [(body_type, path.read_text(encoding="utf-8"))]
    problems = [problem for kind, text in documents for problem in strict_problems(kind, text)]
    assert any(re.fullmatch(pattern, p.partition(":")[0]) for p in problems), (
        f"the installed SDK now reads {recording} without a gap at {pattern}: remove it from "
        "SDK_GAPS and docs/sdk-quirks.md"
    )
