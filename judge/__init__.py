"""Sandboxed code execution, judging and static analysis for SynCode (imports only `config`).

    judge = Judge(settings)                 # backend from settings.sandbox: docker | process | auto
    await judge.start()                     # picks the backend, warms its sandbox pool
    run = await judge.run(language, code, stdin, time_limit_ms, memory_limit_mb)       -> RunResult
    res = await judge.judge(language, code, test_cases, time_limit_ms, memory_limit_mb,
                            comparison="lines"|"tokens"|"float", abs_tol, rel_tol,
                            stop_on_first_failure=False, on_progress=callback)        -> JudgeResult
    ana = await judge.analyze(language, code)                                          -> AnalysisResult
    judge.backend_name; await judge.health() -> dict
    await judge.close()

Errors: `JudgeBusy` (queue full, HTTP 429), `LanguageUnavailable` (unknown language or toolchain missing),
`SandboxUnavailable` (the requested backend cannot run here). A sandbox failure is not raised: it comes back
as verdict `internal_error`. Limits are clamped to the settings' maxima; `time_ms` in results is CPU time.
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
from judge.service import Judge, JudgeBusy, JudgeError, LanguageUnavailable, SandboxUnavailable

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
    "ToolResult",
    "Verdict",
]
