"""RQ clauses: what the provider put on the wire, judged from the server's request log."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from conformance.dialects.base import CanonicalRequest
from conformance.judge.case import CaseRecord
from conformance.judge.verdict import Verdict, check, failed
from conformance.server.session import Exchange
from conformance.vocabulary.data_files import schema_path


def _schema_file(name: str) -> Path:
    """A dialect's request schema: ours by file name, or a user dialect's by absolute path."""
    given = Path(name)
    return given if given.is_absolute() else schema_path(f"requests/{name}")


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(_schema_file(name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _shown(name: str) -> str:
    return name if Path(name).is_absolute() else f"schemas/requests/{name}"


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def judge_requests(case: CaseRecord) -> list[Verdict]:
    if any(r.fault.refuse_connection for t in case.scenario.turns for r in t.replies):
        return []  # nothing can reach the server: there is no request to judge
    if not case.exchanges:
        return [failed("RQ-1", "the server received no request")]
    verdicts = [_rq1(case), _rq2(case)]
    chat = case.chat_exchanges
    parsed = [(e, case.dialect.parse_request(e.request)) for e in chat]
    if parsed:
        verdicts.append(_rq3(case, parsed))
        if case.scenario.request.tools:
            verdicts.append(_rq4(case, parsed))
        if len(case.scenario.turns) > 1 and any(e.turn for e, _ in parsed):
            verdicts.append(_rq5(case, parsed))
        if case.scenario.request.system is not None:
            verdicts.append(_rq6(case, parsed))
    return verdicts


def _rq1(case: CaseRecord) -> Verdict:
    dialect = case.dialect
    problems: list[str] = []
    for exchange in case.exchanges:
        request = exchange.request
        label = f"{request.method} {request.path}"
        if exchange.endpoint is None:
            problems.append(
                f"{label} is not an endpoint of {dialect.name} "
                f"(expected {dialect.chat_path_description})"
            )
            continue
        if exchange.turn is None:
            continue
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            problems.append(
                f"{label}: Content-Type is {content_type or 'missing'!r}, "
                "expected 'application/json'"
            )
        body = request.json()
        if body is None:
            problems.append(f"{label}: the body is not JSON: {request.body[:80]!r}")
            continue
        schema = dialect.request_schema_for(request)
        errors = sorted(_validator(schema).iter_errors(body), key=str)
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            problems.append(
                f"{label}: body at {_pointer(best.absolute_path)}: {best.message} "
                f"({_shown(schema)})"
            )
        problems += [
            text for clause, text in dialect.parse_request(request).problems if clause == "RQ-1"
        ]
    return check("RQ-1", problems)


def _rq2(case: CaseRecord) -> Verdict:
    problems: list[str] = []
    key = case.api_key
    for exchange in case.exchanges:
        request = exchange.request
        label = f"request {request.method} {request.path}"
        if key in request.target:
            problems.append(f"{label}: the API key is in the URL (path or query string)")
        if key.encode() in request.body:
            problems.append(f"{label}: the API key is in the body")
        if exchange.endpoint is not None and not case.dialect.credentials_ok(request, key):
            problems.append(
                f"{label}: credentials are not in {case.dialect.credential_description}"
            )
    return check("RQ-2", problems)


def _rq3(case: CaseRecord, parsed: list[tuple[Exchange, CanonicalRequest]]) -> Verdict:
    want = case.scenario.request
    problems: list[str] = []
    for exchange, request in parsed:
        label = f"turn {exchange.turn}"
        if request.model != want.model:
            problems.append(f"{label}: model {request.model!r}, expected {want.model!r}")
        if request.temperature is None or not math.isclose(
            float(request.temperature), want.temperature, abs_tol=1e-9
        ):
            problems.append(
                f"{label}: temperature {request.temperature!r}, expected {want.temperature!r}"
            )
        if request.max_tokens != want.max_tokens:
            problems.append(
                f"{label}: max_tokens {request.max_tokens!r}, expected {want.max_tokens!r}"
            )
        problems += _optional_parameters(case, request, label)
        if case.mode == "stream" and request.stream is not True:
            problems.append(
                f"{label}: stream flag {request.stream!r} on a streamed call, expected true"
            )
        if case.mode == "chat" and request.stream is True:
            problems.append(f"{label}: stream flag true on a non-streamed call")
    return check("RQ-3", problems)


def _optional_parameters(case: CaseRecord, request: CanonicalRequest, label: str) -> list[str]:
    """top_p and stop, where the scenario sets them, the interface takes them and the wire
    carries them: a parameter the caller gave and the provider dropped is RQ-3's to report."""
    want = case.scenario.request
    judged = case.parameters & case.dialect.request_parameters
    problems: list[str] = []
    if (
        want.top_p is not None
        and "top_p" in judged
        and (request.top_p is None or not math.isclose(float(request.top_p), want.top_p))
    ):
        problems.append(f"{label}: top_p {request.top_p!r}, expected {want.top_p!r}")
    if want.stop and "stop" in judged and tuple(request.stop or ()) != want.stop:
        shown = list(request.stop) if request.stop is not None else None
        problems.append(f"{label}: stop {shown!r}, expected {list(want.stop)!r}")
    return problems


