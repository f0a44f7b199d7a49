"""Known-bad Responses API providers: one realistic bug each, planted in the reference.

Every class is `OpenAIResponsesProvider` with one seam overridden to make one mistake that provider
classes ported from Chat Completions (or written from a quick read of the Responses docs) make.
Starting from the reference keeps everything else correct, so when the suite flags a class it
flags it for the planted bug; tests/test_known_bad_openai_responses.py asserts exactly that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reference_providers.contract import Message, ToolCall, ToolDefinition, Usage
from reference_providers.openai_responses import OpenAIResponsesProvider, _StreamState


class ItemIdAsToolCallId(OpenAIResponsesProvider):
    """CH-2 / ST-3 / RQ-5: the function call item's `id` (`fc_...`) is taken for the tool-call id.

    Output items all have an `id`, so "the call's id is `item.id`" reads naturally, and the same
    author then sends a call back as `{"type": "function_call", "id": ...}`. Reported calls carry
    the wrong id, and the next request has function calls without a `call_id` (the real API
    answers 400 "Missing required parameter: 'input[1].call_id'") whose results name no call.
    """

    def _call_id(self, item: Mapping[str, Any]) -> Any:
        return item.get("id")

    def _serialize_call(self, call: ToolCall) -> dict[str, Any]:
        serialized = super()._serialize_call(call)
        serialized["id"] = serialized.pop("call_id")
        return serialized


class IgnoresIncomplete(OpenAIResponsesProvider):
    """CH-3 / ST-5: an `incomplete` response is reported like a completed one, as `stop`.

    Only `failed` is looked at ("anything else is an answer"), so an answer cut by
    max_output_tokens reads as finished and the caller never learns the text is truncated.
    """

    def _stop_reason(
        self, response: Mapping[str, Any], *, has_calls: bool, incomplete: bool
    ) -> str | None:
        return "tool_calls" if has_calls else "stop"


class ChatUsageNames(OpenAIResponsesProvider):
    """CH-4 / ST-5: usage is looked for where Chat Completions puts it, and so never found.

    A usage parser shared with a Chat Completions provider reads `prompt_tokens` and
    `completion_tokens` and, defensively, treats a usage object without them as no usage at all;
    the Responses API's `input_tokens` / `output_tokens` are never read, and every answer comes
    back with usage None.
    """

    def _parse_usage(self, raw: Any) -> Usage | None:
        if not isinstance(raw, Mapping) or "prompt_tokens" not in raw:
            return None
        prompt, completion = int(raw["prompt_tokens"]), int(raw["completion_tokens"])
        return Usage(prompt, completion, int(raw.get("total_tokens", prompt + completion)))


class SendsMaxTokens(OpenAIResponsesProvider):
    """RQ-1 / RQ-3: the output limit is sent as Chat Completions' `max_tokens`.

    The Responses API calls it `max_output_tokens` and rejects `max_tokens` as an unsupported
    parameter; a payload builder copied from a Chat Completions provider keeps the old name.
    """

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        payload = super()._build_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=stream,
        )
        if "max_output_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_output_tokens")
        return payload


class ChatShapedTools(OpenAIResponsesProvider):
    """RQ-4: tools are sent in the Chat Completions shape `{type, function: {name, ...}}`.

    The Responses API wants name, description and parameters beside `type`; the nested shape is
    rejected ("Missing required parameter: 'tools[0].name'"), so the model never sees the tools.
    """

    def _serialize_tool(self, tool: ToolDefinition) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }


class IgnoresErrorEvents(OpenAIResponsesProvider):
    """ER-6: `error` and `response.failed` events are skipped like any unknown event.

    The stream loop only knows the happy-path event types, so a failure the server reports inside
    the 200 stream (a quota exhausted mid-answer) is not read: the stream just ends, and the
    caller gets a cut-stream network error instead of the rate-limit error the server sent.
    """

    def _absorb_payload(self, kind: str, payload: Mapping[str, Any], state: _StreamState) -> str:
        if kind in ("error", "response.failed"):
            return ""
        return super()._absorb_payload(kind, payload, state)
