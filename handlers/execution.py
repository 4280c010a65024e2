"""Run and submit in rooms, results (/api/executions, /api/submissions), static analysis, /users/me/quotas."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.common import Page, PageQuery
from syncode.models.execution import (
    AnalysisAccepted,
    AnalysisRequest,
    Quotas,
    RunAccepted,
    RunRequest,
    RunResult,
    StaticAnalysisResult,
    SubmissionAccepted,
    SubmissionResult,
    SubmitRequest,
)

ADMISSION_ERRORS = (400, 401, 403, 404, 409, 429, 503)
PUSHED = "Results are also pushed on /api/ws"


class RunHandler(BaseHandler):
    @operation(
        summary="Execute code (interactive run)",
        tag="Rooms",
        request=RunRequest,
        response=RunAccepted,
        status=202,
        errors=ADMISSION_ERRORS,
        rate="execute",
        description="Any phase but finished; not observers; 409 ROOM_EDITOR_LOCKED while locked. 429 "
        "RATE_LIMITED, QUOTA_EXCEEDED (daily) or JUDGE_BUSY, with Retry-After. Poll GET "
        f"/executions/{{runId}}. {PUSHED} (run.started, run.completed).",
    )
    async def post(self, roomId: str) -> None:
        run_id = await self.ctx.execution.run(self.user, roomId, self.body(RunRequest))
        self.respond(RunAccepted(run_id=run_id))


class SubmitHandler(BaseHandler):
    @operation(
        summary="Submit code against test cases",
        tag="Rooms",
        request=SubmitRequest,
        response=SubmissionAccepted,
        status=202,
        errors=ADMISSION_ERRORS,
        rate="execute",
        description="Coding phase only (409 ROOM_INVALID_PHASE), needs a problem (409 ROOM_NO_PROBLEM), "
        "409 ROOM_EDITOR_LOCKED while locked; not observers. The problem's limits are the "
        "default and the ceiling. Poll GET /submissions/{submissionId}. "
        f"{PUSHED} (submission.progress, submission.completed).",
    )
    async def post(self, roomId: str) -> None:
        submission_id = await self.ctx.execution.submit(self.user, roomId, self.body(SubmitRequest))
        self.respond(SubmissionAccepted(submission_id=submission_id))


class RoomRunsHandler(BaseHandler):
    @operation(
        summary="List past runs in this room",
        tag="Rooms",
        query=PageQuery,
        response=Page[RunResult],
        errors=(400, 403, 404),
        description="Newest first by default; outputs are cut to their first 200 characters.",
    )
    async def get(self, roomId: str) -> None:
        data, pagination = await self.ctx.execution.list_runs(self.user, roomId, self.query(PageQuery))
        self.respond(Page[RunResult](data=data, pagination=pagination))


class RoomSubmissionsHandler(BaseHandler):
    @operation(
        summary="List past submissions in this room",
        tag="Rooms",
        query=PageQuery,
        response=Page[SubmissionResult],
        errors=(400, 403, 404),
        description="Newest first by default; per-case verdicts and timing without outputs.",
    )
    async def get(self, roomId: str) -> None:
        data, pagination = await self.ctx.execution.list_submissions(self.user, roomId, self.query(PageQuery))
        self.respond(Page[SubmissionResult](data=data, pagination=pagination))


class ExecutionHandler(BaseHandler):
    @operation(
        summary="Get execution result (single run)",
        tag="Execution",
        response=RunResult,
        errors=(403, 404),
        description="For its owner, the room's participants and admins.",
    )
    async def get(self, runId: str) -> None:
        self.respond(await self.ctx.execution.get_run(self.user, runId))


class SubmissionHandler(BaseHandler):
    @operation(
        summary="Get submission status and aggregated results",
        tag="Execution",
        response=SubmissionResult,
        errors=(403, 404),
        description="For its owner, the room's participants and admins. Hidden test cases show verdict "
        "and timing only.",
    )
    async def get(self, submissionId: str) -> None:
        self.respond(await self.ctx.execution.get_submission(self.user, submissionId))


class AnalysisHandler(BaseHandler):
    @operation(
        summary="Request static analysis",
        tag="StaticAnalysis",
        request=AnalysisRequest,
        response=AnalysisAccepted,
        status=202,
        errors=ADMISSION_ERRORS,
        rate="execute",
        description="Without `code`, the live document in the room's language is analysed (and kept as a "
        f"`manual` snapshot). Counts against the daily execution quota. {PUSHED} "
        "(analysis.completed).",
    )
    async def post(self, roomId: str) -> None:
        analysis_id = await self.ctx.execution.analyze(self.user, roomId, self.body(AnalysisRequest))
        self.respond(AnalysisAccepted(analysis_id=analysis_id))


class AnalysisResultHandler(BaseHandler):
    @operation(summary="Get analysis result", tag="StaticAnalysis", response=StaticAnalysisResult, errors=(403, 404))
    async def get(self, roomId: str, analysisId: str) -> None:
        self.respond(await self.ctx.execution.get_analysis(self.user, roomId, analysisId))


class QuotasHandler(BaseHandler):
    @operation(
        summary="Get usage quotas and limits",
        tag="Users",
        response=Quotas,
        errors=(401,),
        description="Executions (runs, submissions and analyses) and AI requests (messages, hints, reviews) per "
        "UTC day, live rooms, stored bytes. The execution, AI and live-room limits are enforced (429 "
        "QUOTA_EXCEEDED).",
    )
    async def get(self) -> None:
        self.respond(await self.ctx.quotas.overview(self.user))
