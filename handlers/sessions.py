"""/api/sessions: session history, detail, soft delete, timeline, snapshots, recording, feedback, AI messages and
the whiteboard export (the training report and compare live in handlers/reports.py)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.common import DataList, Page
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
    WhiteboardQuery,
)

ACCESS = (
    "Participants of the session (past ones included) and admins: 403 for others, 404 for an unknown id or a "
    "session the caller deleted from their history."
)
READ_ERRORS = (403, 404)


class SessionsHandler(BaseHandler):
    @operation(
        summary="List my session history",
        tag="Sessions",
        query=SessionQuery,
        response=Page[SessionSummary],
        errors=(400,),
        description="Sessions I took part in, without those I deleted. Filters: mode, problemId, from/to (on "
        "startedAt). sortBy startedAt (default), finishedAt (running sessions count as latest), duration (coding "
        "time without pauses; running sessions sort lowest) or overallScore (sessions without a report score sort "
        "lowest); sortOrder desc by default.",
    )
    async def get(self) -> None:
        data, pagination = await self.ctx.history.list_mine(self.user, self.query(SessionQuery))
        self.respond(Page[SessionSummary](data=data, pagination=pagination))


class SessionHandler(BaseHandler):
    @operation(
        summary="Get session details",
        tag="Sessions",
        response=SessionDetail,
        errors=READ_ERRORS,
        description=f"{ACCESS} durationSec counts the coding phase while its timer ran. finalCode is the code at "
        "the end (the latest snapshot while the session runs).",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(await self.ctx.history.detail(self.user, sessionId))

    @operation(
        summary="Soft-delete a session",
        tag="Sessions",
        status=204,
        errors=READ_ERRORS,
        description="Hides the session from the caller's history only (then 404 for them); the other "
        "participants still see it.",
    )
    async def delete(self, sessionId: str) -> None:
        await self.ctx.history.hide(self.user, sessionId)
        self.respond()


class SessionEventsHandler(BaseHandler):
    @operation(
        summary="Get session event timeline",
        tag="Sessions",
        response=DataList[SessionEvent],
        errors=READ_ERRORS,
        description=f"{ACCESS} In time order: phase_changed, participant_joined, participant_left (data.kicked), "
        "role_changed, role_swapped, problem_changed, language_changed, editor_locked, editor_unlocked, "
        "timer_paused, timer_resumed, run and submission (with verdicts; dated when judged), chat_message, "
        "feedback_submitted (and AI and recording events once those exist).",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(DataList[SessionEvent](data=await self.ctx.history.events(self.user, sessionId)))


class SessionSnapshotsHandler(BaseHandler):
    @operation(
        summary="Get code snapshots",
        tag="Sessions",
        query=SnapshotQuery,
        response=Page[CodeSnapshot],
        errors=(400, *READ_ERRORS),
        description=f"{ACCESS} Oldest first by default. Triggers: periodic (every 30 s while the document "
        "changed), phase_change, submission, manual (static analysis of the live document), session_end.",
    )
    async def get(self, sessionId: str) -> None:
        q = self.query(SnapshotQuery)
        data, pagination = await self.ctx.history.snapshots(self.user, sessionId, q)
        self.respond(Page[CodeSnapshot](data=data, pagination=pagination))


class SessionRecordingHandler(BaseHandler):
    @operation(
        summary="Get recording download URL",
        tag="Sessions",
        response=RecordingLink,
        errors=READ_ERRORS,
        description=f"{ACCESS} 404 RECORDING_NOT_FOUND when the session has no recording.",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(await self.ctx.history.recording(self.user, sessionId))


class SessionFeedbackHandler(BaseHandler):
    @operation(
        summary="Get peer feedback for this session",
        tag="Sessions",
        response=DataList[PeerFeedbackEntry],
        errors=READ_ERRORS,
        description=f"{ACCESS} As in the room: until every interviewer/candidate pair has reviewed each other, "
        "each participant sees only what they wrote (admins see all).",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(DataList[PeerFeedbackEntry](data=await self.ctx.history.feedback_of(self.user, sessionId)))


class SessionAiMessagesHandler(BaseHandler):
    @operation(
        summary="Get AI conversation history",
        tag="Sessions",
        response=DataList[AiMessage],
        errors=READ_ERRORS,
        description=f"{ACCESS} Oldest first.",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(DataList[AiMessage](data=await self.ctx.history.ai_messages(self.user, sessionId)))


class SessionWhiteboardHandler(BaseHandler):
    @operation(
        summary="Get whiteboard export",
        tag="Sessions",
        query=WhiteboardQuery,
        response=WhiteboardExport,
        other_content_types=("image/svg+xml", "image/png"),
        errors=(400, *READ_ERRORS, 503),
        description=f"{ACCESS} The whiteboard of the session's final document (Y.Map 'whiteboard'): format=json "
        "(default; the shapes, malformed entries left out), svg (drawn by the server) or png (the SVG rendered, at "
        "most 2048 px a side; 503 EXPORT_FORMAT_UNAVAILABLE where the server cannot render PNG). A session "
        "without a drawing gives an empty one.",
    )
    async def get(self, sessionId: str) -> None:
        fmt = self.query(WhiteboardQuery).format
        if fmt == "json":
            self.respond(await self.ctx.history.whiteboard(self.user, sessionId))
            return
        content_type, body = await self.ctx.history.whiteboard_file(self.user, sessionId, fmt)
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.finish(body)
