"""The Judge's contract: limits, stop on first failure, comparison modes, busy queue, errors, health, CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from judge import Judge, JudgeBusy, LanguageUnavailable, TestCase, Verdict
from judge.process_backend import NOBODY, ProcessBackend
from judge.sandbox import SandboxError

from .conftest import judge_settings

REPO = Path(__file__).resolve().parents[2]
SQUARE = "n = float(input())\nprint(n * n)"


async def test_run_reports_measurements(process_judge: Judge) -> None:
    result = await process_judge.run("python", "import sys\nprint(sys.stdin.read().upper(), end='')", "abc\n")
    assert (result.verdict, result.stdout, result.exit_code, result.truncated) == (Verdict.accepted, "ABC\n", 0, False)
    assert result.time_ms is not None and result.wall_time_ms is not None and result.memory_kb > 0


SPREAD_CPU = """import os, time
for _ in range(4):
    if os.fork() == 0:
        while True:
            pass
time.sleep(60)
"""


async def test_time_limit_counts_every_process_of_the_sandbox(judge: Judge) -> None:
    """CPU spread over child processes counts against the limit: killed near 1 s of CPU, not at the wall limit
    (3 s, by which four busy children had burnt up to 6 s of CPU)."""
    result = await judge.run("python", SPREAD_CPU, time_limit_ms=1000)
    assert result.verdict == Verdict.time_limit_exceeded
    assert result.time_ms < 1600, result


async def test_stop_on_first_failure(process_judge: Judge) -> None:
    cases = [TestCase(input="2", expected_output="5"), TestCase(input="3", expected_output="9.0")]
    result = await process_judge.judge("python", SQUARE, cases, stop_on_first_failure=True)
    assert (result.verdict, result.passed, result.total, len(result.results)) == (Verdict.wrong_answer, 0, 2, 1)
    full = await process_judge.judge("python", SQUARE, cases)
    assert [r.verdict for r in full.results] == [Verdict.wrong_answer, Verdict.accepted]


async def test_float_and_token_comparison(process_judge: Judge) -> None:
    cases = [TestCase(input="0.1", expected_output="0.01"), TestCase(input="3", expected_output="9.000001")]
    exact = await process_judge.judge("python", SQUARE, cases)
    close = await process_judge.judge("python", SQUARE, cases, comparison="float", abs_tol=1e-5)
    assert exact.passed == 0 and close.verdict is Verdict.accepted
    spaced = [TestCase(input="", expected_output="1\n2 3")]
    tokens = await process_judge.judge("python", "print(1, 2, 3)", spaced, comparison="tokens")
    assert tokens.verdict is Verdict.accepted


async def test_compilation_error_keeps_compiler_output(process_judge: Judge) -> None:
    result = await process_judge.judge("c", "int main(void) { return x; }", [TestCase(expected_output="")])
    assert (result.verdict, result.passed, result.results) == (Verdict.compilation_error, 0, [])
    assert "x" in result.compile_output and "error" in result.compile_output


async def test_program_killing_its_supervisor_is_its_fault(judge: Judge) -> None:
    code = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    result = await judge.judge("python", code, [TestCase(expected_output="")] * 2)
    assert (result.verdict, result.passed, result.total, len(result.results)) == (Verdict.runtime_error, 0, 2, 1)
    assert "supervisor" in result.results[0].stderr


async def test_limits_are_clamped() -> None:
    judge = Judge(judge_settings(judge_max_time_ms=300, judge_pool_size=0), "process")
    await judge.start()
    try:
        result = await judge.run("python", "while True: pass", time_limit_ms=10**9)
    finally:
        await judge.close()
    assert result.verdict is Verdict.time_limit_exceeded
    assert result.time_ms <= 300 + 500


async def test_async_progress_callback(process_judge: Judge) -> None:
    seen = []

    async def on_progress(progress) -> None:
        await asyncio.sleep(0)
        seen.append(progress.done)

    cases = [TestCase(input="1", expected_output="1.0")] * 3
    await process_judge.judge("python", SQUARE, cases, on_progress=on_progress)
    assert seen == [1, 2, 3]


async def test_progress_interval_spaces_the_reports(process_judge: Judge) -> None:
    slow = "import time\ntime.sleep(0.1)\n" + SQUARE
    cases = [TestCase(input="1", expected_output="1.0")] * 6
    seen: list[tuple[float, int]] = []
    started = time.monotonic()
    result = await process_judge.judge(
        "python", slow, cases, on_progress=lambda p: seen.append((time.monotonic(), p.done)), progress_interval=0.25
    )
    assert result.passed == 6
    # Six cases of over 0.1 s: reports come one interval apart at least, the first one interval after the call.
    assert 1 <= len(seen) < 6 and seen[0][0] - started >= 0.25
    assert all(later - earlier > 0.23 for (earlier, _), (later, _) in itertools.pairwise(seen))  # delivery jitter
    assert [done for _, done in seen] == sorted({done for _, done in seen})


async def test_unknown_and_missing_languages(process_judge: Judge, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LanguageUnavailable, match="unknown language"):
        await process_judge.run("cobol", "")
    monkeypatch.setattr("judge.process_backend.host_tool", lambda name: None if name == "rustc" else "/usr/bin/x")
    reason = process_judge.backend.language_unavailable_reason("rust")
    assert reason == "rust is not available on this server: rustc not installed"
    monkeypatch.setitem(process_judge.backend.languages, "rust", reason)  # as found at start-up
    with pytest.raises(LanguageUnavailable, match=reason):
        await process_judge.run("rust", "fn main() {}")
    assert (await process_judge.health())["languages"]["rust"] == reason


async def test_busy_when_queue_is_full() -> None:
    judge = Judge(judge_settings(judge_workers=1, judge_queue_size=1, judge_pool_size=1), "process")
    await judge.start()
    try:
        slow = [judge.run("python", "import time\ntime.sleep(0.5)") for _ in range(3)]
        outcomes = await asyncio.gather(*slow, return_exceptions=True)
    finally:
        await judge.close()
    assert sum(isinstance(o, JudgeBusy) for o in outcomes) == 1
    assert sum(getattr(o, "verdict", None) is Verdict.accepted for o in outcomes) == 2


async def test_admit_refuses_at_once_when_the_queue_is_full() -> None:
    """Admission needs no turn of the event loop: a full queue refuses before any await, a release frees a place."""
    judge = Judge(judge_settings(judge_workers=1, judge_queue_size=1, judge_pool_size=0), "process")
    await judge.start()
    try:
        tickets = [judge.admit("python"), judge.admit("python")]
        assert judge.load() == {"running": 1, "queued": 1}
        with pytest.raises(JudgeBusy):
            judge.admit("python")
        with pytest.raises(JudgeBusy):  # a call given no ticket admits itself, and is refused the same way
            await judge.run("python", "print(1)")
        tickets[0].release()
        tickets[0].release()  # twice is harmless: it frees one place only
        assert judge.load() == {"running": 1, "queued": 0}
        with pytest.raises(ValueError):  # a released ticket serves no call
            await judge.run("python", "print(1)", ticket=tickets[0])
        result = await judge.run("python", "print(1)", ticket=tickets[1])
        assert result.verdict is Verdict.accepted and judge.load()["running"] == 1  # the holder releases it
        tickets[1].release()
        await asyncio.wait_for(judge.until_idle(), 1)
        with pytest.raises(LanguageUnavailable):
            judge.admit("cobol")
        assert judge.load() == {"running": 0, "queued": 0}
    finally:
        await judge.close()


def test_limits_default_and_clamp() -> None:
    judge = Judge(judge_settings(judge_max_time_ms=3000, judge_max_memory_mb=512))  # no backend needed
    assert judge.limits() == (3000, 256)  # the 5 s default, within the settings' maximum
    assert judge.limits(0, 4) == (1, 16) and judge.limits(10**6, 10**6) == (3000, 512)
    assert judge.limits(None, None, cap=(1000, 64)) == (1000, 64)  # a problem's limits: the defaults...
    assert judge.limits(2000, 128, cap=(1000, 64)) == (1000, 64)  # ...and the ceilings
    assert judge.limits(500, 32, cap=(1000, 64)) == (500, 32)


async def test_sandbox_failure_is_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    judge = Judge(judge_settings(judge_pool_size=0), "process")
    await judge.start()

    def broken_spawn():
        raise SandboxError("bwrap exploded")

    monkeypatch.setattr(judge.backend.pool, "_spawn", broken_spawn)
    try:
        result = await judge.run("python", "print(1)")
        submission = await judge.judge("python", "print(1)", [TestCase(expected_output="1")])
    finally:
        await judge.close()
    assert result.verdict is Verdict.internal_error and submission.verdict is Verdict.internal_error


@pytest.mark.skipif(os.geteuid() != 0, reason="only a server run as root drops its sandboxes to nobody")
def test_root_starts_sandboxes_as_nobody() -> None:
    """No groups, no capabilities; through setpriv when installed (Popen's own user switch rules out vfork)."""
    backend = ProcessBackend(1, 64)
    assert backend.popen == ({} if shutil.which("setpriv") else {"user": NOBODY, "group": NOBODY, "extra_groups": []})
    session = backend.spawn()
    try:
        session.start({})  # the supervisor answers: bwrap is running
        status = dict(
            line.split(":\t", 1) for line in Path(f"/proc/{session.process.pid}/status").read_text().splitlines()
        )
    finally:
        session.destroy()
    assert status["Uid"].split() == status["Gid"].split() == [str(NOBODY)] * 4
    assert status["Groups"].strip() == "" and int(status["CapEff"], 16) == int(status["CapPrm"], 16) == 0


IDLE_PROBE = """import os
print(os.sched_getscheduler(0) == os.SCHED_IDLE)
try:
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    print("raised its priority")
except PermissionError:
    print("stays idle")
"""


async def test_sandboxed_programs_run_at_idle_priority(judge: Judge) -> None:
    """The server and its database come first; a program cannot take its normal priority back."""
    result = await judge.run("python", IDLE_PROBE, "")
    assert result.stdout.split() == ["True", "stays", "idle"], result


async def test_health(process_judge: Judge) -> None:
    health = await process_judge.health()
    assert health["backend"] == "process" and health["status"] == "ok"
    assert set(health["languages"]) == {"python", "javascript", "typescript", "java", "cpp", "c", "go", "rust"}


def test_cli_run(tmp_path: Path) -> None:
    source = tmp_path / "main.py"
    source.write_text("print(input()[::-1])")
    stdin = tmp_path / "in.txt"
    stdin.write_text("abc\n")
    command = [
        sys.executable,
        "-m",
        "judge",
        "run",
        "--language",
        "python",
        "--file",
        str(source),
        "--stdin",
        str(stdin),
        "--sandbox",
        "process",
    ]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(completed.stdout)
    assert (result["verdict"], result["stdout"]) == ("accepted", "cba\n")


@pytest.mark.docker
async def test_docker_pool_reuses_containers_and_removes_them() -> None:
    from .conftest import started_judge

    judge = await started_judge("docker")
    backend = judge.backend
    label = {"label": f"org.syncode.judge={backend.instance}"}
    seen: set[str] = set()

    async def pool_full() -> None:  # warm (at start) or wiped and back (after a run)
        for _ in range(200):
            if backend.pool.ready == judge.settings.judge_pool_size:
                return
            await asyncio.sleep(0.05)

    try:
        await pool_full()
        for _ in range(4):
            assert (await judge.run("python", "print(1)")).verdict is Verdict.accepted
            await pool_full()
            containers = await asyncio.to_thread(backend.client.containers.list, filters=label)
            seen |= {c.id for c in containers}
        assert len(seen) == judge.settings.judge_pool_size  # the same warm containers served every run
    finally:
        await judge.close()
    assert await asyncio.to_thread(backend.client.containers.list, all=True, filters=label) == []
