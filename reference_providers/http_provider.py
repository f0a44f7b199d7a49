"""What every reference provider does the same way, whatever API it speaks: the exchange.

The reference providers differ in their wire (the request, the response, the stream and the error
bodies) but not in how they hold a key, open and close an httpx client, send a request, tell a
failed answer from a good one, keep a stream's connection no longer than the caller reads, or turn
a failure into a `ProviderError`. That common part lives here once, so a fix to it (say, how a
rejected key is kept out of an error message, or when a stream's connection is closed) reaches
every provider, and the provider modules read as what their API asks for and nothing else.

`chat()` and `stream()` are written here; an API supplies its wire through these seams:
`_build_payload` (the body), `_request_url` and `_headers` (where and with what credential),
`_parse_body` and `_is_error_body` (a whole answer), `_new_stream_state`, `_chunk_batches` and
`_final_chunk` (a stream; `reference_providers.stream_reading` reads SSE and NDJSON bodies into
`_chunk_batches`), and `_error_from_response` / `_in_stream_error` (error bodies).

Everything here is a seam as much as the providers' own methods are: the harness's known-bad
providers override `_error_from_response`, `_json_object` and the like to plant one bug at a time,
so the names are the providers' old ones and must stay.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar

import httpx

from reference_providers.contract import (
    Capabilities,
    CompletionResponse,
    Message,
    StreamChunk,
    ToolDefinition,
)
from reference_providers.error_mapping import (
    error_from_payload,
    error_from_status,
    error_from_transport,
    make_error,
)
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.tls import shared_tls_context

#: What a response of an unexpected shape raises while we pick it apart (ER-5, ER-8).
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

#: How much of a bad body or event an error message quotes: enough to recognise, not to flood.
EXCERPT = 200

_REDACTED = "[redacted]"

#: What one stream has said so far beyond its text: each API keeps its own.
StateT = TypeVar("StateT")


class HttpProvider(Generic[StateT]):
    """A native `ChatProvider` over httpx, whatever its wire; subclasses supply the wire.

    Retries: `max_retries` is accepted and stored so that configurations written for a later retry
    policy already validate, but no request is retried yet.
    """

    #: What the API calls a whole answer, for error messages ("completion body is not JSON").
    body_name: ClassVar[str] = "response"
    #: The Accept header of a streamed request; None keeps the one `_headers()` sends.
    stream_accept: ClassVar[str | None] = "text/event-stream"
    #: How an error about a stream item of an unexpected shape begins.
    stream_shape_error: ClassVar[str] = "unexpected stream chunk shape"
    #: The provider module's own logger, so that its lines are named after the API they speak.
    _logger: ClassVar[logging.Logger] = logging.getLogger(__name__)

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        name: str,
        capabilities: Capabilities | None,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout
        self.max_retries = max_retries
        self._name = name
        self._capabilities = capabilities if capabilities is not None else Capabilities()
        self._default_headers = dict(default_headers or {})
        self._http: httpx.AsyncClient | None = None
        self._closed = False

    def __repr__(self) -> str:
        # Without the key: a repr ends up in logs and tracebacks (SE-1).
        return f"{type(self).__name__}(name={self._name!r}, base_url={self._base_url!r})"

    @property
    def name(self) -> str:
        return self._name

    def capabilities(self) -> Capabilities:
        return self._capabilities

    # -- lifecycle -------------------------------------------------------------------------------

    async def close(self) -> None:
        self._closed = True
        client, self._http = self._http, None
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _client(self) -> httpx.AsyncClient:
        # Created on first use so that a provider built but never used holds no connection pool.
        if self._closed:
            raise make_error(
                ErrorCategory.UNKNOWN, f"{self._name}: provider is closed", provider=self._name
            )
        if self._http is None:
            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(self._timeout), verify=shared_tls_context()
            )
        return self._http

    # -- the exchange ----------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> CompletionResponse:
        await self._before_request()
        payload = self._checked_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=False,
        )
        try:
            response = await self._send(model, payload)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        if not response.is_success:
            raise self._status_error(response)
        data = self._json_object(response.content, what=f"{self.body_name} body")
        if self._is_error_body(data):
            raise self._in_stream_error(data)
        try:
            return self._parse_body(data)
        except SHAPE_ERRORS as exc:
            raise self._invalid(f"unexpected {self.body_name} shape: {exc!r}") from exc

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[ToolDefinition] | None = None,
    ) -> AsyncGenerator[StreamChunk, None]:
        await self._before_request()
        payload = self._checked_payload(
            messages,
            model=model,
            temperature=temperature,
            max_tokens=max_tokens,
            tools=tools,
            stream=True,
        )
        body = self._encode(payload)
        headers = self._headers()
        if self.stream_accept is not None:
            headers = {**headers, "Accept": self.stream_accept}
        url = self._request_url(model, stream=True)
        state = self._new_stream_state()
        self._logger.debug("%s: stream request for model %r", self._name, model)
        try:
            # The response lives inside the generator: leaving the iteration early closes the
            # generator, which leaves this block and closes the connection (ST-7).
            async with self._client().stream(
                "POST", url, content=body, headers=headers
            ) as response:
                if not response.is_success:
                    # A streamed response must be read before its body can be looked at.
                    await response.aread()
                    raise self._status_error(response)
                async for chunks in self._chunk_batches(response, state):
                    for chunk in chunks:
                        yield chunk
            final = self._final_chunk(state)
        except httpx.HTTPError as exc:
            raise error_from_transport(exc, provider=self._name) from exc
        except SHAPE_ERRORS as exc:
            raise self._invalid(f"{self.stream_shape_error}: {exc!r}") from exc
        # Yielded after the response is closed, so a caller that stops at the final chunk
        # leaves no connection open.
        yield final

    async def _before_request(self) -> None:
        """What must happen before any request (GigaChat fetches its access token here)."""

    async def _send(self, model: str, payload: Mapping[str, Any]) -> httpx.Response:
        """The non-streamed request, sent; its answer is read by chat()."""
        self._logger.debug("%s: chat request for model %r", self._name, model)
        return await self._client().post(
            self._request_url(model, stream=False),
            content=self._encode(payload),
            headers=self._headers(),
        )

    # -- the wire: what each API supplies --------------------------------------------------------

    def _build_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        raise NotImplementedError

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _request_url(self, model: str, *, stream: bool) -> str:
        """Where a request goes: most APIs have one address, Gemini one per model and mode."""
        raise NotImplementedError

    def _is_error_body(self, data: Mapping[str, Any]) -> bool:
        """Whether a 200 body is an error object instead of an answer (ER-6)."""
        return data.get("error") is not None

    def _parse_body(self, data: Mapping[str, Any]) -> CompletionResponse:
        raise NotImplementedError

    def _new_stream_state(self) -> StateT:
        raise NotImplementedError

    def _chunk_batches(
        self, response: httpx.Response, state: StateT
    ) -> AsyncIterator[list[StreamChunk]]:
        """The stream's chunks before the final one, each read's together as soon as it is read.

        A list a read, not a chunk at a time: a long stream is read at the speed of its per-event
        work, and a generator step per chunk costs a fair part of it (ST-4 holds either way).
        """
        raise NotImplementedError

    def _final_chunk(self, state: StateT) -> StreamChunk:
        """The final chunk; raises when the body ended before its terminal event (ER-7)."""
        raise NotImplementedError

    # -- request ---------------------------------------------------------------------------------

    def _with_default_headers(
        self, ours: Mapping[str, str], *, reserved: frozenset[str] = frozenset()
    ) -> dict[str, str]:
        """`ours` over the caller's default headers, none of which may replace ours or `reserved`.

        A default header must never override the credential or the content type, even when
        spelled in another case; `reserved` names (lowercase) credential headers that `ours`
        leaves out this time, such as `Authorization` when there is no key.
        """
        taken = {key.lower() for key in ours} | reserved
        extra = {k: v for k, v in self._default_headers.items() if k.lower() not in taken}
        return {**extra, **ours}

    def _checked_payload(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[ToolDefinition] | None,
        stream: bool,
    ) -> dict[str, Any]:
        try:
            return self._build_payload(
                messages,
                model=model,
                temperature=temperature,
                max_tokens=max_tokens,
                tools=tools,
                stream=stream,
            )
        except SHAPE_ERRORS as exc:
            raise self._invalid_request(f"cannot build the request: {exc!r}") from exc

    def _encode(self, payload: Mapping[str, Any]) -> bytes:
        try:
            return dumps(payload).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise self._invalid_request(f"request is not serialisable as JSON: {exc}") from exc

    # -- response --------------------------------------------------------------------------------

    def _json_object(self, body: bytes, *, what: str) -> Mapping[str, Any]:
        try:
            data = json.loads(body)
        except ValueError as exc:
            excerpt = body[:EXCERPT].decode("utf-8", errors="replace")
            raise self._invalid(f"{what} is not JSON: {excerpt!r}") from exc
        if not isinstance(data, Mapping):
            raise self._invalid(f"{what} is not a JSON object")
        return data

    # -- errors ----------------------------------------------------------------------------------

    def _status_error(self, response: httpx.Response) -> ProviderError:
        error = self._error_from_response(response.status_code, response.headers, response.content)
        if error.__cause__ is None:
            # ER-3 wants an original exception as the cause; a status has none, so make the one
            # httpx would (without the URL's query, which may carry secrets).
            request = response.request
            error.__cause__ = httpx.HTTPStatusError(
                f"HTTP {response.status_code} from {request.method} {request.url.path}",
                request=request,
                response=response,
            )
        return error

    def _error_from_response(
        self, status: int, headers: Mapping[str, str], body: bytes
    ) -> ProviderError:
        return self._redacted(error_from_status(status, headers, body, provider=self._name))

    def _in_stream_error(self, payload: Mapping[str, Any]) -> ProviderError:
        # ER-6: an error inside a 200 answer, mapped as the HTTP error it stands for.
        return self._redacted(error_from_payload(payload, provider=self._name))

    def _redacted(self, error: ProviderError) -> ProviderError:
        # An API may echo the credential it rejected; it must not reach a log or report (SE-1).
        if self._api_key and self._api_key in error.message:
            error.message = error.message.replace(self._api_key, _REDACTED)
            error.args = (error.message,)
        return error

    def _invalid(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_RESPONSE, f"{self._name}: {message}", provider=self._name
        )

    def _invalid_request(self, message: str) -> ProviderError:
        return make_error(
            ErrorCategory.INVALID_REQUEST, f"{self._name}: {message}", provider=self._name
        )


def dumps(value: Any) -> str:
    """Compact JSON as the APIs take it: UTF-8 as is, and no NaN, which no API accepts."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_plain
    )


def _plain(value: Any) -> Any:
    # The contract types hold Mapping/Sequence, which json only knows as dict/list.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def count(value: Any) -> int | None:
    """A token count, or None when `value` is not one (a bool is not a count, though an int)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None
