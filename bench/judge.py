"""Judge latency and throughput, per backend, against the same programs run bare on this host.

    .venv/bin/python bench/judge.py [--runs 50] [--submissions 24] [--backend process --backend docker]

Latency: a Python and a C++ hello world judged end to end (one test case: compile + run + compare), each
`--runs` times one after another; the baseline runs the same steps (compile, run) as plain host processes
with the sandbox's PATH.
Throughput: `--submissions` submissions of 8 test cases each, 4 at a time. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile
from config import Settings
from judge import Judge, JudgeError, TestCase, Verdict
from judge.languages import BASE_ENV

PROGRAMS = {
    "python": ('print("hello")', "main.py", None, ["python3", "main.py"]),
    "cpp": (
        '#include <iostream>\nint main() { std::cout << "hello" << std::endl; }',
        "main.cpp",
        ["g++", "-O2", "-std=gnu++17", "-pipe", "-o", "main", "main.cpp"],
        ["./main"],
    ),
}
SQUARES = {
    "python": "n = int(input())\nprint(n * n)",
    "cpp": "#include <iostream>\nint main() { long long n; std::cin >> n; std::cout << n * n << std::endl; }",
}
CONCURRENCY = 4
# The baseline uses the same toolchains as the process backend (Debian's, not a shimmed python3).
HOST_ENV = {**BASE_ENV, "HOME": tempfile.gettempdir()}


def bare_latencies(language: str, runs: int) -> list[float]:
    """The same compile + run on the host, without any sandbox (ms)."""
    code, source, compile_argv, run_argv = PROGRAMS[language]
    samples = []
    with tempfile.TemporaryDirectory() as work:
        Path(work, source).write_text(code)
        for _ in range(runs):
            started = time.perf_counter()
            if compile_argv:
                subprocess.run(compile_argv, cwd=work, check=True, env=HOST_ENV)
            subprocess.run(run_argv, cwd=work, check=True, capture_output=True, env=HOST_ENV)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


async def judge_latencies(judge: Judge, language: str, runs: int) -> list[float]:
    code = PROGRAMS[language][0]
    cases = [TestCase(input="", expected_output="hello")]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await judge.judge(language, code, cases, 2000, 256)
        samples.append((time.perf_counter() - started) * 1000)
        assert result.verdict is Verdict.accepted, result
    return samples


async def throughput(judge: Judge, language: str, submissions: int) -> tuple[float, float]:
    """Submissions per second and test cases per second, CONCURRENCY submissions in flight."""
    cases = [TestCase(input=str(n), expected_output=str(n * n)) for n in range(8)]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def submit() -> None:
        async with gate:
            result = await judge.judge(language, SQUARES[language], cases, 2000, 256)
            assert result.verdict is Verdict.accepted, result

    started = time.perf_counter()
    await asyncio.gather(*(submit() for _ in range(submissions)))
    elapsed = time.perf_counter() - started
    return submissions / elapsed, submissions * len(cases) / elapsed


async def bench_backend(backend: str, args: argparse.Namespace, baselines: dict[str, list[float]]) -> list[str]:
    judge = Judge(Settings(judge_workers=CONCURRENCY, judge_pool_size=CONCURRENCY), backend)
    try:
        await judge.start()
    except JudgeError as exc:
        return [f"{backend:8} unavailable: {exc}"]
    rows = []
    try:
        for language in PROGRAMS:
            await judge_latencies(judge, language, 3)  # warm-up: fill the pool, page in the toolchain
            samples = await judge_latencies(judge, language, args.runs)
            bare = baselines[language]
            p50, p95, bare50 = percentile(samples, 0.5), percentile(samples, 0.95), percentile(bare, 0.5)
            rows.append(
                f"{backend:8} {language:7} {p50:9.1f} {p95:9.1f} {bare50:9.1f} {percentile(bare, 0.95):9.1f}"
                f" {p50 - bare50:12.1f} {p50 / bare50:7.2f}"
            )
        for language in PROGRAMS:
            per_second, cases_per_second = await throughput(judge, language, args.submissions)
            rows.append(
                f"{backend:8} {language:7} throughput: {per_second:.2f} submissions/s ({cases_per_second:.1f} cases/s)"
                f" at concurrency {CONCURRENCY}"
            )
    finally:
        await judge.close()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--backend", action="append", choices=["process", "docker"])
    args = parser.parse_args()
    baselines = {language: bare_latencies(language, args.runs) for language in PROGRAMS}
    print(
        f"{'backend':8} {'lang':7} {'p50 ms':>9} {'p95 ms':>9} {'bare p50':>9} {'bare p95':>9}"
        f" {'overhead p50':>12} {'ratio':>7}"
    )
    for backend in args.backend or ["process", "docker"]:
        for row in await bench_backend(backend, args, baselines):
            print(row, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
