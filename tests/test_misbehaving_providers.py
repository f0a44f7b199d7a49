"""The misbehaving-provider catalogue (issue #12): each provider that exits, crashes, hangs,
spins, hogs memory, floods the output or leaves threads behind gets its expected outcome, none is
ever reported as conforming, and none takes the run down.

The first part runs checks in this process through `run_case` (fast); the second runs
`provider-conformance run` in a subprocess with worker processes, as a user does.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from known_bad import misbehaving as bad

from conformance import Case, FakeServer, ProviderSpec, ProviderUnderTest, bundled_scenarios
from conformance.checks import deadline, runner, starvation, watchdog
from conformance.checks.runner import CaseOutcome, run_case
from conformance.judge import judge_faults
from conformance.server.session import Exchange
from conformance.vocabulary.observation import (
    Observation,
    ObservedChunk,
    ObservedError,
    TurnObservation,
)

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer() as running:
        yield running


@pytest.fixture
def released() -> Iterator[None]:
    """Blocking providers are released after the test, so no thread outlives it."""
    bad.RELEASE.clear()
    yield
    bad.RELEASE.set()
    watchdog.forget()


@pytest.fixture
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadline, "_CANCEL_GRACE", 0.05)


def _put(cls: type) -> ProviderUnderTest:
    return ProviderUnderTest.load(
        ProviderSpec(target="x:y", dialect="openai-chat", label=cls.__name__, factory=cls)
    )


def _check(server: FakeServer, cls: type, mode: str = "chat", **options: Any) -> CaseOutcome:
    case = Case(bundled_scenarios()["text_plain"], mode)  # type: ignore[arg-type]
    return run_case(server, _put(cls), case, **options)


def _failing(outcome: CaseOutcome) -> dict[str, str]:
    return {v.clause: v.message for v in outcome.failures}


# -- in this process: process-ending exceptions and hangs


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (bad.RaisesSystemExit, "SystemExit"),
        (bad.RaisesKeyboardInterrupt, "KeyboardInterrupt"),
        (bad.RaisesGeneratorExit, "GeneratorExit"),
    ],
)
@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_a_process_ending_exception_fails_er8_and_the_run_goes_on(
    server: FakeServer, cls: type, name: str, mode: str
) -> None:
    outcome = _check(server, cls, mode)
    assert not outcome.ok
    assert name in _failing(outcome)["ER-8"]


@pytest.mark.parametrize("cls", [bad.SystemExitInATask, bad.ExitsInConstructor])
def test_a_process_ending_exception_outside_the_turn_fails_er8(
    server: FakeServer, cls: type
) -> None:
    outcome = _check(server, cls)
    assert "SystemExit" in _failing(outcome)["ER-8"]
    assert outcome.incomplete is None


def test_a_hang_is_blamed_on_er4_and_the_scenario_clause_is_not_passed(
    server: FakeServer, short_grace: None, released: None
) -> None:
    outcome = _check(server, bad.BlocksForever, check_timeout=0.2)
    failing = _failing(outcome)
    assert "did not finish within 0.2 s" in failing["ER-4"]
    judged = {v.clause: v.outcome for v in outcome.verdicts}
    assert judged.get("CH-1") != "pass"
    assert "ER-1" not in failing
    assert watchdog.poisoned()  # the worker would be recycled after this check


def test_a_spinning_provider_is_stopped_at_its_deadline(
    server: FakeServer, short_grace: None, released: None
) -> None:
    outcome = _check(server, bad.Spins, "stream", check_timeout=0.2)
    assert "ER-4" in _failing(outcome)
    judged = {v.clause: v.outcome for v in outcome.verdicts}
    assert judged.get("ST-1") != "pass"


def test_a_provider_that_stops_the_loop_fails_er8(server: FakeServer) -> None:
    outcome = _check(server, bad.StopsTheLoop)
    assert "stopped the event loop" in _failing(outcome)["ER-8"]
    assert outcome.error is None


def test_a_task_that_ignores_cancellation_fails_rs1_and_the_answer_is_still_judged(
    server: FakeServer, short_grace: None, released: None
) -> None:
    outcome = _check(server, bad.LeavesAStubbornTask, check_timeout=2)
    assert "tasks that ignore cancellation" in _failing(outcome)["RS-1"]
    judged = {v.clause: v.outcome for v in outcome.verdicts}
    assert judged["CH-1"] == "pass"  # the answer was complete: judged, not blamed on ER-4
    assert "ER-4" not in _failing(outcome)
    assert watchdog.poisoned()


def test_a_process_ending_exception_in_a_resilience_check_fails_er8(server: FakeServer) -> None:
    from conformance.resilience import CHECKS_BY_NAME, run_resilience_check
    from reference_providers.resilient_provider import ResilientOpenAIProvider

    class ExitsWhileRetrying(ResilientOpenAIProvider):
        async def chat(self, *args: Any, **kwargs: Any) -> Any:
            raise SystemExit(5)

    check = CHECKS_BY_NAME["re1_retry_until_success"]
    outcome = run_resilience_check(server, _put(ExitsWhileRetrying), check, "chat")
    assert "SystemExit(5)" in _failing(outcome)["ER-8"]
    assert outcome.error is None


# -- verdicts independent of machine load (simulated harness lag)


def test_a_hang_while_the_harness_is_starved_is_tried_again_then_inconclusive(
    server: FakeServer, short_grace: None
) -> None:
    with starvation.simulated([0.8]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 2  # tried once more
    assert not outcome.failures
    (verdict,) = outcome.inconclusive
    assert verdict.clause == "ER-4"
    assert "starved by 800 ms" in verdict.message


def test_a_hang_confirmed_with_the_harness_on_time_is_the_providers(
    server: FakeServer, short_grace: None
) -> None:
    with starvation.simulated([0.8, 0.0]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 2
    assert "ER-4" in _failing(outcome)
    assert not outcome.inconclusive


def test_a_slow_first_try_under_load_is_not_the_providers_failure(
    server: FakeServer, short_grace: None
) -> None:
    bad.SlowOnlyOnce.calls = 0
    with starvation.simulated([0.8, 0.0]):
        outcome = _check(server, bad.SlowOnlyOnce, check_timeout=0.5)
    assert outcome.ok, outcome.failure_text()
    assert any("Tried twice" in note for note in outcome.notes)


def test_a_property_example_that_stays_inconclusive_keeps_the_property_unsettled(
    server: FakeServer, short_grace: None
) -> None:
    from conformance.properties import PROPERTIES, run_property
    from conformance.properties.settings import property_profile

    answers = next(p for p in PROPERTIES if p.name == "answers")
    bad.SlowTwice.calls = 0
    with starvation.simulated([0.8]):
        outcome = run_property(
            server,
            _put(bad.SlowTwice),
            answers,
            "chat",
            profile=property_profile("dev"),
            seed=1,
            check_timeout=0.2,
        )
    assert not outcome.failures
    assert [v.clause for v in outcome.inconclusive] == ["ER-4"]


def test_a_process_ending_exception_while_a_property_builds_the_provider_fails_er8(
    server: FakeServer,
) -> None:
    from conformance.properties import PROPERTIES, run_property
    from conformance.properties.settings import property_profile

    answers = next(p for p in PROPERTIES if p.name == "answers")
    outcome = run_property(
        server, _put(bad.ExitsInConstructor), answers, "chat", profile=property_profile("dev")
    )
    assert "SystemExit(no config file found)" in _failing(outcome)["ER-8"]


def test_without_lag_a_hang_is_never_retried(server: FakeServer, short_grace: None) -> None:
    with starvation.simulated([0.0]) as handed:
        outcome = _check(server, bad.AwaitsForever, check_timeout=0.1)
    assert len(handed) == 1
    assert "ER-4" in _failing(outcome)


def _record(scenario: str, mode: str, turn: TurnObservation, lag: float, **extra: Any) -> Any:
    from conformance.dialects import get_dialect
    from conformance.judge import CaseRecord

    observation = Observation(mode=mode, turns=[turn], harness_lag=lag)  # type: ignore[arg-type]
    return CaseRecord(
        scenario=bundled_scenarios()[scenario],
        mode=mode,  # type: ignore[arg-type]
        observation=observation,
        exchanges=extra.get("exchanges", ()),
        dialect=get_dialect("openai-chat"),
        api_key="sk-x",
        declared=frozenset({"streaming"}),
        provider_timeout=0.4,
    )


@pytest.mark.parametrize(("lag", "outcome"), [(0.6, "inconclusive"), (0.0, "fail")])
def test_er4_a_stall_reported_late_under_a_starved_harness_is_inconclusive(
    lag: float, outcome: str
) -> None:
    """Issue #11.12: "the stall was reported after 2.09 s; the provider was built with
    timeout=0.4 s" on a loaded machine is not the provider's failure."""
    error = ObservedError("x.Timeout", "timeout", None, None, None, "p", "stalled", None, "")
    turn = TurnObservation(mode="chat", error=error, started=10.0, ended=12.09)
    (verdict,) = [
        v
        for v in judge_faults(_record("fault_stall_before_headers", "chat", turn, lag))
        if v.clause == "ER-4"
    ]
    assert (verdict.clause, verdict.outcome) == ("ER-4", outcome)
    assert "reported after 2.09 s" in verdict.message
    assert ("starved by 600 ms" in verdict.message) == (outcome == "inconclusive")


