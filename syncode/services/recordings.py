"""Session recordings and recording consent: the only code touching `recordings` and `recordingConsents`.

A recording is one LiveKit egress of a room into object storage: {roomId, sessionId, startedBy, key, egressId,
status, startedAt, stoppedAt?, stopReason?, endedAt?, durationSec?, sizeBytes?, error?}. Its status goes
starting -> recording -> stopping -> ready | failed. `active` is set (true) only while it may still be running
(starting, recording) and is unique per room, so a room has one recording running at a time. Consent is kept per
(room, user). The session's recording link is a short-lived URL to the latest ready one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import NotFound
from syncode.models.sessions import RecordingLink
from syncode.services.blobs import BlobStore

Recording = dict[str, Any]
FINAL = ["ready", "failed"]


def recording_key(session_id: str, recording_id: str) -> str:
    return f"recordings/{session_id}/{recording_id}.mp4"


class RecordingStore:
    def __init__(self, db: Database, blobs: BlobStore) -> None:
        self.db = db
        self.blobs = blobs

    # -- consent ---------------------------------------------------------------------------------------------

    async def set_consent(self, room_id: str, user_id: str, consent: bool, at: datetime) -> None:
        entry = {"roomId": room_id, "userId": user_id, "consent": consent, "at": at}
        await self.db.recordingConsents.replace_one({"_id": f"{room_id}:{user_id}"}, entry, upsert=True)

    async def consents(self, room_id: str) -> dict[str, bool]:
        """Each user's latest answer in this room."""
        return {c["userId"]: c["consent"] async for c in self.db.recordingConsents.find({"roomId": room_id})}

    # -- the lifecycle ---------------------------------------------------------------------------------------

    async def create(self, room_id: str, session_id: str, started_by: str) -> Recording | None:
        """A new recording in state `starting`; None when the room has one running already."""
        recording_id = new_id()
        recording = {
            "_id": recording_id,
            "roomId": room_id,
            "sessionId": session_id,
            "startedBy": started_by,
            "key": recording_key(session_id, recording_id),
            "egressId": None,
            "status": "starting",
            "active": True,
            "startedAt": utcnow(),
        }
        try:
            await self.db.recordings.insert_one(recording)
        except DuplicateKeyError:
            return None
        return recording

    async def attach(self, recording_id: str, egress_id: str) -> None:
        """The egress runs: `starting` becomes `recording` (unless it was stopped meanwhile)."""
        await self.db.recordings.update_one(
            {"_id": recording_id}, {"$set": {"egressId": egress_id, "status": "recording"}}
        )

    async def active(self, room_id: str) -> Recording | None:
        return await self.db.recordings.find_one({"roomId": room_id, "active": True})

    async def end(
        self, recording_id: str, status: str, reason: str, by: str | None, error: str | None = None
    ) -> Recording | None:
        """A running recording stops (`stopping`: the egress finishes writing) or failed to start; None when it
        was not running any more."""
        changes = {"status": status, "stoppedAt": utcnow(), "stopReason": reason, "stoppedBy": by, "error": error}
        return await self.db.recordings.find_one_and_update(
            {"_id": recording_id, "active": True},
            {"$set": changes, "$unset": {"active": ""}},
            return_document=ReturnDocument.AFTER,
        )

    async def finish(
        self, egress_id: str, ready: bool, duration_sec: int | None, size_bytes: int | None, error: str | None
    ) -> Recording | None:
        """The egress ended (LiveKit's webhook): the recording before this change, or None when it is unknown or
        was finished already (a webhook delivered twice)."""
        changes = {
            "status": "ready" if ready else "failed",
            "endedAt": utcnow(),
            "durationSec": duration_sec,
            "sizeBytes": size_bytes,
            "error": error,
        }
        return await self.db.recordings.find_one_and_update(
            {"egressId": egress_id, "status": {"$nin": FINAL}},
            {"$set": changes, "$unset": {"active": ""}},
            return_document=ReturnDocument.BEFORE,
        )

    # -- reads -----------------------------------------------------------------------------------------------

    async def link(self, session_id: str) -> RecordingLink:
        """A short-lived download URL of the session's latest finished recording (404 RECORDING_NOT_FOUND)."""
        recording = await self.db.recordings.find_one(
            {"sessionId": session_id, "status": "ready"}, sort=[("endedAt", -1), ("_id", -1)]
        )
        if recording is None:
            raise NotFound("this session has no recording", "RECORDING_NOT_FOUND")
        return RecordingLink(
            url=self.blobs.signed_download(recording["key"]),
            expires_at=utcnow() + timedelta(seconds=self.blobs.ttl_sec),
            duration_sec=recording.get("durationSec"),
        )

    async def bytes_started_by(self, user_id: str) -> int:
        """Bytes of the finished recordings this user started (as the egress reported them)."""
        pipeline = [
            {"$match": {"startedBy": user_id, "status": "ready"}},
            {"$group": {"_id": None, "bytes": {"$sum": {"$ifNull": ["$sizeBytes", 0]}}}},
        ]
        totals = await (await self.db.recordings.aggregate(pipeline)).to_list(1)
        return int(totals[0]["bytes"]) if totals else 0
