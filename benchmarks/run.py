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
    #: Per run: how many checks junit.xml lists and the sum of their times (setup to teardown).
    checks: list[tuple[int, float]] = field(default_factory=list)
    #: Per run: CPU seconds (user + system) of the command and its worker processes. On a
    #: machine others load too, the wall time stretches; the CPU time much less.
    cpu: list[float] = field(default_factory=list)


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _junit_checks(report_dir: Path) -> tuple[int, float]:
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.parse(report_dir / "junit.xml").getroot()
    except (OSError, ElementTree.ParseError):
        return 0, 0.0
    times = [float(case.get("time") or 0.0) for case in root.iter("testcase")]
    return len(times), sum(times)


#: The provider whose suite time the per-provider targets are about.
ONE_PROVIDER = "reference_providers.openai_compatible:OpenAICompatibleProvider"


def _cli_command() -> list[str]:
    # The console script of this interpreter's environment, not whichever one PATH finds first.
    script = shutil.which("provider-conformance", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "conformance.cli"]


def _suite_environment() -> dict[str, str]:
    """The user's environment, with bytecode caching on.

    An installed package runs from compiled bytecode; with PYTHONDONTWRITEBYTECODE set (some
    shells and containers set it) an editable checkout is compiled from source again in every
    process, the controller and each worker: about 0.3 s of CPU each, which is no cost of the
    harness. The first run writes the caches (`__pycache__/`, ignored by git).
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def time_suite(label: str, extra: Sequence[str], runs: int) -> SuiteTiming:
    """Time the whole command, interpreter start-up included: that is what a user waits for."""
    timing = SuiteTiming(label)
    # An unmeasured run first, so that no measured run compiles the sources.
    with tempfile.TemporaryDirectory(prefix="conformance-bench-") as scratch:
        subprocess.run(
            [*_cli_command(), "run", "--scenario", "text_plain", *extra],
            cwd=scratch,
            capture_output=True,
            env=_suite_environment(),
            check=False,
        )
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="conformance-bench-") as scratch:
            command = [*_cli_command(), "run", "--report-dir", str(Path(scratch) / "reports")]
            start, cpu = time.perf_counter(), _children_cpu()
            done = subprocess.run(
                [*command, *extra],
                cwd=scratch,
                capture_output=True,
                text=True,
                env=_suite_environment(),
                check=False,
            )
            timing.seconds.append(time.perf_counter() - start)
            timing.cpu.append(_children_cpu() - cpu)
            timing.checks.append(_junit_checks(Path(scratch) / "reports"))
        timing.exit_codes.append(done.returncode)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
            print(f"warning: {label} exited {done.returncode}:\n{tail}", file=sys.stderr)
    return timing


# -- c: per-check overhead ----------------------------------------------------------------------


@dataclass
class CheckOverhead:
    checks: int
    #: Mean per check: the whole check, and the provider's own calls (its exchanges) within it.
    check_seconds: float
    exchange_seconds: float
    #: The same small request and answer with plain httpx, no provider and no check around it.
    loopback_seconds: float

    @property
    def overhead_seconds(self) -> float:
        return self.check_seconds - self.exchange_seconds


def measure_check_overhead(rounds: int) -> CheckOverhead:
    """Every bundled check of the one provider, run in this process as a worker runs it.

    A check's overhead is its wall time minus the time the provider spent in its own calls (its
    exchanges, deliberate server stalls included): building the provider, the session, the
    thread and loop, waiting for connections to close, judging, redacting.
    """
    from conformance.checks.runner import Case, ProviderUnderTest, run_case
    from conformance.scenarios import bundled_scenarios
    from conformance.vocabulary.spec import ProviderSpec

    target, dialect = ONE_PROVIDER, "openai-chat"
    put = ProviderUnderTest.load(ProviderSpec(target=target, dialect=dialect))
    turns: list[float] = []
    run_turn = put.profile.run_turn

    async def timed_turn(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await run_turn(*args, **kwargs)
        finally:
            turns.append(time.perf_counter() - start)

    put.profile.run_turn = timed_turn  # type: ignore[method-assign]
    cases = [
        Case(scenario, mode)
        for _, scenario in sorted(bundled_scenarios().items())
        for mode in scenario.modes
    ]
    walls: list[float] = []
    with FakeServer() as server:
        put.warm(f"{server.root_url}/c/warm{put.dialect.base_path}")
        for round_number in range(rounds + 1):  # round 0 warms imports and caches
            turns.clear()
            start = time.perf_counter()
            for case in cases:
                run_case(server, put, case)
            if round_number:
                walls.append(time.perf_counter() - start)
                exchanges = sum(turns)
        loopback = _loopback_seconds(server, bundled_scenarios()["text_plain"], rounds * 20)
    wall = statistics.median(walls)
    return CheckOverhead(len(cases), wall / len(cases), exchanges / len(cases), loopback)


def _loopback_seconds(server: FakeServer, scenario: Scenario, count: int) -> float:
    """The median plain exchange: one small chat request and its answer, httpx on loopback."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    body = {"model": scenario.request.model, "messages": [{"role": "user", "content": "Hi"}]}
    seconds = []
    with httpx.Client(timeout=10.0) as client:
        for _ in range(count):
            with server.session(scenario, OpenAIChatDialect(), API_KEY) as session:
                start = time.perf_counter()
                client.post(f"{session.base_url}/chat/completions", json=body, headers=headers)
                seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


