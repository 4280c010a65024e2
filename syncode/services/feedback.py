"""Peer feedback in peer rooms: from `wrapup` on, each interviewer/candidate rates the other once.

Until every pair has submitted, each user sees only what they wrote, so nobody's rating is swayed by the other's.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import Conflict, ValidationFailed
from syncode.models.feedback import PeerFeedbackEntry, RoomFeedback, SubmitFeedbackRequest
from syncode.rooms import RoomService
from syncode.rooms.rules import present
from syncode.services.auth import Principal
from syncode.services.permissions import Cap, require
from syncode.sessions.recorder import SessionRecorder

OPEN_PHASES = ("wrapup", "finished")


def parties(room: dict[str, Any]) -> set[str]:
    """Who gives and receives feedback: the present interviewer(s) and candidate(s), never observers."""
    return {p["userId"] for p in present(room) if p["role"] != "observer"}


def everyone_submitted(docs: list[dict[str, Any]], people: set[str]) -> bool:
    """Has each of these people reviewed each other one?"""
    pairs = {(d["reviewerId"], d["revieweeId"]) for d in docs if {d["reviewerId"], d["revieweeId"]} <= people}
    return len(people) >= 2 and len(pairs) == len(people) * (len(people) - 1)


def entry(doc: dict[str, Any]) -> PeerFeedbackEntry:
    return PeerFeedbackEntry.model_validate({**doc, "id": doc["_id"]})


class FeedbackService:
    def __init__(self, db: Database, rooms: RoomService, sessions: SessionRecorder) -> None:
        self.db = db
        self.rooms = rooms
        self.sessions = sessions

    async def _room(self, principal: Principal, room_id: str) -> dict[str, Any]:
        """The room, if the caller takes part in its peer feedback (404/403 as for the room, 409 in ai mode)."""
        room, caps = await self.rooms.access(principal, room_id)
        if room["mode"] != "peer":
            raise Conflict("peer feedback exists in peer rooms only", "FEEDBACK_PEER_ONLY")
        require(caps, Cap.give_feedback)
        return room

    async def open_room(self, principal: Principal, room_id: str) -> dict[str, Any]:
        """The room, if the caller gives feedback in it and feedback is open (from `wrapup` on; 409 before)."""
        room = await self._room(principal, room_id)
        if room["status"] not in OPEN_PHASES or not room.get("sessionId"):
            raise Conflict("feedback opens when the wrapup phase begins", "FEEDBACK_NOT_OPEN")
        return room

    async def submit(self, principal: Principal, room_id: str, req: SubmitFeedbackRequest) -> PeerFeedbackEntry:
        room = await self.open_room(principal, room_id)
        if req.reviewee_id == principal.id:
            raise ValidationFailed("you cannot review yourself", details={"revieweeId": "cannot be yourself"})
        if req.reviewee_id not in parties(room):
            raise ValidationFailed(
                "the reviewee is not the interviewer or candidate of this room",
                details={"revieweeId": "not a reviewable participant"},
            )
        doc = {
            "_id": new_id(),
            "roomId": room_id,
            "sessionId": room["sessionId"],
            "reviewerId": principal.id,
            **req.model_dump(by_alias=True),
            "createdAt": utcnow(),
        }
        try:
            await self.db.peerFeedback.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("you already reviewed this participant", "FEEDBACK_EXISTS") from None
        await self.sessions.event(
            room["sessionId"],
            "feedback_submitted",
            principal.id,
            {"feedbackId": doc["_id"], "revieweeId": req.reviewee_id},
        )
        return entry(doc)

    async def room_feedback(self, principal: Principal, room_id: str) -> RoomFeedback:
        room = await self._room(principal, room_id)
        docs = await self._find({"roomId": room_id})
        all_submitted = everyone_submitted(docs, parties(room))
        visible = docs if all_submitted else [d for d in docs if d["reviewerId"] == principal.id]
        return RoomFeedback(data=[entry(d) for d in visible], all_submitted=all_submitted)

    async def session_feedback(self, session: dict[str, Any], viewer: Principal) -> list[PeerFeedbackEntry]:
        """A session's feedback for one of its readers (SessionAccess decided who): all of it once every pair of
        its interviewers and candidates has submitted, before that what the viewer wrote (admins: all)."""
        docs = await self._find({"sessionId": session["_id"]})
        people = {p["userId"] for p in session["participants"] if p["role"] != "observer"}
        if viewer.is_admin or everyone_submitted(docs, people):
            return [entry(d) for d in docs]
        return [entry(d) for d in docs if d["reviewerId"] == viewer.id]

    async def count_for_session(self, session_id: str) -> int:
        return await self.db.peerFeedback.count_documents({"sessionId": session_id})

    async def about(self, session_id: str, reviewee_id: str) -> list[dict[str, Any]]:
        """Internal (training reports): the feedback a session's participant received."""
        return await self._find({"sessionId": session_id, "revieweeId": reviewee_id})

    async def mine(self, principal: Principal, room_id: str) -> list[PeerFeedbackEntry]:
        await self._room(principal, room_id)
        return [entry(d) for d in await self._find({"roomId": room_id, "reviewerId": principal.id})]

    async def _find(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return [d async for d in self.db.peerFeedback.find(query).sort("createdAt", 1)]
