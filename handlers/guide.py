"""The interviewer's guide: /api/rooms/{roomId}/guide, /hints/reveal, /feedback/form and /api/sessions/{id}/guide."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.guide import FeedbackForm, InterviewerGuide, RevealHintRequest
from syncode.models.rooms import RoomDetail

GUIDE = (
    "The intended approach, the reference solution's complexity, common mistakes, follow-up questions, a rubric "
    "(what a 1, a 3 and a 5 look like in each rated dimension), the hint ladder and the reference solutions. "
)


class RoomGuideHandler(BaseHandler):
    @operation(
        summary="Get the interviewer's guide",
        tag="Guide",
        response=InterviewerGuide,
        errors=(403, 404, 409),
        description=GUIDE + "The room's interviewer only: candidates, observers and everyone in ai mode get 403 "
        "(`read_guide` in myCapabilities). 409 ROOM_NO_PROBLEM before a problem is chosen. A problem without a "
        "written guide answers with the hints and solutions only (approach, complexity and rubric null).",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.guide.for_room(self.user, roomId))


class HintRevealHandler(BaseHandler):
    @operation(
        summary="Reveal the next hint to the candidate",
        tag="Guide",
        request=RevealHintRequest,
        response=RoomDetail,
        errors=(400, 403, 404, 409),
        description="The interviewer (`reveal_hint`) shows hint `index` of the problem's ladder: the first one "
        "not yet revealed (409 HINT_OUT_OF_ORDER with details.next otherwise; an already revealed index is a no-op). "
        "From warmup until the room finishes (409 ROOM_NOT_STARTED, ROOM_FINISHED; ROOM_NO_PROBLEM). The hint "
        "appears in RoomDetail.revealedHints, as `hint.revealed` {index, text, revealedBy, revealedAt, total} on "
        "/api/ws, and as a `hint_revealed` event of the session timeline.",
    )
    async def post(self, roomId: str) -> None:
        req = self.body(RevealHintRequest)
        self.respond(await self.ctx.rooms.reveal_hint(self.user, roomId, req.index))


class FeedbackFormHandler(BaseHandler):
    @operation(
        summary="Get the feedback form's rating anchors",
        tag="Feedback",
        response=FeedbackForm,
        errors=(403, 404, 409),
        description="For each participant the caller reviews, what a 1, a 3 and a 5 mean for each rating: the "
        "problem's rubric when rating the candidate (`source: problem`), general anchors otherwise. Same access as "
        "the feedback itself: interviewer and candidate of a peer room, from `wrapup` on (409 FEEDBACK_NOT_OPEN, "
        "FEEDBACK_PEER_ONLY).",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.guide.feedback_form(self.user, roomId))


class SessionGuideHandler(BaseHandler):
    @operation(
        summary="Get the guide of a finished session",
        tag="Guide",
        response=InterviewerGuide,
        errors=(403, 404, 409),
        description=GUIDE + "Every participant of the session (and admins), once the session has finished "
        "(409 SESSION_NOT_FINISHED before; during the session the interviewer reads GET /rooms/{roomId}/guide).",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(await self.ctx.guide.for_session(self.user, sessionId))
