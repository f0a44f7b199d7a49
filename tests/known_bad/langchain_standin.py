"""A LangChain-shaped chat model, small and correct, so the `langchain` profile's tests run
without langchain installed: message classes with AIMessageChunk addition and `chunk_position`,
langchain-core's `ModelError` classes by name, and `ChatStandin`, a pydantic chat model that speaks
the OpenAI chat wire over httpx and reports what a conforming LangChain integration reports.

The profile is pointed here with `messages_module=known_bad.langchain_standin` and
`errors_module=known_bad.langchain_standin`. Known-bad models (langchain_style.py) override one
seam each.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr

# -- messages -------------------------------------------------------------------------------


@dataclass
class HumanMessage:
    content: str


@dataclass
class SystemMessage:
    content: str


@dataclass
class ToolMessage:
    content: str
    tool_call_id: str


@dataclass
class AIMessage:
    content: str | list[Any] = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    invalid_tool_calls: list[dict[str, Any]] = field(default_factory=list)
    response_metadata: dict[str, Any] = field(default_factory=dict)
    usage_metadata: dict[str, int] | None = None


@dataclass
class AIMessageChunk(AIMessage):
    chunk_position: str | None = None

    def __add__(self, other: AIMessageChunk) -> AIMessageChunk:
        usage = self.usage_metadata
        if other.usage_metadata is not None:
            usage = {
                key: (usage or {}).get(key, 0) + value
                for key, value in other.usage_metadata.items()
            }
        return AIMessageChunk(
            content=str(self.content) + str(other.content),
            tool_calls=[*self.tool_calls, *other.tool_calls],
            invalid_tool_calls=[*self.invalid_tool_calls, *other.invalid_tool_calls],
            response_metadata={**self.response_metadata, **other.response_metadata},
            usage_metadata=usage,
            chunk_position="last"
            if "last" in (self.chunk_position, other.chunk_position)
            else None,
        )


# -- errors, named as langchain_core.exceptions names them ------------------------------------


class ModelError(Exception):
    is_retryable: ClassVar[bool] = False

    def __init__(
        self, message: str, *, status_code: int | None = None, response: Any = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response = response


class OutputParserException(ValueError):  # langchain-core's name
    pass


class ModelAuthenticationError(ModelError):
    pass


class ModelPermissionDeniedError(ModelError):
    pass


class ModelInvalidRequestError(ModelError):
    pass


class ModelNotFoundError(ModelError):
    pass


class ModelRateLimitError(ModelError):
    is_retryable = True


class ModelAPIError(ModelError):
    is_retryable = True


class ModelConnectionError(ModelError):
    is_retryable = True


class ModelTimeoutError(ModelError):
    is_retryable = True


STATUS_CLASSES: dict[int, type[ModelError]] = {
    400: ModelInvalidRequestError,
    401: ModelAuthenticationError,
    403: ModelPermissionDeniedError,
    404: ModelNotFoundError,
    408: ModelTimeoutError,
    429: ModelRateLimitError,
}


def error_for_status(status: int, message: str, response: Any = None) -> ModelError:
    cls = STATUS_CLASSES.get(status)
    if cls is None:
        cls = ModelAPIError if status >= 500 else ModelInvalidRequestError
    return cls(f"HTTP {status}: {message}", status_code=status, response=response)


# -- the chat model -------------------------------------------------------------------------


def _api_message(body: bytes) -> str:
    try:
        error = json.loads(body).get("error") or {}
        return str(error.get("message", ""))
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace")[:200]


def _wire_message(message: Any) -> dict[str, Any]:
    if isinstance(message, SystemMessage):
        return {"role": "system", "content": message.content}
    if isinstance(message, HumanMessage):
        return {"role": "user", "content": message.content}
    if isinstance(message, ToolMessage):
        return {"role": "tool", "content": message.content, "tool_call_id": message.tool_call_id}
    wire: dict[str, Any] = {"role": "assistant", "content": message.content or None}
    if message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
            }
            for call in message.tool_calls
        ]
    return wire


def parse_calls(raw: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """(tool_calls, invalid_tool_calls) as LangChain reports them: unparsable arguments keep
    their raw text."""
    calls: list[dict[str, Any]] = []
    invalid: list[dict[str, Any]] = []
    for call in raw:
        text = call.get("arguments") or "{}"
        try:
            args = json.loads(text)
        except ValueError:
            invalid.append({"id": call["id"], "name": call["name"], "args": text, "error": "json"})
            continue
        calls.append({"id": call["id"], "name": call["name"], "args": args, "type": "tool_call"})
    return calls, invalid


def usage_metadata(raw: Mapping[str, Any] | None) -> dict[str, int] | None:
    if not raw:
        return None
    return {
        "input_tokens": int(raw["prompt_tokens"]),
        "output_tokens": int(raw["completion_tokens"]),
        "total_tokens": int(raw["total_tokens"]),
    }


class ChatStandin(BaseModel):
    """A BaseChatModel-shaped model on the OpenAI chat wire: fields as LangChain's, `bind_tools`,
    `ainvoke`, `astream` with a `chunk_position="last"` chunk, and LangChain's error classes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str
    api_key: SecretStr
    base_url: str
    timeout: float = 10.0
    max_retries: int = 0
    temperature: float | None = None
    max_tokens: int | None = None
    stream_usage: bool = False
    tools: list[dict[str, Any]] = []
    _client: httpx.AsyncClient | None = PrivateAttr(default=None)

    def get_name(self) -> str:
        return type(self).__name__

    def bind_tools(self, tools: list[dict[str, Any]]) -> ChatStandin:
        return self.model_copy(update={"tools": list(tools)})

    def model_post_init(self, context: Any) -> None:
        # Built once, as LangChain's integrations build their SDK clients at validation, and
        # shared by the copies `bind_tools` and per-call settings make.
        self._client = httpx.AsyncClient(timeout=self.timeout)

    def client(self) -> httpx.AsyncClient:
        assert self._client is not None
        return self._client

    def request_body(self, messages: Sequence[Any], *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [_wire_message(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }
        if self.tools:
            body["tools"] = self.tools
        if stream and self.stream_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key.get_secret_value()}"}

    async def ainvoke(self, messages: Sequence[Any]) -> AIMessage:
        try:
            response = await self.client().post(
                f"{self.base_url}/chat/completions",
                json=self.request_body(messages, stream=False),
                headers=self._headers(),
            )
        except httpx.TimeoutException as exc:
            raise ModelTimeoutError(f"request timed out: {exc}") from exc
        except httpx.TransportError as exc:
            raise ModelConnectionError(f"connection failed: {exc}") from exc
        if response.status_code >= 400:
            raise error_for_status(response.status_code, _api_message(response.content), response)
        try:
            return self.parse_completion(response.json())
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise OutputParserException(f"unreadable completion: {exc}") from exc

    def parse_completion(self, payload: Mapping[str, Any]) -> AIMessage:
        choice = payload["choices"][0]
        message = choice["message"]
        calls, invalid = parse_calls(
            [{"id": c["id"], **c["function"]} for c in message.get("tool_calls") or ()]
        )
        return AIMessage(
            content=message.get("content") or "",
            tool_calls=calls,
            invalid_tool_calls=invalid,
            response_metadata={"finish_reason": choice.get("finish_reason")},
            usage_metadata=usage_metadata(payload.get("usage")),
        )

    def _astream(self) -> None:
        """Present, as a streaming integration's is (the profile's capability reading)."""

    async def astream(self, messages: Sequence[Any]) -> AsyncIterator[AIMessageChunk]:
        request = self.client().stream(
            "POST",
            f"{self.base_url}/chat/completions",
            json=self.request_body(messages, stream=True),
            headers=self._headers(),
        )
        try:
            async with request as response:
                if response.status_code >= 400:
                    body = await response.aread()
                    raise error_for_status(response.status_code, _api_message(body), response)
                async for chunk in self.chunks(response):
                    yield chunk
        except httpx.TimeoutException as exc:
            raise ModelTimeoutError(f"stream timed out: {exc}") from exc
        except httpx.TransportError as exc:
            raise ModelConnectionError(f"stream failed: {exc}") from exc

    async def events(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        """The stream's JSON events; an error if it ends before `[DONE]`."""
        data: list[str] = []
        async for line in response.aiter_lines():
            if line.startswith(":"):
                continue
            if line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
                continue
            if line == "" and data:
                text = "\n".join(data)
                data = []
                if text == "[DONE]":
                    return
                try:
                    yield json.loads(text)
                except ValueError as exc:
                    raise OutputParserException(f"unreadable event: {exc}") from exc
        raise ModelConnectionError("the stream ended before [DONE]")

    def order_calls(self, calls: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        return [calls[index] for index in sorted(calls)]

    async def chunks(self, response: httpx.Response) -> AsyncIterator[AIMessageChunk]:
        calls: dict[int, dict[str, Any]] = {}
        finish: str | None = None
        usage: dict[str, int] | None = None
        async for event in self.events(response):
            if "error" in event:
                error = event["error"] or {}
                status = error.get("code") if isinstance(error.get("code"), int) else 500
                raise error_for_status(status, str(error.get("message", "")))
            usage = usage_metadata(event.get("usage")) or usage
            for choice in event.get("choices") or ():
                delta = choice.get("delta") or {}
                finish = choice.get("finish_reason") or finish
                for fragment in delta.get("tool_calls") or ():
                    call = calls.setdefault(
                        fragment.get("index", 0), {"id": "", "name": "", "arguments": ""}
                    )
                    function = fragment.get("function") or {}
                    call["id"] = call["id"] or fragment.get("id") or ""
                    call["name"] = call["name"] or function.get("name") or ""
                    call["arguments"] += function.get("arguments") or ""
                if delta.get("content"):
                    yield AIMessageChunk(content=delta["content"])
        tool_calls, invalid = parse_calls(self.order_calls(calls))
        yield AIMessageChunk(
            content="",
            tool_calls=tool_calls,
            invalid_tool_calls=invalid,
            response_metadata={"finish_reason": finish},
            usage_metadata=usage,
            chunk_position="last",
        )
