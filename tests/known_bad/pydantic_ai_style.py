"""Known-bad pydantic-ai-style model classes, each the stand-in's OpenAIChatModel with one bug.

Judge them with `--profile pydantic-ai --profile-option package=pydantic_ai_standin`.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai_standin import exceptions as errors
from pydantic_ai_standin.models import ModelRequestParameters
from pydantic_ai_standin.models.openai import OpenAIChatModel


class UncategorizedHTTPErrors(OpenAIChatModel):
    """Every HTTP error a plain `ModelHTTPError`: `except ModelRateLimitError` misses a 429."""

    def map_error(self, exc: Exception) -> Exception:
        mapped = super().map_error(exc)
        if isinstance(mapped, errors.ModelHTTPError):
            return errors.ModelHTTPError(
                mapped.status_code, self.model_name, mapped.body, retry_after=mapped.retry_after
            )
        return mapped


class CutStreamAsSuccess(OpenAIChatModel):
    """A stream that ends before its finish_reason is read as a complete answer."""

    checks_finish = False


class ArrivalOrderToolCalls(OpenAIChatModel):
    """Streamed tool calls returned in the order their first fragment arrived, not by index."""

    orders_by_index = False


class SummedChunkUsage(OpenAIChatModel):
    """The usage of every chunk added up: a server that repeats it on each chunk (Perplexity)
    is counted many times over, as pydantic-ai 2.68.0 does by default."""

    sums_chunk_usage = True


def _with_schemas(body: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    for tool in body.get("tools", ()):
        tool["function"]["parameters"] = {**tool["function"]["parameters"], **change}
    return body


class ClosedToolSchemas(OpenAIChatModel):
    """Tool schemas sent with `additionalProperties: false` added: a different tool."""

    def body(
        self, messages: list[Any], settings: dict[str, Any], parameters: ModelRequestParameters
    ) -> dict[str, Any]:
        return _with_schemas(
            super().body(messages, settings, parameters), {"additionalProperties": False}
        )


class EmptyPropertiesDropped(OpenAIChatModel):
    """Tool schemas sent without an empty `properties` map: the same schema (RQ-4 must pass it)."""

    def body(
        self, messages: list[Any], settings: dict[str, Any], parameters: ModelRequestParameters
    ) -> dict[str, Any]:
        body = super().body(messages, settings, parameters)
        for tool in body.get("tools", ()):
            schema = tool["function"]["parameters"]
            if schema.get("properties") == {}:
                del schema["properties"]
        return body
