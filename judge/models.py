"""Result objects of the judge, snake_case mirrors of API.md (the REST layer maps them to camelCase)."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field


class Verdict(str, Enum):
    accepted = "accepted"
    wrong_answer = "wrong_answer"
    time_limit_exceeded = "time_limit_exceeded"
    memory_limit_exceeded = "memory_limit_exceeded"
    output_limit_exceeded = "output_limit_exceeded"
    runtime_error = "runtime_error"
    compilation_error = "compilation_error"
    internal_error = "internal_error"


Comparison = Literal["lines", "tokens", "float"]


class RunResult(BaseModel):
    """One program run. `time_ms` is CPU time (what the limit applies to); `wall_time_ms` is elapsed time.

    `verdict` is `accepted` when the program ran to a zero exit status within its limits. `memory_kb` is the
    peak resident memory the kernel reports for the program's processes; it includes the few MB of the
    supervisor process the program was forked from.
    """

    language: str
    verdict: Verdict
    stdout: str = ""
    stderr: str = ""
    compile_output: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    time_ms: int | None = None
    wall_time_ms: int | None = None
    memory_kb: int | None = None
    truncated: bool = False
    # The program was a copy of a cached build (no compiler ran). The judge's own: not part of the API, never
    # serialised.
    cached_build: bool = Field(False, exclude=True)


class TestCase(BaseModel):
    __test__ = False  # not a pytest class

    id: str | None = None
    input: str = ""
    expected_output: str
    is_hidden: bool = False


class CaseResult(BaseModel):
    """Result of one test case. Outputs of hidden cases are never filled in (verdict and timing only)."""

    test_case_id: str | None
    index: int
    is_hidden: bool
    verdict: Verdict
    time_ms: int | None = None
    memory_kb: int | None = None
    stdout: str | None = None
    stderr: str | None = None
    expected_output: str | None = None
    truncated: bool = False


class JudgeResult(BaseModel):
    """A judged submission: `verdict` is `accepted` or the first failing case's verdict."""

    language: str
    verdict: Verdict
    passed: int
    total: int
    time_ms: int | None = None
    memory_kb: int | None = None
    compile_output: str | None = None
    results: list[CaseResult] = Field(default_factory=list)
    cached_build: bool = Field(False, exclude=True)  # as RunResult's


class Progress(BaseModel):
    """Sent to the progress callback after a finished case: each one, or at most one per `progress_interval`."""

    passed: int
    done: int
    total: int
    last: CaseResult


Severity = Literal["error", "warning", "info"]


class Diagnostic(BaseModel):
    tool: str
    rule: str | None = None
    severity: Severity
    message: str
    line: int | None = None
    column: int | None = None


class FunctionComplexity(BaseModel):
    function: str
    start_line: int
    end_line: int
    cyclomatic: int


class ToolResult(BaseModel):
    tool: str
    status: Literal["ok", "failed", "timeout"]
    duration_ms: int
    detail: str | None = None


class AnalysisSummary(BaseModel):
    errors: int
    warnings: int
    infos: int
    max_complexity: int | None = None


class AnalysisResult(BaseModel):
    language: str
    summary: AnalysisSummary
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    complexity: list[FunctionComplexity] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)