def test_er4_a_wrong_category_fails_even_under_a_starved_harness() -> None:
    error = ObservedError("x.Error", "network", None, None, None, "p", "stalled", None, "")
    turn = TurnObservation(mode="chat", error=error, started=10.0, ended=12.09)
    (verdict,) = [
        v
        for v in judge_faults(_record("fault_stall_before_headers", "chat", turn, 0.6))
        if v.clause == "ER-4"
    ]
    assert verdict.outcome == "fail"


@pytest.mark.parametrize(("lag", "outcome"), [(0.6, "inconclusive"), (0.0, "fail")])
def test_st4_text_yielded_late_under_a_starved_harness_is_inconclusive(
    lag: float, outcome: str
) -> None:
    exchange = Exchange(
        request=None,  # type: ignore[arg-type]
        response=None,  # type: ignore[arg-type]
        endpoint=None,
        turn=0,
        written_at=[1.0, 1.1, 1.5, 1.6],
        held_after_piece=1,
    )
    turn = TurnObservation(mode="stream", chunks=[ObservedChunk(text="Hel", at=1.8)])
    record = _record("stream_incremental_delivery", "stream", turn, lag, exchanges=(exchange,))
    verdicts = {v.clause: v for v in judge_faults(record)}
    assert verdicts["ST-4"].outcome == outcome


