"""The update log's write pipeline (realtime/updatelog.py) with a writer held in memory instead of the log writer's
process and no database: group commit, retries in order while journaled, refusals without the journal or when too
far behind, journal segments released once written, the start-up replay of an earlier run's journal, and what the
history needs of the log (entries with their time and author; checkpoints kept until written)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import PyMongoError

from realtime.journal import UpdateJournal
from realtime.updatelog import BatchedUpdateLog, StorageUnavailable


class MemoryWriter:
    """An EntryWriter keeping the (roomId, seq) of each batch; `hold()` keeps the next batch in flight until `go()`,
    and while `error` is set every batch fails with it."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.origins: list[tuple[str, int, Any, Any]] = []  # (roomId, seq, at, by) of the entries written
        self.checkpoints: list[tuple[str, int]] = []
        self.error: str | None = None
        self.started = self.closed = False
        self._open = asyncio.Event()
        self._open.set()

    def hold(self) -> None:
        self._open.clear()

    def go(self) -> None:
        self._open.set()

    @property
    def written(self) -> list[tuple[str, int]]:
        return [entry for batch in self.batches for entry in batch]

    async def start(self) -> None:
        self.started = True

    async def write(self, docs: list[dict[str, Any]], checkpoints: list[dict[str, Any]] = ()) -> str | None:
        await self._open.wait()
        if self.error is not None:
            return self.error
        self.batches.append([(doc["roomId"], doc["seq"]) for doc in docs])
        self.origins.extend((doc["roomId"], doc["seq"], doc.get("at"), doc.get("by")) for doc in docs)
        self.checkpoints.extend((doc["roomId"], doc["seq"]) for doc in checkpoints)
        return None

    async def close(self) -> None:
        self.closed = True


async def no_snapshots(room_ids: list[str]) -> dict[str, int]:
    return dict.fromkeys(room_ids, 0)


async def started_log(
    tmp_path: Path, writer: MemoryWriter, journaled: bool = True, segment_bytes: int = 64 * 1024, **options: Any
) -> BatchedUpdateLog:
    journal = UpdateJournal(tmp_path, segment_bytes) if journaled else None
    update_log = BatchedUpdateLog(None, writer, journal, **options)  # no collection: appends only use the writer
    await update_log.recover(tmp_path, no_snapshots)
    return update_log


async def until(condition, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_updates_arriving_while_a_batch_is_written_go_out_together_in_the_next(tmp_path: Path):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer)
    assert writer.started
    writer.hold()
    await update_log.append("room", 1, b"u")  # journaled: it returns at once, the write follows
    await asyncio.sleep(0)  # the first batch is in flight
    for seq in range(2, 6):
        await update_log.append("room", seq, b"u")
    assert update_log.backlog == 5
    assert not await update_log.drain(timeout=0.01)
    writer.go()
    assert await update_log.drain(timeout=5)
    assert writer.batches == [[("room", 1)], [("room", seq) for seq in range(2, 6)]]
    assert update_log.backlog == 0
    await update_log.close(everything_written=True)
    assert writer.closed
    assert list(tmp_path.glob("*.log")) == []


async def test_a_gathering_log_writes_the_updates_of_its_window_in_one_batch(tmp_path: Path):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer, gather_sec=0.2)
    for seq in range(1, 6):
        await update_log.append("room", seq, b"u")  # journaled: durable (and relayed) at once
        await asyncio.sleep(0)  # the flusher runs in between: it waits for more
    assert writer.batches == []
    assert await update_log.drain(timeout=5)
    assert writer.batches == [[("room", seq) for seq in range(1, 6)]]
    await update_log.close(everything_written=True)


async def test_journaled_updates_are_kept_in_order_while_writes_fail_and_their_segments_go_once_written(
    tmp_path: Path,
):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer, segment_bytes=256)
    writer.error = "database down"
    for seq in range(1, 31):
        await update_log.append(f"room{seq % 3}", seq, bytes([seq]) * 40)
    await until(lambda: update_log.failing)
    assert update_log.backlog == 30
    segments = len(list(tmp_path.glob("*.log")))
    assert segments > 3, "small segments: the journal spans several files, none released while writes fail"

    writer.error = None
    assert await update_log.drain(timeout=5)
    assert not update_log.failing
    assert writer.written == [(f"room{seq % 3}", seq) for seq in range(1, 31)]
    assert len(list(tmp_path.glob("*.log"))) == 1, "only the segment still being appended to is left"
    await update_log.close(everything_written=True)


async def test_without_the_journal_an_append_waits_for_the_write_and_fails_with_it(tmp_path: Path):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer, journaled=False)
    writer.hold()
    appending = asyncio.ensure_future(update_log.append("room", 1, b"u"))
    await asyncio.sleep(0.01)
    assert not appending.done(), "not durable, so not relayed, until the write is acknowledged"
    writer.go()
    await asyncio.wait_for(appending, 5)

    writer.error = "database down"
    with pytest.raises(StorageUnavailable):
        await update_log.append("room", 2, b"u")
    writer.error = None
    await update_log.append("room", 3, b"u")
    assert writer.written == [("room", 1), ("room", 3)]
    assert update_log.backlog == 0
    await update_log.close(everything_written=True)


