"""A saved regression's file name is a function of its content, so equal runs write equal names.

The digest used to be of `repr(scenario)`, whose frozenset of capabilities is ordered by the
process's string hashing: the same minimal example got another name (and the report another
replay command) in every run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

from conformance.properties import get_property
from conformance.properties.run import regression_name
from conformance.scenarios.model import Reply, RequestSpec, Scenario, Turn
from conformance.vocabulary.canonical import ChatMessage

_NAME_IN_A_FRESH_PROCESS = """
from conformance.vocabulary.canonical import ChatMessage
from conformance.properties import get_property
from conformance.properties.run import regression_name
from conformance.scenarios.model import Reply, RequestSpec, Scenario, Turn

scenario = Scenario(
    name="drawn",
    title="Drawn by a property",
    turns=(Turn(Reply(text_parts=("a", "b"))),),
    request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
    requires=frozenset({"tools", "streaming", "usage", "parallel_tool_calls"}),
)
print(regression_name(get_property("property-answers"), "stream", scenario))
"""


def _scenario(**changes: object) -> Scenario:
    scenario = Scenario(
        name="drawn",
        title="Drawn by a property",
        turns=(Turn(Reply(text_parts=("a", "b"))),),
        request=RequestSpec(messages=(ChatMessage("user", "hi"),)),
        requires=frozenset({"tools", "streaming", "usage", "parallel_tool_calls"}),
    )
    return replace(scenario, **changes)  # type: ignore[arg-type]


def test_equal_runs_name_the_same_example_alike_whatever_the_hash_seed() -> None:
    names = set()
    for hash_seed in ("1", "2", "3", "4"):
        result = subprocess.run(
            [sys.executable, "-c", _NAME_IN_A_FRESH_PROCESS],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        names.add(result.stdout.strip())
    assert len(names) == 1, names
    assert names.pop().startswith("regression-answers-stream-")


def test_the_name_follows_the_content_not_the_label() -> None:
    prop = get_property("property-answers")
    name = regression_name(prop, "chat", _scenario())
    assert regression_name(prop, "chat", _scenario(name="other", title="Other")) == name
    assert regression_name(prop, "chat", _scenario(turns=(Turn(Reply(("a", "c"))),))) != name
    assert regression_name(prop, "stream", _scenario()) != name
