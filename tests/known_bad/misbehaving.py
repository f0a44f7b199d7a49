"""Providers that misbehave towards the harness itself: they exit, crash, hang, spin, hog memory,
flood the output or leave threads behind. None of them may ever be reported as conforming, and
none may take the run down (tests/test_misbehaving_providers.py, issue #12).

Each is the reference OpenAI-compatible provider with `chat()` and `stream()` replaced. Those that
end the process do so only in a pytest-xdist worker (PYTEST_XDIST_WORKER is set), so importing or
building one in the project's own test process is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from reference_providers.contract import Message, StreamChunk
from reference_providers.openai_compatible import OpenAICompatibleProvider

#: Released by the tests that use the blocking providers in-process, so no thread outlives them.
RELEASE = threading.Event()


def _in_worker() -> bool:
    return "PYTEST_XDIST_WORKER" in os.environ


class _Misbehaves(OpenAICompatibleProvider):
    def misbehave(self) -> None:
        raise NotImplementedError

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        self.misbehave()
        return await super().chat(messages, **kwargs)

    async def stream(  # type: ignore[override]
        self, messages: Sequence[Message], **kwargs: Any
    ) -> AsyncGenerator[StreamChunk, None]:
        self.misbehave()
        async for chunk in super().stream(messages, **kwargs):
            yield chunk


class RaisesSystemExit(_Misbehaves):
    """`sys.exit()` deep in a client library ("unrecoverable configuration")."""

    def misbehave(self) -> None:
        sys.exit(3)


class RaisesKeyboardInterrupt(_Misbehaves):
    def misbehave(self) -> None:
        raise KeyboardInterrupt


class RaisesGeneratorExit(_Misbehaves):
    def misbehave(self) -> None:
        raise GeneratorExit


class SystemExitInATask(_Misbehaves):
    """SystemExit inside a task the provider awaits: it escapes the event loop itself."""

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        async def fail() -> None:
            raise SystemExit(4)

        await asyncio.create_task(fail())
        return await super().chat(messages, **kwargs)


class ExitsInConstructor(OpenAICompatibleProvider):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("api_key", "").startswith("sk-conformance-fake-"):
            raise SystemExit("no config file found")


class StopsTheLoop(_Misbehaves):
    """Stops the caller's event loop (a misguided "shutdown" in a client library)."""

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        asyncio.get_running_loop().stop()
        await asyncio.sleep(0.05)
        return await super().chat(messages, **kwargs)


class LeavesAStubbornTask(OpenAICompatibleProvider):
    """Answers correctly, but leaves a background task that swallows its cancellation: the
    caller's `asyncio.run` can never return."""

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        async def refresher() -> None:
            while not RELEASE.is_set():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(0.02)

        type(self).task = asyncio.get_running_loop().create_task(refresher())
        return await super().chat(messages, **kwargs)


class SendsCtrlC(_Misbehaves):
    """Delivers a KeyboardInterrupt to the main thread, exactly as a user's Ctrl-C does."""

    def misbehave(self) -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        RELEASE.wait(5)


class CallsOsExit(_Misbehaves):
    def misbehave(self) -> None:
        if _in_worker():
            os._exit(3)


class Segfaults(_Misbehaves):
    def misbehave(self) -> None:
        if _in_worker():
            ctypes.string_at(0)


class Aborts(_Misbehaves):
    def misbehave(self) -> None:
        if _in_worker():
            os.abort()


class KilledLikeOutOfMemory(_Misbehaves):
    """What the out-of-memory killer does to a process: SIGKILL, which nothing can catch."""

    def misbehave(self) -> None:
        if _in_worker():
            os.kill(os.getpid(), signal.SIGKILL)


class BlocksForever(_Misbehaves):
    """A synchronous call without a timeout inside `async def`: the thread never comes back."""

    def misbehave(self) -> None:
        RELEASE.wait()


class Spins(_Misbehaves):
    """A busy loop that never yields to the event loop."""

    def misbehave(self) -> None:
        while not RELEASE.is_set():
            pass


class AwaitsForever(_Misbehaves):
    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        await asyncio.Event().wait()

    async def stream(  # type: ignore[override]
        self, messages: Sequence[Message], **kwargs: Any
    ) -> AsyncGenerator[StreamChunk, None]:
        await asyncio.Event().wait()
        yield StreamChunk(content="")


class LeavesAThread(_Misbehaves):
    """Starts a non-daemon thread that never ends (a forgotten background refresher), and lets a
    raw ValueError escape (ER-8): the run must still end, with its report."""

    def misbehave(self) -> None:
        if _in_worker() or os.environ.get("CONFORMANCE_TEST_LEFTOVER"):
            threading.Thread(target=RELEASE.wait, name="leftover-refresher", daemon=False).start()
        raise ValueError("the refresher failed to start")


class HogsMemory(_Misbehaves):
    def misbehave(self) -> None:
        if _in_worker():
            hog = []
            while True:
                hog.append(bytearray(64 * 1024 * 1024))


class FloodsTheOutput(_Misbehaves):
    """Prints megabytes of debugging output, then answers with a mangled text."""

    def misbehave(self) -> None:
        sys.stdout.write("debug: " + "x" * (4 * 1024 * 1024) + "\n")

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        self.misbehave()
        response = await OpenAICompatibleProvider.chat(self, messages, **kwargs)
        return type(response)(**{**response.__dict__, "content": response.content + "!"})

    async def stream(  # type: ignore[override]
        self, messages: Sequence[Message], **kwargs: Any
    ) -> AsyncGenerator[StreamChunk, None]:
        self.misbehave()
        yield StreamChunk(content="!")
        async for chunk in OpenAICompatibleProvider.stream(self, messages, **kwargs):
            yield chunk


class SlowOnlyOnce(OpenAICompatibleProvider):
    """Conforms, but its first check hangs (the simulated starvation test's second try passes)."""

    calls = 0
    hangs_for = 1

    async def chat(self, messages: Sequence[Message], **kwargs: Any) -> Any:
        type(self).calls += 1
        if type(self).calls <= self.hangs_for:
            await asyncio.Event().wait()
        return await super().chat(messages, **kwargs)


class SlowTwice(SlowOnlyOnce):
    """Its first two checks hang: a first example tried twice under a starved harness stays
    inconclusive."""

    calls = 0
    hangs_for = 2
