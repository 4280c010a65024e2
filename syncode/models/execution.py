"""Runs, submissions, static analysis and usage quotas (API.md: Execution, StaticAnalysis, /users/me/quotas)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncode.models.common import ApiModel, Language, RequestModel, Timestamp

JobStatus = Literal["queued", "running", "completed", "failed"]
Verdict = Literal[
    "accepted",
    "wrong_answer",
    "time_limit_exceeded",
    "memory_limit_exceeded",
    "output_limit_exceeded",
    "runtime_error",
    "compilation_error",
    "internal_error",
]
Severity = Literal["error", "warning", "info"]
MAX_CODE = 256 * 1024
MAX_STDIN = 256 * 1024
JOB_ERROR = (
    "why a failed job has no result, when the platform failed rather than the program (the server restarted "
    "while it ran, twice; the judge cannot take it any more); it says what to do"
)


# -- requests ---------------------------------------------------------------------------------------------


class SubmitRequest(RequestModel):
    language: Language
    code: str = Field(min_length=1, max_length=MAX_CODE)
    timeout_ms: int | None = Field(
        None, description="clamped to 1..15000; submissions: at most the problem's limit, which is also the default"
    )
    memory_mb: int | None = Field(
        None, ge=16, le=1024, description="default 256 (submissions: the problem's limit, which is also the ceiling)"
    )


class RunRequest(SubmitRequest):
    stdin: str = Field("", max_length=MAX_STDIN)
    timeout_ms: int | None = Field(None, description="clamped to 1..15000, default 5000")
    memory_mb: int | None = Field(None, ge=16, le=1024, description="default 256")


class AnalysisRequest(RequestModel):
    code: str | None = Field(None, min_length=1, max_length=MAX_CODE, description="default: the live document")
    language: Language | None = Field(None, description="default: the room's language")


class RunAccepted(ApiModel):
    run_id: str


class SubmissionAccepted(ApiModel):
    submission_id: str


class AnalysisAccepted(ApiModel):
    analysis_id: str


# -- results ----------------------------------------------------------------------------------------------


class RunResult(ApiModel):
    id: str
    room_id: str
    user_id: str
    language: str
    status: JobStatus
    verdict: Verdict | None = None
    stdout: str = ""
    stderr: str = ""
    compile_output: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    time_ms: int | None = None
    memory_kb: int | None = None
    truncated: bool = False
    error: str | None = Field(None, description=JOB_ERROR)
    created_at: Timestamp
    finished_at: Timestamp | None = None


class CaseResult(ApiModel):
    """One test case; hidden cases carry verdict and timing only."""

    test_case_id: str | None = None
    index: int
    is_hidden: bool
    verdict: Verdict
    time_ms: int | None = None
    memory_kb: int | None = None
    stdout: str | None = None
    expected_output: str | None = None
    stderr: str | None = None


class SubmissionResult(ApiModel):
    id: str
    room_id: str
    problem_id: str
    user_id: str
    language: str
    status: JobStatus
    verdict: Verdict | None = None
    passed: int = 0
    total: int
    time_ms: int | None = None
    memory_kb: int | None = None
    compile_output: str | None = None
    results: list[CaseResult] = Field(default_factory=list)
    error: str | None = Field(None, description=JOB_ERROR)
    created_at: Timestamp
    finished_at: Timestamp | None = None


class AnalysisSummary(ApiModel):
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    max_complexity: int | None = None


class Diagnostic(ApiModel):
    tool: str
    rule: str | None = None
    severity: Severity
    message: str
    line: int | None = None
    column: int | None = None


class FunctionComplexity(ApiModel):
    function: str
    start_line: int
    end_line: int
    cyclomatic: int


class ToolResult(ApiModel):
    tool: str
    status: Literal["ok", "failed", "timeout"]
    duration_ms: int


class StaticAnalysisResult(ApiModel):
    id: str
    status: JobStatus
    language: str
    summary: AnalysisSummary = Field(default_factory=AnalysisSummary)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    complexity: list[FunctionComplexity] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)
    error: str | None = Field(None, description=JOB_ERROR)
    created_at: Timestamp
    finished_at: Timestamp | None = None


# -- quotas -----------------------------------------------------------------------------------------------


class DailyQuota(ApiModel):
    used: int
    limit: int
    resets_at: Timestamp


class RoomQuota(ApiModel):
    active: int
    max_active: int


class StorageQuota(ApiModel):
    used_bytes: int
    limit_bytes: int


class Quotas(ApiModel):
    executions: DailyQuota
    ai: DailyQuota
    rooms: RoomQuota
    storage: StorageQuota
