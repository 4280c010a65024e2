"""Session history: what people read about their sessions afterwards (API.md, Sessions): the list of mine, the
detail, the per-user soft delete, the timeline, code snapshots, feedback, AI messages, the recording link and the
whiteboard export. Every read goes through SessionAccess (participants and admins; hidden ones are 404).

Runs and submissions come from the execution service, feedback from the feedback service, names and problem
titles from the user and problem services; this module reads only the sessions package's own collections (and
`aiMessages`, once the AI interviewer declares it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from syncode.clock import utcnow
from syncode.db import COLLECTIONS, Database
from syncode.errors import ServiceUnavailable
from syncode.models.common import Pagination
from syncode.models.feedback import PeerFeedbackEntry
from syncode.models.sessions import (
    AiMessage,
    CodeSnapshot,
    RecordingLink,
    SessionDetail,
    SessionEvent,
    SessionQuery,
    SessionSummary,
    SnapshotQuery,
    WhiteboardExport,
)
from syncode.pagination import paginate, paginate_computed
from syncode.services.auth import Principal
from syncode.services.execution import ExecutionService
from syncode.services.feedback import FeedbackService
from syncode.services.problems import ProblemService
from syncode.services.recordings import RecordingStore
from syncode.services.users import UserService
from syncode.sessions import whiteboard
from syncode.sessions.access import Session, SessionAccess
from syncode.sessions.recorder import SessionRecorder
from syncode.sessions.timeline import TIME_ORDER, best_verdict, coding_seconds

STILL_RUNNING = datetime(9999, 12, 31, tzinfo=UTC)  # where sessions not finished yet sort by finishedAt
# Keyset pages need a value of one type on every session: missing figures sort below every real one.
SORT_KEYS: dict[str, Any] = {
    "startedAt": "$startedAt",
    "finishedAt": {"$ifNull": ["$finishedAt", STILL_RUNNING]},
    "duration": {"$ifNull": ["$durationSec", -1]},
    "overallScore": {"$ifNull": ["$overallScore", -1]},  # stored by the training reports (recorder.report_state)
}
WITHOUT_STATE = {"state": 0}
EXPORT_TYPES = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}


class SessionHistory:
    def __init__(
        self,
        db: Database,
        access: SessionAccess,
        recorder: SessionRecorder,
        users: UserService,
        problems: ProblemService,
        execution: ExecutionService,
        feedback: FeedbackService,
        recordings: RecordingStore,
    ) -> None:
        self.db = db
        self.access = access
        self.recorder = recorder
        self.users = users
        self.problems = problems
        self.execution = execution
        self.feedback = feedback
        self.recordings = recordings

    # -- list and detail ---------------------------------------------------------------------------------

    async def list_mine(self, principal: Principal, q: SessionQuery) -> tuple[list[SessionSummary], Pagination]:
        page = await paginate_computed(
            self.db.sessions,
            list_filter(principal.id, q),
            sort_name=q.sort_by,
            sort_key=SORT_KEYS[q.sort_by],
            descending=q.sort_order == "desc",
            cursor=q.cursor,
            limit=q.limit,
        )
        summaries = await self._summaries(page.items, principal.id)
        return summaries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def detail(self, principal: Principal, session_id: str) -> SessionDetail:
        session = await self.access.readable(principal, session_id)
        (summary,) = await self._summaries([session], principal.id)
        runs, submissions = await self.execution.session_jobs(session_id)
        final = await self._final_snapshot(session_id)
        final_code = session.get("finalCode") or (final and {"language": final["language"], "code": final["code"]})
        shapes = await asyncio.to_thread(whiteboard.shapes_of_state, bytes(final["state"])) if final else []
        return SessionDetail(
            **summary.model_dump(),
            runs=[{**r, "id": r["_id"]} for r in runs],
            submissions=[{**s, "id": s["_id"]} for s in submissions],
            final_code=final_code,
            report_status=session.get("reportStatus"),
            has_report=session.get("reportStatus") is not None,
            has_recording=bool(session.get("recording")),
            has_whiteboard=bool(shapes),
            feedback_count=await self.feedback.count_for_session(session_id),
        )

    async def hide(self, principal: Principal, session_id: str) -> None:
        await self.access.hide(principal, session_id)

    async def count(self, since: datetime | None = None, participant: str | None = None) -> int:
        """Sessions created since `since` (all when None), of one participant or everyone (admin figures)."""
        query: dict[str, Any] = {}
        if since is not None:
            query["createdAt"] = {"$gte": since}
        if participant is not None:
            query["participants.userId"] = participant
        return await self.db.sessions.count_documents(query)

    async def _summaries(self, sessions: list[Session], viewer_id: str) -> list[SessionSummary]:
        """Summaries of these sessions, with a constant number of queries whatever their count."""
        user_ids = list({p["userId"] for s in sessions for p in s["participants"]})
        cards = await self.users.cards(user_ids)
        problems = await self.problems.refs(list({s["problemId"] for s in sessions if s.get("problemId")}))
        submissions = await self.execution.session_submissions([s["_id"] for s in sessions])
        summaries = []
        for s in sessions:
            people = [{**p, **names(cards.get(p["userId"]))} for p in s["participants"]]
            mine = next((p["role"] for p in people if p["userId"] == viewer_id), None)
            summaries.append(
                SessionSummary(
                    **{k: v for k, v in s.items() if k in ("roomId", "mode", "language", "startedAt", "finishedAt")},
                    id=s["_id"],
                    problem=problems.get(s.get("problemId") or ""),
                    my_role=mine,
                    participants=people,
                    duration_sec=await self._duration(s),
                    overall_score=s.get("overallScore"),
                    verdict=best_verdict(submissions[s["_id"]]),
                )
            )
        return summaries

    async def _duration(self, session: Session) -> int:
        """Stored when the session finished; counted from its timeline until now while it runs."""
        if session.get("durationSec") is not None:
            return session["durationSec"]
        until = session.get("finishedAt") or utcnow()
        return coding_seconds(await self.recorder.clock_events(session["_id"]), until)

    # -- timeline and snapshots --------------------------------------------------------------------------

    async def events(self, principal: Principal, session_id: str) -> list[SessionEvent]:
        await self.access.readable(principal, session_id)
        found = self.db.sessionEvents.find({"sessionId": session_id}).sort(TIME_ORDER)
        return [SessionEvent.model_validate({**e, "id": e["_id"]}) async for e in found]

    async def snapshots(
        self, principal: Principal, session_id: str, q: SnapshotQuery
    ) -> tuple[list[CodeSnapshot], Pagination]:
        await self.access.readable(principal, session_id)
        page = await paginate(
            self.db.codeSnapshots,
            {"sessionId": session_id},
            descending=q.sort_order == "desc",
            cursor=q.cursor,
            limit=q.limit,
            projection=WITHOUT_STATE,
        )
        data = [CodeSnapshot.model_validate({**s, "id": s["_id"]}) for s in page.items]
        return data, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def _final_snapshot(self, session_id: str) -> dict[str, Any] | None:
        """The `session_end` snapshot, or the latest one while the session runs."""
        newest = [("createdAt", -1), ("_id", -1)]
        return await self.db.codeSnapshots.find_one(
            {"sessionId": session_id, "trigger": "session_end"}, sort=newest
        ) or await self.db.codeSnapshots.find_one({"sessionId": session_id}, sort=newest)

    # -- what else happened ------------------------------------------------------------------------------

    async def recording(self, principal: Principal, session_id: str) -> RecordingLink:
        """A short-lived download URL of the session's latest finished recording (404 RECORDING_NOT_FOUND)."""
        await self.access.readable(principal, session_id)
        return await self.recordings.link(session_id)

    async def feedback_of(self, principal: Principal, session_id: str) -> list[PeerFeedbackEntry]:
        session = await self.access.readable(principal, session_id)
        return await self.feedback.session_feedback(session, principal)

    async def ai_messages(self, principal: Principal, session_id: str) -> list[AiMessage]:
        session = await self.access.readable(principal, session_id)
        if "aiMessages" not in COLLECTIONS:  # declared by the AI interviewer when it stores conversations
            return []
        found = self.db.aiMessages.find({"roomId": session["roomId"]}).sort([("createdAt", 1), ("_id", 1)])
        return [AiMessage.model_validate({**m, "id": m["_id"]}) async for m in found]

    # -- whiteboard --------------------------------------------------------------------------------------

    async def whiteboard(self, principal: Principal, session_id: str) -> WhiteboardExport:
        """The shapes of the whiteboard in the session's final document (none without a snapshot)."""
        await self.access.readable(principal, session_id)
        final = await self._final_snapshot(session_id)
        shapes = await asyncio.to_thread(whiteboard.shapes_of_state, bytes(final["state"])) if final else []
        return WhiteboardExport(session_id=session_id, shapes=shapes)

    async def whiteboard_file(self, principal: Principal, session_id: str, fmt: str) -> tuple[str, bytes]:
        """The whiteboard drawn as `svg` or `png`: (content type, body)."""
        shapes = (await self.whiteboard(principal, session_id)).shapes
        if fmt == "svg":
            return EXPORT_TYPES["svg"], (await asyncio.to_thread(whiteboard.render_svg, shapes)).encode()
        try:
            return EXPORT_TYPES["png"], await asyncio.to_thread(whiteboard.render_png, shapes)
        except whiteboard.PngUnavailable as exc:
            raise ServiceUnavailable(
                f"PNG export is unavailable on this server (the cairo library cannot be loaded: {exc}); "
                "ask for format=svg or format=json",
                "EXPORT_FORMAT_UNAVAILABLE",
            ) from None


def list_filter(user_id: str, q: SessionQuery) -> dict[str, Any]:
    query = SessionAccess.visible_to(user_id)
    query.update({k: v for k, v in (("mode", q.mode), ("problemId", q.problem_id)) if v})
    started = {op: when for op, when in (("$gte", q.from_), ("$lt", q.to)) if when}
    if started:
        query["startedAt"] = started
    return query


def names(card: Any) -> dict[str, Any]:
    """A participant's current name (they may have renamed themselves since), when the account still exists."""
    return {"username": card.username, "displayName": card.display_name} if card else {}
