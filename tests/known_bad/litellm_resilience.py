"""Known-bad LiteLLM-style retries and fallbacks: `acompletion` stand-ins with one planted bug each
in what the `litellm` profile offers RE-1 and RE-3 (`num_retries`, `fallbacks=`).

Judge them with `--profile litellm --profile-option errors_module=litellm_standin.exceptions
--profile-option num_retries=3`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import litellm_standin
from litellm_standin import exceptions


async def ignores_num_retries(
    model: str, messages: list[dict[str, Any]], *, num_retries: int = 0, **kwargs: Any
) -> Any:
    """Takes `num_retries` and never retries: the first 503 is the answer."""
    return await litellm_standin.acompletion(model, messages, num_retries=0, **kwargs)


async def retries_bad_requests(
    model: str, messages: list[dict[str, Any]], *, num_retries: int = 0, **kwargs: Any
) -> Any:
    """Retries every LiteLLM error (backoff and Retry-After right), a 400 and a 401 included."""
    for attempt in range(num_retries + 1):
        try:
            return await litellm_standin.acompletion(model, messages, num_retries=0, **kwargs)
        except exceptions.APIError as exc:
            if attempt == num_retries:
                raise
            await asyncio.sleep(max(0.5 * 2**attempt, litellm_standin.retry_after(exc)))
    raise AssertionError("unreachable")


async def names_last_failure(
    model: str,
    messages: list[dict[str, Any]],
    *,
    fallbacks: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Any:
    """Falls back in order, but when all fail says only the last failure (LiteLLM 1.110.2's
    "<last error>. All fallback attempts failed.")."""
    last: exceptions.APIError | None = None
    for entry in [{"model": model}, *(fallbacks or ())]:
        settings = {**kwargs, **entry}
        try:
            return await litellm_standin.acompletion(settings.pop("model"), messages, **settings)
        except exceptions.APIError as exc:
            last = exc
    assert last is not None
    raise exceptions.APIError(
        last.status_code,
        f"{last.message}. All fallback attempts failed.",
        last.llm_provider,
        model,
    ) from last
