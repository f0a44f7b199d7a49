"""How the `langchain` profile reads an exception: LangChain's own error classes first, then the
exception classes of the client library under the chat model, one table per client.

LangChain has no error hierarchy of its own before langchain-core 1.x's `ModelError` family, and
its integrations let the SDK's exceptions through: a LangChain user catches
`openai.RateLimitError` under `ChatOpenAI`, `anthropic.RateLimitError` under `ChatAnthropic`,
`ollama.ResponseError` (and httpx's transport errors, which the ollama and google-genai clients do
not wrap) under `ChatOllama` and `ChatGoogleGenerativeAI`. google-genai sends through aiohttp
instead of httpx whenever aiohttp is importable (another package may have installed it), and lets
aiohttp's transport errors through just as unwrapped: they are read by the same measure, so a
verdict does not depend on which transport the environment happened to offer. Integrations on
langchain-core 1.x raise classes that inherit both an SDK class and a `ModelError` subclass, so
catching either works.

Everything is matched by module and class name along the exception's MRO: nothing here imports
langchain or a client library, so the profile loads without any of them installed.

Where an exception class is generic (`APIStatusError`, google-genai's `APIError`, ollama's
`ResponseError`, `httpx.HTTPStatusError`), the HTTP status it carries is its category, through the
ER-1 table: the status is how the client itself tells those apart. A generic class without a
status (openai's `APIError` for an error event inside a stream) is `unknown`: the caller cannot
tell what failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from conformance.profiles import _common as common
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedError
from conformance.vocabulary.retry_after import retry_after_seconds

#: Read the category from the HTTP status the exception carries.
BY_STATUS: Final = "<status>"

#: langchain-core's `ModelError` family (langchain_core.exceptions), most specific first.
LANGCHAIN_CLASSES: Final[tuple[tuple[str, str], ...]] = (
    ("ContextOverflowError", "invalid_request"),
    ("ModelAuthenticationError", "auth"),
    ("ModelPermissionDeniedError", "auth"),
    ("ModelInvalidRequestError", "invalid_request"),
    ("ModelNotFoundError", "not_found"),
    ("ModelRateLimitError", "rate_limit"),
    ("ModelTimeoutError", "timeout"),
    ("ModelConnectionError", "network"),
    # Documented as "a server failure (HTTP 5xx)": its status says which 5xx (504 is timeout).
    ("ModelAPIError", BY_STATUS),
    # LangChain's class for model output it cannot read.
    ("OutputParserException", "invalid_response"),
    # The catch-all: callers (LangChain's retry middleware among them) tell failures apart by
    # these classes, so a plain ModelError is `unknown` whatever status it carries.
    ("ModelError", "unknown"),
)

#: Where LangChain's error classes live; the profile option `errors_module` adds one (a package
#: that vendors them, the project's stand-ins).
LANGCHAIN_MODULES: Final[tuple[str, ...]] = ("langchain_core",)

_OPENAI_STYLE: Final[tuple[tuple[str, str], ...]] = (
    ("AuthenticationError", "auth"),
    ("PermissionDeniedError", "auth"),
    ("NotFoundError", "not_found"),
    ("RateLimitError", "rate_limit"),
    ("BadRequestError", "invalid_request"),
    ("UnprocessableEntityError", "invalid_request"),
    ("ConflictError", "invalid_request"),
    ("RequestTooLargeError", "invalid_request"),
    ("InternalServerError", BY_STATUS),
    ("OverloadedError", "server"),
    ("ServiceUnavailableError", "server"),
    ("DeadlineExceededError", "timeout"),
    ("APITimeoutError", "timeout"),
    ("APIConnectionError", "network"),
    ("APIResponseValidationError", "invalid_response"),
    ("APIStatusError", BY_STATUS),
    ("APIError", BY_STATUS),
)

#: Client name -> (module prefixes its exceptions live in, class name -> category).
CLIENT_TABLES: Final[dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {
    "openai": (("openai",), _OPENAI_STYLE),
    "anthropic": (("anthropic",), _OPENAI_STYLE),
    "google-genai": (
        ("google.genai", "langchain_google_genai"),
        (
            # The SDK's own class for a body it cannot parse as JSON (a ValueError).
            ("UnknownApiResponseError", "invalid_response"),
            ("ClientError", BY_STATUS),
            ("ServerError", BY_STATUS),
            ("APIError", BY_STATUS),
            # langchain-google-genai's own wrapper: the status is on the ClientError it wraps.
            ("ChatGoogleGenerativeAIError", BY_STATUS),
            ("GoogleGenerativeAIError", BY_STATUS),
        ),
    ),
    "ollama": (
        ("ollama", "builtins"),
        (
            ("ResponseError", BY_STATUS),
            ("RequestError", "invalid_request"),
            # ollama raises the builtin ConnectionError (from None) when it cannot connect.
            ("ConnectionError", "network"),
        ),
    ),
    # google-genai's transport when aiohttp is installed (`_api_client.py`, `_use_aiohttp`).
    "aiohttp": (
        ("aiohttp", "builtins"),
        (
            ("ServerTimeoutError", "timeout"),
            ("ClientPayloadError", "network"),
            ("ClientConnectionError", "network"),
            ("ClientResponseError", BY_STATUS),
            # aiohttp's documented exception for its total timeout: the builtin (asyncio's)
            # TimeoutError, counted only when aiohttp itself raised it (see `_builtin_counts`).
            ("TimeoutError", "timeout"),
        ),
    ),
    "httpx": (
        ("httpx",),
        (
            ("TimeoutException", "timeout"),
            ("ConnectError", "network"),
            ("RemoteProtocolError", "network"),
            ("NetworkError", "network"),
            ("ProtocolError", "network"),
            ("DecodingError", "invalid_response"),
            ("TransportError", "network"),
            ("HTTPStatusError", BY_STATUS),
        ),
    ),
}

#: Which clients sit under which integration package (the model class's MRO says which).
PACKAGE_CLIENTS: Final[dict[str, tuple[str, ...]]] = {
    "langchain_openai": ("openai",),
    "langchain_anthropic": ("anthropic",),
    "langchain_ollama": ("ollama", "httpx"),
    "langchain_google_genai": ("google-genai", "httpx", "aiohttp"),
}

#: For a partner package we do not know: every client whose errors are its own classes. httpx is
#: left out: a client that lets it through is judged where we know it does.
DEFAULT_CLIENTS: Final[tuple[str, ...]] = ("openai", "anthropic", "google-genai", "ollama")


def clients_for(model_class: type) -> tuple[str, ...]:
    """The clients whose exceptions a chat model class lets through, from its MRO's packages."""
    found: list[str] = []
    for cls in model_class.__mro__:
        package = cls.__module__.split(".", 1)[0]
        for client in PACKAGE_CLIENTS.get(package, ()):
            if client not in found:
                found.append(client)
    return tuple(found) or DEFAULT_CLIENTS