async def test_an_append_is_refused_when_the_log_is_too_far_behind(tmp_path: Path):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer, max_backlog=3)
    writer.hold()
    await update_log.append("room", 1, b"u")
    await asyncio.sleep(0)  # in flight: it no longer counts towards the queue's bound
    for seq in (2, 3, 4):
        await update_log.append("room", seq, b"u")
    with pytest.raises(StorageUnavailable):
        await update_log.append("room", 5, b"u")
    writer.go()
    assert await update_log.drain(timeout=5)
    assert writer.written == [("room", seq) for seq in (1, 2, 3, 4)], "the refused update was not journaled"
    await update_log.close(everything_written=True)


def crashed_run(directory: Path) -> None:
    """A journal left by a run that crashed: updates 1..4 of "live" and 1 of "gone"."""
    earlier = UpdateJournal(directory)
    earlier.replay()
    earlier.begin()
    for seq in range(1, 5):
        earlier.append("live", seq, b"u")
    earlier.append("gone", 1, b"u")
    earlier.close(everything_written=False)


async def live_covers_two(room_ids: list[str]) -> dict[str, int]:
    assert room_ids == ["gone", "live"]
    return {"live": 2}  # "gone" was destroyed: left out


@pytest.mark.parametrize("journaled", [True, False], ids=["journal", "journal-turned-off-since"])
async def test_recovery_writes_what_no_snapshot_covers_then_starts_afresh(tmp_path: Path, journaled: bool):
    crashed_run(tmp_path)
    writer = MemoryWriter()
    update_log = BatchedUpdateLog(None, writer, UpdateJournal(tmp_path) if journaled else None)
    await update_log.recover(tmp_path, live_covers_two)
    assert writer.written == [("live", 3), ("live", 4)]
    assert writer.started
    await update_log.close(everything_written=False)
    assert UpdateJournal(tmp_path).replay() == [], "what was replayed is not replayed again"


async def test_recovery_fails_and_keeps_the_journal_when_the_writer_refuses(tmp_path: Path):
    crashed_run(tmp_path)
    writer = MemoryWriter()
    writer.error = "database down"
    update_log = BatchedUpdateLog(None, writer, UpdateJournal(tmp_path))
    with pytest.raises(PyMongoError, match="database down"):
        await update_log.recover(tmp_path, live_covers_two)
    assert not writer.started, "the server does not start without its log"
    update_log.journal.close(everything_written=False)
    assert len(UpdateJournal(tmp_path).replay()) == 5


# -- what the history needs of the log ---------------------------------------------------------------------------


async def test_entries_carry_their_time_and_author_and_checkpoints_follow_them_through_failures(tmp_path: Path):
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer)
    writer.hold()
    await update_log.append("room", 1, b"u", 1_700_000_000_123, "alice")
    await asyncio.sleep(0)  # in flight
    await update_log.append("room", 2, b"u", 1_700_000_000_124, None)  # the server's own edit
    update_log.checkpoint({"_id": "room:000000000002", "roomId": "room", "seq": 2})
    writer.error = "database down"
    writer.go()
    await until(lambda: update_log.failing)
    writer.error = None
    assert await update_log.drain(timeout=5)
    assert writer.batches == [[("room", 1), ("room", 2)]], "retried together; the checkpoint is no log entry"
    assert [(room, seq, by) for room, seq, _, by in writer.origins] == [("room", 1, "alice"), ("room", 2, None)]
    assert [at for _, _, at, _ in writer.origins] == [1_700_000_000_123, 1_700_000_000_124], "ms, a date once stored"
    assert writer.checkpoints == [("room", 2)], "kept through the failed write, written with its batch"
    await update_log.close(everything_written=True)


async def test_without_the_journal_a_failed_write_drops_the_updates_but_keeps_the_checkpoint(tmp_path: Path):
    """A checkpoint holds updates acknowledged earlier: compaction (which drains first) must not delete them from
    the log before it is written."""
    writer = MemoryWriter()
    update_log = await started_log(tmp_path, writer, journaled=False)
    await update_log.append("room", 1, b"u")
    writer.error = "database down"
    update_log.checkpoint({"_id": "room:000000000001", "roomId": "room", "seq": 1})
    with pytest.raises(StorageUnavailable):
        await update_log.append("room", 2, b"u")
    assert not await update_log.drain(timeout=0.2), "the checkpoint is still to be written"
    writer.error = None
    assert await update_log.drain(timeout=5)
    assert writer.written == [("room", 1)] and writer.checkpoints == [("room", 1)]
    await update_log.close(everything_written=True)


async def test_recovery_writes_the_journaled_times_and_authors(tmp_path: Path):
    earlier = UpdateJournal(tmp_path)
    earlier.replay()
    earlier.begin()
    earlier.append("live", 3, b"u", 1_700_000_000_500, "bob")
    earlier.close(everything_written=False)
    writer = MemoryWriter()
    update_log = BatchedUpdateLog(None, writer, UpdateJournal(tmp_path))
    await update_log.recover(tmp_path, no_snapshots)
    ((room, seq, at, by),) = writer.origins
    assert (room, seq, at, by) == ("live", 3, 1_700_000_000_500, "bob")
    await update_log.close(everything_written=True)