def _schema_form(schema: Any) -> Any:
    """A JSON Schema with `"properties": {}` dropped from object schemas: with or without it the
    schema accepts the same values, and SDKs add or strip it (an API may require either form)."""
    if isinstance(schema, dict):
        return {
            key: _schema_form(value)
            for key, value in schema.items()
            if not (key == "properties" and value == {} and schema.get("type") == "object")
        }
    if isinstance(schema, list):
        return [_schema_form(value) for value in schema]
    return schema


#: The forms of "this function takes no arguments": a function's arguments are always one object,
#: so an empty schema, an object schema without properties and no schema at all declare the same
#: tool. APIs differ in which they take (Gemini rejects an OBJECT schema without properties, so
#: SDKs send `{}` there), and an SDK that sends the form its API needs has not changed the tool.
_NO_ARGUMENTS: tuple[Any, ...] = (None, {}, {"type": "object"})


def _parameters_form(parameters: Any) -> Any:
    form = _schema_form(parameters)
    return {"type": "object"} if form in _NO_ARGUMENTS else form


def _rq4(case: CaseRecord, parsed: list[tuple[Exchange, CanonicalRequest]]) -> Verdict:
    problems: list[str] = []
    expected = {tool.name: tool for tool in case.scenario.request.tools}
    for exchange, request in parsed:
        sent = {tool.name: tool for tool in request.tools}
        for name, tool in expected.items():
            got = sent.get(name)
            if got is None:
                problems.append(f"turn {exchange.turn}: tool {name!r} was not sent")
                continue
            if got.description != tool.description:
                problems.append(
                    f"turn {exchange.turn}: tool {name!r} description "
                    f"{got.description!r}, expected {tool.description!r}"
                )
            if _parameters_form(got.parameters) != _parameters_form(tool.parameters):
                problems.append(
                    f"turn {exchange.turn}: tool {name!r} parameters "
                    f"{json.dumps(got.parameters, ensure_ascii=False)}, expected "
                    f"{json.dumps(dict(tool.parameters), ensure_ascii=False)}"
                )
        for name in sent.keys() - expected.keys():
            problems.append(f"turn {exchange.turn}: unexpected tool {name!r} sent")
    return check("RQ-4", problems)


def _rq5(case: CaseRecord, parsed: list[tuple[Exchange, CanonicalRequest]]) -> Verdict:
    scenario = case.scenario
    problems: list[str] = []
    for exchange, request in parsed:
        turn = exchange.turn or 0
        if turn == 0:
            continue
        key = case.dialect.tool_call_key
        called: dict[str, str] = {}
        for position, message in enumerate(request.messages):
            if message.role == "assistant":
                called.update({key(call): call.name for call in message.tool_calls})
            elif message.role == "tool":
                if not message.tool_call_id:
                    problems.append(
                        f"turn {turn}: tool result at message {position} "
                        "does not say which call it answers"
                    )
                elif message.tool_call_id not in called:
                    problems.append(
                        f"turn {turn}: tool result at message {position} refers to "
                        f"{message.tool_call_id!r}, which no earlier assistant message called "
                        f"(calls sent: {sorted(called) or 'none'})"
                    )
        calls = {
            call.id: call for earlier in scenario.turns[:turn] for call in earlier.reply.tool_calls
        }
        for call in calls.values():
            if key(call) not in called:
                problems.append(
                    f"turn {turn}: the assistant's tool call {key(call)!r} ({call.name}) "
                    "was not sent back"
                )
        problems += [
            f"turn {turn}: {text}" for clause, text in request.problems if clause == "RQ-5"
        ]
        answered = {m.tool_call_id for m in request.messages if m.role == "tool"}
        for result in scenario.turns[turn].tool_results:
            answers = calls[result.tool_call_id]
            if key(answers) not in answered:
                problems.append(f"turn {turn}: no tool result for {key(answers)!r}")
    return check("RQ-5", problems)


def _rq6(case: CaseRecord, parsed: list[tuple[Exchange, CanonicalRequest]]) -> Verdict:
    want = case.scenario.request.system
    problems: list[str] = []
    for exchange, request in parsed:
        misplaced = [text for clause, text in request.problems if clause == "RQ-6"]
        if request.system != want:
            where = "; ".join(misplaced) if misplaced else "it is missing"
            problems.append(
                f"turn {exchange.turn}: system prompt {request.system!r} where "
                f"{case.dialect.name} wants it, expected {want!r} ({where})"
            )
        elif misplaced:
            problems += [f"turn {exchange.turn}: {text}" for text in misplaced]
    return check("RQ-6", problems)
