"""What the profiles for interfaces we do not own share: importing a user's modules by name,
separating profile options from constructor arguments, building through a registry's create
function, reading exceptions, and driving streams (async or synchronous) into observations.

None of it knows a particular interface; `victor`, `orchestrator` and `execute` (and profiles users
write, see docs/profiles.md) compose these pieces.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, TypeVar

from conformance.profiles.provider_traceback import provider_traceback
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import ToolCall, Usage
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.observation import ObservedChunk, ObservedError, TurnObservation
from conformance.vocabulary.spec import Connection, ProviderSpec
from conformance.vocabulary.status_table import category_for_status
from conformance.vocabulary.targets import import_named

T = TypeVar("T")

#: Options every profile of this family understands; never passed to the provider's constructor.
#: `create_name`: call the target as `target(create_name, **kwargs)` (a registry's create function).
#: `max_retries`: what the provider is built with (0 by default: one request is one answer; the
#: resilience checks raise it).
COMMON_OPTIONS = ("create_name", "max_retries")

#: Where a profile option may refer to the fake server: `{base_url}` is replaced by the URL the
#: provider is built with (e.g. `set.OAUTH_URL={base_url}/oauth` for a class constant).
BASE_URL_PLACEHOLDER = "{base_url}"

#: Prefix of options that set an attribute on the built provider, for URLs or switches that an
#: interface keeps as class constants (`set.OAUTH_URL=...`).
SET_PREFIX = "set."


def import_option(profile: str, option: str, name: str) -> ModuleType:
    """Import the module a profile option names, failing with one line that says what to do."""
    return import_named(
        name,
        f"profile {profile}",
        what=option,
        hint=f"install the package that holds it, or set the profile option {option} "
        f"(--profile-option {option}=MODULE)",
    )


def lookup(module: ModuleType, names: tuple[str, ...], *, profile: str, option: str) -> list[Any]:
    """The module's attributes `names`, or a usage error naming the first one missing."""
    found = []
    for name in names:
        value = getattr(module, name, None)
        if value is None:
            raise UsageError(
                f"profile {profile}: {option} {module.__name__!r} has no {name!r}; is it the "
                "module the interface's types live in?"
            )
        found.append(value)
    return found


