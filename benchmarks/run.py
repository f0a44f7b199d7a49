"""Benchmarks for the harness: how long the suite takes, and how fast a long stream is read.

Run from the repository root as `python benchmarks/run.py [--quick]`. It prints a Markdown report
and writes it to benchmarks/RESULTS.md, so that a number quoted in a discussion can be traced to
the machine and the day it was measured on. See benchmarks/README.md for what each number means.

Nothing here asserts a time: timings depend on the machine, and a benchmark that fails on a slow
laptop teaches nothing. The script only refuses to report a reader that read the wrong text.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

from conformance.dialects.openai_chat import OpenAIChatDialect
from conformance.scenarios import Reply, RequestSpec, Scenario, Turn
from conformance.server import FakeServer
from conformance.vocabulary.canonical import ChatMessage, Usage
from conformance.vocabulary.wire import RecordedRequest
from reference_providers.contract import Message
from reference_providers.openai_compatible import OpenAICompatibleProvider

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
API_KEY = "sk-conformance-benchmark"
PROMPT = "Write a long answer."


# -- machine -------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_facts() -> list[tuple[str, str]]:
    return [
        ("platform", platform.platform()),
        ("CPU", f"{os.cpu_count()} × {_cpu_model()}"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("openai", _version("openai")),
        ("httpx", _version("httpx")),
        ("httpx2", _version("httpx2")),
    ]


# -- a: suite wall time --------------------------------------------------------------------------


@dataclass
class SuiteTiming:
    label: str
    seconds: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)


#: The provider whose suite time the per-provider targets are about.
ONE_PROVIDER = "reference_providers.openai_compatible:OpenAICompatibleProvider"


def _cli_command() -> list[str]:
    # The console script of this interpreter's environment, not whichever one PATH finds first.
    script = shutil.which("provider-conformance", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "conformance.cli"]


def time_suite(label: str, extra: Sequence[str], runs: int) -> SuiteTiming:
    """Time the whole command, interpreter start-up included: that is what a user waits for."""
    timing = SuiteTiming(label)
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="conformance-bench-") as scratch:
            command = [*_cli_command(), "run", "--report-dir", str(Path(scratch) / "reports")]
            start = time.perf_counter()
            done = subprocess.run(
                [*command, *extra], cwd=scratch, capture_output=True, text=True, check=False
            )
            timing.seconds.append(time.perf_counter() - start)
        timing.exit_codes.append(done.returncode)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            print(f"warning: {label} exited {done.returncode}:\n{tail}", file=sys.stderr)
    return timing


# -- b: stream throughput ------------------------------------------------------------------------


def long_scenario(parts: int) -> Scenario:
    """One stream of `parts` short text deltas, the shape of a long real answer."""
    text = tuple(f"word{i} " for i in range(parts))
    reply = Reply(text_parts=text, stop_reason="stop", usage=Usage(12, parts, parts + 12))
    return Scenario(
        name="benchmark_long_stream",
        title=f"{parts} text deltas in one stream",
        turns=(Turn(reply=reply),),
        request=RequestSpec(messages=(ChatMessage("user", PROMPT),)),
        modes=("stream",),
    )


@dataclass(frozen=True)
class Reading:
    seconds: float
    chunks: int
    text: str


#: A reader streams the session's scenario once and reports only the time of the request itself:
#: building the client happens before its clock starts, as a real program builds it once.
Reader = Callable[[str, Scenario], Reading]


def _body(scenario: Scenario) -> dict[str, Any]:
    return {
        "model": scenario.request.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": scenario.request.temperature,
        "max_tokens": scenario.request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def read_reference(base_url: str, scenario: Scenario) -> Reading:
    async def main() -> Reading:
        provider = OpenAICompatibleProvider(api_key=API_KEY, base_url=base_url, timeout=60.0)
        async with provider:
            # Build the httpx client now, off the clock, as the SDK readers build theirs.
            provider._client()
            text: list[str] = []
            chunks = 0
            start = time.perf_counter()
            async for chunk in provider.stream(
                [Message("user", PROMPT)],
                model=scenario.request.model,
                temperature=scenario.request.temperature,
                max_tokens=scenario.request.max_tokens,
            ):
                chunks += 1
                text.append(chunk.content)
            elapsed = time.perf_counter() - start
        return Reading(elapsed, chunks, "".join(text))

    return asyncio.run(main())


def read_openai_sync(base_url: str, scenario: Scenario) -> Reading:
    import openai

    body = _body(scenario)
    with openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0, timeout=60.0) as client:
        text: list[str] = []
        chunks = 0
        start = time.perf_counter()
        with client.chat.completions.create(**body) as stream:
            for chunk in stream:
                chunks += 1
                for choice in chunk.choices:
                    if choice.delta.content:
                        text.append(choice.delta.content)
        elapsed = time.perf_counter() - start
    return Reading(elapsed, chunks, "".join(text))


def read_openai_async(base_url: str, scenario: Scenario) -> Reading:
    import openai

    async def main() -> Reading:
        body = _body(scenario)
        client = openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY, max_retries=0, timeout=60.0)
        async with client:
            text: list[str] = []
            chunks = 0
            start = time.perf_counter()
            stream = await client.chat.completions.create(**body)
            async with stream:
                async for chunk in stream:
                    chunks += 1
                    for choice in chunk.choices:
                        if choice.delta.content:
                            text.append(choice.delta.content)
            elapsed = time.perf_counter() - start
        return Reading(elapsed, chunks, "".join(text))

    return asyncio.run(main())


def read_httpx_json(base_url: str, scenario: Scenario) -> Reading:
    """The floor a Python client can reach: lines split by httpx, each event one json.loads."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(timeout=60.0) as client:
        text: list[str] = []
        chunks = 0
        start = time.perf_counter()
        url = f"{base_url}/chat/completions"
        with client.stream("POST", url, json=_body(scenario), headers=headers) as response:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                chunks += 1
                for choice in chunk["choices"]:
                    content = choice["delta"].get("content")
                    if content:
                        text.append(content)
        elapsed = time.perf_counter() - start
    return Reading(elapsed, chunks, "".join(text))


