"""How fast the OpenAI-compatible reference provider reads a long stream, against plain httpx.

Issue #14 asks the reference providers to read a long stream at 0.8x or better of "plain httpx +
json.loads". Both readers here read the same bytes from the same loopback server in the same run:
a plain threaded server that answers every request with one long Chat Completions stream written
in 16 KiB pieces, so the server is never what is measured. The floor is httpx's own line splitting
and one json.loads per event, as a hand-written client would read; the reference provider does
what it must on top (SSE framing as the standard defines it, error events, usage, tool calls).

The fair floor is plain httpx on the async client, the transport the provider reads with: the
target's ratio is against it. The sync client's ratio is printed too; it also measures what
asyncio costs a reader (an async generator step per line of aiter_lines, an event loop wake-up
per read), which no async provider can avoid.

Run: `python benchmarks/bench_reader.py [--events N] [--rounds N]`. It prints events per second
for each reader (the best of the rounds, so a busy neighbour on a shared machine weighs less) and
the ratios. A reader that reads the wrong text is an error, not a number. Nothing here asserts a
time; the numbers are for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import socketserver
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference_providers.contract import Message
from reference_providers.openai_compatible import OpenAICompatibleProvider

PIECE = 16 * 1024
MODEL = "bench-model"
KEY = "sk-bench-not-a-real-key"


def long_stream(events: int) -> tuple[bytes, str]:
    """A Chat Completions stream of `events` short deltas, then usage and [DONE]; and its text."""
    parts: list[bytes] = []
    words: list[str] = []
    for i in range(events):
        word = f"word{i} "
        words.append(word)
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": MODEL,
            "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}],
        }
        parts.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    last = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": events, "total_tokens": events + 12},
    }
    parts.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    parts.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts), "".join(words)


class _Handler(socketserver.StreamRequestHandler):
    body: bytes = b""

    def handle(self) -> None:
        while True:
            length = 0
            line = self.rfile.readline()
            if not line:
                return
            while line not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
                line = self.rfile.readline()
            self.rfile.read(length)
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                f"Content-Length: {len(self.body)}\r\n\r\n"
            )
            self.wfile.write(head.encode("latin-1"))
            for start in range(0, len(self.body), PIECE):
                self.wfile.write(self.body[start : start + PIECE])
            self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(server: _Server) -> None:
    server.serve_forever()


@contextmanager
def serving(body: bytes) -> Iterator[str]:
    """The server in a process of its own, so that it never holds the readers' interpreter lock."""
    handler = type("Handler", (_Handler,), {"body": body})
    server = _Server(("127.0.0.1", 0), handler)
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(server,))
    process.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        process.terminate()
        process.join()
        server.server_close()


#: Wall-clock seconds and the reading thread's own CPU seconds. The CPU time leaves out the server
#: thread and whatever else the machine runs, so it is the steadier measure on a shared machine.
Clock = tuple[float, float]


def _now() -> Clock:
    return time.perf_counter(), time.thread_time()


def _since(start: Clock) -> Clock:
    wall, cpu = _now()
    return wall - start[0], cpu - start[1]


def _request_body() -> dict[str, object]:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Tell me a long story."}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def read_reference(base_url: str) -> tuple[Clock, str]:
    async def main() -> tuple[Clock, str]:
        async with OpenAICompatibleProvider(api_key=KEY, base_url=base_url) as provider:
            provider._client()  # the client is built off the clock, as a program builds it once
            texts: list[str] = []
            start = _now()
            async for chunk in provider.stream(
                [Message("user", "Tell me a long story.")], model=MODEL
            ):
                texts.append(chunk.content)
            return _since(start), "".join(texts)

    return asyncio.run(main())


def _texts_from_lines(lines: Iterator[str], texts: list[str]) -> None:
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        for choice in json.loads(data)["choices"]:
            content = choice["delta"].get("content")
            if content:
                texts.append(content)


def read_httpx_sync(base_url: str) -> tuple[Clock, str]:
    """The floor: httpx splits the lines, each event is one json.loads (as benchmarks/run.py)."""
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(timeout=60.0) as client:
        texts: list[str] = []
        start = _now()
        url = f"{base_url}/chat/completions"
        with client.stream("POST", url, json=_request_body(), headers=headers) as response:
            _texts_from_lines(response.iter_lines(), texts)
        return _since(start), "".join(texts)


def read_httpx_async(base_url: str) -> tuple[Clock, str]:
    """The same floor on httpx's async client, the one the reference provider uses."""

    async def main() -> tuple[Clock, str]:
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(timeout=60.0) as client:
            texts: list[str] = []
            start = _now()
            url = f"{base_url}/chat/completions"
            async with client.stream(
                "POST", url, json=_request_body(), headers=headers
            ) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    for choice in json.loads(data)["choices"]:
                        content = choice["delta"].get("content")
                        if content:
                            texts.append(content)
            return _since(start), "".join(texts)

    return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="text deltas in the stream")
    parser.add_argument("--rounds", type=int, default=5, help="reads per reader; the best counts")
    args = parser.parse_args(argv)
    body, text = long_stream(args.events)
    readers: list[tuple[str, Callable[[str], tuple[Clock, str]]]] = [
        ("reference provider (OpenAICompatibleProvider.stream)", read_reference),
        ("plain httpx sync + json.loads", read_httpx_sync),
        ("plain httpx async + json.loads", read_httpx_async),
    ]
    walls: dict[str, float] = {label: float("inf") for label, _ in readers}
    cpus: dict[str, float] = dict(walls)
    with serving(body) as url:
        # Rounds interleave the readers, so a slow moment of the machine falls on all alike.
        for _ in range(args.rounds):
            for label, reader in readers:
                (wall, cpu), read = reader(url)
                if read != text:
                    raise SystemExit(f"{label} read the wrong text ({len(read)} of {len(text)})")
                walls[label] = min(walls[label], wall)
                cpus[label] = min(cpus[label], cpu)
    print(f"{args.events} events, {len(body)} bytes, best of {args.rounds} rounds (events/s)")
    print(f"  {'reader':<55} {'wall clock':>12} {'reader CPU':>12}")
    for label, _ in readers:
        wall_rate, cpu_rate = args.events / walls[label], args.events / cpus[label]
        print(f"  {label:<55} {wall_rate:>12,.0f} {cpu_rate:>12,.0f}")
    reference = readers[0][0]
    for label, _ in readers[1:]:
        note = "  (issue #14's target, same transport)" if "async" in label else ""
        print(
            f"ratio reference / {label}: {walls[label] / walls[reference]:.2f}x wall clock, "
            f"{cpus[label] / cpus[reference]:.2f}x reader CPU{note}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
