"""The collab update log: every accepted update since a document's snapshot, the order they were accepted in.

UpdateLog is what rooms and the plane need of it; BatchedUpdateLog is the MongoDB one, in the collection
collabUpdates. An entry's _id is `<roomId>:<seq, 12 digits>`, so one room's entries are one _id range in seq order,
and an insert maintains no other index (a third less database CPU per update than a (roomId, seq) index on the
embedded database). The snapshots themselves are the document records' (realtime/records.py).

Writes to the log are group-committed: updates arriving while a batch is in flight go out together in the
next insert, so the cost per update stays near one round trip however many rooms are busy; with the journal, a
batch also gathers for a moment first (the plane's LOG_GATHER_SEC, 50 ms), which cuts the database's CPU per update
(bench/collab.py at 350 updates/s, 200 rooms: the database's 12.9% -> 7.5% of a core, the server's with its writer
21.1% -> 9.4%, on a busy shared machine). The inserts are made
by the EntryWriter the log is handed: in the server, a child process (realtime/logwriter.py), which keeps
pymongo's Python off the relaying event loop. It moves that CPU rather than saving it: at 350 updates/s the
server's process uses 12-15% and the writer 8-10%, about what the server alone used before. With the journal
(realtime/journal.py, the default) an update is durable, and may be relayed, once journaled; the log write
follows, and the journal's segments are released once written. Without it, an update waits for MongoDB's
acknowledgement before it is relayed. At start-up, recover() copies what an earlier run journaled but did not
get into MongoDB.

Each entry also carries its time and author (`at`, `by`): the log is the newest part of a document's history
(realtime/history.py), whose checkpoints go out in the same batches (one message to the writer, which inserts them
after the entries); a room checkpoints before it compacts, so what compaction deletes is in a checkpoint first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from realtime.journal import UpdateJournal

log = logging.getLogger("syncode.collab.store")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Edit = tuple[int, int, str | None, bytes]  # a logged update: seq, time (ms; 0: unknown), author (None: the server)

# The seq each live document's snapshot covers, for some room ids (realtime/records.py: snapshot_seqs).
CoveredSeqs = Callable[[list[str]], Awaitable[dict[str, int]]]


class StorageUnavailable(Exception):
    """An update cannot be made durable, so it is neither applied nor relayed."""


class EntryWriter(Protocol):
    """Inserts log entries into collabUpdates, one batch at a time (realtime/logwriter.py: LogWriter)."""

    async def start(self) -> None:
        """Get ready ahead of the first batch (the log's recover() calls it last)."""

    async def write(self, docs: list[dict[str, Any]], checkpoints: list[dict[str, Any]] = ()) -> str | None:
        """Insert the entries into collabUpdates (an entry's `at`, ms since the epoch, as a date), then the
        checkpoints (realtime/history.py); documents already there (a retry, a replay) count as written. None, or
        the error."""

    async def close(self) -> None: ...


class UpdateLog(Protocol):
    failing: bool  # the last write failed (it is being retried)

    @property
    def backlog(self) -> int:
        """Updates accepted but not yet in the log."""

    async def recover(self, journal_dir: Path, covered: CoveredSeqs) -> None:
        """Write what an earlier run journaled but did not log; then start taking appends."""

    async def append(
        self, room_id: str, seq: int, update: bytes, at_ms: int | None = None, author: str | None = None
    ) -> None:
        """Make one update durable, with its time (ms; default now) and author (None: the server's own edit);
        when this returns it may be relayed. Raises StorageUnavailable."""

    def checkpoint(self, doc: dict[str, Any]) -> None:
        """Queue a checkpoint of a room's state (realtime/history.py) for the next batch; not journaled, but kept
        (retried) until written, and drain() waits for it."""

    async def updates_after(self, room_id: str, seq: int, upto: int | None = None) -> list[Edit]:
        """A room's entries after (and up to) a seq, in seq order, with their times and authors."""

    async def discard(self, room_id: str, upto: int | None = None) -> None:
        """Delete a room's entries up to a seq (a snapshot covers them), or all of them."""

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every update appended so far is written; False when the timeout ran out first."""

    async def close(self, everything_written: bool) -> None: ...


class BatchedUpdateLog:
    """The update log in MongoDB: appends journaled (or not) and group-committed through the writer it is handed;
    reads and deletes through the server's own client."""

    def __init__(
        self,
        updates: AsyncCollection,
        writer: EntryWriter,
        journal: UpdateJournal | None = None,
        max_backlog: int = 100_000,
        gather_sec: float = 0.0,
    ) -> None:
        """`gather_sec`: with the journal, how long a batch gathers updates before it is written (see _flush)."""
        self.updates = updates
        self.writer = writer
        self.journal = journal
        self.max_backlog = max_backlog
        self.gather_sec = gather_sec if journal is not None else 0.0  # without it, every relay waits for the write
        self.failing = False  # the last write to the update log failed (it is being retried)
        self._pending: list[_Queued] = []
        self._inflight: list[_Queued] = []
        self._flusher: asyncio.Task | None = None
        self._queued = self._settled = 0  # updates queued so far; of those, written (or failed, without journal)
        self._drains: deque[tuple[int, asyncio.Future[None]]] = deque()  # (queued count to reach, waiter)

    async def recover(self, journal_dir: Path, covered: CoveredSeqs) -> None:
        """Copy what an earlier run journaled but did not get into MongoDB; then start a fresh journal, and the
        log's writer.

        The journal is replayed even when this run does not use one (it may have been turned off after a
        crash). Records of destroyed documents, or already covered by a snapshot, are left out. Fails (and
        keeps the journal) when MongoDB refuses them: the server must not start without its log.
        """
        journal = self.journal or UpdateJournal(journal_dir)
        entries = await asyncio.to_thread(journal.replay)
        if entries:
            snapshots = await covered(sorted({entry.room_id for entry in entries}))
            now = now_ms()
            missing = [
                log_entry(e.room_id, e.seq, e.update, e.at_ms or now, e.author)
                for e in entries
                if e.room_id in snapshots and e.seq > snapshots[e.room_id]
            ]
            for start in range(0, len(missing), 1000):
                error = await write_entries(self.writer, missing[start : start + 1000])
                if error is not None:
                    raise error
            log.info("collab journal replayed", extra={"records": len(entries), "written": len(missing)})
        if self.journal is None:
            journal.close(everything_written=True)
        else:
            journal.begin()
        await self.writer.start()

    async def append(
        self, room_id: str, seq: int, update: bytes, at_ms: int | None = None, author: str | None = None
    ) -> None:
        """Make one update durable, with its time (ms; default now) and author; when this returns it may be relayed.

        With the journal: durable once journaled (no waiting), in MongoDB a batch later. Without it: durable
        once MongoDB has acknowledged it. Raises StorageUnavailable when it cannot be made durable.
        """
        at_ms = at_ms or now_ms()
        doc = log_entry(room_id, seq, update, at_ms, author)
        if self.journal is None:
            acknowledged = asyncio.get_running_loop().create_future()
            self._enqueue(_Queued(doc, 0, acknowledged))
            await acknowledged
            return
        if len(self._pending) >= self.max_backlog:
            raise StorageUnavailable("the update log is too far behind")
        try:
            index = self.journal.append(room_id, seq, update, at_ms, author)
        except OSError as exc:
            log.error("collab journal write failed", extra={"error": str(exc)})
            raise StorageUnavailable("the collab journal cannot be written") from exc
        self._enqueue(_Queued(doc, index, None))

    def checkpoint(self, doc: dict[str, Any]) -> None:
        """Goes out with the next batch, after every update appended so far (its index: the journal's last)."""
        self._enqueue(_Queued(doc, self.journal.appended if self.journal else 0, None, checkpoint=True))

    async def updates_after(self, room_id: str, seq: int, upto: int | None = None) -> list[Edit]:
        cursor = self.updates.find(log_ids(room_id, after=seq, upto=upto)).sort("_id", 1)
        return [(raw["seq"], _ms_of(raw.get("at")), raw.get("by"), bytes(raw["update"])) async for raw in cursor]

    async def discard(self, room_id: str, upto: int | None = None) -> None:
        await self.updates.delete_many(log_ids(room_id, upto=upto))

    def _enqueue(self, queued: _Queued) -> None:
        self._pending.append(queued)
        self._queued += 1
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())

    def _settle(self, batch: list[_Queued], error: Exception | None) -> None:
        for queued in batch:
            if queued.acknowledged is None or queued.acknowledged.done():
                continue
            if error is None:
                queued.acknowledged.set_result(None)
            else:
                queued.acknowledged.set_exception(error)
        self._settled += len(batch)
        while self._drains and self._drains[0][0] <= self._settled:
            _, drained = self._drains.popleft()
            if not drained.done():
                drained.set_result(None)

    async def _flush(self) -> None:
        """Write queued updates in batches: what arrives while one batch is in flight goes in the next.

        With the journal, a batch may gather for `gather_sec` first (unless someone waits in drain()): its updates
        are durable and relayed already, and the database's CPU per update falls with the batch's size (most of
        an insert's cost is per command).
        """
        backoff = 0.05
        try:
            while self._pending:
                if self.gather_sec and not self._drains:
                    await asyncio.sleep(self.gather_sec)
                batch = self._inflight = self._pending
                self._pending = []
                docs = [queued.doc for queued in batch if not queued.checkpoint]
                checkpoints = [queued.doc for queued in batch if queued.checkpoint]
                error = await write_entries(self.writer, docs, checkpoints)
                self._inflight = []
                if error is None:
                    backoff = 0.05
                    self.failing = False
                    if self.journal is not None:
                        self.journal.release(batch[-1].index)
                    self._settle(batch, None)
                elif self.journal is None:  # the updates fail; checkpoints (of acknowledged ones) are kept
                    self._settle([q for q in batch if not q.checkpoint], StorageUnavailable("the update log failed"))
                    kept = [queued for queued in batch if queued.checkpoint]
                    self._pending = kept + self._pending
                    if kept:
                        self.failing = True
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 2.0)
                else:  # journaled: keep them, in order, and try again
                    self.failing = True
                    self._pending = batch + self._pending
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
        finally:
            self._flusher = None

    @property
    def backlog(self) -> int:
        """Updates accepted (and checkpoints queued) but not yet in MongoDB."""
        return len(self._inflight) + len(self._pending)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every update appended so far is in MongoDB (or, without a journal, has failed).

        False when the timeout ran out first: with the journal, what is left is replayed at the next start.
        """
        if self._settled == self._queued:
            return True
        drained: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._drains.append((self._queued, drained))  # one waiter, however many updates: compactions drain too
        done, _ = await asyncio.wait([drained], timeout=timeout)
        return bool(done)

    async def close(self, everything_written: bool) -> None:
        if self.journal is not None:
            self.journal.close(everything_written)
        await self.writer.close()


async def write_entries(
    writer: EntryWriter, docs: list[dict[str, Any]], checkpoints: list[dict[str, Any]] = ()
) -> PyMongoError | None:
    """Insert log entries (and checkpoints) through the writer; entries already there (a retry, a replay) count as
    written."""
    error = await writer.write(docs, checkpoints)
    if error is None:
        return None
    log.error("update log write failed", extra={"updates": len(docs), "error": error})
    return PyMongoError(error)


def log_entry(
    room_id: str, seq: int, update: bytes, at_ms: int | None = None, author: str | None = None
) -> dict[str, Any]:
    """A log entry, with its time and author when known (the history's, realtime/history.py). The time goes to the
    writer as ms since the epoch (an int pickles in a third of the time a datetime takes); it stores a date."""
    # Plain bytes are stored as BSON binary (subtype 0) as Binary(update) was, and pickle to the writer in a
    # fraction of the time (a Binary pickles through __getnewargs__).
    entry = {"_id": log_key(room_id, seq), "roomId": room_id, "seq": seq, "update": update}
    if at_ms is not None:
        entry["at"] = at_ms
        entry["by"] = author
    return entry


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _ms_of(when: datetime | None) -> int:
    """0 for entries of the first format (no time)."""
    return (when - EPOCH) // timedelta(milliseconds=1) if when is not None else 0


@dataclass(slots=True)
class _Queued:
    doc: dict[str, Any]
    index: int  # journal index (0 without a journal)
    acknowledged: asyncio.Future[None] | None  # without a journal, the appender waits on it
    checkpoint: bool = False  # a checkpoint (realtime/history.py) rather than an update


def log_key(room_id: str, seq: int) -> str:
    return f"{room_id}:{seq:012d}"


def log_ids(room_id: str, after: int | None = None, upto: int | None = None) -> dict[str, Any]:
    """The _id range of one room's log entries (after / up to a seq). Room ids have no ':', and ';' follows it."""
    low = ("$gt", log_key(room_id, after) if after is not None else f"{room_id}:")
    high = ("$lte", log_key(room_id, upto)) if upto is not None else ("$lt", f"{room_id};")
    return {"_id": dict([low, high])}
