"""Driving a provider's stream into an observation, for the profiles of interfaces we do not own:
chunk times (ST-4), the scripted caller that leaves early (ST-7), synchronous generators kept off
the event loop so the check's deadline still runs, and an awaited `close()` that names its fix.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

from conformance.scenarios.model import Scenario
from conformance.vocabulary.observation import ObservedChunk, TurnObservation

T = TypeVar("T")


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