# -- d: shrinking a failing property ---------------------------------------------------------------


@dataclass
class Shrinking:
    provider: str
    clause: str
    seconds: float
    examples: int
    failed: list[str]
    minimal: str


def measure_shrinking() -> list[Shrinking]:
    """The `ci` profile's search against each provider only a property catches, shrinking
    included (tests/known_bad/property_only.py): what a user waits for before the minimal
    example is printed."""
    sys.path.insert(0, str(HERE.parent))
    from conformance.checks.runner import ProviderUnderTest
    from conformance.properties import PROFILES, get_property, run_property
    from conformance.vocabulary.spec import ProviderSpec
    from tests.known_bad.property_only import PROPERTY_ONLY

    found = []
    with FakeServer() as server, tempfile.TemporaryDirectory() as scratch:
        for provider, dialect, prop, mode, clause in PROPERTY_ONLY:
            target = f"{provider.__module__}:{provider.__qualname__}"
            spec = ProviderSpec(target, dialect, label=provider.__name__, factory=provider)
            put = ProviderUnderTest.load(spec)
            put.warm(f"{server.root_url}/c/warm{put.dialect.base_path}")
            start = time.perf_counter()
            outcome = run_property(
                server,
                put,
                get_property(prop),
                mode,  # type: ignore[arg-type]
                profile=PROFILES["ci"],
                save_dir=Path(scratch),
            )
            facts = outcome.facts["property"]
            found.append(
                Shrinking(
                    provider.__name__,
                    clause,
                    time.perf_counter() - start,
                    facts["examples"],
                    sorted({v.clause for v in outcome.failures}),
                    Path(facts.get("regression", "(none)")).stem.split("-regression-")[-1],
                )
            )
    return found


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
    """The floor a Python client can reach: lines split by httpx, each event one json.loads; on
    httpx's async client, the transport the reference provider reads with (a fair comparison)."""

    async def main() -> Reading:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(timeout=60.0) as client:
            text: list[str] = []
            chunks = 0
            start = time.perf_counter()
            url = f"{base_url}/chat/completions"
            body = _body(scenario)
            async with client.stream("POST", url, json=body, headers=headers) as response:
                async for line in response.aiter_lines():
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

    return asyncio.run(main())


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
        Throughput(
            "fake server + plain httpx + json.loads (httpx, async; baseline)", read_httpx_json
        ),
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


#: Labels of the suite rows; the targets read their medians by label.
ONE_N1 = "one provider, one worker: `run --provider … -n 1`"
ONE_N1_NO_COVERAGE = "one provider, one worker, no coverage: `… -n 1 --no-provider-coverage`"
ONE_N2 = "one provider, default options on 2 CPUs: `run --provider … -n 2`"
BUNDLED = "every bundled reference provider: `run`"


@dataclass
class Measured:
    suite: list[SuiteTiming] = field(default_factory=list)
    overhead: CheckOverhead | None = None
    shrinking: list[Shrinking] = field(default_factory=list)
    parts: int = 0
    rounds: int = 0
    events: int = 0
    readers: list[Throughput] = field(default_factory=list)
    rendering: float | None = None

    def median(self, label: str) -> float | None:
        timing = next((t for t in self.suite if t.label == label and t.seconds), None)
        return statistics.median(timing.seconds) if timing else None

    def cpu(self, label: str) -> float | None:
        timing = next((t for t in self.suite if t.label == label and t.cpu), None)
        return statistics.median(timing.cpu) if timing else None

    def rate(self, needle: str) -> float | None:
        reader = next((r for r in self.readers if needle in r.label and r.seconds), None)
        return statistics.median(reader.events_per_second(self.events)) if reader else None


