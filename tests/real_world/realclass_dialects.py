"""Dialects for real classes whose API sends a narrower wire than the dialect they speak.

The `openai-chat` and `azure-openai` dialects can carry every optional wire shape of the OpenAI
Chat family (conformance.scenarios.model.WIRE_FEATURES), Mistral's content parts among them: a
list of typed parts with a thinking part, in place of the content string. DeepSeek's API and
Azure OpenAI's deployments never answer that way (DeepSeek puts its reasoning in a separate
`reasoning_content` string; Azure OpenAI's models return a string), so a class written for one
of them is not wrong to expect a string there. Judging it on content parts would report a bug
its API cannot trigger; these variants leave that one shape out (the scenario is then not
applicable, with the reason) and change nothing else.
"""

from __future__ import annotations

from typing import ClassVar

from conformance.dialects.azure_openai import AzureOpenAIDialect
from conformance.dialects.openai_chat import OpenAIChatDialect

#: Mistral's shape (scenarios.model.WIRE_FEATURES), which these APIs never send.
NOT_SENT = frozenset({"content_parts"})


class DeepSeekChat(OpenAIChatDialect):
    """DeepSeek's chat completions: OpenAI Chat without content parts."""

    wire_features: ClassVar[frozenset[str]] = OpenAIChatDialect.wire_features - NOT_SENT


class AzureOpenAIChat(AzureOpenAIDialect):
    """Azure OpenAI deployments: its chat completions without content parts."""

    wire_features: ClassVar[frozenset[str]] = AzureOpenAIDialect.wire_features - NOT_SENT