def test_the_lag_measure_sees_a_blocked_server_loop(server: FakeServer) -> None:
    """The real probe: a callback that blocks the server's loop shows up as lag."""
    import asyncio
    import time

    window = starvation.open_window(server)
    loop = server._loop
    assert loop is not None
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(timeout=5)
    loop.call_soon_threadsafe(time.sleep, 0.3)  # the harness's own loop, starved
    deadline = time.monotonic() + 5
    while window.worst() < 0.25 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert window.worst() >= 0.25


# -- as a user runs it: `provider-conformance run` with worker processes

#: Loaded into the run with PYTEST_PLUGINS: writes every outcome the controller receives (the
#: `conformance` attribute of the test reports, what the reports are built from) as JSON lines.
_DUMP_PLUGIN = """
import json, os

def pytest_runtest_logreport(report):
    outcome = getattr(report, "conformance", None)
    if outcome is not None and "PYTEST_XDIST_WORKER" not in os.environ:
        with open(os.environ["OUTCOMES_FILE"], "a", encoding="utf-8") as out:
            out.write(json.dumps(outcome) + "\\n")
"""


class Run:
    def __init__(self, result: subprocess.CompletedProcess[str], outcomes: list[dict[str, Any]]):
        self.result = result
        self.outcomes = outcomes

    @property
    def code(self) -> int:
        return self.result.returncode

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def outcome(self, scenario: str, mode: str) -> dict[str, Any]:
        found = [o for o in self.outcomes if o["scenario"] == scenario and o["mode"] == mode]
        assert len(found) == 1, (scenario, mode, self.outcomes, self.output)
        return found[0]

    def assert_never_conforms(self) -> None:
        """Every check of the scenario was judged failing, or is incomplete: never a pass."""
        checks = [o for o in self.outcomes if o["scenario"] != "identity"]
        assert checks, self.output
        for outcome in checks:
            failing = [v for v in outcome["verdicts"] if v["outcome"] == "fail"]
            assert failing or outcome["incomplete"], outcome
        assert self.code != 0, self.output


