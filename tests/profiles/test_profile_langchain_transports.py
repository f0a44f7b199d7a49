"""google-genai's second transport: with aiohttp importable (litellm installs it, so the ecosystem
environment has it), google-genai sends through aiohttp, and its transport errors come through
unwrapped, as httpx's do without it. The `langchain` profile must read both alike, or a verdict
on ChatGoogleGenerativeAI depends on which other packages share the environment (ER-4 failed
6 of 6 in the published matrix for that reason alone). None of this needs aiohttp installed.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.profiles import langchain_errors as errors

GOOGLE = ("google-genai", "httpx", "aiohttp")


def _error(module: str, *names: str, base: type = Exception) -> BaseException:
    """An exception whose MRO has classes `names` (most derived first) in `module`."""
    cls = base
    for name in reversed(names):
        cls = type(name, (cls,), {"__module__": module})
    return cls("boom")


def _raised_by(module: str, exc_type: type[BaseException]) -> BaseException:
    """An exception raised by code whose module is `module`, as its traceback records it."""
    namespace: dict[str, Any] = {"__name__": module, "exc_type": exc_type}
    exec("def fail():\n    raise exc_type()\n", namespace)  # the frame's globals name `module`
    try:
        namespace["fail"]()
    except exc_type as exc:
        return exc
    raise AssertionError("unreachable")


def test_google_genai_models_read_the_aiohttp_table() -> None:
    chat_google = type(
        "ChatGoogleGenerativeAI", (), {"__module__": "langchain_google_genai.chat_models"}
    )
    assert errors.clients_for(chat_google) == GOOGLE


@pytest.mark.parametrize(
    ("exc", "category"),
    [
        # Refused: ClientConnectorError < ClientOSError < ClientConnectionError (< OSError).
        (
            _error(
                "aiohttp.client_exceptions",
                "ClientConnectorError",
                "ClientOSError",
                "ClientConnectionError",
                "ClientError",
                base=OSError,
            ),
            "network",
        ),
        # Reset while reading the body.
        (_error("aiohttp.client_exceptions", "ClientPayloadError", "ClientError"), "network"),
        (
            _error(
                "aiohttp.client_exceptions",
                "ServerDisconnectedError",
                "ServerConnectionError",
                "ClientConnectionError",
                "ClientError",
            ),
            "network",
        ),
        # A socket read timeout is a timeout, though it is a ClientConnectionError too.
        (
            _error(
                "aiohttp.client_exceptions",
                "SocketTimeoutError",
                "ServerTimeoutError",
                "ServerConnectionError",
                "ClientConnectionError",
                "ClientError",
                base=TimeoutError,
            ),
            "timeout",
        ),
    ],
)
def test_aiohttp_transport_errors_are_read_like_httpx_ones(
    exc: BaseException, category: str
) -> None:
    assert errors.classify(exc, GOOGLE).category == category


def test_the_builtin_timeout_counts_only_when_aiohttp_raised_it() -> None:
    # aiohttp's total timeout: `raise asyncio.TimeoutError from exc_val` in aiohttp/helpers.py.
    from_aiohttp = _raised_by("aiohttp.helpers", TimeoutError)
    assert errors.classify(from_aiohttp, GOOGLE).category == "timeout"
    # The same class raised by anyone else is an escape (ER-8), as before.
    from_elsewhere = _raised_by("langchain_google_genai.chat_models", TimeoutError)
    assert errors.classify(from_elsewhere, GOOGLE).category is None
    assert errors.classify(TimeoutError(), GOOGLE).category is None
    # And aiohttp's classes count only for a model whose client sends through aiohttp.
    assert errors.classify(from_aiohttp, ("openai",)).category is None


def test_ollama_still_reads_only_its_builtin_connection_error() -> None:
    assert errors.classify(ConnectionRefusedError(), ("ollama", "httpx")).category == "network"
    timeout = _raised_by("aiohttp.helpers", TimeoutError)
    assert errors.classify(timeout, ("ollama",)).category is None
