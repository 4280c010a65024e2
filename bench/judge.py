"""Judge latency and throughput, per backend, against the same programs run bare on this host; and what the build
cache saves.

    .venv/bin/python bench/judge.py [--runs 50] [--submissions 24] [--cache-runs 8] [--cache-cases 8]
                                    [--backend process --backend docker] [--section latency|throughput|cache ...]

Latency: a Python and a C++ hello world judged end to end (one test case: compile + run + compare), each
`--runs` times one after another; the baseline runs the same steps (compile, run) as plain host processes
with the sandbox's PATH.
Throughput: `--submissions` submissions of 8 test cases each, 4 at a time.
Build cache (compile once), side by side in each round of `--cache-runs`: for C++, Java, Rust and Go, a submission
(`--cache-cases` test cases) of code that was just run, against the same submission cold (the cache cleared first),
and against a judge without the cache (as before it); goal: just run / cold <= 0.5. Python: p50 latency of a run
with the cache on against a judge with it off; goal: unchanged. Prints figures; asserts nothing.
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
# Compile once: a program of each compiled language that reads n and prints n * n.
COMPILED = {
    "cpp": SQUARES["cpp"],
    "java": "import java.util.Scanner;\npublic class Main { public static void main(String[] a) {\n"
    "long n = new Scanner(System.in).nextLong(); System.out.println(n * n); } }",
    "rust": "use std::io::*;\nfn main() { let mut s = String::new(); stdin().read_to_string(&mut s).unwrap();\n"
    'let n: i64 = s.trim().parse().unwrap(); println!("{}", n * n); }',
    "go": 'package main\nimport "fmt"\nfunc main() { var n int64; fmt.Scan(&n); fmt.Println(n * n) }',
}
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


async def timed(call) -> float:
    started = time.perf_counter()
    result = await call
    assert result.verdict is Verdict.accepted, result
    return (time.perf_counter() - started) * 1000


async def bench_build_cache(backend: str, rounds: int, case_count: int) -> list[str]:
    """Submissions of code just run vs cold vs without a cache, interleaved round by round; python runs with the
    cache on vs off."""
    settings = {"judge_workers": CONCURRENCY, "judge_pool_size": CONCURRENCY}
    cached, uncached = (
        Judge(Settings(**settings), backend),
        Judge(Settings(**settings, judge_build_cache_bytes=0), backend),
    )
    try:
        await cached.start()
        await uncached.start()
    except JudgeError as exc:
        return [f"{backend:8} unavailable: {exc}"]
    cases = [TestCase(input=str(n), expected_output=str(n * n)) for n in range(case_count)]
    rows = []
    try:
        for language, code in COMPILED.items():
            if cached.backend.languages.get(language):
                rows.append(f"{backend:8} {language:7} not installed")
                continue
            await timed(uncached.judge(language, code, cases, 5000, 256))  # warm-up: page in the toolchain
            just_run, cold, off = [], [], []
            for _ in range(rounds):
                cached.build_cache.clear()
                cold.append(await timed(cached.judge(language, code, cases, 5000, 256)))
                off.append(await timed(uncached.judge(language, code, cases, 5000, 256)))
                cached.build_cache.clear()
                await timed(cached.run(language, code, "3", 5000, 256))  # the candidate runs, then submits
                just_run.append(await timed(cached.judge(language, code, cases, 5000, 256)))
            hot, chilly, before = (percentile(samples, 0.5) for samples in (just_run, cold, off))
            rows.append(
                f"{backend:8} {language:7} submission p50: just run {hot:7.1f} ms, cold {chilly:7.1f} ms, no cache"
                f" {before:7.1f} ms; just run / cold {hot / chilly:5.2f} (goal <= 0.5), cold / no cache"
                f" {chilly / before:5.2f}"
            )
        on, off = [], []
        for _ in range(3):  # warm-up
            await timed(cached.run("python", PROGRAMS["python"][0]))
            await timed(uncached.run("python", PROGRAMS["python"][0]))
        for _ in range(rounds * 5):
            on.append(await timed(cached.run("python", PROGRAMS["python"][0])))
            off.append(await timed(uncached.run("python", PROGRAMS["python"][0])))
        with_cache, without = percentile(on, 0.5), percentile(off, 0.5)
        rows.append(
            f"{backend:8} python  run p50: cache on {with_cache:6.1f} ms, off {without:6.1f} ms;"
            f" on / off {with_cache / without:5.2f} (goal ~1.0)"
        )
    finally:
        await cached.close()
        await uncached.close()
    return rows


async def bench_backend(backend: str, args: argparse.Namespace, baselines: dict[str, list[float]]) -> list[str]:
    # The first two sections measure compiling every time (as a new program is): no build cache.
    judge = Judge(Settings(judge_workers=CONCURRENCY, judge_pool_size=CONCURRENCY, judge_build_cache_bytes=0), backend)
    try:
        await judge.start()
    except JudgeError as exc:
        return [f"{backend:8} unavailable: {exc}"]
    rows = []
    try:
        for language in PROGRAMS if "latency" in args.section else ():
            await judge_latencies(judge, language, 3)  # warm-up: fill the pool, page in the toolchain
            samples = await judge_latencies(judge, language, args.runs)
            bare = baselines[language]
            p50, p95, bare50 = percentile(samples, 0.5), percentile(samples, 0.95), percentile(bare, 0.5)
            rows.append(
                f"{backend:8} {language:7} {p50:9.1f} {p95:9.1f} {bare50:9.1f} {percentile(bare, 0.95):9.1f}"
                f" {p50 - bare50:12.1f} {p50 / bare50:7.2f}"
            )
        for language in PROGRAMS if "throughput" in args.section else ():
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
    parser.add_argument("--cache-runs", type=int, default=8)
    parser.add_argument("--cache-cases", type=int, default=8, help="test cases per submission (the bank has 9-13)")
    parser.add_argument("--backend", action="append", choices=["process", "docker"])
    parser.add_argument("--section", action="append", choices=["latency", "throughput", "cache"])
    args = parser.parse_args()
    args.section = args.section or ["latency", "throughput", "cache"]
    backends = args.backend or ["process", "docker"]
    if "latency" in args.section or "throughput" in args.section:
        baselines = {language: bare_latencies(language, args.runs) for language in PROGRAMS}
        print(
            f"{'backend':8} {'lang':7} {'p50 ms':>9} {'p95 ms':>9} {'bare p50':>9} {'bare p95':>9}"
            f" {'overhead p50':>12} {'ratio':>7}"
        )
        for backend in backends:
            for row in await bench_backend(backend, args, baselines):
                print(row, flush=True)
    if "cache" in args.section:
        print(f"build cache (compile once): {args.cache_cases}-case submissions, p50 of {args.cache_runs} rounds")
        for backend in backends:
            for row in await bench_build_cache(backend, args.cache_runs, args.cache_cases):
                print(row, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
