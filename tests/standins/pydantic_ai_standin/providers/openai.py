"""pydantic-ai's OpenAIProvider: an AsyncOpenAI client on a base URL, closed on leaving
`async with`."""

from __future__ import annotations

from types import TracebackType

import openai


class OpenAIProvider:
    name = "openai"

    def __init__(self, base_url: str | None = None, api_key: str | None = None) -> None:
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def __repr__(self) -> str:
        return "OpenAIProvider()"

    async def __aenter__(self) -> OpenAIProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.client.close()
