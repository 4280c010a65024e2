"""/api/matchmaking/*: the queue, the status of a search, answers to proposals."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.matchmaking import EnterQueueRequest, MatchStatus, QueueEntered

EVENTS = (
    "Pushed to the user on /api/ws as well: `match.proposed` (MatchProposal), `match.accepted` {matchId, userId}, "
    "`match.declined` / `match.expired` {matchId, status}, `match.ready` and `match.matched` (MatchProposal with "
    "roomId)."
)


class QueueHandler(BaseHandler):
    @operation(
        summary="Enter the matchmaking queue",
        tag="Matchmaking",
        request=EnterQueueRequest,
        response=QueueEntered,
        status=202,
        errors=(400, 401, 409),
        description="Empty lists mean any. Re-entering replaces the earlier entry (and its place). 409 "
        "IN_LIVE_ROOM while the user is in a live room, MATCH_PENDING while a proposal awaits an answer. The "
        "entry leaves the queue after 2 minutes without a status poll or an open /api/ws connection. " + EVENTS,
    )
    async def post(self) -> None:
        self.respond(await self.ctx.matchmaking.enter(self.user, self.body(EnterQueueRequest)))

    @operation(
        summary="Cancel matchmaking",
        tag="Matchmaking",
        status=204,
        errors=(401,),
        description="Idempotent. A pending proposal counts as declined: the other user goes back to the queue.",
    )
    async def delete(self) -> None:
        await self.ctx.matchmaking.cancel(self.user.id)
        self.respond()


class StatusHandler(BaseHandler):
    @operation(
        summary="Get current match status",
        tag="Matchmaking",
        response=MatchStatus,
        errors=(401,),
        description="`idle`, `searching` (queuedAt, position), `proposed` or `matched` (match, with roomId once "
        "both accepted; `matched` lasts while that room is live). A poll keeps a searching entry alive.",
    )
    async def get(self) -> None:
        self.respond(await self.ctx.matchmaking.status(self.user))


class AcceptHandler(BaseHandler):
    @operation(
        summary="Accept a proposed match",
        tag="Matchmaking",
        response=MatchStatus,
        errors=(401, 404, 409, 410),
        description="When both accepted, a peer room is created with the proposed problem and language, both are "
        "joined in their roles, and the status is `matched` with roomId. Repeating an acceptance is harmless. "
        "410 MATCH_EXPIRED / MATCH_DECLINED.",
    )
    async def post(self, matchId: str) -> None:
        self.respond(await self.ctx.matchmaking.accept(self.user, matchId))


class DeclineHandler(BaseHandler):
    @operation(
        summary="Decline a proposed match",
        tag="Matchmaking",
        status=204,
        errors=(401, 404, 409, 410),
        description="The decliner leaves the queue; the other user goes back to it at their old place. 409 "
        "MATCH_ACCEPTED once both accepted.",
    )
    async def post(self, matchId: str) -> None:
        await self.ctx.matchmaking.decline(self.user, matchId)
        self.respond()
