"""Training reports (/api/sessions/{sessionId}/report), their comparison (/api/sessions/compare), and a user's
statistics and weaknesses (/api/users/me/stats, /api/users/me/weaknesses)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.common import DataList
from syncode.models.reports import (
    CompareQuery,
    Comparison,
    ReportPending,
    StatsQuery,
    TrainingReport,
    UserStats,
    WeaknessEntry,
)


class ReportHandler(BaseHandler):
    @operation(
        summary="Get training report",
        tag="Sessions",
        response=TrainingReport,
        errors=(403, 404),
        also=((202, ReportPending),),
        description="202 {sessionId, status: pending} while the report is being made (a `report.ready` event on "
        "/api/ws tells the candidate when it is ready). For the session's candidate, in peer mode its "
        "interviewers too, and admins; other participants 403. 404 until the session finishes. Scores come from "
        "evidence (tests, timings against the reference solution, static analysis, the timeline, peer ratings); "
        "hidden tests show index, verdict and time only.",
    )
    async def get(self, sessionId: str) -> None:
        report = await self.ctx.reports.get(self.user, sessionId)
        self.respond(report, 202 if isinstance(report, ReportPending) else None)


class CompareHandler(BaseHandler):
    @operation(
        summary="Compare multiple session reports",
        tag="Sessions",
        query=CompareQuery,
        response=Comparison,
        errors=(400,),
        description="2 to 10 distinct sessions of the caller's (400 otherwise), in the order they started; "
        "`deltas` per session are the changes since the previous session with a report, the top-level ones from "
        "the first report to the last; trend improving / declining beyond 2 points of overall score, else steady.",
    )
    async def get(self) -> None:
        self.respond(await self.ctx.stats.compare(self.user, self.query(CompareQuery).ids))


class StatsHandler(BaseHandler):
    @operation(
        summary="Get time-series training statistics",
        tag="Users",
        query=StatsQuery,
        response=UserStats,
        errors=(400,),
        description="Buckets of UTC days or ISO weeks (Monday) from `from` (default: 30 days or 12 weeks back) "
        "to `to` (default: now), at most 400; totals over the same range; the streak over all time.",
    )
    async def get(self) -> None:
        self.respond(await self.ctx.stats.stats(self.user, self.query(StatsQuery)))


class WeaknessesHandler(BaseHandler):
    @operation(
        summary="Get my weaknesses",
        tag="Users",
        response=DataList[WeaknessEntry],
        description="Categories derived from the caller's training reports (each dimension under 70, recurring "
        "static-analysis findings, run-time errors), most frequent first.",
    )
    async def get(self) -> None:
        self.respond(DataList[WeaknessEntry](data=await self.ctx.stats.weaknesses(self.user)))
