"""Migrations of the collab data an earlier version left, run once at start-up (CollabService.start), before the
journal's replay and before any socket opens. Each finds nothing to do once its data is current, so running them
at every start is cheap, and a run cut short is finished by the next one."""

from __future__ import annotations

from pymongo.asynchronous.collection import AsyncCollection

from realtime.updatelog import EntryWriter, log_entry, write_entries
from syncode.db import Database

OLD_LOG_INDEX = "roomId_1_seq_1"


async def migrate(db: Database, writer: EntryWriter) -> None:
    """Every migration, oldest first."""
    await rekey_update_log(db.collabUpdates, writer)


async def rekey_update_log(updates: AsyncCollection, writer: EntryWriter) -> None:
    """Entries of the first log format (ObjectId _id, with a (roomId, seq) index) are rekeyed.

    The new entries are written before the old ones are deleted, through the log's writer, which counts entries
    already there as written: a rekeying cut short is redone without loss.
    """
    if OLD_LOG_INDEX in await updates.index_information():
        await updates.drop_index(OLD_LOG_INDEX)
    old = [raw async for raw in updates.find({"_id": {"$type": "objectId"}})]
    if old:
        error = await write_entries(writer, [log_entry(raw["roomId"], raw["seq"], bytes(raw["update"])) for raw in old])
        if error is not None:
            raise error
        await updates.delete_many({"_id": {"$in": [raw["_id"] for raw in old]}})
