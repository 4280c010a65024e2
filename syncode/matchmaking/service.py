"""The five matchmaking commands (API.md, Matchmaking): enter the queue, cancel, status, accept, decline; and what
other parts of the server tell matchmaking (a user joined a room, an account is gone)."""

from __future__ import annotations

import asyncio

from syncode.clock import utcnow
from syncode.errors import Conflict, Gone, NotFound
from syncode.matchmaking.engine import MatchEngine
from syncode.matchmaking.outcomes import Outcomes, notify
from syncode.matchmaking.rules import Preferences
from syncode.matchmaking.scores import ScoreSource
from syncode.matchmaking.store import CREATING, DECLINED, MATCHED, PROPOSED, SEARCHING, Doc, MatchStore
from syncode.matchmaking.views import MatchViews
from syncode.models.matchmaking import EnterQueueRequest, MatchStatus, QueueEntered
from syncode.rooms import RoomService
from syncode.services.auth import Principal
from syncode.services.problems import ProblemService


class MatchmakingService:
    def __init__(
        self,
        store: MatchStore,
        engine: MatchEngine,
        outcomes: Outcomes,
        views: MatchViews,
        rooms: RoomService,
        problems: ProblemService,
        scores: ScoreSource,
    ) -> None:
        self.store = store
        self.engine = engine
        self.outcomes = outcomes
        self.views = views
        self.rooms = rooms
        self.problems = problems
        self.scores = scores

    async def start(self) -> None:
        await self.engine.start()

    async def close(self) -> None:
        await self.engine.close()

    # -- commands ----------------------------------------------------------------------------------------

    async def enter(self, principal: Principal, req: EnterQueueRequest) -> QueueEntered:
        """A searching entry with these preferences, replacing the user's earlier one (and its place)."""
        me = [principal.id]
        rooms, scores, solved = await asyncio.gather(
            self.rooms.rooms_of(principal.id), self.scores(me), self.problems.solved_by(me)
        )
        if rooms:
            raise Conflict("leave or finish your live room before matchmaking", "IN_LIVE_ROOM")
        prefs = Preferences(tuple(req.languages), tuple(req.difficulties), tuple(req.topics), tuple(req.roles))
        facts = {"prefs": prefs.stored(), "mode": req.mode, "score": scores.get(principal.id)}
        entry = await self.store.enter(
            principal.id, {**facts, "solved": sorted(solved.get(principal.id, ()))}, utcnow()
        )
        if entry is None:
            raise Conflict("you have a match proposal: accept or decline it first", "MATCH_PENDING")
        self.engine.kick()
        return QueueEntered(queued_at=entry["queuedAt"], position=self.store.position(entry["queuedAt"]))

    async def cancel(self, user_id: str) -> None:
        """Leave the queue; a pending proposal counts as declined (the other user goes back to the queue)."""
        for _ in range(3):  # the entry may be claimed between the read and the removal: look again
            entry = await self.store.entry(user_id)
            if entry is None:
                return
            if entry["state"] == PROPOSED:
                match = await self.store.end(entry["matchId"], DECLINED, utcnow(), user_id)
                if match is not None:
                    await self._settle(match)
            if await self.store.remove(user_id, (SEARCHING, MATCHED)):
                return

    async def status(self, principal: Principal) -> MatchStatus:
        """Where the user stands; a poll while searching keeps the entry alive."""
        entry = await self.store.entry(principal.id)
        if entry is None:
            return MatchStatus(status="idle")
        if entry["state"] == SEARCHING:
            await self.store.heartbeat(principal.id, utcnow())
            return await self._searching(entry)
        match = await self.store.match(entry["matchId"])
        if match is None:  # a pass is writing the proposal right now
            return await self._searching(entry)
        if entry["state"] == MATCHED:
            if entry["roomId"] in await self.rooms.rooms_of(principal.id):
                return MatchStatus(status="matched", match=await self.views.proposal(match, principal.id))
            await self.store.remove(principal.id, (MATCHED,))  # the room is over
            return MatchStatus(status="idle")
        view = await self.views.proposal(match, principal.id)
        return MatchStatus(status="proposed", queued_at=entry["queuedAt"], match=view)

    async def _searching(self, entry: Doc) -> MatchStatus:
        position = self.store.position(entry["queuedAt"])
        return MatchStatus(status="searching", queued_at=entry["queuedAt"], position=position)

    async def accept(self, principal: Principal, match_id: str) -> MatchStatus:
        """The second acceptance creates the room before answering (status `matched` with its roomId)."""
        match = await self.store.accept(match_id, principal.id, utcnow())
        if match is None:
            await self._check_answerable(principal.id, match_id, accepting=True)
            return await self.status(principal)
        for user_id in match["userIds"]:
            notify(self.outcomes.bus, user_id, "match.accepted", {"matchId": match_id, "userId": principal.id})
        if match["state"] == CREATING and match.get("completedBy") == principal.id:
            await self.outcomes.open_room(match)
        return await self.status(principal)

    async def decline(self, principal: Principal, match_id: str) -> None:
        match = await self.store.end(match_id, DECLINED, utcnow(), principal.id)
        if match is None:
            await self._check_answerable(principal.id, match_id, accepting=False)
            return
        await self._settle(match)

    async def _settle(self, match: Doc) -> None:
        await self.outcomes.settle(match)
        self.engine.kick()

    async def _check_answerable(self, user_id: str, match_id: str, accepting: bool) -> None:
        """Why an answer changed nothing: fine when it repeats an earlier one, else the error that says why."""
        match = await self.store.match(match_id)
        if match is None or user_id not in match["userIds"]:
            raise NotFound("no such match", "MATCH_NOT_FOUND")
        state, mine = match["state"], user_id in match["accepted"]
        live = state in (CREATING, MATCHED) or (state == PROPOSED and match["expiresAt"] > utcnow())
        if accepting and mine and live:
            return
        if not accepting and state == DECLINED and match.get("endedBy") == user_id:
            return
        if state in (CREATING, MATCHED):
            raise Conflict("both accepted this match; leave its room instead", "MATCH_ACCEPTED")
        if state == DECLINED:
            raise Gone("this match was declined", "MATCH_DECLINED")
        raise Gone("this match has expired", "MATCH_EXPIRED")

    # -- what others tell matchmaking --------------------------------------------------------------------

    async def joined_room(self, user_id: str) -> None:
        """A searching user joined a room by other means: they leave the queue (a proposal runs its course)."""
        await self.store.remove(user_id, (SEARCHING,))
