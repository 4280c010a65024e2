"""The collab history: every update a room's document accepted, with its time and author, kept after compaction
has folded the update log into a snapshot, in checkpoints of the full state, to rebuild the document as it was at
any moment.

The newest part is the update log itself (realtime/updatelog.py: each entry has its `at`, and `by`, the author's
user id, None for the server's own edits). A room takes a checkpoint every collab_history_checkpoint_updates updates,
or sooner once the updates since the last reach CHECKPOINT_BYTES, before every compaction (so compaction deletes
nothing that is not in one) and before its document is destroyed; it goes out in the log's batches (written, or
retried until it is, before the log's drain() returns, which compaction waits for). A checkpoint is a mark in
collabCheckpoints (_id `<roomId>:<seq>`, roomId, seq, at, `editors`: every author so far in order of first edit,
`language`: the room's active one then, `after`: the seq of the previous checkpoint, `edits`: when users edited since
then) and its data in collabCheckpointData (same _id: the full state, and the chunk, the log's entries since the
previous checkpoint: `seqs`, `times`, `authors`, `updates`), apart so that reading a room's marks parses none of it.
A document gets a checkpoint when it is created or revived (its base), and a room that has none when it loads.

So the document at a moment takes three reads: the room's marks, the state of the last checkpoint at or before it,
and the entries after that up to the moment (the next checkpoint's chunk, or the log after the last one). Marks and
data are read by (roomId, seq), an index each (the embedded database answers _id ranges by scanning the whole
collection). Numbers in a checkpoint are packed as int64s: the embedded database parses lists of them slowly.

Times are monotonic per room in ms (the room's clock, realtime/room.py), so an entry's `at` orders like its seq.
Retention: a room's history goes collab_history_days after its last edit; of a room still edited, what lies before
its last checkpoint older than that (expire()).
"""

from __future__ import annotations

import asyncio
import logging
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import Binary
from pycrdt import Doc, Map, Text, merge_updates
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from realtime.updatelog import EPOCH, Edit, UpdateLog, log_key
from syncode.collab import DocumentMoment

log = logging.getLogger("syncode.collab.history")

CHECKPOINT_BYTES = 1024 * 1024  # of updates in one chunk: with the state (<= the document cap), under 16 MB
EXPIRED_ROOMS_AT_ONCE = 100
SEQ_UP, SEQ_DOWN = [("seq", 1)], [("seq", -1)]  # within one room: the (roomId, seq) index
MARK = {"edits": 0}  # a checkpoint's mark without its edit times
CHUNK = {"seqs": 1, "times": 1, "authors": 1, "updates": 1}


@dataclass(frozen=True)
class Tail:
    """Where a room's history stands when the room loads: its last checkpoint."""

    checkpoint_seq: int | None  # None: it has none
    editors: list[str]  # every author up to it
    at_ms: int = 0


def checkpoint_entry(
    room_id: str,
    seq: int,
    state: bytes,
    at_ms: int,
    editors: list[str],
    language: str,
    after: int | None = None,
    chunk: list[Edit] = (),
) -> dict[str, Any]:
    """The state at `seq` and the chunk of entries since the checkpoint at `after` (None: not known to be all of
    them); its data (`data`) goes into collabCheckpointData."""
    key = log_key(room_id, seq)
    data = {
        "_id": key,
        "roomId": room_id,
        "seq": seq,
        "state": state,  # bytes are stored as BSON binary, as Binary would be, and pickle faster to the writer
        "seqs": pack([edit[0] for edit in chunk]),
        "times": pack([edit[1] for edit in chunk]),
        "authors": [edit[2] for edit in chunk],
        "updates": [edit[3] for edit in chunk],
    }
    mark = {"_id": key, "roomId": room_id, "seq": seq, "at": EPOCH + _ms(at_ms), "after": after}
    edits = pack([edit[1] for edit in chunk if edit[2]])
    return {**mark, "editors": list(editors), "language": language, "edits": edits, "data": data}


def millis(when: datetime) -> int:
    return (when - EPOCH) // _ms(1)


