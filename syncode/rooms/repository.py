"""The room documents: the only code that reads or writes `db.rooms` and `db.idempotencyKeys`.

Every write goes through `save` (or `insert`), which keeps the read cache true; the named queries ("live rooms of
a user", "idle live rooms") are written once here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from syncode.cache import DocumentCache
from syncode.clock import utcnow
from syncode.db import Database
from syncode.enums import LIVE_STATUSES
from syncode.errors import Conflict, NotFound
from syncode.pagination import PageResult, paginate
from syncode.rooms.rules import Room, invite_code

IDEMPOTENCY_TTL = timedelta(hours=24)
ROOM_CACHE_SIZE = 10_000
ROOM_CACHE_TTL_SEC = 5.0  # how long a change made behind this repository's back may go unseen
LIVE = {"status": {"$in": list(LIVE_STATUSES)}, "deletedAt": None}


def live_rooms_with(user_id: str) -> dict[str, Any]:
    """The query for the live rooms a user is present in."""
    return {**LIVE, "participants": {"$elemMatch": {"userId": user_id, "leftAt": None}}}


class RoomRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Every request in a room reads its document; this repository makes every write to it (DESIGN.md: a room
        # belongs to one process), so reads are served from memory between writes.
        self._cache = DocumentCache(capacity=ROOM_CACHE_SIZE, ttl=ROOM_CACHE_TTL_SEC)

    # -- one room ----------------------------------------------------------------------------------------

    async def read(self, room_id: str) -> Room | None:
        """The room's document, deleted or not. By _id alone: the embedded database serves a bare _id equality
        on a point-lookup fast path, while any other field sends it through its query planner."""
        return await self._cache.get(room_id, lambda: self.db.rooms.find_one({"_id": room_id}))

    async def load(self, room_id: str) -> Room:
        room = await self.read(room_id)
        if room is None or room.get("deletedAt") is not None:
            raise NotFound("room not found", "ROOM_NOT_FOUND")
        return room

    async def save(self, room: Room, changes: dict[str, Any], unset: dict[str, Any] | None = None) -> Room:
        """Store the changes; returns the room as it now is."""
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": utcnow()}}
        if unset:
            update["$unset"] = unset
        await self._write(room["_id"], self.db.rooms.update_one({"_id": room["_id"]}, update))
        room = {**room, **changes}
        for key in unset or {}:
            room.pop(key, None)
        return room

    async def touch(self, room_id: str) -> None:
        """Someone came or went: the room is not abandoned."""
        await self._write(room_id, self.db.rooms.update_one({"_id": room_id}, {"$set": {"lastActivityAt": utcnow()}}))

    async def insert(self, room: Room) -> None:
        """Store a new room under a fresh invite code (unique among live rooms); sets `inviteCode` on it."""
        for _ in range(20):
            code = invite_code()
            try:
                await self.db.rooms.insert_one({**room, "inviteCode": code, "inviteKey": code})
                room.update(inviteCode=code, inviteKey=code)
                return
            except DuplicateKeyError:
                continue  # the code is in use by a live room: draw again
        raise Conflict("could not allocate an invite code, try again", "INVITE_CODE_EXHAUSTED")

    async def remove(self, room_id: str) -> None:
        await self._write(room_id, self.db.rooms.delete_one({"_id": room_id}))

    async def by_code(self, code: str) -> Room:
        """The live room with this code, else the latest finished one that had it (codes are reused)."""
        code = code.strip().upper()
        room = await self.db.rooms.find_one({"inviteKey": code, "deletedAt": None})
        if room is None:
            room = await self.db.rooms.find_one({"inviteCode": code, "deletedAt": None}, sort=[("createdAt", -1)])
        if room is None:
            raise NotFound("no room with this invite code", "ROOM_NOT_FOUND")
        return room

    async def _write(self, room_id: str, write: Any) -> None:
        try:
            await write
        finally:
            self.forget(room_id)

    def forget(self, room_id: str) -> None:
        """After a change made to the room's document behind this repository's back (directly in the database)."""
        self._cache.forget(room_id)

    # -- idempotent creation -----------------------------------------------------------------------------

    async def created_with(self, user_id: str, key: str) -> str | None:
        """The room an earlier create with this idempotency key made."""
        replay = await self.db.idempotencyKeys.find_one({"_id": f"{user_id}:{key}"})
        return replay["roomId"] if replay else None

    async def remember_creation(self, user_id: str, key: str, room_id: str, now: datetime) -> bool:
        """False when a concurrent create with the same key got there first."""
        try:
            await self.db.idempotencyKeys.insert_one(
                {"_id": f"{user_id}:{key}", "roomId": room_id, "createdAt": now, "expiresAt": now + IDEMPOTENCY_TTL}
            )
        except DuplicateKeyError:
            return False
        return True

    # -- named queries -----------------------------------------------------------------------------------

    async def live_ids_of(self, user_id: str) -> list[str]:
        return [r["_id"] async for r in self.db.rooms.find(live_rooms_with(user_id), {"_id": 1})]

    async def count_live_of(self, user_id: str) -> int:
        return await self.db.rooms.count_documents(live_rooms_with(user_id))

    async def latest_live_of(self, user_id: str) -> Room | None:
        return await self.db.rooms.find_one(live_rooms_with(user_id), sort=[("updatedAt", -1)])

    def live_rooms(self) -> AsyncIterator[Room]:
        return self.db.rooms.find(LIVE)

    def idle_live_ids(self, since: datetime) -> AsyncIterator[dict[str, Any]]:
        return self.db.rooms.find({**LIVE, "lastActivityAt": {"$lt": since}}, {"_id": 1})

    async def page(self, filters: dict[str, Any], descending: bool, cursor: str | None, limit: int) -> PageResult:
        """Rooms not deleted that match `filters` (status, mode, participants.userId), one page."""
        query = {"deletedAt": None, **filters}
        return await paginate(self.db.rooms, query, descending=descending, cursor=cursor, limit=limit)

    async def problem_in_live_use(self, problem_id: str) -> bool:
        return await self.db.rooms.count_documents({**LIVE, "problemId": problem_id}, limit=1) > 0

    async def count(self, filters: dict[str, Any]) -> int:
        return await self.db.rooms.count_documents(filters)

    async def count_by_status(self) -> dict[str, int]:
        groups = await self.db.rooms.aggregate([{"$group": {"_id": "$status", "n": {"$sum": 1}}}])
        return {g["_id"]: g["n"] async for g in groups}
