"""/api/sessions/{id}/replay: the keystroke replay of a session's code (syncode/sessions/replay.py)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from handlers.sessions import ACCESS, READ_ERRORS
from syncode.models.sessions import ReplayMarks, ReplayMoment, ReplayQuery


class ReplayHandler(BaseHandler):
    @operation(
        summary="Get the code at a moment of a session",
        tag="Sessions",
        query=ReplayQuery,
        response=ReplayMoment,
        errors=(400, *READ_ERRORS, 410),
        description=f"{ACCESS} The document rebuilt from its edit history as it was `at` ms after the session "
        "started (any moment: before the first edit, it is the starting code; after the finish, the final code), "
        "in the room's active language at that moment (the session's language when that is unknown). editors: "
        "everyone who had edited it by then. 410 HISTORY_UNAVAILABLE when no history of that moment is kept "
        "(SYNCODE_COLLAB_HISTORY_DAYS after the room's last edit it is deleted).",
    )
    async def get(self, sessionId: str) -> None:
        at = self.query(ReplayQuery).at
        self.respond(await self.ctx.replay.moment(self.user, sessionId, at))


class ReplayMarksHandler(BaseHandler):
    @operation(
        summary="Get the moments worth jumping to",
        tag="Sessions",
        response=ReplayMarks,
        errors=READ_ERRORS,
        description=f"{ACCESS} For a replay scrubber: marks in time order (ms since the session started) for runs "
        "and submissions (when judged), phase changes, hints (revealed by the interviewer or asked of the AI), "
        "timer pauses and pauses of a minute or more without an edit; and the number of edits users made in each "
        "10 s window from the start to the finish (or now).",
    )
    async def get(self, sessionId: str) -> None:
        self.respond(await self.ctx.replay.marks(self.user, sessionId))
