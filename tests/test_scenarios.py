"""Scenario loading: every bundled file validates, and a broken file says where it is broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import ScenarioError, bundled_scenarios, load_scenarios
from conformance.scenarios import load_file

ER1_STATUSES = {400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529}


def test_bundled_scenarios_cover_what_the_foundation_promises() -> None:
    scenarios = bundled_scenarios()
    for name in (
        "text_plain",
        "text_unicode_long",
        "tool_call_single",
        "tool_calls_parallel",
        "tool_call_no_arguments",
        "usage_reporting",
        "stop_length",
        "tool_conversation",
    ):
        assert name in scenarios
    assert len(scenarios["tool_calls_parallel"].final_reply.tool_calls) == 3
    statuses = {s.final_reply.error.status for s in scenarios.values() if s.final_reply.error}
    assert statuses >= ER1_STATUSES


def test_expected_result_of_a_tool_conversation_is_its_last_turn() -> None:
    expected = bundled_scenarios()["tool_conversation"].expected_result()
    assert expected["text"] == "Yes: light rain and 7 °C in Lviv."
    assert expected["stop_reason"] == "stop"
    assert expected["usage"] == {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132}


def test_expected_error_comes_from_the_status_table() -> None:
    expected = bundled_scenarios()["error_429"].expected_result()["error"]
    assert expected["category"] == "rate_limit"
    assert expected["retryable"] is True
    assert expected["retry_after"] == 7.0
    assert bundled_scenarios()["error_504"].expected_result()["error"]["category"] == "timeout"


def test_second_turn_sends_the_calls_and_results_back() -> None:
    messages = bundled_scenarios()["tool_conversation"].messages_for_turn(1)
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool"]
    assert messages[2].tool_calls[0].id == "call_conv_1"
    assert messages[3].tool_call_id == "call_conv_1"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_schema_error_names_the_file_and_the_json_pointer(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "name: bad\ntitle: Bad\nturns:\n  - reply: {text: hi, stop_reason: finished}\n",
    )
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    message = str(caught.value)
    assert str(path) in message
    assert "/turns/0/reply/stop_reason" in message


def test_unparsable_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: cannot read scenario file"):
        load_file(path)


def test_a_tool_result_must_answer_an_earlier_call(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: orphan
title: Orphan tool result
request:
  messages: [{role: user, content: hi}]
  tools: [{name: t, description: d}]
turns:
  - reply: {text: hi}
  - tool_results: [{tool_call_id: call_missing, content: x}]
    reply: {text: done}
""",
    )
    with pytest.raises(ScenarioError, match=r"call_missing.*no earlier turn made"):
        load_file(path)


def test_duplicate_names_across_folders_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: text_plain\ntitle: again\nturns: [{reply: {text: x}}]\n", encoding="utf-8"
    )
    bundled = Path(bundled_scenarios()["text_plain"].source or "").parent
    with pytest.raises(ScenarioError, match="already defined"):
        load_scenarios([bundled, tmp_path])