def _run(
    tmp_path: Path,
    target: str,
    *options: str,
    env: dict[str, str] | None = None,
    scenarios=("text_plain",),
) -> Run:
    (tmp_path / "dump_outcomes.py").write_text(_DUMP_PLUGIN, encoding="utf-8")
    outcomes = tmp_path / "outcomes.jsonl"
    # Not the outer run's PYTEST_* variables: under pytest-xdist they would tell the inner run's
    # controller that it is a worker.
    outer = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment = {
        **outer,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(TESTS)]),
        "PYTEST_PLUGINS": "dump_outcomes",
        "OUTCOMES_FILE": str(outcomes),
        **(env or {}),
    }
    command = [sys.executable, "-m", "conformance.cli", "run", "--provider"]
    target = target if ":" in target else f"known_bad.misbehaving:{target}"
    command += [target, "--no-properties", "--no-provider-coverage"]
    command += ["--report-dir", "out", "--progress", "off"]
    for name in scenarios:
        command += ["--scenario", name]
    result = subprocess.run(
        [*command, *options],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = outcomes.read_text(encoding="utf-8").splitlines() if outcomes.exists() else []
    return Run(result, [json.loads(line) for line in lines])


@pytest.mark.parametrize(
    ("cls", "named"),
    [
        ("CallsOsExit", "the provider called os._exit(3)"),
        ("Segfaults", "the provider crashed the worker with SIGSEGV"),
        ("Aborts", "the provider crashed the worker with SIGABRT"),
        ("KilledLikeOutOfMemory", "the worker was killed with SIGKILL (the out-of-memory killer"),
    ],
)
def test_a_crash_costs_only_its_check_and_is_named(tmp_path: Path, cls: str, named: str) -> None:
    run = _run(tmp_path, cls, "-n", "1")
    for mode in ("chat", "stream"):  # every check crashed its worker; each was replaced
        incomplete = run.outcome("text_plain", mode)["incomplete"]
        assert incomplete["kind"] == "crashed"
        assert named in incomplete["reason"]
    assert run.outcome("identity", "none")["verdicts"]  # the check that did not crash, judged
    assert (tmp_path / "out" / "compatibility.json").is_file()
    run.assert_never_conforms()


def test_a_hanging_provider_costs_its_checks_and_the_worker_is_recycled(tmp_path: Path) -> None:
    run = _run(
        tmp_path,
        "BlocksForever",
        "-n",
        "1",
        "--check-timeout",
        "0.5",
        scenarios=("text_plain", "error_401"),
    )
    for scenario in ("text_plain", "error_401"):
        for mode in ("chat", "stream"):
            outcome = run.outcome(scenario, mode)
            failing = {v["clause"] for v in outcome["verdicts"] if v["outcome"] == "fail"}
            assert "ER-4" in failing, outcome
            assert outcome["incomplete"] is None
    assert run.code == 1, run.output
    assert "provider-conformance: recycling worker gw0: test_scenario[" in run.output
    run.assert_never_conforms()


def test_the_run_deadline_ends_the_run_with_a_report_and_exit_3(tmp_path: Path) -> None:
    run = _run(
        tmp_path,
        "BlocksForever",
        "-n",
        "1",
        "--check-timeout",
        "60",
        "--run-timeout",
        "3",
        scenarios=("text_plain", "error_401"),
    )
    assert run.code == 3, run.output
    assert "deadline passed (--run-timeout 3.0 s)" in run.output
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    assert report["run"]["status"] == "deadline"
    # On a machine so loaded that the deadline passed before the plan was made, nothing was
    # planned; otherwise fewer checks were judged than planned. Either way nothing conforms.
    assert report["run"]["planned"] == 0 or report["run"]["judged"] < report["run"]["planned"]
    assert not any(provider["conforms"] for provider in report["providers"])
    # The check in flight when the deadline passed is "deadline", never a pass or a failure. On a
    # heavily loaded machine the deadline can pass while the worker is still starting: then no
    # check was in flight, and every planned check is simply not judged.
    kinds = {o["incomplete"]["kind"] for o in run.outcomes if o["incomplete"]}
    assert kinds <= {"deadline"}
    assert (tmp_path / "out" / "junit.xml").is_file()


def test_the_run_deadline_in_process_still_writes_the_report(tmp_path: Path) -> None:
    """-n 0 is unprotected, but the deadline holds: the check in progress ends at its own
    timeout (a true ER-4 failure, so exit 1 wins over 3), then the run stops, incomplete."""
    run = _run(
        tmp_path,
        "AwaitsForever",
        "-n",
        "0",
        "--check-timeout",
        "1",
        "--run-timeout",
        "0.5",
        scenarios=("text_plain", "error_401"),
    )
    # The check in progress ends at its own timeout (ER-4, exit 1); on a heavily loaded machine
    # the run's deadline can pass before the first check starts (nothing judged, exit 3).
    assert run.code in (1, 3), run.output
    assert len(run.outcomes) < 5  # identity and four scenario checks were planned
    report = json.loads((tmp_path / "out" / "compatibility.json").read_text(encoding="utf-8"))
    assert report["run"]["status"] == "deadline"
    # On a machine so loaded that the deadline passed before the provider was even loaded, the
    # report lists no provider (as in the sibling test above); either way nothing conforms.
    assert not any(provider["conforms"] for provider in report["providers"])


def test_a_ctrl_c_ends_the_run_with_a_report_and_exit_3(tmp_path: Path) -> None:
    """A KeyboardInterrupt in the main thread (Ctrl-C) interrupts the run: the reports are
    written, and the run says it is incomplete."""
    run = _run(tmp_path, "SendsCtrlC", "-n", "0")
    assert run.code == 3, run.output
    assert (tmp_path / "out" / "compatibility.json").is_file()
    assert all(o["scenario"] != "text_plain" for o in run.outcomes)  # it never finished


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf"])
def test_a_run_timeout_that_is_not_a_positive_number_is_a_usage_error(
    tmp_path: Path, value: str
) -> None:
    run = _run(tmp_path, "RaisesSystemExit", "-n", "0", f"--run-timeout={value}")
    assert run.code == 2, run.output
    assert "--run-timeout" in run.output


@pytest.mark.parametrize("workers", ["0", "1"])
def test_a_leftover_thread_never_keeps_the_process_alive(tmp_path: Path, workers: str) -> None:
    run = _run(
        tmp_path,
        "LeavesAThread",
        "-n",
        workers,
        env={"CONFORMANCE_TEST_LEFTOVER": "1"},
    )
    assert "thread(s) left running by the provider (leftover-refresher" in run.output
    run.assert_never_conforms()


def test_a_memory_hog_under_a_limit_costs_its_check_only(tmp_path: Path) -> None:
    run = _run(tmp_path, "HogsMemory", "-n", "1", "--memory-limit", "600")
    for mode in ("chat", "stream"):
        outcome = run.outcome("text_plain", mode)
        assert any("MemoryError" in v["message"] for v in outcome["verdicts"]), outcome
    run.assert_never_conforms()


def test_megabytes_of_provider_output_do_not_reach_the_runs_output(tmp_path: Path) -> None:
    run = _run(tmp_path, "FloodsTheOutput", "-n", "1")
    assert len(run.output) < 300_000  # the provider printed 4 MiB per check
    assert "more characters of output not shown" in run.output
    run.assert_never_conforms()


def test_workers_that_die_before_any_check_stop_the_run_with_exit_3(tmp_path: Path) -> None:
    run = _run(tmp_path, "known_bad.exits_in_worker_on_import:ImportedProvider", "-n", "1")
    assert run.code == 3, run.output
    assert "died before finishing a check (last: the worker exited with status 7)" in run.output
    assert not run.outcomes


def test_a_real_ctrl_c_still_interrupts_a_check() -> None:
    """KeyboardInterrupt raised by provider code is the provider's (ER-8); one delivered to the
    main thread, as Ctrl-C is, interrupts the run."""
    import _thread

    started = threading.Event()

    async def blocks() -> None:
        started.set()
        await asyncio.sleep(30)

    def interrupt() -> None:
        started.wait(5)
        _thread.interrupt_main()

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        runner.run_with_deadline(blocks, 30)


def test_the_plugin_loads_without_pytest_xdist(tmp_path: Path) -> None:
    """Its pytest-xdist hooks are optional: `-p no:xdist` runs the checks in-process."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "--provider",
            "reference_providers.openai_compatible:OpenAICompatibleProvider",
            "--scenario",
            "text_plain",
            "--no-properties",
            "-q",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("exit_code", "fault", "returncode", "named"),
    [
        ("3", "", 0, "the provider called os._exit(3)"),
        ("", "Fatal Python error: Bus error\n", -7, "the provider crashed the worker with SIGBUS"),
        ("", "", -11, "the provider crashed the worker with SIGSEGV"),
        ("", "", -9, "the worker was killed with SIGKILL (the out-of-memory killer"),
        ("", "", 5, "the worker exited with status 5"),
        ("", "", None, "the worker process ended unexpectedly"),
    ],
)
def test_what_a_dead_worker_left_behind_names_the_cause(
    tmp_path: Path, exit_code: str, fault: str, returncode: int | None, named: str
) -> None:
    from conformance.isolation.forensics import WorkerFiles

    files = WorkerFiles(tmp_path, "gw3")
    if exit_code:
        files.exit.write_text(exit_code, encoding="utf-8")
    if fault:
        files.fault.write_text(fault, encoding="utf-8")
    assert named in files.cause(returncode)


def test_captured_output_sections_are_capped() -> None:
    from conformance.isolation import workers

    flood = "x" * (workers.SECTION_LIMIT + 10)
    capped = workers._cap(flood)
    assert capped.startswith("x" * workers.SECTION_LIMIT)
    assert capped.endswith("[... 10 more characters of output not shown]")
    assert workers._cap("short") == "short"
