"""What writing the reports costs the controller at the end of every run (issue 14).

The controller writes the reports after the last check, while the user waits: with the bundled
providers a report holds some 1,400 outcomes and their transcripts. These tests hold the faster
paths to the exact output of the plain ones, without timing anything.
"""

from __future__ import annotations

import html
import json
import random

import pytest

from conformance.report import html_text, writers
from conformance.vocabulary.data_files import schema_path


def _plain_text(value: str) -> str:
    """compatibility.html's text escaping as it was written first: character by character."""
    out = []
    for char in value:
        if char in "\n\t":
            out.append(char)
        elif html_text._hidden(ord(char)):
            title = f"U+{ord(char):04X}"
            out.append(f'<span class="cc" title="{title}">{html_text._escape_code(char)}</span>')
        else:
            out.append(html.escape(char, quote=False))
    return "".join(out)


def _plain_attr(value: str) -> str:
    hidden = html_text._hidden
    return html.escape(
        "".join(
            html_text._escape_code(c) if hidden(ord(c)) and c not in "\n\t" else c for c in value
        ),
        quote=True,
    )


def test_the_hidden_character_pattern_names_exactly_the_hidden_code_points() -> None:
    pattern = html_text._HIDDEN
    for code in range(0x110000):
        char = chr(code)
        expected = html_text._hidden(code) and char not in "\n\t"
        assert (pattern.fullmatch(char) is not None) == expected, hex(code)


@pytest.mark.parametrize("seed", range(20))
def test_text_and_attributes_escape_as_the_character_loop_did(seed: int) -> None:
    rng = random.Random(seed)
    specials = "\n\t\r\x00\x1b\x7f\x85\u061c\u200b\u202e\u2066\ufeff\ufdd0\uffff\U0001fffe&<>\"'"
    alphabet = specials + "ab c\u00e9\u4e2d\U0001f600\ud800"
    value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
    assert html_text.text(value) == _plain_text(value)
    assert html_text.attr(value) == _plain_attr(value)


def test_the_report_schema_is_valid_and_its_validator_is_built_once() -> None:
    """Each report is validated before it is written; the schema itself is checked here, once,
    not at the end of every run."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert writers._report_validator() is writers._report_validator()


def test_an_invalid_report_raises_the_best_matching_error() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError) as caught:
        writers.validate_report({"providers": "none"})
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate({"providers": "none"}, schema)
    assert caught.value.message == expected.value.message
    assert list(caught.value.absolute_path) == list(expected.value.absolute_path)
