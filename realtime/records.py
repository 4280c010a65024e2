"""The collab document records, in MongoDB's collabDocs: one per room, with the last snapshot (a Yjs update holding
the full state), the sequence number it covers, lock flag, active language, kicks, roles, and a tombstone once
destroyed.

The updates since a snapshot are the update log's (realtime/updatelog.py); the records drop the entries a new
snapshot or a tombstone covers, through the UpdateLog interface. A document's history (realtime/history.py) outlives
both: creating a document writes its base checkpoint, and a revived one's seqs go on after its history's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from realtime.history import DocumentHistory, checkpoint_entry, millis
from realtime.updatelog import UpdateLog
from syncode.clock import utcnow

COMPACTIONS_AT_ONCE = 4


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


class DocumentRecords:
    def __init__(self, docs: AsyncCollection, log: UpdateLog, history: DocumentHistory) -> None:
        self.docs = docs
        self.log = log
        self.history = history
        self._compaction_slots = asyncio.Semaphore(COMPACTIONS_AT_ONCE)

    async def create(self, room_id: str, state: bytes, language: str) -> tuple[bool, DocRecord]:
        """Idempotent: an existing live record is returned untouched; a destroyed one is started afresh."""
        last_seq = await self.history.last_seq(room_id)
        fresh = {
            "createdAt": utcnow(),
            "snapshot": Binary(state),
            "snapshotSeq": last_seq + 1 if last_seq else 0,  # history keys stay unique across revivals
            "locked": False,
            "language": language,
            "kicks": [],
            "roles": [],
        }
        try:
            await self.docs.insert_one({"_id": room_id, **fresh})
            return True, await self._begin_history(DocRecord.from_mongo({"_id": room_id, **fresh}))
        except DuplicateKeyError:
            pass
        revived = await self.docs.find_one_and_replace(
            {"_id": room_id, "destroyedAt": {"$exists": True}}, fresh, return_document=ReturnDocument.AFTER
        )
        if revived:
            await self.log.discard(room_id)
            return True, await self._begin_history(DocRecord.from_mongo(revived))
        existing = await self.record(room_id)
        assert existing is not None, "a record that collided on insert cannot vanish without a destroy"
        return False, existing

    async def _begin_history(self, record: DocRecord) -> DocRecord:
        """The base checkpoint of a new (or revived) document's history: its first state."""
        base = checkpoint_entry(
            record.room_id, record.snapshot_seq, record.snapshot, millis(record.created_at), [], record.language
        )
        await self.history.add_checkpoint(base)
        return record

    async def record(self, room_id: str) -> DocRecord | None:
        raw = await self.docs.find_one({"_id": room_id})
        return DocRecord.from_mongo(raw) if raw else None

    async def snapshot_seqs(self, room_ids: list[str]) -> dict[str, int]:
        """The seq each live record's snapshot covers, of these rooms (destroyed and unknown ones are left out)."""
        live = {"_id": {"$in": room_ids}, "destroyedAt": {"$exists": False}}
        return {raw["_id"]: raw["snapshotSeq"] async for raw in self.docs.find(live, {"snapshotSeq": 1})}

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
        Queued log writes land first, so none arrives after the trim. A few compactions run at a time: rooms
        loaded together come due together, and hundreds at once would hold up the relay behind them.
        """
        async with self._compaction_slots:
            await self.log.drain()
            await self.docs.update_one(
                {"_id": room_id, "destroyedAt": {"$exists": False}},
                {"$set": {"snapshot": Binary(state), "snapshotSeq": upto_seq}},
            )
            await self.log.discard(room_id, upto=upto_seq)

    async def destroy(self, room_id: str, final_state: bytes) -> None:
        await self.docs.update_one(
            {"_id": room_id}, {"$set": {"snapshot": Binary(final_state), "destroyedAt": utcnow()}}
        )
        await self.log.discard(room_id)
