"""Session records: one per room from `warmup` to `finished`, with its event timeline and code snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import Binary

from syncode.clock import new_id, utcnow
from syncode.db import Database


def timeline_event(
    session_id: str | None, type_: str, actor_id: str | None, data: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {"_id": new_id(), "sessionId": session_id, "type": type_, "actorId": actor_id, "data": data, "at": at}


class SessionRecorder:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self, room: dict[str, Any], now: datetime) -> str:
        session_id = new_id()
        participants = [
            {
                "userId": p["userId"],
                "username": p["username"],
                "displayName": p.get("displayName"),
                "role": p["role"],
                "joinedAt": now,
                "leftAt": None,
            }
            for p in room["participants"]
            if not p.get("leftAt")
        ]
        await self.db.sessions.insert_one(
            {
                "_id": session_id,
                "roomId": room["_id"],
                "mode": room["mode"],
                "problemId": room.get("problemId"),
                "language": room["language"],
                "participants": participants,
                "startedAt": now,
                "finishedAt": None,
                "createdAt": now,
                "status": "active",
                "finalCode": None,
            }
        )
        return session_id

    async def event(self, session_id: str | None, type_: str, actor_id: str | None, data: dict[str, Any]) -> None:
        """Append to the timeline (no-op before the session exists, i.e. while the room is waiting)."""
        await self.events([timeline_event(session_id, type_, actor_id, data, utcnow())])

    async def events(self, events: list[dict[str, Any]]) -> None:
        """Append several `timeline_event`s in one write; those of no session are left out."""
        recorded = [event for event in events if event["sessionId"]]
        if recorded:
            await self.db.sessionEvents.insert_many(recorded, ordered=False)

    async def participant_joined(self, session_id: str | None, participant: dict[str, Any]) -> None:
        if not session_id:
            return
        entry = {
            "userId": participant["userId"],
            "username": participant["username"],
            "displayName": participant.get("displayName"),
            "role": participant["role"],
            "joinedAt": utcnow(),
            "leftAt": None,
        }
        await self.db.sessions.update_one(
            {"_id": session_id, "participants.userId": {"$ne": participant["userId"]}},
            {"$push": {"participants": entry}},
        )

    async def participant_left(self, session_id: str | None, user_id: str) -> None:
        if session_id:
            await self.db.sessions.update_one(
                {"_id": session_id, "participants.userId": user_id},
                {"$set": {"participants.$.leftAt": utcnow()}},
            )

    async def snapshot(
        self, session_id: str, room_id: str, trigger: str, phase: str | None, language: str, code: str, state: bytes
    ) -> None:
        await self.db.codeSnapshots.insert_one(
            {
                "_id": new_id(),
                "sessionId": session_id,
                "roomId": room_id,
                "trigger": trigger,
                "phase": phase,
                "language": language,
                "code": code,
                "linesOfCode": len(code.splitlines()),
                "state": Binary(state),
                "createdAt": utcnow(),
            }
        )
        if trigger == "session_end":
            await self.db.sessions.update_one(
                {"_id": session_id}, {"$set": {"finalCode": {"language": language, "code": code}}}
            )

    async def finish(self, session_id: str | None, now: datetime) -> None:
        if session_id:
            await self.db.sessions.update_one(
                {"_id": session_id, "finishedAt": None},
                {"$set": {"finishedAt": now, "status": "finished"}},
            )
