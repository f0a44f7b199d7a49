"""Load scenario YAML files, validating each against `schemas/scenario.schema.json`.

Validation happens at load time so that a broken file fails with its path and the JSON pointer of
the first bad value, before any provider is started.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

import jsonschema
import yaml

from conformance.scenarios.model import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL,
    DEFAULT_TEMPERATURE,
    ErrorReply,
    Fault,
    Reply,
    RequestSpec,
    Scenario,
    ToolResult,
    Turn,
    WireOptions,
)
from conformance.vocabulary.canonical import ChatMessage, Mode, ToolCall, ToolSpec, Usage
from conformance.vocabulary.data_files import regressions_dir, scenarios_dir, schema_path
from conformance.vocabulary.errors import ScenarioError


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path("scenario.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _pointer(path: Iterable[Any]) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def _validate(document: Any, source: Path) -> None:
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    # For a `oneOf` at the top, the deepest underlying error is the useful one.
    best = jsonschema.exceptions.best_match(errors)
    raise ScenarioError(
        f"{source}: invalid scenario at {_pointer(best.absolute_path)}: {best.message} "
        "(see schemas/scenario.schema.json)"
    )


def _non_finite(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where the document holds NaN or an infinity (YAML `.nan`, `.inf`), if anywhere.

    JSON Schema bounds cannot catch NaN (every comparison with it is false), and the server
    cannot render either as a header, a delay or a count.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return path
    children: Iterable[tuple[Any, Any]] = ()
    if isinstance(value, Mapping):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        found = _non_finite(child, (*path, key))
        if found is not None:
            return found
    return None


def _check_finite(document: Any, source: Path) -> None:
    where = _non_finite(document)
    if where is not None:
        raise ScenarioError(
            f"{source}: invalid scenario at {_pointer(where)}: not a finite number; give a "
            "number (see schemas/scenario.schema.json for its bounds)"
        )


def _build_reply(raw: Mapping[str, Any]) -> Reply:
    text = raw.get("text", ())
    parts = (text,) if isinstance(text, str) else tuple(text)
    fault = Fault(**raw.get("fault", {}))
    error = raw.get("error")
    if error is not None:
        retry_after = error.get("retry_after") or {}
        return Reply(
            text_parts=parts,
            error=ErrorReply(
                status=int(error["status"]),
                message=error.get("message"),
                code=error.get("code"),
                headers=dict(error.get("headers", {})),
                in_stream=bool(error.get("in_stream", False)),
                body=error.get("body"),
                content_type=error.get("content_type", "application/json"),
                retry_after=retry_after.get("seconds"),
                retry_after_form=retry_after.get("form", "seconds"),
            ),
            fault=fault,
        )
    usage_raw = raw.get("usage")
    usage = None
    if usage_raw is not None:
        prompt, completion = int(usage_raw["prompt_tokens"]), int(usage_raw["completion_tokens"])
        usage = Usage(prompt, completion, int(usage_raw.get("total_tokens", prompt + completion)))
    return Reply(
        text_parts=parts,
        tool_calls=tuple(
            ToolCall(str(c["id"]), str(c["name"]), dict(c["arguments"]))
            for c in raw.get("tool_calls", ())
        ),
        stop_reason=raw.get("stop_reason"),
        usage=usage,
        fault=fault,
    )


def _build(raw: Mapping[str, Any], source: Path) -> Scenario:
    request_raw = raw.get("request", {})
    messages = tuple(
        ChatMessage(m["role"], m["content"])
        for m in request_raw.get("messages", [{"role": "user", "content": "Hello"}])
    )
    request = RequestSpec(
        messages=messages,
        system=request_raw.get("system"),
        tools=tuple(
            ToolSpec(
                t["name"],
                t["description"],
                t.get("parameters", {"type": "object", "properties": {}}),
            )
            for t in request_raw.get("tools", ())
        ),
        model=request_raw.get("model", DEFAULT_MODEL),
        temperature=float(request_raw.get("temperature", DEFAULT_TEMPERATURE)),
        max_tokens=int(request_raw.get("max_tokens", DEFAULT_MAX_TOKENS)),
        top_p=request_raw.get("top_p"),
        stop=tuple(request_raw.get("stop", ())),
    )
    turns = tuple(
        Turn(
            reply=_build_reply(t["reply"]),
            tool_results=tuple(
                ToolResult(r["tool_call_id"], r["content"]) for r in t.get("tool_results", ())
            ),
            attempts=tuple(_build_reply(a) for a in t.get("attempts", ())),
        )
        for t in raw["turns"]
    )
    scenario = Scenario(
        name=raw["name"],
        title=raw["title"],
        description=raw.get("description", ""),
        tags=tuple(raw.get("tags", ())),
        focus=tuple(raw.get("focus", ())),
        requires=frozenset(raw.get("requires", ())),
        modes=cast(tuple[Mode, ...], tuple(raw.get("modes", ("chat", "stream")))),
        request=request,
        turns=turns,
        wire=wire_options(raw.get("wire", {})),
        source=source,
        timeout=raw.get("timeout"),
        stop_after_chunks=raw.get("stop_after_chunks"),
    )
    _check_consistency(scenario)
    return scenario


def wire_options(raw: Mapping[str, Any]) -> WireOptions:
    """WireOptions from YAML, whose lists become the tuples a frozen dataclass needs."""
    values = dict(raw)
    for key in ("cuts", "interleave", "inserts"):
        if key in values:
            values[key] = tuple(values[key])
    if "argument_cuts" in values:
        values["argument_cuts"] = tuple(tuple(c) for c in values["argument_cuts"])
    return WireOptions(**values)


def _check_consistency(scenario: Scenario) -> None:
    """What the schema cannot say: tool results must answer calls made in an earlier turn."""
    called: set[str] = set()
    for index, turn in enumerate(scenario.turns):
        for result in turn.tool_results:
            if result.tool_call_id not in called:
                raise ScenarioError(
                    f"{scenario.source}: scenario {scenario.name!r} turn {index} answers tool call "
                    f"{result.tool_call_id!r}, which no earlier turn made"
                )
        called.update(call.id for call in turn.reply.tool_calls)
        names = {tool.name for tool in scenario.request.tools}
        for call in turn.reply.tool_calls:
            if call.name not in names:
                raise ScenarioError(
                    f"{scenario.source}: scenario {scenario.name!r} calls tool {call.name!r}, "
                    "which its request.tools does not define"
                )


def _merge(defaults: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(raw)
    for key, value in defaults.items():
        if isinstance(value, Mapping) and isinstance(raw.get(key), Mapping):
            merged[key] = {**value, **raw[key]}
        else:
            merged.setdefault(key, value)
    return merged


#: libyaml's parser when PyYAML was built with it: the same documents (the constructor is the same
#: safe one), parsed about 8x faster; every process of a run loads the scenarios on start-up.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path: Path) -> list[Scenario]:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc}") from None
    _check_finite(document, path)
    _validate(document, path)
    if "scenarios" in document:
        defaults = document.get("defaults", {})
        return [_build(_merge(defaults, raw), path) for raw in document["scenarios"]]
    return [_build(document, path)]


def load_scenarios(directories: Sequence[Path] | None = None) -> dict[str, Scenario]:
    """All scenarios of the given folders (the bundled ones by default), by name."""
    found: dict[str, Scenario] = {}
    for directory in directories or [scenarios_dir()]:
        if not directory.is_dir():
            raise ScenarioError(f"{directory}: scenario folder does not exist")
        for path in sorted(directory.glob("*.y*ml")):
            for scenario in load_file(path):
                if scenario.name in found:
                    raise ScenarioError(
                        f"{path}: scenario name {scenario.name!r} is already defined in "
                        f"{found[scenario.name].source}; names must be unique"
                    )
                found[scenario.name] = scenario
    return found


@cache
def bundled_scenarios() -> dict[str, Scenario]:
    """The written scenarios and the regression corpus (fixtures/regressions), by name."""
    folders = [scenarios_dir()]
    if regressions_dir().is_dir():
        folders.append(regressions_dir())
    return load_scenarios(folders)
