"""Known-bad pydantic-ai-style model classes, each the stand-in's OpenAIChatModel with one bug.

Judge them with `--profile pydantic-ai --profile-option package=pydantic_ai_standin`.
"""

from __future__ import annotations

from pydantic_ai_standin import exceptions as errors
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
