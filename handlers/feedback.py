"""/api/rooms/{roomId}/feedback: peer evaluations (peer mode, from `wrapup` on)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.common import DataList
from syncode.models.feedback import PeerFeedbackEntry, RoomFeedback, SubmitFeedbackRequest

ACCESS = "Interviewer and candidate of a peer room (observers: 403; ai rooms: 409 FEEDBACK_PEER_ONLY)."


class FeedbackHandler(BaseHandler):
    @operation(
        summary="Submit peer evaluation",
        tag="Feedback",
        request=SubmitFeedbackRequest,
        response=PeerFeedbackEntry,
        status=201,
        errors=(400, 403, 404, 409),
        description=f"{ACCESS} From `wrapup` on (409 FEEDBACK_NOT_OPEN before); one per reviewer and "
        "reviewee (409 FEEDBACK_EXISTS); 400 when reviewing yourself or a non-participant.",
    )
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.feedback.submit(self.user, roomId, self.body(SubmitFeedbackRequest)))

    @operation(
        summary="Get all feedback for this room",
        tag="Feedback",
        response=RoomFeedback,
        errors=(403, 404, 409),
        description=f"{ACCESS} Until every pair has submitted (`allSubmitted`), each user sees only what they wrote.",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.feedback.room_feedback(self.user, roomId))


class MyFeedbackHandler(BaseHandler):
    @operation(
        summary="Get my submitted feedback",
        tag="Feedback",
        response=DataList[PeerFeedbackEntry],
        errors=(403, 404, 409),
        description=ACCESS,
    )
    async def get(self, roomId: str) -> None:
        data = await self.ctx.feedback.mine(self.user, roomId)
        self.respond(DataList[PeerFeedbackEntry](data=data))
