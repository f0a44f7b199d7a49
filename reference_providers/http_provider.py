"""What every reference provider does the same way, whatever API it speaks: the HTTP plumbing.

The reference providers differ in their wire (the request, the response, the stream and the error
bodies) but not in how they hold a key, open and close an httpx client, or turn a failure into a
`ProviderError`. That common part lives here once, so a fix to it (say, how a rejected key is kept
out of an error message) reaches every provider, and the provider modules read as what their API
asks for and nothing else.

Everything here is a seam as much as the providers' own methods are: the harness's known-bad
providers override `_error_from_response`, `_json_object` and the like to plant one bug at a time,
so the names are the providers' old ones and must stay.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from reference_providers.contract import Capabilities
from reference_providers.error_mapping import error_from_payload, error_from_status, make_error
from reference_providers.errors import ErrorCategory, ProviderError
from reference_providers.tls import shared_tls_context

#: What a response of an unexpected shape raises while we pick it apart (ER-5, ER-8).
SHAPE_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

#: How much of a bad body or event an error message quotes: enough to recognise, not to flood.
EXCERPT = 200

_REDACTED = "[redacted]"


class HttpProvider:
    """The common part of a native `ChatProvider` over httpx; subclasses add chat() and stream().

    Retries: `max_retries` is accepted and stored so that configurations written for a later retry
    policy already validate, but no request is retried yet.
    """

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
