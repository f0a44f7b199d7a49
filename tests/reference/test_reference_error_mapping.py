"""Status, Retry-After, body and transport mapping into the native taxonomy (ER-1..ER-4, ER-6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reference_providers.error_mapping import (
    MESSAGE_LIMIT,
    api_error_message,
    category_for_status,
    error_from_payload,
    error_from_status,
    error_from_transport,
    parse_retry_after,
)
from reference_providers.errors import (
    ERROR_CLASSES,
    AuthError,
    ErrorCategory,
    InvalidRequestError,
    RateLimitError,
)

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "category", "retryable"),
    [
        (400, ErrorCategory.INVALID_REQUEST, False),
        (413, ErrorCategory.INVALID_REQUEST, False),
        (422, ErrorCategory.INVALID_REQUEST, False),
        (401, ErrorCategory.AUTH, False),
        (403, ErrorCategory.AUTH, False),
        (404, ErrorCategory.NOT_FOUND, False),
        (408, ErrorCategory.TIMEOUT, True),
        (504, ErrorCategory.TIMEOUT, True),
        (429, ErrorCategory.RATE_LIMIT, True),
        (500, ErrorCategory.SERVER, True),
        (502, ErrorCategory.SERVER, True),
        (503, ErrorCategory.SERVER, True),
        (529, ErrorCategory.SERVER, True),
        (599, ErrorCategory.SERVER, True),
        (418, ErrorCategory.INVALID_REQUEST, False),
        (451, ErrorCategory.INVALID_REQUEST, False),
        (200, ErrorCategory.UNKNOWN, False),
        (302, ErrorCategory.UNKNOWN, False),
        (600, ErrorCategory.UNKNOWN, False),
    ],
)
def test_category_for_status(status: int, category: ErrorCategory, retryable: bool) -> None:
    assert category_for_status(status) == (category, retryable)


# -- Retry-After ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"retry-after": " 7 "}, 7.0),
        ({"RETRY-AFTER": "3"}, 3.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After-Ms": "250.5"}, 0.2505),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
        ({}, None),
        ({"Retry-After": ""}, None),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({"Retry-After": "1e3"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"retry-after-ms": "-1"}, None),
    ],
)
def test_retry_after_seconds_forms(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == pytest.approx(expected)


def test_retry_after_http_date_counts_from_now() -> None:
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after({"Retry-After": when}, now=NOW) == 30.0


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=NOW) == 0.0


def test_retry_after_http_date_without_now_uses_the_clock() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    seconds = parse_retry_after({"Retry-After": when})
    assert seconds is not None
    assert 95.0 <= seconds <= 100.0


def test_retry_after_http_date_with_naive_now_is_read_as_utc() -> None:
    when = format_datetime(NOW + timedelta(seconds=5), usegmt=True)
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after({"Retry-After": when}, now=naive) == 5.0


@pytest.mark.parametrize("garbage", ["Wed, 99 Foo 2015 07:28:00 GMT", "tomorrow", "12:00"])
def test_retry_after_garbage_date_is_none(garbage: str) -> None:
    assert parse_retry_after({"Retry-After": garbage}, now=NOW) is None


def test_retry_after_reads_httpx_headers() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "4"})) == 4.0


# -- the API's message ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {
                "error": {
                    "message": "Unsupported parameter: 'stop'",
                    "type": "invalid_request_error",
                }
            },
            "Unsupported parameter: 'stop'",
        ),
        (
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            "Overloaded",
        ),
        (
            {
                "error": {
                    "code": 429,
                    "message": "Resource exhausted",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            "Resource exhausted",
        ),
        ({"error": "model does not support tools"}, "model does not support tools"),
        ({"message": "plain message"}, "plain message"),
        ({"detail": "Not authenticated"}, "Not authenticated"),
        ([{"error": {"code": 400, "message": "in an array"}}], "in an array"),
    ],
)
def test_api_error_message_shapes(body: object, expected: str) -> None:
    assert api_error_message(json.dumps(body).encode()) == expected


def test_api_error_message_detail_list_is_kept_as_json() -> None:
    body = {"detail": [{"loc": ["body", "model"], "msg": "field required"}]}
    message = api_error_message(json.dumps(body).encode())
    assert message is not None
    assert "field required" in message


def test_api_error_message_json_of_unknown_shape_falls_back_to_the_text() -> None:
    assert api_error_message(b'{"oops": true}') == '{"oops": true}'


def test_api_error_message_non_json_is_stripped_text() -> None:
    assert api_error_message(b"  <html>Bad Gateway</html>\n") == "<html>Bad Gateway</html>"


def test_api_error_message_non_json_is_truncated() -> None:
    message = api_error_message(b"x" * 5000)
    assert message is not None
    assert len(message) == MESSAGE_LIMIT


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_api_error_message_empty_body_is_none(body: bytes) -> None:
    assert api_error_message(body) is None


def test_api_error_message_invalid_utf8_does_not_raise() -> None:
    assert api_error_message(b"bad \xff byte") == "bad \ufffd byte"


# -- whole errors --------------------------------------------------------------------------------


def test_error_from_status_carries_everything() -> None:
    cause = RuntimeError("original")
    body = json.dumps({"error": {"message": "Rate limit reached", "type": "requests"}}).encode()
    error = error_from_status(429, {"retry-after": "20"}, body, provider="openai", cause=cause)
    assert isinstance(error, RateLimitError)
    assert error.message == "openai: HTTP 429 rate_limit: Rate limit reached"
    assert str(error) == error.message
    assert error.category is ErrorCategory.RATE_LIMIT
    assert error.status_code == 429
    assert error.retryable is True
    assert error.retry_after == 20.0
    assert error.provider == "openai"
    assert error.__cause__ is cause


@pytest.mark.parametrize("status", [400, 401, 404, 408, 429, 500, 529, 418, 302])
def test_error_from_status_uses_the_category_subclass(status: int) -> None:
    error = error_from_status(status, {}, b"", provider="p")
    category, retryable = category_for_status(status)
    assert type(error) is ERROR_CLASSES[category]
    assert error.category is category
    assert error.retryable is retryable
    assert error.message == f"p: HTTP {status} {category.value}"
    assert error.retry_after is None


def test_error_from_status_with_recorded_openai_body() -> None:
    body = (
        b'{\n    "error": {\n        "message": "The model `non-existent-model` does not exist",\n'
        b'        "type": "invalid_request_error",\n        "param": null,\n'
        b'        "code": "model_not_found"\n    }\n}'
    )
    error = error_from_status(404, {}, body, provider="openai")
    assert error.message.endswith("The model `non-existent-model` does not exist")


@pytest.mark.parametrize(
    ("payload", "category", "status"),
    [
        (  # Groq's in-stream `event: error`
            {
                "error": {
                    "message": "Tool call validation failed",
                    "type": "invalid_request_error",
                    "code": "tool_use_failed",
                    "status_code": 400,
                }
            },
            ErrorCategory.INVALID_REQUEST,
            400,
        ),
        (
            {"error": {"code": 400, "message": "Token limit reached"}},
            ErrorCategory.INVALID_REQUEST,
            400,
        ),
        ({"error": {"code": "429", "message": "slow"}}, ErrorCategory.RATE_LIMIT, 429),
        ({"error": {"type": "rate_limit_error", "message": "slow"}}, ErrorCategory.RATE_LIMIT, 429),
        ({"error": {"type": "server_error", "message": "oops"}}, ErrorCategory.SERVER, 500),
        ({"error": {"type": "authentication_error", "message": "key"}}, ErrorCategory.AUTH, 401),
        ({"error": {"type": "overloaded_error", "message": "busy"}}, ErrorCategory.SERVER, 529),
        (
            {"error": {"status": "RESOURCE_EXHAUSTED", "message": "q"}},
            ErrorCategory.RATE_LIMIT,
            429,
        ),
        ({"error": {"message": "something odd"}}, ErrorCategory.SERVER, None),
        ({"type": "rate_limit_error", "message": "unwrapped"}, ErrorCategory.RATE_LIMIT, 429),
        ({"error": "bare text"}, ErrorCategory.SERVER, None),
    ],
)
def test_error_from_payload(
    payload: dict[str, object], category: ErrorCategory, status: int | None
) -> None:
    error = error_from_payload(payload, provider="p")
    assert error.category is category
    assert error.status_code == status
    assert type(error) is ERROR_CLASSES[category]
    assert error.provider == "p"
    if status is None:
        assert error.retryable is True
    error_object = payload.get("error", payload)
    text = error_object if isinstance(error_object, str) else error_object["message"]  # type: ignore[index]
    assert str(text) in error.message


# -- transport -----------------------------------------------------------------------------------

SECRET_URL = "https://user:hunter2@api.example.com/v1/chat/completions?key=sk-SECRET"


def _request() -> httpx.Request:
    return httpx.Request("POST", SECRET_URL, headers={"Authorization": "Bearer sk-SECRET"})


@pytest.mark.parametrize(
    ("exc_type", "category"),
    [
        (httpx.ConnectTimeout, ErrorCategory.TIMEOUT),
        (httpx.ReadTimeout, ErrorCategory.TIMEOUT),
        (httpx.WriteTimeout, ErrorCategory.TIMEOUT),
        (httpx.PoolTimeout, ErrorCategory.TIMEOUT),
        (httpx.ConnectError, ErrorCategory.NETWORK),
        (httpx.ReadError, ErrorCategory.NETWORK),
        (httpx.WriteError, ErrorCategory.NETWORK),
        (httpx.RemoteProtocolError, ErrorCategory.NETWORK),
        (httpx.ProxyError, ErrorCategory.NETWORK),
    ],
)
def test_error_from_transport(
    exc_type: type[httpx.TransportError], category: ErrorCategory
) -> None:
    exc = exc_type(f"failed talking to {SECRET_URL}", request=_request())
    error = error_from_transport(exc, provider="openai")
    assert error.category is category
    assert type(error) is ERROR_CLASSES[category]
    assert error.retryable is True
    assert error.provider == "openai"
    assert error.__cause__ is exc
    assert "sk-SECRET" not in error.message
    assert "hunter2" not in error.message
    assert "api.example.com/v1/chat/completions" in error.message
    assert exc_type.__name__ in error.message


def test_error_from_transport_without_a_request() -> None:
    error = error_from_transport(httpx.ConnectError("refused"), provider="p")
    assert error.category is ErrorCategory.NETWORK
    assert error.message == "p: network: ConnectError: refused"


def test_error_from_transport_decoding_error_is_an_invalid_response() -> None:
    error = error_from_transport(httpx.DecodingError("bad gzip"), provider="p")
    assert error.category is ErrorCategory.INVALID_RESPONSE
    assert error.retryable is False


def test_subclasses_read_naturally() -> None:
    assert isinstance(error_from_status(401, {}, b"", provider="p"), AuthError)
    assert isinstance(error_from_status(422, {}, b"", provider="p"), InvalidRequestError)
