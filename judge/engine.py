"""Running and judging inside one sandbox session: compile once (or take a cached build), run each case, classify,
compare.

Blocking code, called from the judge's worker threads.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from judge.build_cache import BuildCache
from judge.compare import outputs_match
from judge.languages import BASE_ENV, COMPILE_CPU_MS, COMPILE_MEMORY_MB, COMPILE_WALL_MS, Recipe
from judge.models import CaseResult, Comparison, JudgeResult, RunResult, TestCase, Verdict
from judge.sandbox import Outcome, Session, Step, SupervisorKilled

log = logging.getLogger(__name__)

# A program may take this much longer in elapsed time than its CPU limit (I/O, a loaded host) before
# it is killed; sleeping past it is a time_limit_exceeded too.
WALL_FACTOR = 2
WALL_EXTRA_MS = 1000
# What runtimes print when an allocation fails under the address-space limit or the heap flag.
OOM_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "java.lang.OutOfMemoryError",
    "heap out of memory",
    "memory allocation of",
    "runtime: out of memory",
    "Cannot allocate memory",
    "Could not reserve enough space",
)
KILLED_SUPERVISOR = "the program killed the sandbox supervisor"
# A judged case may print more than the display cap: a correct answer is as long as the expected output.
# Twice that (plus slack) is compared; what is returned for display is still cut to the cap.
OUTPUT_SLACK_BYTES = 4096


@dataclass(frozen=True)
class Limits:
    time_ms: int
    memory_mb: int
    output_bytes: int
    disk_mb: int
    nproc: int


def run_step(recipe: Recipe, limits: Limits, stdin: str) -> Step:
    headroom = recipe.as_headroom_mb
    return Step(
        argv=recipe.run_argv(limits.memory_mb),
        env={**BASE_ENV, **recipe.env},
        stdin=stdin,
        cpu_ms=limits.time_ms,
        wall_ms=limits.time_ms * WALL_FACTOR + WALL_EXTRA_MS,
        rss_kb=limits.memory_mb * 1024,
        as_kb=None if headroom is None else (limits.memory_mb + headroom) * 1024,
        stack_kb=limits.memory_mb * 1024,
        output_limit=limits.output_bytes,
        fsize_kb=limits.disk_mb * 1024,
        nproc=limits.nproc,
    )


def compile_step(recipe: Recipe, limits: Limits) -> Step:
    assert recipe.compile is not None
    return Step(
        argv=list(recipe.compile),
        env={**BASE_ENV, **recipe.env},
        cpu_ms=COMPILE_CPU_MS,
        wall_ms=COMPILE_WALL_MS,
        rss_kb=COMPILE_MEMORY_MB * 1024,
        as_kb=None if recipe.as_headroom_mb is None else COMPILE_MEMORY_MB * 1024,
        stack_kb=64 * 1024,
        output_limit=limits.output_bytes,
        fsize_kb=limits.disk_mb * 1024,
        nproc=limits.nproc,
    )


def execution_verdict(outcome: Outcome, limits: Limits) -> Verdict:
    """How the program ended; `accepted` means it ran to exit status 0 within its limits."""
    if outcome.killed == "output" or outcome.stdout_truncated or outcome.stderr_truncated:
        return Verdict.output_limit_exceeded
    if outcome.killed in ("wall", "cpu") or outcome.cpu_ms > limits.time_ms or outcome.signal == signal.SIGXCPU:
        return Verdict.time_limit_exceeded
    if outcome.killed == "memory" or outcome.max_rss_kb > limits.memory_mb * 1024:
        return Verdict.memory_limit_exceeded
    if outcome.exit_code == 0:
        return Verdict.accepted
    # A SIGKILL the supervisor did not send comes from the kernel's OOM killer (container memory limit).
    if outcome.signal == signal.SIGKILL or any(marker in outcome.stderr for marker in OOM_MARKERS):
        return Verdict.memory_limit_exceeded
    return Verdict.runtime_error


@dataclass(frozen=True)
class Compilation:
    ok: bool
    output: str | None  # the compiler's messages; None for an interpreted language
    cached: bool = False  # taken from the build cache, no compiler run


def compile_in(session: Session, recipe: Recipe, limits: Limits) -> Compilation:
    """Run the compiler on the source already in the sandbox."""
    if recipe.compile is None:
        return Compilation(True, None)
    outcome = session.execute(compile_step(recipe, limits))
    output = (outcome.stdout + outcome.stderr).strip()
    if outcome.killed in ("wall", "cpu") or outcome.cpu_ms > COMPILE_CPU_MS:
        return Compilation(False, (output + "\ncompilation timed out").strip())
    if outcome.killed == "memory":
        return Compilation(False, (output + f"\ncompilation used more than {COMPILE_MEMORY_MB} MB").strip())
    return Compilation(outcome.exit_code == 0, output)


@contextmanager
def compiled(
    session: Session, recipe: Recipe, code: str, limits: Limits, cache: BuildCache | None, key: str | None
) -> Iterator[Compilation]:
    """Write the source into the sandbox and build it: a copy of the cached build when the cache holds one (kept
    from eviction while the job runs), else with the compiler, filing what it built in the cache."""
    cacheable = cache is not None and key is not None and recipe.compile is not None
    build = cache.acquire(key) if cacheable else None
    try:
        copied = session.start({recipe.source_file: code}, build.copies() if build else None)
        if build is not None and copied:
            yield Compilation(True, build.output, cached=True)
            return
        if build is not None:  # gone or unreadable from inside the sandbox
            cache.drop(key)
        compilation = compile_in(session, recipe, limits)
        if compilation.ok and cacheable:
            file_build(session, recipe, cache, key, compilation.output)
        yield compilation
    finally:
        if build is not None:
            cache.release(key)


def file_build(session: Session, recipe: Recipe, cache: BuildCache, key: str, output: str | None) -> None:
    """Copy what the compiler left in the work dir into the cache. Taken before the program first runs: only the
    (trusted) compiler has written there, so the program cannot plant a build for anyone else."""
    files = session.collect([recipe.source_file], cache.max_bytes)
    if not files:
        return
    try:
        cache.store(key, files, output)
    except OSError:  # the cache saves time, a job never fails for it (a full disk, say)
        log.exception("could not file a build in the cache")


def run_program(
    session: Session,
    recipe: Recipe,
    code: str,
    stdin: str,
    limits: Limits,
    cache: BuildCache | None = None,
    key: str | None = None,
) -> RunResult:
    with compiled(session, recipe, code, limits, cache, key) as compilation:
        return execute_program(session, recipe, stdin, limits, compilation)


def execute_program(session: Session, recipe: Recipe, stdin: str, limits: Limits, build: Compilation) -> RunResult:
    compile_output = build.output
    if not build.ok:
        return RunResult(language=recipe.language, verdict=Verdict.compilation_error, compile_output=compile_output)
    try:
        outcome = session.execute(run_step(recipe, limits, stdin))
    except SupervisorKilled:
        return RunResult(
            language=recipe.language,
            verdict=Verdict.runtime_error,
            stderr=KILLED_SUPERVISOR,
            compile_output=compile_output,
            cached_build=build.cached,
        )
    return RunResult(
        language=recipe.language,
        verdict=execution_verdict(outcome, limits),
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        compile_output=compile_output,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        time_ms=outcome.cpu_ms,
        wall_time_ms=outcome.wall_ms,
        memory_kb=outcome.max_rss_kb,
        truncated=outcome.stdout_truncated or outcome.stderr_truncated,
        cached_build=build.cached,
    )


@dataclass(frozen=True)
class Checker:
    comparison: Comparison = "lines"
    abs_tol: float = 1e-6
    rel_tol: float = 1e-6

    def verdict(self, outcome: Outcome, limits: Limits, expected: str) -> Verdict:
        verdict = execution_verdict(outcome, limits)
        if verdict is Verdict.accepted and not outputs_match(
            outcome.stdout, expected, self.comparison, self.abs_tol, self.rel_tol
        ):
            return Verdict.wrong_answer
        return verdict


def judge_case(
    session: Session, recipe: Recipe, case: TestCase, index: int, limits: Limits, checker: Checker
) -> CaseResult:
    """Run one case; raises SupervisorKilled when the program killed its supervisor."""
    answer_bytes = 2 * len(case.expected_output.encode()) + OUTPUT_SLACK_BYTES
    case_limits = replace(limits, output_bytes=max(limits.output_bytes, answer_bytes))
    outcome = session.execute(run_step(recipe, case_limits, case.input))
    visible = not case.is_hidden
    shown = limits.output_bytes
    return CaseResult(
        test_case_id=case.id,
        index=index,
        is_hidden=case.is_hidden,
        verdict=checker.verdict(outcome, case_limits, case.expected_output),
        time_ms=outcome.cpu_ms,
        memory_kb=outcome.max_rss_kb,
        stdout=outcome.stdout[:shown] if visible else None,
        stderr=outcome.stderr[:shown] if visible else None,
        expected_output=case.expected_output[:shown] if visible else None,
        truncated=outcome.stdout_truncated
        or outcome.stderr_truncated
        or max(len(outcome.stdout), len(outcome.stderr)) > shown,
    )


def judge_submission(
    session: Session,
    recipe: Recipe,
    code: str,
    cases: list[TestCase],
    limits: Limits,
    checker: Checker,
    stop_on_first_failure: bool,
    on_case: Callable[[CaseResult, int], None],
    cache: BuildCache | None = None,
    key: str | None = None,
) -> JudgeResult:
    """Compile once (or not at all: a cached build), run the cases in order; `on_case(result, passed_so_far)` after
    each one."""
    with compiled(session, recipe, code, limits, cache, key) as compilation:
        result = judge_cases(session, recipe, cases, limits, checker, stop_on_first_failure, on_case, compilation)
    return result.model_copy(update={"cached_build": compilation.cached})


def judge_cases(
    session: Session,
    recipe: Recipe,
    cases: list[TestCase],
    limits: Limits,
    checker: Checker,
    stop_on_first_failure: bool,
    on_case: Callable[[CaseResult, int], None],
    build: Compilation,
) -> JudgeResult:
    compile_output = build.output
    if not build.ok:
        return JudgeResult(
            language=recipe.language,
            verdict=Verdict.compilation_error,
            passed=0,
            total=len(cases),
            compile_output=compile_output,
        )
    results: list[CaseResult] = []
    for index, case in enumerate(cases):
        sandbox_gone = False
        try:
            result = judge_case(session, recipe, case, index, limits, checker)
        except SupervisorKilled:
            # The sandbox is gone with its supervisor: this case failed, the rest cannot run.
            stderr = None if case.is_hidden else KILLED_SUPERVISOR
            result = CaseResult(
                test_case_id=case.id,
                index=index,
                is_hidden=case.is_hidden,
                verdict=Verdict.runtime_error,
                stderr=stderr,
            )
            sandbox_gone = True
        results.append(result)
        on_case(result, sum(r.verdict is Verdict.accepted for r in results))
        if sandbox_gone or (stop_on_first_failure and result.verdict is not Verdict.accepted):
            break
    return aggregate(recipe.language, results, len(cases), compile_output)


def aggregate(language: str, results: list[CaseResult], total: int, compile_output: str | None) -> JudgeResult:
    failed = next((r.verdict for r in results if r.verdict is not Verdict.accepted), None)
    times = [r.time_ms for r in results if r.time_ms is not None]
    memories = [r.memory_kb for r in results if r.memory_kb is not None]
    return JudgeResult(
        language=language,
        verdict=failed or Verdict.accepted,
        passed=sum(r.verdict is Verdict.accepted for r in results),
        total=total,
        time_ms=max(times, default=None),
        memory_kb=max(memories, default=None),
        compile_output=compile_output,
        results=results,
    )