def parse_clients(raw: object) -> tuple[str, ...]:
    """The `clients=openai,httpx` profile option, checked against the known tables."""
    names = tuple(part.strip() for part in str(raw).split(",") if part.strip())
    unknown = [name for name in names if name not in CLIENT_TABLES]
    if unknown or not names:
        raise UsageError(
            f"--profile-option clients={raw}: unknown client {', '.join(unknown) or '(none)'}; "
            f"known: {', '.join(CLIENT_TABLES)}"
        )
    return names


def _in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _raised_in(exc: BaseException, package: str) -> bool:
    """Whether the innermost frame of `exc`'s traceback is in `package` (it raised it)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return _in(module, (package,))


def _builtin_counts(exc: BaseException, client: str, cls: type) -> bool:
    """A builtin class is a client's error only where that client raises it itself: ollama's
    `ConnectionError` (raised `from None` when it cannot connect), aiohttp's `TimeoutError`.
    Anyone else's builtin exception is judged by ER-8."""
    if client == "ollama":
        return cls is ConnectionError
    if client == "aiohttp":
        return cls is TimeoutError and _raised_in(exc, "aiohttp")
    return False


def table_category(
    exc: BaseException, clients: Iterable[str], langchain: Iterable[str] = LANGCHAIN_MODULES
) -> str | None:
    """The category the LangChain or client class of `exc` states, BY_STATUS, or None when it is
    none of them (ER-8 then judges it)."""
    mro = type(exc).__mro__
    langchain = tuple(langchain)
    for name, category in LANGCHAIN_CLASSES:
        if any(c.__name__ == name and _in(c.__module__, langchain) for c in mro):
            return category
    for client in clients:
        prefixes, classes = CLIENT_TABLES[client]
        for cls in mro:
            if not _in(cls.__module__, prefixes):
                continue
            if cls.__module__ == "builtins" and not _builtin_counts(exc, client, cls):
                continue
            for name, category in classes:
                if cls.__name__ == name:
                    return category
    return None


def _named(exc: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception (or what it was raised from) carries: `status_code` (openai,
    anthropic, ollama), `code` (google-genai), `response.status_code` (httpx)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for raw in (
            getattr(current, "status_code", None),
            getattr(current, "code", None),
            getattr(getattr(current, "response", None), "status_code", None),
        ):
            if isinstance(raw, int) and not isinstance(raw, bool) and 100 <= raw <= 599:
                return raw
        current = common.cause_of(current)
    return None


def retry_after_of(exc: BaseException) -> float | None:
    """Retry-After as a caller reads it: from the response the exception (or its cause) carries
    (`err.response.headers`), the only place LangChain's integrations keep it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        headers = getattr(getattr(current, "response", None), "headers", None)
        if headers is not None and callable(getattr(headers, "items", None)):
            found = retry_after_seconds({str(k): str(v) for k, v in headers.items()})
            if found is not None:
                return found
        current = common.cause_of(current)
    return None


def classify(
    exc: BaseException, clients: Iterable[str], langchain: Iterable[str] = LANGCHAIN_MODULES
) -> ObservedError:
    category = table_category(exc, clients, langchain)
    if category is None:
        return common.observed_error(exc, category=None)
    status = status_of(exc)
    if category == BY_STATUS:
        fallback = "server" if _named(exc, "ModelAPIError") else "unknown"
        category = common.status_category(status) or fallback
    flag = getattr(exc, "is_retryable", None)  # langchain-core's ModelError flag
    return common.observed_error(
        exc,
        category=category,
        status_code=status,
        retryable=flag if isinstance(flag, bool) else None,
        retry_after=retry_after_of(exc),
        provider=None,
        # LangChain's errors and the SDKs' have no place for the provider's name.
        names_provider=False,
        states_status=isinstance(getattr(exc, "status_code", None), int),
    )


__all__ = [
    "BY_STATUS",
    "CLIENT_TABLES",
    "LANGCHAIN_CLASSES",
    "LANGCHAIN_MODULES",
    "PACKAGE_CLIENTS",
    "classify",
    "clients_for",
    "parse_clients",
    "retry_after_of",
    "status_of",
]
