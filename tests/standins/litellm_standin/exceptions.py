"""LiteLLM's exception classes as its docs list them (`litellm.exceptions`): each has `status_code`,
`llm_provider`, `model` and `message`; `APIError` is the catch-all with any status."""

from __future__ import annotations


class APIError(Exception):
    def __init__(self, status_code: int, message: str, llm_provider: str, model: str) -> None:
        self.status_code = status_code
        self.message = message
        self.llm_provider = llm_provider
        self.model = model
        super().__init__(message)


def _fixed(status: int) -> type[APIError]:
    class Fixed(APIError):
        def __init__(
            self, message: str, llm_provider: str, model: str, status_code: int | None = None
        ) -> None:
            super().__init__(status_code or status, message, llm_provider, model)

    return Fixed


class BadRequestError(_fixed(400)):  # type: ignore[misc]
    pass


class AuthenticationError(_fixed(401)):  # type: ignore[misc]
    pass


class PermissionDeniedError(_fixed(403)):  # type: ignore[misc]
    pass


class NotFoundError(_fixed(404)):  # type: ignore[misc]
    pass


class Timeout(_fixed(408)):  # type: ignore[misc]
    pass


class UnprocessableEntityError(_fixed(422)):  # type: ignore[misc]
    pass


class RateLimitError(_fixed(429)):  # type: ignore[misc]
    pass


class InternalServerError(_fixed(500)):  # type: ignore[misc]
    pass


class BadGatewayError(_fixed(502)):  # type: ignore[misc]
    pass


class ServiceUnavailableError(_fixed(503)):  # type: ignore[misc]
    pass


class APIConnectionError(_fixed(500)):  # type: ignore[misc]
    pass


class APIResponseValidationError(_fixed(500)):  # type: ignore[misc]
    pass
