"""ToolCallAccumulator as a state machine against a model of the calls a server streams (ST-3).

The server opens calls at any index, then sends argument fragments (any substrings, empty ones
included) to any open call, so parallel calls interleave. The id and the name come in the first
fragment or in a later one; once sent, continuations carry them again, as null, as "", or not at
all. A few servers send the arguments already parsed, as one object. The model is a dict from
index to the call's id, name and full argument text; whenever everything has been sent, the
accumulator's calls must equal the model's in index order, with arguments parsed to the same
JSON, and a call that never got an id gets the stable made-up one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from reference_providers.contract import ToolCall
from reference_providers.tool_call_accumulator import ToolCallAccumulator

_MAX_OPEN_CALLS = 4

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
_arguments = st.dictionaries(st.text(max_size=8), _json_values, max_size=3)
_ids = st.one_of(st.none(), st.text(min_size=1, max_size=12).map(lambda text: "call_" + text))
_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
# How a continuation repeats a header field that was already sent.
_REPEATS = ("absent", "null", "empty", "same")


@dataclass
class ModelCall:
    id: str | None  # None: the server never sends one
    name: str
    arguments: dict[str, Any]
    text: str  # the argument text, as the server streams it
    sent: int = 0  # how much of `text` has been sent
    id_sent: bool = False
    name_sent: bool = False

    @property
    def complete(self) -> bool:
        return self.sent == len(self.text) and self.name_sent and (self.id is None or self.id_sent)

    def expected(self, index: int) -> ToolCall:
        return ToolCall(id=self.id or f"call_{index}", name=self.name, arguments=self.arguments)


def put_header(
    target: dict[str, Any], key: str, value: str, *, now: bool, known: bool, repeat: str
) -> None:
    """`value` under `key` when it is sent now, else the way a continuation leaves it out.

    `known` says whether it was sent before, the only case where a continuation can repeat it.
    """
    if now or (known and repeat == "same"):
        target[key] = value
    elif repeat == "null":
        target[key] = None
    elif repeat == "empty":
        target[key] = ""


class ToolCallAccumulatorMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.accumulator = ToolCallAccumulator(provider="machine")
        self.model: dict[int, ModelCall] = {}

    @precondition(lambda self: len(self.model) < _MAX_OPEN_CALLS)
    @rule(
        data=st.data(),
        call_id=_ids,
        name=_names,
        arguments=_arguments,
        ensure_ascii=st.booleans(),
        id_first=st.booleans(),
        name_first=st.booleans(),
        as_object=st.booleans(),
    )
    def open_call(
        self,
        data: st.DataObject,
        call_id: str | None,
        name: str,
        arguments: dict[str, Any],
        ensure_ascii: bool,
        id_first: bool,
        name_first: bool,
        as_object: bool,
    ) -> None:
        free = [index for index in range(8) if index not in self.model]
        index = data.draw(st.sampled_from(free), label="index")
        text = json.dumps(arguments, ensure_ascii=ensure_ascii) if arguments else ""
        call = self.model[index] = ModelCall(call_id, name, arguments, text)
        fragment: dict[str, Any] = {"index": index, "type": "function"}
        function: dict[str, Any] = {}
        if call_id is not None:
            put_header(fragment, "id", call_id, now=id_first, known=False, repeat="null")
            call.id_sent = id_first
        put_header(function, "name", name, now=name_first, known=False, repeat="null")
        call.name_sent = name_first
        if as_object and arguments:
            function["arguments"] = arguments  # already parsed, all at once
            call.sent = len(text)
        else:
            size = data.draw(st.integers(min_value=0, max_value=len(text)), label="size")
            function["arguments"] = text[:size]
            call.sent = size
        fragment["function"] = function
        self.accumulator.add(fragment)

    @precondition(lambda self: bool(self.model))
    @rule(
        data=st.data(),
        id_repeat=st.sampled_from(_REPEATS),
        name_repeat=st.sampled_from(_REPEATS),
        send_header=st.booleans(),
    )
    def continue_call(
        self, data: st.DataObject, id_repeat: str, name_repeat: str, send_header: bool
    ) -> None:
        index = data.draw(st.sampled_from(sorted(self.model)), label="index")
        call = self.model[index]
        left = len(call.text) - call.sent
        size = data.draw(st.integers(min_value=0, max_value=left), label="size")
        self.send(index, call, size, send_header, id_repeat, name_repeat)

    @rule(id_repeat=st.sampled_from(_REPEATS), name_repeat=st.sampled_from(_REPEATS))
    def finish_stream(self, id_repeat: str, name_repeat: str) -> None:
        """Send what is left of every call, then check and start a new stream."""
        for index, call in sorted(self.model.items()):
            self.send(index, call, len(call.text) - call.sent, True, id_repeat, name_repeat)
        self.check_calls()
        self.start()

    @invariant()
    def calls_match_once_everything_is_sent(self) -> None:
        if all(call.complete for call in self.model.values()):
            self.check_calls()

    def send(
        self,
        index: int,
        call: ModelCall,
        size: int,
        send_header: bool,
        id_repeat: str,
        name_repeat: str,
    ) -> None:
        """One continuation fragment: `size` more characters, and the id and name if due."""
        fragment: dict[str, Any] = {"index": index}
        function: dict[str, Any] = {}
        if call.id is not None:
            now = send_header and not call.id_sent
            put_header(fragment, "id", call.id, now=now, known=call.id_sent, repeat=id_repeat)
            call.id_sent = call.id_sent or now
        now = send_header and not call.name_sent
        put_header(function, "name", call.name, now=now, known=call.name_sent, repeat=name_repeat)
        call.name_sent = call.name_sent or now
        if size or call.sent < len(call.text):
            function["arguments"] = call.text[call.sent : call.sent + size]
            call.sent += size
        if function:
            fragment["function"] = function
        self.accumulator.add(fragment)

    def check_calls(self) -> None:
        expected = [call.expected(index) for index, call in sorted(self.model.items())]
        assert self.accumulator.finish() == expected


ToolCallAccumulatorMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=20, deadline=None
)
TestToolCallAccumulatorMachine = ToolCallAccumulatorMachine.TestCase
