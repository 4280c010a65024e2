"""The collab hot path and the update log's write pipeline, measured on the real parts in this process: a
CollabService on a fresh embedded SecantusDB, with its journal and its log writer's child process.

    .venv/bin/python bench/updatelog.py [--rooms 20] [--rate 350] [--seconds 15] [--rounds 3] [--no-journal]

Each room has two fake peers; one sends y-protocols update frames (one character typed into Y.Text('code:python'),
made beforehand) at a fixed total rate spread over the rooms, through `Room.handle` as the WebSocket handler calls
it. Printed per round: the time `handle` takes on the event loop per update (p50/p99: decode, journal, apply,
relay to the other peer), the CPU per update of this process, of the log writer's process and of the database
(counted over the round and until everything is written), and the batches' write lag (time from the last append
to the drain). With --no-journal an update waits for MongoDB before it is relayed, so `handle` includes the write's
round trip. Written for a before/after comparison of a change to the pipeline: run it on both trees.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, percentile  # noqa: E402
from config import load_settings  # noqa: E402
from realtime import protocol  # noqa: E402
from realtime.plane import CollabService  # noqa: E402
from syncode.db import Database  # noqa: E402
from syncode.embedded import EmbeddedDatabase  # noqa: E402


class FakePeer:
    def __init__(self, user_id: str) -> None:
        self.user_id, self.role, self.jti = user_id, "candidate", uuid.uuid4().hex
        self.received = 0

    def send(self, message: bytes) -> None:
        self.received += 1

    def close_with(self, code: int, reason: str) -> None:
        pass


def typed_updates(count: int) -> list[bytes]:
    """`count` one-character insertions, each as the update a client would send."""
    doc, updates = Doc(), []
    text = doc.get("code:python", type=Text)
    doc.observe(lambda event: updates.append(event.update))
    for i in range(count):
        text.insert(len(text), chr(97 + i % 26))
    return updates


async def one_round(service: CollabService, rooms: list, per_room: list[list[bytes]], rate: float, seconds: float):
    """Feed every room's next updates at `rate` per second in all; returns handle() times and CPU figures."""
    total = int(rate * seconds)
    interval = 1 / rate
    durations: list[float] = []
    pids = (None, service.writer.process.pid)
    cpu_before = [cpu_seconds(pid) if pid else time.process_time() for pid in pids]
    start = time.perf_counter()
    for i in range(total):
        room, sender = rooms[i % len(rooms)]
        update = per_room[i % len(rooms)].pop(0)
        frame = protocol.parse(protocol.sync_update(update))
        delay = start + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        began = time.perf_counter()
        await room.handle(sender, frame)
        durations.append(time.perf_counter() - began)
    appended = time.perf_counter()
    await service.update_log.drain()
    lag = time.perf_counter() - appended
    cpu_after = [cpu_seconds(pid) if pid else time.process_time() for pid in pids]
    cpu = [(after - before) / total * 1e6 for before, after in zip(cpu_before, cpu_after, strict=True)]
    return durations, cpu, lag, total


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--rate", type=float, default=350)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-journal", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedDatabase(Path(tmp) / "db")
        uri = await embedded.start()
        settings = load_settings(
            mongodb_uri=uri, mongodb_db="bench", data_dir=Path(tmp) / "data", port=0, collab_journal=not args.no_journal
        )
        db = Database(uri, "bench")
        await db.create_indexes()
        service = CollabService(settings, db)
        await service.start()
        rooms, per_room = [], []
        needed = int(args.rate * args.seconds * args.rounds / args.rooms) + 2
        for _ in range(args.rooms):
            room_id = uuid.uuid4().hex
            await service.create_document(room_id)
            room = await service._room(room_id)
            sender, other = FakePeer(uuid.uuid4().hex), FakePeer(uuid.uuid4().hex)
            room.add(sender)
            room.add(other)
            rooms.append((room, sender))
            per_room.append(typed_updates(needed))
        db_pid = embedded.process.pid
        for index in range(args.rounds):
            db_before = cpu_seconds(db_pid)
            durations, cpu, lag, total = await one_round(service, rooms, per_room, args.rate, args.seconds)
            db_cpu = (cpu_seconds(db_pid) - db_before) / total * 1e6
            ms = [d * 1000 for d in durations]
            print(
                f"round {index + 1}: {total} updates; handle p50 {percentile(ms, 0.5):.3f} ms, "
                f"p99 {percentile(ms, 0.99):.3f} ms, mean {statistics.fmean(ms):.3f} ms; CPU per update: "
                f"server {cpu[0]:.0f} us, writer {cpu[1]:.0f} us, database {db_cpu:.0f} us; drain lag "
                f"{lag * 1000:.1f} ms",
                flush=True,
            )
        await service.close()
        await db.close()
        await embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
