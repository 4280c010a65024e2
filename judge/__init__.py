"""Sandboxed code execution, judging and static analysis for SynCode (imports only `config`).

    judge = Judge(settings)                 # backend from settings.sandbox: docker | process | auto
    await judge.start()                     # picks the backend, warms its sandbox pool
    run = await judge.run(language, code, stdin, time_limit_ms, memory_limit_mb)       -> RunResult
    res = await judge.judge(language, code, test_cases, time_limit_ms, memory_limit_mb,
                            comparison="lines"|"tokens"|"float", abs_tol, rel_tol,
                            stop_on_first_failure=False, on_progress=callback)        -> JudgeResult
    ana = await judge.analyze(language, code)                                          -> AnalysisResult
    ticket = judge.admit(language)          # at once, no await: a place in the queue, or an error below
    run = await judge.run(language, code, ticket=ticket)    # judge / analyze alike; the holder then releases:
    ticket.release()                                        # once the call has ended or will never run
    time_ms, memory_mb = judge.limits(time_ms, memory_mb, cap=(problem_ms, problem_mb))   # what a call runs with
    judge.load() -> {"running", "queued"}; await judge.until_idle()
    judge.backend_name; await judge.health() -> dict
    judge.build_cache -> BuildCache | None; judge.build_key(language, code) -> its key for that source, or None
    await judge.close()

Errors: `JudgeBusy` (queue full, HTTP 429), `LanguageUnavailable` (unknown language or toolchain missing),
`SandboxUnavailable` (the requested backend cannot run here), raised by `admit` (or by a call given no ticket)
before any await. A sandbox failure is not raised: it comes back as verdict `internal_error`. Limits default
to 5 s and 256 MiB and are clamped to the settings' maxima (`limits`); `time_ms` in results is CPU time.
Compiled languages build once: a build cache (judge/build_cache.py, SYNCODE_JUDGE_BUILD_CACHE_BYTES) keeps the
outputs, and a result's `cached_build` says a program ran from it without compiling.
Nothing here blocks the event loop: sandboxes are driven from worker threads.
"""

from judge.models import (
    AnalysisResult,
    AnalysisSummary,
    CaseResult,
    Diagnostic,
    FunctionComplexity,
    JudgeResult,
    Progress,
    RunResult,
    TestCase,
    ToolResult,
    Verdict,
)
from judge.service import Judge, JudgeBusy, JudgeError, LanguageUnavailable, SandboxUnavailable, Ticket

__all__ = [
    "AnalysisResult",
    "AnalysisSummary",
    "CaseResult",
    "Diagnostic",
    "FunctionComplexity",
    "Judge",
    "JudgeBusy",
    "JudgeError",
    "JudgeResult",
    "LanguageUnavailable",
    "Progress",
    "RunResult",
    "SandboxUnavailable",
    "TestCase",
    "Ticket",
    "ToolResult",
    "Verdict",
]
