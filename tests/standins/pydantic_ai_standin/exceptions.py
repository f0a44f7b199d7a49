"""pydantic-ai's model errors: `ModelAPIError` and its category classes, `ModelHTTPError` with
`status_code`, and `UnexpectedModelBehavior`."""

from __future__ import annotations


class AgentRunError(RuntimeError):
    pass


class UnexpectedModelBehavior(AgentRunError):
    pass


class ModelAPIError(AgentRunError):
    def __init__(self, model_name: str, message: str, *, retry_after: float | None = None) -> None:
        self.model_name = model_name
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


class ModelRateLimitError(ModelAPIError):
    pass


class ModelServerError(ModelAPIError):
    pass


class ModelUnavailableError(ModelAPIError):
    pass


class ModelConnectionError(ModelAPIError):
    pass


class ModelTimeoutError(ModelConnectionError):
    pass


class ModelRequestRejectedError(ModelAPIError):
    pass


class ModelAuthenticationError(ModelRequestRejectedError):
    pass


class ModelNotFoundError(ModelRequestRejectedError):
    pass


class ModelHTTPError(ModelAPIError):
    def __init__(
        self,
        status_code: int,
        model_name: str,
        body: object = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        super().__init__(
            model_name,
            f"status_code: {status_code}, model_name: {model_name}, body: {body}",
            retry_after=retry_after,
        )


def http_error(
    category: type[ModelAPIError] | None,
    status_code: int,
    model_name: str,
    body: object = None,
    retry_after: float | None = None,
) -> ModelHTTPError:
    """A ModelHTTPError that is also its category's class, as `ModelHTTPError.for_category`."""
    if category is None:
        return ModelHTTPError(status_code, model_name, body, retry_after=retry_after)
    cls = type(category.__name__, (ModelHTTPError, category), {})
    error: ModelHTTPError = cls(status_code, model_name, body, retry_after=retry_after)
    return error