def _target_rows(m: Measured) -> list[tuple[str, str, str]]:
    """(target, measured, met) for each target of issue 14 this run measured."""
    rows: list[tuple[str, str, str]] = []

    def verdict(ok: bool) -> str:
        return "yes" if ok else "**no**"

    one, bundled = m.median(ONE_N2), m.median(BUNDLED)
    n1, bare = m.median(ONE_N1), m.median(ONE_N1_NO_COVERAGE)

    def cpu(label: str) -> str:
        seconds = m.cpu(label)
        return f" (CPU {_seconds(seconds)})" if seconds is not None else ""

    if one is not None:
        rows.append(
            (
                "one provider's whole suite, default options: ≤ 5 s",
                _seconds(one) + cpu(ONE_N2),
                verdict(one <= 5),
            )
        )
    if bundled is not None:
        rows.append(
            (
                "the bundled providers: ≤ 30 s",
                _seconds(bundled) + cpu(BUNDLED),
                verdict(bundled <= 30),
            )
        )
    if one is not None and n1 is not None:
        speedup = n1 / one
        rows.append(
            (
                "`-n 2` against `-n 1`, one provider: ≥ 1.6×",
                f"{speedup:.2f}×",
                verdict(speedup >= 1.6),
            )
        )
    if m.overhead is not None:
        ms = m.overhead.overhead_seconds * 1000
        rows.append(("per-check overhead: ≤ 10 ms on average", f"{ms:.1f} ms", verdict(ms <= 10)))
    if n1 is not None and bare is not None:
        cost = n1 / bare - 1
        with_cpu, bare_cpu = m.cpu(ONE_N1), m.cpu(ONE_N1_NO_COVERAGE)
        in_cpu = f" (CPU {with_cpu / bare_cpu - 1:+.0%})" if with_cpu and bare_cpu else ""
        rows.append(
            ("provider coverage adds ≤ 15 %", f"{cost:+.0%}{in_cpu}", verdict(cost <= 0.15))
        )
    alone, plain = m.rate("fake server alone"), m.rate("plain threaded server")
    if alone is not None and plain is not None:
        ratio = alone / plain
        rows.append(
            (
                "fake server, long stream, no fragmentation: ≥ 0.5× a plain server",
                f"{ratio:.2f}×",
                verdict(ratio >= 0.5),
            )
        )
    reference, baseline = m.rate("reference provider"), m.rate("baseline")
    if reference is not None and baseline is not None:
        ratio = reference / baseline
        rows.append(
            (
                "reference provider reads a long stream: ≥ 0.8× httpx + json.loads",
                f"{ratio:.2f}× (also benchmarks/bench_reader.py)",
                verdict(ratio >= 0.8),
            )
        )
    if m.shrinking:
        worst = max(m.shrinking, key=lambda s: s.seconds)
        rows.append(
            (
                "a failing property shrinks in ≤ 10 s",
                f"{_seconds(worst.seconds)} (slowest: {worst.provider})",
                verdict(worst.seconds <= 10),
            )
        )
    return rows


def render(*, date: str, quick: bool, measured: Measured) -> str:
    m = measured
    mode = "`python benchmarks/run.py --quick`" if quick else "`python benchmarks/run.py`"
    lines = [
        "# Benchmark results",
        "",
        f"Measured on {date} with {mode}. What each number means: benchmarks/README.md.",
        "",
        "| Machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine_facts()),
        f"| load average at the end | {_load_average()} |",
    ]
    targets = _target_rows(m)
    if targets:
        lines += [
            "",
            "## Targets (issue 14), from this run",
            "",
            "| Target | Measured | Met |",
            "|---|---|---|",
            *(f"| {target} | {value} | {ok} |" for target, value, ok in targets),
        ]
    if m.suite:
        lines += [
            "",
            "## Suite wall time, all bundled scenarios and checks",
            "",
            "`provider-conformance run --report-dir <tmp> …` as a subprocess, interpreter start-up "
            f"included; median of {len(m.suite[0].seconds)} run(s). CPU is user + system time of "
            "the command and its workers. Checks and their mean time "
            "come from the run's junit.xml (setup to teardown of each check, exchanges and the "
            "scenarios' deliberate stalls included).",
            "",
            "| Command | Median | Runs | CPU (median) | Exit codes | Checks | Mean per check |",
            "|---|---:|---|---:|---|---:|---:|",
        ]
    for timing in m.suite:
        runs = ", ".join(f"{s:.2f}" for s in timing.seconds)
        codes = ", ".join(str(c) for c in timing.exit_codes)
        count, total = timing.checks[-1] if timing.checks else (0, 0.0)
        mean = f"{total / count * 1000:.0f} ms" if count else "–"
        cpu = _seconds(statistics.median(timing.cpu)) if timing.cpu else "–"
        lines.append(
            f"| {timing.label} | {_seconds(statistics.median(timing.seconds))} | {runs} | {cpu} "
            f"| {codes} | {count} | {mean} |"
        )
    if m.overhead is not None:
        o = m.overhead
        lines += [
            "",
            "## Per-check overhead",
            "",
            f"The {o.checks} bundled checks of the OpenAI-compatible reference provider, run in "
            "one process on one fake server as a worker runs them (`run_case`), median of "
            f"{m.rounds} round(s) after a warm-up round. Overhead is a check's time minus the "
            "provider's own calls (its exchanges, deliberate stalls included).",
            "",
            "| Mean per check | |",
            "|---|---:|",
            f"| whole check | {o.check_seconds * 1000:.1f} ms |",
            f"| the provider's calls (exchanges) | {o.exchange_seconds * 1000:.1f} ms |",
            f"| **overhead** | **{o.overhead_seconds * 1000:.1f} ms** |",
            f"| for scale: one plain loopback exchange (httpx, small chat answer) | "
            f"{o.loopback_seconds * 1000:.1f} ms |",
        ]
    if m.shrinking:
        lines += [
            "",
            "## Shrinking a failing property",
            "",
            "Each provider only a property catches (tests/known_bad/property_only.py), the `ci` "
            "profile's search from its fixed seed, shrinking included, in one process: the time "
            "until the minimal example is saved. The minimal example is named by its content "
            "digest, so equal names are equal examples.",
            "",
            "| Provider | Clause | Time | Examples run | Clauses failed | Minimal example |",
            "|---|---|---:|---:|---|---|",
            *(
                f"| {s.provider} | {s.clause.replace('|', ' or ')} | {_seconds(s.seconds)} "
                f"| {s.examples} | {', '.join(s.failed)} | `{s.minimal}` |"
                for s in m.shrinking
            ),
        ]
    if m.readers:
        lines += _stream_lines(m)
    lines.append("")
    return "\n".join(lines)