def read_httpx_raw(base_url: str, scenario: Scenario) -> Reading:
    """The fake server alone: bytes read and dropped, so only the server's cost is left."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(timeout=60.0) as client:
        size = 0
        start = time.perf_counter()
        url = f"{base_url}/chat/completions"
        with client.stream("POST", url, json=_body(scenario), headers=headers) as response:
            for data in response.iter_raw():
                size += len(data)
        elapsed = time.perf_counter() - start
    return Reading(elapsed, 0, "")


class PlainServer:
    """A plain threaded HTTP server that answers every request with the same bytes, written in
    16 KiB pieces: the yardstick for the fake server's own cost on a long stream."""

    PIECE = 16 * 1024

    def __init__(self, head: bytes, body: bytes) -> None:
        self._head, self._body = head, body
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> PlainServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = connection.makefile("rb")
            while True:
                length = 0
                line = reader.readline()
                if not line:
                    return
                while line not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                    line = reader.readline()
                reader.read(length)
                connection.sendall(self._head)
                for start in range(0, len(self._body), self.PIECE):
                    piece = self._body[start : start + self.PIECE]
                    connection.sendall(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
                connection.sendall(b"0\r\n\r\n")


@dataclass
class Throughput:
    label: str
    reader: Reader
    checks_text: bool = True
    #: Read from the plain server instead of the fake one.
    plain: bool = False
    seconds: list[float] = field(default_factory=list)
    chunks: int = 0
    skipped: str | None = None

    def events_per_second(self, events: int) -> list[float]:
        return [events / s for s in self.seconds]


def _readers() -> list[Throughput]:
    readers = [
        Throughput("fake server + reference provider (httpx, async)", read_reference),
        Throughput("fake server + official `openai` (OpenAI, sync)", read_openai_sync),
        Throughput("fake server + official `openai` (AsyncOpenAI)", read_openai_async),
        Throughput("fake server + plain httpx + json.loads (baseline)", read_httpx_json),
        Throughput("fake server alone (httpx raw bytes, no parsing)", read_httpx_raw, False),
        Throughput(
            "plain threaded server, same bytes in 16 KiB writes (httpx raw bytes)",
            read_httpx_raw,
            False,
            plain=True,
        ),
    ]
    try:
        import openai  # noqa: F401
    except ImportError:
        for reader in readers:
            if "openai" in reader.label:
                reader.skipped = "the openai package is not installed"
    return readers


def measure_streams(parts: int, rounds: int) -> tuple[int, list[Throughput]]:
    """All readers against one server and one scenario, interleaved round by round so that a
    machine that slows down over the run slows every reader alike."""
    scenario = long_scenario(parts)
    expected = scenario.final_reply.text
    readers = _readers()
    dialect = OpenAIChatDialect()
    events = 0
    with FakeServer() as server, _plain_server(server, scenario) as plain:
        for round_number in range(rounds + 1):  # round 0 warms imports, caches and the server
            for reader in readers:
                if reader.skipped:
                    continue
                if reader.plain:
                    reading = reader.reader(plain.base_url, scenario)
                    if round_number:
                        reader.seconds.append(reading.seconds)
                    continue
                with server.session(scenario, dialect, API_KEY) as session:
                    reading = reader.reader(session.base_url, scenario)
                    exchanges = session.snapshot()
                if len(exchanges) != 1 or exchanges[0].response.status != 200:
                    raise RuntimeError(f"{reader.label}: the server saw {session.transcript()}")
                # Without split_bytes each piece the server writes is one SSE event.
                events = len(exchanges[0].response.pieces)
                if reader.checks_text and reading.text != expected:
                    raise RuntimeError(f"{reader.label} read the wrong text; not reporting it")
                reader.chunks = reading.chunks
                if round_number:
                    reader.seconds.append(reading.seconds)
    return events, readers


def time_rendering(parts: int, rounds: int) -> float:
    """The median time the dialect takes to render the long stream, without any socket."""
    scenario = long_scenario(parts)
    body = json.dumps(_body(scenario)).encode()
    path = "/v1/chat/completions"
    request = RecordedRequest("POST", path, path, (), body, 1, 1)
    dialect = OpenAIChatDialect()
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        dialect.render_reply(scenario, 0, request, stream=True)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def _plain_server(server: FakeServer, scenario: Scenario) -> PlainServer:
    """A plain server answering with exactly the bytes the fake server writes for `scenario`."""
    with server.session(scenario, OpenAIChatDialect(), API_KEY) as session:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        url = f"{session.base_url}/chat/completions"
        httpx.post(url, json=_body(scenario), headers=headers, timeout=60.0)
        [exchange] = session.snapshot()
    assert exchange.wire.head is not None
    return PlainServer(exchange.wire.head, bytes(exchange.wire.body))


# -- report --------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def render(
    *,
    date: str,
    quick: bool,
    suite: list[SuiteTiming],
    parts: int,
    rounds: int,
    events: int,
    readers: list[Throughput],
    rendering: float | None = None,
) -> str:
    mode = "`python benchmarks/run.py --quick`" if quick else "`python benchmarks/run.py`"
    lines = [
        "# Benchmark results",
        "",
        f"Measured on {date} with {mode}. What each number means: benchmarks/README.md.",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine_facts()),
    ]
    if suite:
        lines += [
            "",
            "## Suite wall time, all bundled scenarios and checks",
            "",
            "`provider-conformance run --report-dir <tmp> …` as a subprocess, interpreter start-up "
            f"included; median of {len(suite[0].seconds)} run(s). The per-provider target is the "
            "first rows (the suite for one provider); the last rows judge every bundled reference "
            "provider in one run.",
            "",
            "| Command | Median | Runs | Exit codes |",
            "|---|---:|---|---|",
        ]
    for timing in suite:
        runs = ", ".join(f"{s:.2f}" for s in timing.seconds)
        codes = ", ".join(str(c) for c in timing.exit_codes)
        lines.append(
            f"| {timing.label} | {_seconds(statistics.median(timing.seconds))} | {runs} | {codes} |"
        )
    baseline = next((r for r in readers if "baseline" in r.label and r.seconds), None)
    base_rate = statistics.median(baseline.events_per_second(events)) if baseline else None
    lines += [
        "",
        "## Stream throughput, one long stream",
        "",
        f"One scenario of {parts:,} text deltas, {events:,} SSE events on the wire (role chunk, "
        "deltas, finish chunk, usage chunk, `[DONE]`), played by one in-process FakeServer to "
        f"each reader in turn; median of {rounds} round(s) after a warm-up round. Events/s is "
        "wire events divided by the time from sending the request to the end of the stream.",
        "",
        "| Reader | Chunks delivered | Median time | Events/s (median) | Events/s (range) "
        "| vs plain httpx |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for reader in readers:
        if reader.skipped or not reader.seconds:
            lines.append(f"| {reader.label} | skipped: {reader.skipped} | | | | |")
            continue
        rates = reader.events_per_second(events)
        median = statistics.median(rates)
        chunks = f"{reader.chunks:,}" if reader.checks_text else "–"
        ratio = f"{median / base_rate:.2f}×" if base_rate else "–"
        lines.append(
            f"| {reader.label} | {chunks} | {_seconds(statistics.median(reader.seconds))} "
            f"| {_rate(median)} | {_rate(min(rates))}–{_rate(max(rates))} | {ratio} |"
        )
    alone = next((r for r in readers if "fake server alone" in r.label and r.seconds), None)
    plain = next((r for r in readers if r.plain and r.seconds), None)
    if alone is not None and plain is not None:
        speed = statistics.median(plain.seconds) / statistics.median(alone.seconds)
        lines += [
            "",
            f"The fake server alone against the plain server on the same bytes: {speed:.2f}× "
            "its events/s (target: at least 0.5×, for a stream without fragmentation options).",
        ]
        if rendering is not None:
            lines.append(
                f"Of the fake server's {_seconds(statistics.median(alone.seconds))}, rendering "
                f"the stream (the dialect, no socket) takes {_seconds(rendering)}; the plain "
                "server writes bytes rendered once."
            )
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one suite run, fewer stream rounds")
    parser.add_argument("--parts", type=int, default=5000, help="text deltas in the long stream")
    parser.add_argument("--output", type=Path, default=RESULTS, help="default: %(default)s")
    parser.add_argument(
        "--streams-only", action="store_true", help="only the stream throughput (no suite runs)"
    )
    args = parser.parse_args(argv)

    suite_runs, rounds = (1, 2) if args.quick else (3, 5)
    started = time.perf_counter()
    one = ["--provider", ONE_PROVIDER, "--dialect", "openai-chat"]
    suite = (
        []
        if args.streams_only
        else [
            time_suite(
                "one provider, one process: `run --provider … -n 1`", [*one, "-n", "1"], suite_runs
            ),
            time_suite("one provider: `run --provider …` (a worker per CPU)", one, suite_runs),
            time_suite("every bundled reference provider: `run`", [], suite_runs),
        ]
    )
    events, readers = measure_streams(args.parts, rounds)
    rendering = time_rendering(args.parts, rounds)
    report = render(
        date=datetime.date.today().isoformat(),
        quick=args.quick,
        suite=suite,
        parts=args.parts,
        rounds=rounds,
        events=events,
        readers=readers,
        rendering=rendering,
    )
    print(report)
    args.output.write_text(report, encoding="utf-8")
    print(
        f"(written to {args.output}; benchmark took {time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    failed = any(code != 0 for timing in suite for code in timing.exit_codes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
