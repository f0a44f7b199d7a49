"""Scenarios written as YAML load back unchanged: a regression file replays what was found.

For generated scenarios (the strategies the properties draw from) and for every bundled one,
`write_scenario` then `load_file` (which validates against schemas/scenario.schema.json) gives
back an equal `Scenario`, apart from `source`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conformance.scenarios import bundled_scenarios, load_file
from conformance.scenarios.dump import dump_scenario, scenario_document, write_scenario
from conformance.scenarios.model import (
    ErrorReply,
    Fault,
    Reply,
    RequestSpec,
    Scenario,
    ToolResult,
    Turn,
    WireOptions,
)
from conformance.strategies import answer_scenarios, error_scenarios
from conformance.vocabulary.canonical import ChatMessage, ToolCall, ToolSpec, Usage
from conformance.vocabulary.data_files import schema_path

# Each example writes and parses YAML in pure Python (~40 ms): fewer examples than elsewhere.
PROPERTY = settings(max_examples=25, deadline=None)

NEL = "\u0085"

# What a comment may hold: any text a YAML stream accepts (no C0/C1 controls but TAB and the
# line breaks, no surrogates, no U+FFFE/U+FFFF).
comment_texts = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs"),
        exclude_characters="\ufffe\uffff",
        include_characters="\n\t",
    ),
    max_size=60,
)


def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_path("scenario.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


VALIDATOR = _schema_validator()


def round_trip(
    scenario: Scenario, comment: str = "", *, check: bool = True
) -> tuple[Scenario, str]:
    """Write the scenario to a file and load it back (load_file validates it against the schema).

    With `check`, also validate the file here and compare it with `scenario_document` (pure
    Python YAML is slow: the properties leave that to the examples and the bundled scenarios).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = write_scenario(scenario, Path(folder) / "nested" / "regression.yaml", comment)
        text = path.read_text(encoding="utf-8")
        [loaded] = load_file(path)
        assert loaded.source == path
    if check:
        document = yaml.safe_load(text)
        assert list(VALIDATOR.iter_errors(document)) == []
        assert document == scenario_document(scenario)
    return loaded, text


def assert_same(loaded: Scenario, original: Scenario) -> None:
    assert replace(loaded, source=None) == replace(original, source=None)


# --- generated scenarios ----------------------------------------------------------------------


@PROPERTY
@given(answer_scenarios("stream"), comment_texts)
def test_stream_answers_round_trip(scenario: Scenario, comment: str) -> None:
    loaded, text = round_trip(scenario, comment, check=False)
    assert_same(loaded, scenario)
    # Characters YAML does not allow (or that print as nothing) are written escaped.
    shown = "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in comment)
    comment_lines = shown.splitlines()
    lines = text.split("\n")
    assert lines[: len(comment_lines)] == [f"# {c}" if c else "#" for c in comment_lines]
    assert not lines[len(comment_lines)].startswith("#")


@PROPERTY
@given(answer_scenarios("chat"))
def test_chat_answers_round_trip(scenario: Scenario) -> None:
    loaded, _ = round_trip(scenario, check=False)
    assert_same(loaded, scenario)


@PROPERTY
@given(error_scenarios("chat"))
def test_chat_errors_round_trip(scenario: Scenario) -> None:
    loaded, _ = round_trip(scenario, "Found by property PR-1 [chat]\nBroken: ER-1", check=False)
    assert_same(loaded, scenario)
    assert loaded.expected_error() == scenario.expected_error()


@settings(max_examples=10, deadline=None)
@given(error_scenarios("stream"))
def test_stream_errors_round_trip(scenario: Scenario) -> None:
    loaded, _ = round_trip(scenario, check=False)
    assert_same(loaded, scenario)


# --- bundled scenarios ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenarios_round_trip(name: str) -> None:
    scenario = bundled_scenarios()[name]
    loaded, _ = round_trip(scenario, f"Copied from {scenario.source}")
    assert_same(loaded, scenario)


# --- examples ---------------------------------------------------------------------------------


