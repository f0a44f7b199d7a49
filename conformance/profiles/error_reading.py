"""Reading a provider's exceptions in canonical terms, for the profiles of interfaces we do not
own: an interface's error types differ, but what ER-1..ER-3 ask of them (a category, a status, the
provider's name, a retry hint) is read by the same few steps, so each profile only maps its types.
"""

from __future__ import annotations

import enum
from typing import Any

from conformance.profiles.provider_traceback import provider_traceback
from conformance.scenarios.model import Scenario
from conformance.vocabulary.observation import ObservedError
from conformance.vocabulary.status_table import category_for_status


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
