"""pydantic-ai's direct API: one request to a model, without an agent."""

from __future__ import annotations

from typing import Any


async def model_request(
    model: Any, messages: list[Any], *, model_settings: Any, model_request_parameters: Any
) -> Any:
    return await model.request(messages, model_settings, model_request_parameters)


def model_request_stream(
    model: Any, messages: list[Any], *, model_settings: Any, model_request_parameters: Any
) -> Any:
    return model.request_stream(messages, model_settings, model_request_parameters)