class DocumentHistory:
    def __init__(self, checkpoints: AsyncCollection, data: AsyncCollection, update_log: UpdateLog) -> None:
        self.checkpoints = checkpoints
        self.data = data
        self.update_log = update_log

    async def add_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Written at once (a base), its data first; one already there at that seq stays."""
        mark = dict(checkpoint)
        for collection, doc in ((self.data, mark.pop("data")), (self.checkpoints, mark)):
            try:
                await collection.insert_one(doc)
            except DuplicateKeyError:
                pass

    async def tail(self, room_id: str) -> Tail:
        mark = await self.checkpoints.find_one(seqs_of(room_id), MARK, sort=SEQ_DOWN)
        if mark is None:
            return Tail(None, [])
        return Tail(mark["seq"], list(mark["editors"]), millis(mark["at"]))

    async def last_seq(self, room_id: str) -> int:
        """The highest seq the room's history holds (0: none), so a revived document's seqs go on from it."""
        tail = await self.tail(room_id)
        logged = await self.update_log.updates_after(room_id, tail.checkpoint_seq or 0)
        return max([tail.checkpoint_seq or 0] + [edit[0] for edit in logged])

    async def moment(self, room_id: str, at: datetime) -> DocumentMoment | None:
        """The document at `at`: the last checkpoint at or before it, plus the entries after it up to `at`."""
        marks = await self.checkpoints.find(seqs_of(room_id), MARK).sort(SEQ_UP).to_list(None)
        before = [index for index, mark in enumerate(marks) if mark["at"] <= at]
        if not before:
            return None
        base_mark, following = marks[before[-1]], marks[before[-1] + 1 : before[-1] + 2]
        base = await self.data.find_one({"_id": base_mark["_id"]}, {"state": 1})
        edits = await self._edits_after(room_id, base_mark["seq"], following[0] if following else None)
        if base is None:  # expired between the reads
            return None
        until = millis(at)
        return await asyncio.to_thread(rebuild, {**base_mark, **base}, [edit for edit in edits if edit[1] <= until])

    async def _edits_after(self, room_id: str, seq: int, following: dict[str, Any] | None) -> list[Edit]:
        """The entries from `seq` up to the following checkpoint: its chunk when it holds them all, else the log's."""
        if following is not None and following.get("after") == seq:
            chunk = await self.data.find_one({"_id": following["_id"]}, CHUNK) or {}
            return list(zip(*chunk_of(chunk), strict=True))
        return await self.update_log.updates_after(room_id, seq, following["seq"] if following else None)

    async def edit_times(self, room_id: str, start: datetime, end: datetime) -> list[datetime]:
        """The users' edits between start and end: from the checkpoints, and the log after the last."""
        found = await self.checkpoints.find(seqs_of(room_id), {"seq": 1, "edits": 1}).to_list(None)
        times = [ms for mark in found for ms in unpack(mark.get("edits"))]
        after = max((mark["seq"] for mark in found), default=0)
        times += [edit[1] for edit in await self.update_log.updates_after(room_id, after) if edit[2]]
        low, high = millis(start), millis(end)
        return [EPOCH + _ms(ms) for ms in sorted(times) if low <= ms <= high]

    async def expire(self, cutoff: datetime) -> int:
        """Delete the history older than `cutoff`, a room at a time: all of it when the room's last checkpoint and
        entry are older, else what lies before its last checkpoint older than the cutoff (still a base for what
        follows). Returns how many rooms were looked at (at most EXPIRED_ROOMS_AT_ONCE; the next call goes on)."""
        old = self.checkpoints.find({"at": {"$lt": cutoff}}, {"roomId": 1, "seq": 1}).sort("at", 1)
        bases: dict[str, int] = {}
        async for mark in old.limit(EXPIRED_ROOMS_AT_ONCE * 20):
            bases[mark["roomId"]] = max(mark["seq"], bases.get(mark["roomId"], 0))
        for room_id, base_seq in list(bases.items())[:EXPIRED_ROOMS_AT_ONCE]:
            await self._expire_room(room_id, base_seq, cutoff)
        return min(len(bases), EXPIRED_ROOMS_AT_ONCE)

    async def _expire_room(self, room_id: str, base_seq: int, cutoff: datetime) -> None:
        tail = await self.tail(room_id)
        logged = await self.update_log.updates_after(room_id, tail.checkpoint_seq or 0)
        if max([tail.at_ms] + [edit[1] for edit in logged]) < millis(cutoff):  # nobody edited since
            base_seq = (tail.checkpoint_seq or 0) + 1
            log.info("collab history expired", extra={"roomId": room_id})
        for collection in (self.checkpoints, self.data):  # marks first: none points at missing data
            await collection.delete_many(seqs_of(room_id, upto=base_seq - 1))


def seqs_of(room_id: str, after: int | None = None, upto: int | None = None) -> dict[str, Any]:
    """A room's checkpoints after / up to a seq, through the (roomId, seq) index."""
    query: dict[str, Any] = {"roomId": room_id}
    bounds = {op: seq for op, seq in (("$gt", after), ("$lte", upto)) if seq is not None}
    if bounds:
        query["seq"] = bounds
    return query


def chunk_of(doc: dict[str, Any]) -> tuple[list[int], list[int], list[str | None], list[bytes]]:
    updates = [bytes(update) for update in doc.get("updates", [])]
    return unpack(doc.get("seqs")), unpack(doc.get("times")), doc.get("authors", []), updates


def pack(numbers: list[int]) -> Binary:
    """Integers as one binary (little-endian int64s): 41 marks holding lists of 500 numbers took the embedded
    database 90 ms to read, 2 ms without them."""
    return Binary(struct.pack(f"<{len(numbers)}q", *numbers))


def unpack(packed: bytes | None) -> list[int]:
    return list(struct.unpack(f"<{len(packed) // 8}q", packed)) if packed else []


def rebuild(base: dict[str, Any], edits: list[Edit]) -> DocumentMoment:
    """A checkpoint plus the entries after it, as the document they make."""
    doc = Doc()
    doc.apply_update(bytes(base["state"]))
    editors = list(base.get("editors", []))
    for _, _, author, _ in edits:
        if author and author not in editors:
            editors.append(author)
    apply_all(doc, [edit[3] for edit in edits])
    return DocumentMoment(texts=texts_of(doc), language=language_of(doc) or base.get("language"), editors=editors)


def apply_all(doc: Doc, updates: list[bytes]) -> None:
    """Merged into one first (a few times faster than one by one); one by one if some cannot be decoded."""
    if not updates:
        return
    try:
        doc.apply_update(merge_updates(*updates))
        return
    except ValueError:
        pass
    for update in updates:
        try:
            doc.apply_update(update)
        except ValueError:
            log.error("skipping an undecodable history entry")


def texts_of(doc: Doc) -> dict[str, str]:
    texts = {}
    for name in doc:
        if name.startswith("code:"):
            try:
                texts[name.removeprefix("code:")] = str(doc.get(name, type=Text))
            except (TypeError, ValueError):  # a client made it something else than a text
                continue
    return texts


def language_of(doc: Doc) -> str | None:
    if "meta" not in doc:
        return None
    try:
        chosen = doc.get("meta", type=Map).get("language")
    except (TypeError, ValueError):
        return None
    return chosen if isinstance(chosen, str) and chosen else None


def _ms(count: int) -> timedelta:
    return timedelta(milliseconds=count)
