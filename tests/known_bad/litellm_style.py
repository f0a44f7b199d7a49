"""Known-bad LiteLLM-style functions: `acompletion` stand-ins with one wrong exception mapping each,
the mistakes LiteLLM 1.110.2 makes for the `openai` prefix (docs/ecosystem/).

Judge them with `--profile litellm --profile-option errors_module=litellm_standin.exceptions`.
"""

from __future__ import annotations

from typing import Any

import litellm_standin
from litellm_standin import exceptions


async def forbidden_as_api_error(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """403 raised as the catch-all `APIError(status_code=403)`, not `PermissionDeniedError`."""
    try:
        return await litellm_standin.acompletion(model, messages, **kwargs)
    except exceptions.PermissionDeniedError as exc:
        raise exceptions.APIError(403, exc.message, exc.llm_provider, exc.model) from exc


async def refused_as_server_error(model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
    """A refused or reset connection raised as `InternalServerError` (status 500)."""
    try:
        return await litellm_standin.acompletion(model, messages, **kwargs)
    except exceptions.APIConnectionError as exc:
        raise exceptions.InternalServerError(exc.message, exc.llm_provider, exc.model) from exc
