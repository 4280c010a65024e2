"""Session records: one per room from `warmup` to `finished`, with its event timeline and code snapshots.

The session's problem, language and participants' roles follow its timeline (`problem_changed`,
`language_changed`, `role_changed`, `role_swapped` events update them); its coding time is stored when it finishes.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bson import Binary

from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.sessions.timeline import CLOCK_EVENTS, TIME_ORDER, coding_seconds

_last_seq = [0]


def next_seq() -> int:
    """Increasing with every call (and across restarts: it follows the clock), so events of one millisecond keep
    the order they were recorded in."""
    _last_seq[0] = max(_last_seq[0] + 1, time.time_ns())
    return _last_seq[0]


def timeline_event(
    session_id: str | None, type_: str, actor_id: str | None, data: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "_id": new_id(),
        "sessionId": session_id,
        "type": type_,
        "actorId": actor_id,
        "data": data,
        "at": at,
        "seq": next_seq(),
    }


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
        if session_id:
            await self._follow(session_id, type_, data)

    async def _follow(self, session_id: str, type_: str, data: dict[str, Any]) -> None:
        """What an event changes in the session record itself."""
        if type_ == "problem_changed":
            await self.db.sessions.update_one({"_id": session_id}, {"$set": {"problemId": data["problemId"]}})
        elif type_ == "language_changed":
            await self.db.sessions.update_one({"_id": session_id}, {"$set": {"language": data["language"]}})
        elif type_ == "role_changed":
            await self._set_role(session_id, data["userId"], data["to"])
        elif type_ == "role_swapped":
            for user_id, role in data.get("roles", {}).items():
                await self._set_role(session_id, user_id, role)

    async def _set_role(self, session_id: str, user_id: str, role: str) -> None:
        await self.db.sessions.update_one(
            {"_id": session_id, "participants.userId": user_id}, {"$set": {"participants.$.role": role}}
        )

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
        self,
        session_id: str,
        room_id: str,
        trigger: str,
        phase: str | None,
        language: str,
        code: str,
        state: bytes,
        editors: list[str] | None = None,
        at: datetime | None = None,
    ) -> None:
        """A code snapshot: `editors` edited since the previous one; `at` is when the collab plane took it (the
        replay of that moment gives the same code)."""
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
                "editors": editors or [],
                "state": Binary(state),
                "createdAt": at or utcnow(),
            }
        )
        if trigger == "session_end":
            await self.db.sessions.update_one(
                {"_id": session_id}, {"$set": {"finalCode": {"language": language, "code": code}}}
            )

    async def finish(self, session_id: str | None, now: datetime) -> None:
        """Close the record, with its coding time (the timeline's phases and pauses up to now)."""
        if session_id:
            duration = coding_seconds(await self.clock_events(session_id), now)
            await self.db.sessions.update_one(
                {"_id": session_id, "finishedAt": None},
                {"$set": {"finishedAt": now, "status": "finished", "durationSec": duration}},
            )

    async def clock_events(self, session_id: str) -> list[dict[str, Any]]:
        """The session's phase changes, pauses and resumes, in time order."""
        query = {"sessionId": session_id, "type": {"$in": list(CLOCK_EVENTS)}}
        return await self.db.sessionEvents.find(query).sort(TIME_ORDER).to_list(None)

    async def report_state(self, session_id: str, status: str, overall_score: float | None = None) -> None:
        """The hook for training reports: the session lists its report's status (`pending`, `ready`, `failed`)
        and, once scored, the overall score its history sorts by."""
        await self.db.sessions.update_one(
            {"_id": session_id}, {"$set": {"reportStatus": status, "overallScore": overall_score}}
        )

    async def recording_ready(self, session_id: str, recording_id: str, duration_sec: int | None) -> None:
        """The hook for media: the session has a recording (its latest finished one), for `hasRecording`."""
        await self.db.sessions.update_one(
            {"_id": session_id}, {"$set": {"recording": {"recordingId": recording_id, "durationSec": duration_sec}}}
        )
