"""Durable state of collab documents in MongoDB.

collabDocs     one record per room: the last snapshot (a Yjs update holding the full state), the sequence
               number it covers, lock flag, active language, kicks, and a tombstone once destroyed.
collabUpdates  the update log: every accepted update since that snapshot, keyed by (roomId, seq).

Writes to the log are group-committed: updates arriving while a batch is in flight go out together in the
next insert_many, so the cost per update stays near one round trip however many rooms are busy.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from syncode.clock import utcnow
from syncode.db import Database

log = logging.getLogger("syncode.collab.store")


@dataclass(frozen=True)
class Kick:
    at: int  # epoch seconds: tokens issued before this are refused
    jtis: frozenset[str]  # tokens in use at kick time, refused even when issued in the same second

    def refuses(self, claims: dict[str, Any]) -> bool:
        return claims.get("jti") in self.jtis or int(claims.get("iat", 0)) < self.at


@dataclass
class DocRecord:
    room_id: str
    created_at: datetime
    snapshot: bytes
    snapshot_seq: int
    locked: bool = False
    language: str = "python"
    kicks: dict[str, list[Kick]] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    destroyed: bool = False

    @classmethod
    def from_mongo(cls, raw: dict[str, Any]) -> DocRecord:
        kicks: dict[str, list[Kick]] = {}
        for entry in raw.get("kicks", []):
            kicks.setdefault(entry["userId"], []).append(Kick(entry["at"], frozenset(entry["jtis"])))
        return cls(
            room_id=raw["_id"],
            created_at=raw["createdAt"],
            snapshot=bytes(raw["snapshot"]),
            snapshot_seq=raw["snapshotSeq"],
            locked=raw.get("locked", False),
            language=raw.get("language", "python"),
            kicks=kicks,
            roles={entry["userId"]: entry["role"] for entry in raw.get("roles", [])},
            destroyed="destroyedAt" in raw,
        )


class CollabStore:
    def __init__(self, db: Database) -> None:
        self.docs = db.collabDocs
        self.updates = db.collabUpdates
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task | None = None

    # -- records -----------------------------------------------------------------------------------------

    async def create(self, room_id: str, state: bytes, language: str) -> tuple[bool, DocRecord]:
        """Idempotent: an existing live record is returned untouched; a destroyed one is started afresh."""
        fresh = {
            "createdAt": utcnow(),
            "snapshot": Binary(state),
            "snapshotSeq": 0,
            "locked": False,
            "language": language,
            "kicks": [],
            "roles": [],
        }
        try:
            await self.docs.insert_one({"_id": room_id, **fresh})
            return True, DocRecord.from_mongo({"_id": room_id, **fresh})
        except DuplicateKeyError:
            pass
        revived = await self.docs.find_one_and_replace(
            {"_id": room_id, "destroyedAt": {"$exists": True}}, fresh, return_document=ReturnDocument.AFTER
        )
        if revived:
            await self.updates.delete_many({"roomId": room_id})
            return True, DocRecord.from_mongo(revived)
        existing = await self.record(room_id)
        assert existing is not None, "a record that collided on insert cannot vanish without a destroy"
        return False, existing

    async def record(self, room_id: str) -> DocRecord | None:
        raw = await self.docs.find_one({"_id": room_id})
        return DocRecord.from_mongo(raw) if raw else None

    async def updates_after(self, room_id: str, seq: int) -> list[tuple[int, bytes]]:
        cursor = self.updates.find({"roomId": room_id, "seq": {"$gt": seq}}).sort("seq", 1)
        return [(raw["seq"], bytes(raw["update"])) async for raw in cursor]

    async def set_fields(self, room_id: str, **fields: Any) -> bool:
        """Update live (not destroyed) record fields; False when there is no such record."""
        result = await self.docs.update_one({"_id": room_id, "destroyedAt": {"$exists": False}}, {"$set": fields})
        return result.matched_count == 1

    async def add_kick(self, room_id: str, user_id: str, kick: Kick) -> bool:
        result = await self.docs.update_one(
            {"_id": room_id, "destroyedAt": {"$exists": False}},
            {"$push": {"kicks": {"userId": user_id, "at": kick.at, "jtis": sorted(kick.jtis)}}},
        )
        return result.matched_count == 1

    async def set_role(self, room_id: str, user_id: str, role: str) -> bool:
        """Roles are a list of {userId, role}: user ids never become field names."""
        live = {"_id": room_id, "destroyedAt": {"$exists": False}}
        result = await self.docs.update_one(live, {"$pull": {"roles": {"userId": user_id}}})
        if result.matched_count == 0:
            return False
        await self.docs.update_one(live, {"$push": {"roles": {"userId": user_id, "role": role}}})
        return True

    async def compact(self, room_id: str, state: bytes, upto_seq: int) -> None:
        """Write the full state as the snapshot covering the log up to upto_seq, then trim the log.

        A crash between the two steps leaves log entries the snapshot already covers; loading skips them.
        """
        await self.docs.update_one(
            {"_id": room_id, "destroyedAt": {"$exists": False}},
            {"$set": {"snapshot": Binary(state), "snapshotSeq": upto_seq}},
        )
        await self.updates.delete_many({"roomId": room_id, "seq": {"$lte": upto_seq}})

    async def destroy(self, room_id: str, final_state: bytes) -> None:
        await self.docs.update_one(
            {"_id": room_id}, {"$set": {"snapshot": Binary(final_state), "destroyedAt": utcnow()}}
        )
        await self.updates.delete_many({"roomId": room_id})

    # -- the update log ----------------------------------------------------------------------------------

    def append(self, room_id: str, seq: int, update: bytes) -> asyncio.Future[None]:
        """Queue one update for the log; the future resolves once MongoDB has acknowledged it."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(({"roomId": room_id, "seq": seq, "update": Binary(update)}, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self.updates.insert_many([entry for entry, _ in batch], ordered=True)
                except PyMongoError as exc:
                    log.error("update log write failed", extra={"updates": len(batch), "error": str(exc)})
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
        finally:
            self._flusher = None

    async def drain(self) -> None:
        """Wait until every queued update has been written (or has failed)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)


def _settle(batch: list[tuple[dict[str, Any], asyncio.Future[None]]], error: Exception | None) -> None:
    for _, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
