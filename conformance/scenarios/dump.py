"""Scenarios back to the YAML the loader reads: how a property's minimal failing example becomes
a regression file anyone can replay (`provider-conformance replay FILE`)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from conformance.scenarios.model import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TEMPERATURE,
    Fault,
    Reply,
    Scenario,
    WireOptions,
    turn_mapping,
)


def _reply(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if reply.text_parts:
        out["text"] = list(reply.text_parts)
    error = reply.error
    if error is not None:
        raw: dict[str, Any] = {"status": error.status}
        for key in ("message", "code", "body"):
            if getattr(error, key) is not None:
                raw[key] = getattr(error, key)
        if error.headers:
            raw["headers"] = dict(error.headers)
        if error.in_stream:
            raw["in_stream"] = True
        if error.content_type != "application/json":
            raw["content_type"] = error.content_type
        if error.retry_after is not None:
            raw["retry_after"] = {"seconds": error.retry_after, "form": error.retry_after_form}
        out["error"] = raw
    else:
        if reply.tool_calls:
            out["tool_calls"] = [call.as_json() for call in reply.tool_calls]
        if reply.stop_reason is not None:
            out["stop_reason"] = reply.stop_reason
        if reply.usage is not None:
            out["usage"] = reply.usage.as_json()
    if reply.fault.any:
        out["fault"] = {
            f.name: getattr(reply.fault, f.name)
            for f in fields(Fault)
            if getattr(reply.fault, f.name) != getattr(Fault(), f.name)
        }
    return out


def _wire(wire: WireOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(WireOptions):
        value = getattr(wire, f.name)
        if value == getattr(WireOptions(), f.name):
            continue
        if f.name == "argument_cuts":
            value = [list(cuts) for cuts in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a scenario file's mapping (schemas/scenario.schema.json)."""
    request = scenario.request
    raw_request: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in request.messages]
    }
    if request.system is not None:
        raw_request["system"] = request.system
    if request.tools:
        raw_request["tools"] = [tool.as_json() for tool in request.tools]
    if request.model != DEFAULT_MODEL:
        raw_request["model"] = request.model
    if request.temperature != DEFAULT_TEMPERATURE:
        raw_request["temperature"] = request.temperature
    if request.max_tokens != DEFAULT_MAX_TOKENS:
        raw_request["max_tokens"] = request.max_tokens
    if request.top_p is not None:
        raw_request["top_p"] = request.top_p
    if request.stop:
        raw_request["stop"] = list(request.stop)
    document: dict[str, Any] = {"name": scenario.name, "title": scenario.title}
    if scenario.description:
        document["description"] = scenario.description
    for key in ("tags", "focus"):
        if getattr(scenario, key):
            document[key] = list(getattr(scenario, key))
    if scenario.requires:
        document["requires"] = sorted(scenario.requires)
    document["modes"] = list(scenario.modes)
    document["request"] = raw_request
    document["turns"] = [turn_mapping(turn, _reply) for turn in scenario.turns]
    wire = _wire(scenario.wire)
    if wire:
        document["wire"] = wire
    if scenario.timeout is not None:
        document["timeout"] = scenario.timeout
    if scenario.stop_after_chunks is not None:
        document["stop_after_chunks"] = scenario.stop_after_chunks
    return document


def dump_scenario(scenario: Scenario, comment: str = "") -> str:
    """YAML text for the scenario, with `comment` as a leading comment block."""
    document = scenario_document(scenario)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    if yaml.safe_load(text) != document:
        # PyYAML writes some characters (NEL, U+0085) raw and reads them back as line breaks:
        # escape everything non-ASCII then, less readable but exact.
        text = yaml.safe_dump(document, allow_unicode=False, sort_keys=False, width=100)
    # YAML allows no control characters anywhere, comments included: write them escaped.
    printable = "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in comment)
    header = "".join(f"# {line}\n" if line else "#\n" for line in printable.splitlines())
    return header + text


def write_scenario(scenario: Scenario, path: Path, comment: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_scenario(scenario, comment), encoding="utf-8")
    return path