def _everything() -> Scenario:
    """Every field away from its default, so each has to be written and read back."""
    calls = (
        ToolCall("call_1", "get_weather", {"city": "Zürich", "days": [1, 2.5, None, True]}),
        ToolCall("call_2", "get-time", {}),
    )
    return Scenario(
        name="everything.at-once_1",
        title="Every field",
        description="Nothing left at its default.\nSecond line.",
        tags=("a", "b"),
        focus=("ST-1", "ER-2"),
        requires=frozenset({"tools", "parallel_tool_calls", "usage"}),
        modes=("stream",),
        request=RequestSpec(
            messages=(ChatMessage("user", "Hi"), ChatMessage("assistant", "yes: no")),
            system="Be brief.",
            tools=(
                ToolSpec("get_weather", "Weather.", {"type": "object", "required": ["city"]}),
                ToolSpec("get-time", ""),
            ),
            model="other-model",
            temperature=1.5,
            max_tokens=7,
        ),
        turns=(
            Turn(
                Reply(text_parts=("", "a"), tool_calls=calls, usage=Usage(1, 2, 4)),
                attempts=(
                    Reply(
                        error=ErrorReply(
                            429,
                            "slow down",
                            code="rate_limit",
                            headers={"X-Thing": "1"},
                            retry_after=0.25,
                            retry_after_form="ms",
                        )
                    ),
                    Reply(fault=Fault(reset_after_pieces=2, drip_seconds=0.01)),
                    Reply(error=ErrorReply(502, None, body="<html/>", content_type="text/html")),
                ),
            ),
            Turn(
                Reply(
                    text_parts=("partial",),
                    error=ErrorReply(500, "boom", in_stream=True),
                    fault=Fault(malformed=True),
                ),
                tool_results=(ToolResult("call_1", "sunny"), ToolResult("call_2", "")),
            ),
        ),
        wire=WireOptions(
            data_space=False,
            line_ending="crlf",
            split_bytes=3,
            continuation_ids="null",
            argument_fragments=1,
            comments=True,
            multiline_data=True,
            extra_fields=True,
            cuts=("utf8:0", "crlf:3"),
            argument_cuts=((1, 1), ()),
            interleave=(1, 0),
            inserts=("comment:0", "unknown:2"),
        ),
        timeout=2.5,
        stop_after_chunks=3,
    )


def test_every_field_round_trips() -> None:
    scenario = _everything()
    loaded, text = round_trip(scenario)
    assert_same(loaded, scenario)
    assert "Zürich" in text  # readable: non-ASCII written as it is when that reads back


def test_defaults_are_left_out() -> None:
    scenario = Scenario(
        name="plain",
        title="Plain",
        request=RequestSpec(messages=(ChatMessage("user", "Hi"),)),
        turns=(Turn(Reply(text_parts=("Hello",))),),
    )
    assert scenario_document(scenario) == {
        "name": "plain",
        "title": "Plain",
        "modes": ["chat", "stream"],
        "request": {"messages": [{"role": "user", "content": "Hi"}]},
        "turns": [{"reply": {"text": ["Hello"]}}],
    }
    loaded, _ = round_trip(scenario)
    assert_same(loaded, scenario)


def _answer(text: str, arguments: dict[str, object] | None = None) -> Scenario:
    calls = (ToolCall("call_x", "tool_x", arguments),) if arguments is not None else ()
    return Scenario(
        name="nel",
        title="NEL",
        request=RequestSpec(
            messages=(ChatMessage("user", text),),
            tools=tuple(ToolSpec(c.name, "") for c in calls),
        ),
        turns=(Turn(Reply(text_parts=(text, "é"), tool_calls=calls)),),
    )


@pytest.mark.parametrize(
    "text",
    [NEL, f"a{NEL}b", f"line{NEL}", f" {NEL} ", f"{NEL}\n", "\u2028", "x\u2029y", "é\r\n"],
)
def test_line_break_characters_round_trip(text: str) -> None:
    scenario = _answer(text, {f"k{NEL}": [text]})
    loaded, dumped = round_trip(scenario)
    assert_same(loaded, scenario)
    if NEL in text:
        # PyYAML reads a raw NEL as a line break: the dump falls back to ASCII escapes.
        assert dumped.isascii()
        assert "\\N" in dumped


def test_nel_only_in_arguments_still_round_trips() -> None:
    scenario = _answer("plain", {"note": f"one{NEL}two", NEL: NEL})
    loaded, dumped = round_trip(scenario)
    assert_same(loaded, scenario)
    assert NEL not in dumped


@PROPERTY
@given(st.text(st.sampled_from(f"{NEL}\u2028\u2029\r\n\t \\\"'#:-é日\U0001f600x"), max_size=20))
@example(f"{NEL}")
def test_text_with_line_breaks_and_yaml_syntax_round_trips(text: str) -> None:
    scenario = _answer(text, {text: text})
    loaded, _ = round_trip(scenario)
    assert_same(loaded, scenario)


def test_comment_lines_are_yaml_comments() -> None:
    comment = "Found by property PR-3 [stream]\n\nBroken: ST-1, ST-6\n  indented: yes"
    text = dump_scenario(_everything(), comment)
    assert text.startswith(
        "# Found by property PR-3 [stream]\n#\n# Broken: ST-1, ST-6\n#   indented: yes\n"
    )
    assert yaml.safe_load(text) == scenario_document(_everything())


def test_a_comment_with_control_characters_still_loads() -> None:
    scenario = _answer("hi")
    loaded, _ = round_trip(scenario, "provider said \x1b[31mno\x1b[0m")
    assert_same(loaded, scenario)