def _load_average() -> str:
    try:
        return ", ".join(f"{value:.1f}" for value in os.getloadavg()) + " (1, 5, 15 min)"
    except OSError:
        return "unknown"


def _stream_lines(m: Measured) -> list[str]:
    readers, events = m.readers, m.events
    baseline = next((r for r in readers if "baseline" in r.label and r.seconds), None)
    base_rate = statistics.median(baseline.events_per_second(events)) if baseline else None
    lines = [
        "",
        "## Stream throughput, one long stream",
        "",
        f"One scenario of {m.parts:,} text deltas, {events:,} SSE events on the wire (role chunk, "
        "deltas, finish chunk, usage chunk, `[DONE]`), played by one in-process FakeServer to "
        f"each reader in turn; median of {m.rounds} round(s) after a warm-up round. Events/s is "
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
        if m.rendering is not None:
            lines.append(
                f"Of the fake server's {_seconds(statistics.median(alone.seconds))}, rendering "
                f"the stream (the dialect, no socket) takes {_seconds(m.rendering)}; the plain "
                "server writes bytes rendered once."
            )
    return lines


SECTIONS = ("suite", "checks", "shrink", "streams")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one suite run, fewer stream rounds")
    parser.add_argument("--parts", type=int, default=5000, help="text deltas in the long stream")
    parser.add_argument("--output", type=Path, default=RESULTS, help="default: %(default)s")
    parser.add_argument(
        "--streams-only", action="store_true", help="only the stream throughput (no suite runs)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="measure only this part (repeatable); default: all of them",
    )
    args = parser.parse_args(argv)
    sections = set(args.only or (["streams"] if args.streams_only else SECTIONS))

    suite_runs, rounds = (1, 2) if args.quick else (3, 5)
    started = time.perf_counter()
    one = ["--provider", ONE_PROVIDER, "--dialect", "openai-chat"]
    m = Measured(parts=args.parts, rounds=rounds)
    if "suite" in sections:
        m.suite = [
            time_suite(ONE_N1, [*one, "-n", "1"], suite_runs),
            time_suite(ONE_N1_NO_COVERAGE, [*one, "-n", "1", "--no-provider-coverage"], suite_runs),
            time_suite(ONE_N2, [*one, "-n", "2"], suite_runs),
            time_suite(BUNDLED, [], suite_runs),
        ]
    if "checks" in sections:
        m.overhead = measure_check_overhead(rounds)
    if "shrink" in sections:
        m.shrinking = measure_shrinking()
    if "streams" in sections:
        m.events, m.readers = measure_streams(args.parts, rounds)
        m.rendering = time_rendering(args.parts, rounds)
    report = render(date=datetime.date.today().isoformat(), quick=args.quick, measured=m)
    print(report)
    args.output.write_text(report, encoding="utf-8")
    print(
        f"(written to {args.output}; benchmark took {time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    failed = any(code != 0 for timing in m.suite for code in timing.exit_codes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