def split_options(
    options: Mapping[str, Any], own: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(profile options, attributes to set after building, constructor arguments)."""
    profile: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    constructor: dict[str, Any] = {}
    for key, value in options.items():
        if key in own or key in COMMON_OPTIONS:
            profile[key] = value
        elif key.startswith(SET_PREFIX):
            attributes[key[len(SET_PREFIX) :]] = value
        else:
            constructor[key] = value
    return profile, attributes, constructor


def with_connection(value: Any, connection: Connection) -> Any:
    """A string option with `{base_url}` replaced; other values as they are."""
    if isinstance(value, str) and BASE_URL_PLACEHOLDER in value:
        return value.replace(BASE_URL_PLACEHOLDER, connection.base_url)
    return value


def max_retries(options: Mapping[str, Any]) -> int:
    raw = options.get("max_retries", 0)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise UsageError(f"--profile-option max_retries={raw}: expected an integer") from None


def timeout_value(timeout: float) -> float | int:
    """Whole seconds as an int: interfaces that type the timeout `int` (pydantic) accept it."""
    return int(timeout) if float(timeout).is_integer() else timeout


def call_target(
    target: Callable[..., Any],
    options: Mapping[str, Any],
    *args: Any,
    optional: frozenset[str] = frozenset(),
    **kwargs: Any,
) -> Any:
    """Build through `target`, passing `create_name` first when the target is a create function.

    `optional` names keywords the harness adds of its own accord (`use_circuit_breaker`, a
    default `max_retries`). A class that sets one itself (`super().__init__(...,
    use_circuit_breaker=False, **kwargs)`) fails with "got multiple values for keyword argument"
    although the user asked for nothing wrong: that keyword is dropped and the call made again,
    on exactly that error, so the class's own choice stands.
    """
    name = options.get("create_name")
    leading = (str(name), *args) if name is not None else args
    remaining = dict(kwargs)
    while True:
        try:
            return target(*leading, **remaining)
        except TypeError as exc:
            duplicate = duplicate_keyword(exc)
            if duplicate is None or duplicate not in optional or duplicate not in remaining:
                raise
            del remaining[duplicate]


_DUPLICATE = re.compile(r"got multiple values for (?:keyword )?argument '(\w+)'")


def duplicate_keyword(exc: TypeError) -> str | None:
    """The keyword a call passed twice ("got multiple values for keyword argument 'x'"), if
    that is what the TypeError says."""
    found = _DUPLICATE.search(str(exc))
    return found.group(1) if found else None


def set_attributes(provider: Any, attributes: Mapping[str, Any], connection: Connection) -> None:
    for name, value in attributes.items():
        setattr(provider, name, with_connection(value, connection))


def check_signature(
    profile: str,
    target: Callable[..., Any],
    spec: ProviderSpec,
    options: Mapping[str, Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> None:
    """Fail early, with one line, when `target` cannot take what the profile will pass."""
    if not callable(target):
        raise UsageError(f"--provider {spec.target}: {target!r} is not a class or factory")
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return  # builtins and C types: find out when building
    if options.get("create_name") is not None:
        args = (str(options["create_name"]), *args)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        shown = ", ".join([*(["<name>"] if options.get("create_name") else []), *kwargs])
        raise UsageError(
            f"--provider {spec.target}: profile {profile} cannot build it with "
            f"({shown or 'one config argument'}): {exc}; give a factory that takes them "
            "(a providers file's `factory:`), or see docs/profiles.md"
        ) from None


def accepts_keyword(target: Callable[..., Any], name: str) -> bool:
    """Whether `target` takes keyword `name`, by name or through **kwargs."""
    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


# -- exceptions --------------------------------------------------------------------------------


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def cause_of(exc: BaseException) -> BaseException | None:
    return exc.__cause__ or exc.__context__


def status_from_cause(exc: BaseException) -> int | None:
    """The HTTP status an exception's cause chain carries (httpx and requests errors do).

    For interfaces whose errors have no status attribute of their own: the status is still within
    reach of the caller, as `err.__cause__.response.status_code`.
    """
    seen: set[int] = set()
    current: BaseException | None = cause_of(exc)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int) and not isinstance(status, bool):
            return status
        current = cause_of(current)
    return None


def enum_value(raw: Any) -> Any:
    return raw.value if isinstance(raw, enum.Enum) else raw


def number_or_none(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def observed_error(
    exc: BaseException,
    *,
    category: str | None,
    status_code: int | None = None,
    retryable: bool | None = None,
    retry_after: float | None = None,
    provider: str | None = None,
    names_provider: bool = True,
    states_status: bool = True,
) -> ObservedError:
    """An exception in canonical terms; category None means "not one of the profile's types".

    `names_provider=False` / `states_status=False` say the interface's errors have no place for
    the provider's name / the HTTP status (ER-3 then does not judge a missing one).
    """
    cause = cause_of(exc)
    return ObservedError(
        type_name=qualified_name(type(exc)),
        category=category,
        status_code=status_code,
        retryable=retryable,
        retry_after=retry_after,
        provider=provider,
        message=str(exc),
        cause_type=qualified_name(type(cause)) if cause is not None else None,
        representation=repr(exc),
        names_provider=names_provider,
        states_status=states_status,
        traceback=provider_traceback(exc),
    )


def status_category(status: Any) -> str | None:
    """The ER-1 category for a status code an exception carries, or None without one."""
    if isinstance(status, int) and not isinstance(status, bool):
        return category_for_status(status)[0]
    return None


def expected_category(scenario: Scenario, turn: int) -> str | None:
    """The category the scenario's turn asks of a conforming provider's error, if any."""
    if turn >= len(scenario.turns):
        return None
    reply = scenario.turns[turn].reply
    if reply.error is not None:
        expected = scenario.expected_error(turn)
        return expected.category if expected is not None else None
    fault = getattr(reply, "fault", None)
    wanted = getattr(fault, "expected_error", None) if fault is not None else None
    if wanted is not None:
        category: str | None = wanted[1]
        return category
    return None


# -- results -----------------------------------------------------------------------------------


def tool_calls_from_dicts(raw: Any) -> tuple[ToolCall, ...]:
    """Tool calls given as dicts {id, name, arguments} (arguments a dict, or JSON text)."""
    calls = []
    for call in raw or ():
        if isinstance(call, Mapping):
            call_id, name, arguments = call.get("id"), call.get("name"), call.get("arguments")
        else:
            call_id = getattr(call, "id", None)
            name = getattr(call, "name", None)
            arguments = getattr(call, "arguments", None)
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                arguments = {"<unparsed arguments>": arguments}
        if not isinstance(arguments, Mapping):
            arguments = {} if arguments is None else {"<arguments>": arguments}
        calls.append(ToolCall(str(call_id or ""), str(name or ""), dict(arguments)))
    return tuple(calls)


def usage_from(raw: Any) -> Usage | None:
    """Usage given as a mapping or an object with prompt/completion/total tokens."""
    if raw is None:
        return None

    def read(key: str) -> int:
        value = raw.get(key) if isinstance(raw, Mapping) else getattr(raw, key, None)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    return Usage(read("prompt_tokens"), read("completion_tokens"), read("total_tokens"))


def stop_from(raw: Any) -> str | None:
    raw = enum_value(raw)
    return None if raw is None else str(raw)


def last_user_prompt(scenario: Scenario, turn: int) -> str:
    """The prompt a single-prompt interface sends: the conversation's last user message."""
    users = [m.content for m in scenario.messages_for_turn(turn) if m.role == "user"]
    return users[-1] if users else ""


def system_prompt(scenario: Scenario, turn: int) -> str | None:
    systems = [m.content for m in scenario.messages_for_turn(turn) if m.role == "system"]
    return systems[0] if systems else None


# -- streams -----------------------------------------------------------------------------------


async def observe_stream(
    stream: AsyncIterator[Any],
    scenario: Scenario,
    observed: TurnObservation,
    chunk: Callable[[Any], ObservedChunk],
) -> None:
    """Append each item as a chunk, stamped with the time it arrived (ST-4).

    When the scenario says so, leave after a number of chunks and close the iterator, as a caller
    that got what it needed does (ST-7).
    """
    async for item in stream:
        observed.chunks.append(_stamped(chunk(item)))
        if caller_is_done(scenario, observed.chunks):
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
            break


def caller_is_done(scenario: Scenario, chunks: list[ObservedChunk]) -> bool:
    """Whether the scripted early-exit caller (`stop_after_chunks`) has what it came for.

    It counts chunks that carry text: a caller waiting for the answer does not leave on an empty
    first chunk (Azure sends one, with its content-filter results), and ST-4 then judges text
    that really arrived.
    """
    stop_after = getattr(scenario, "stop_after_chunks", None)
    if not stop_after:
        return False
    return sum(1 for c in chunks if c.text) >= int(stop_after)


def _stamped(chunk: ObservedChunk) -> ObservedChunk:
    if "at" not in getattr(ObservedChunk, "__dataclass_fields__", {}):
        return chunk  # an observation model without chunk times
    from dataclasses import replace

    return replace(chunk, at=time.perf_counter())


_END = object()


async def iterate_in_thread(iterator: Iterator[T]) -> AsyncIterator[T]:
    """A synchronous generator advanced on worker threads, so the event loop (and with it the
    check's deadline) keeps running while the provider blocks in `requests`.

    Closing this async generator closes the synchronous one too, on a thread, so that leaving the
    iteration early runs the provider's own cleanup (its `with` blocks close the response).
    """
    try:
        while True:
            item = await asyncio.to_thread(next, iterator, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


async def await_close(provider: Any, profile: str) -> None:
    """Await the provider's `close()`, saying what to change when it is not a coroutine.

    A synchronous `close()` returns None, and awaiting None fails with "object NoneType can't be
    used in 'await' expression": true, but it names neither the method nor the fix.
    """
    result = provider.close()
    if not inspect.isawaitable(result):
        raise TypeError(
            f"close() is not a coroutine: the {profile} profile awaits close(); make it async "
            "(`async def close(self) -> None`), or return an awaitable from it"
        )
    await result
