"""RQ-4: the forms of "no arguments" are one tool; every other change to a schema is not.

Gemini rejects an OBJECT schema without properties, so an SDK for it (langchain-google-genai)
sends a function without arguments as `parameters: {}`: the tool the caller gave, in the form the
API takes. It had been published as an RQ-4 failure.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.judge.requests import _parameters_form

NO_ARGUMENTS: list[Any] = [None, {}, {"type": "object"}, {"type": "object", "properties": {}}]


@pytest.mark.parametrize("sent", NO_ARGUMENTS)
@pytest.mark.parametrize("given", NO_ARGUMENTS)
def test_every_form_of_no_arguments_is_the_same_tool(given: Any, sent: Any) -> None:
    assert _parameters_form(sent) == _parameters_form(given)


@pytest.mark.parametrize(
    "sent",
    [
        {},
        {"type": "object"},
        {"type": "object", "properties": {"city": {"type": "integer"}}, "required": ["city"]},
        {"type": "object", "properties": {"city": {"type": "string"}}},
    ],
)
def test_a_tool_with_arguments_sent_otherwise_is_a_changed_tool(sent: Any) -> None:
    given = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    assert _parameters_form(sent) != _parameters_form(given)


def test_a_closed_schema_is_still_a_changed_tool() -> None:
    closed = {"type": "object", "additionalProperties": False}
    assert _parameters_form(closed) != _parameters_form({"type": "object"})
