"""What the profiles for interfaces we do not own share: importing a user's modules by name,
separating profile options from constructor arguments, building through a registry's create
function and reading results; reading exceptions (`error_reading`) and driving streams
(`stream_driving`) live in their own modules and are re-exported here.

None of it knows a particular interface; `victor`, `orchestrator` and `execute` (and profiles users
write, see docs/profiles.md) compose these pieces.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from conformance.profiles.base import accepts as accepts_keyword
from conformance.profiles.error_reading import (
    cause_of,
    enum_value,
    expected_category,
    number_or_none,
    observed_error,
    qualified_name,
    status_category,
    status_from_cause,
)
from conformance.profiles.stream_driving import (
    await_close,
    caller_is_done,
    iterate_in_thread,
    observe_stream,
)
from conformance.scenarios.model import Scenario
from conformance.vocabulary.canonical import ToolCall, Usage
from conformance.vocabulary.errors import UsageError
from conformance.vocabulary.spec import Connection, ProviderSpec
from conformance.vocabulary.targets import import_named

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


__all__ = [
    "BASE_URL_PLACEHOLDER",
    "COMMON_OPTIONS",
    "SET_PREFIX",
    "accepts_keyword",
    "await_close",
    "call_target",
    "caller_is_done",
    "cause_of",
    "check_signature",
    "duplicate_keyword",
    "enum_value",
    "expected_category",
    "import_option",
    "iterate_in_thread",
    "last_user_prompt",
    "lookup",
    "max_retries",
    "number_or_none",
    "observe_stream",
    "observed_error",
    "qualified_name",
    "set_attributes",
    "split_options",
    "status_category",
    "status_from_cause",
    "stop_from",
    "system_prompt",
    "timeout_value",
    "tool_calls_from_dicts",
    "usage_from",
    "with_connection",
]
