"""Keystroke replay: rebuilding a moment of a 60-minute session from its edit history, against applying the whole
log once, in the same run.

    .venv/bin/python bench/replay.py [--updates 20000] [--minutes 60] [--moments 100] [--every 500]

A synthetic session on a fresh embedded SecantusDB: two users type into Y.Text('code:python') (one character at a
time at a cursor that mostly moves on and sometimes jumps, a fifth of the edits deleting one or two), --updates
updates spread over --minutes minutes, stored as the collab plane leaves them (realtime/history.py): a checkpoint
every --every updates (the setting collab_history_checkpoint_updates) with the state and, as a chunk, the updates
since the previous one with their times and authors; the document's base checkpoint; the update log's entries
after the last checkpoint. Then --moments moments drawn uniformly over the session are rebuilt with
DocumentHistory.moment (its database reads and the Yjs work), each checked against the text the generator had at
that moment. Printed: p50/p95/max of a moment (the goal: under 200 ms), against the baseline: reading every update
of the session and applying them all (merged, as a moment's are) to the base state, what a replay without
checkpoints would do for its last moment. Also: reading the edit times of the whole session, which the marks'
density is counted from.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from realtime.history import DocumentHistory, apply_all, checkpoint_entry  # noqa: E402
from realtime.updatelog import EPOCH, BatchedUpdateLog, log_entry  # noqa: E402
from syncode.db import Database  # noqa: E402
from syncode.embedded import EmbeddedDatabase  # noqa: E402

ROOM = "bench-replay"
START_MS = 1_800_000_000_000
USERS = ("alice", "bob")
STARTER = "def solve(values):\n    pass\n"


class Session:
    """The synthetic session: history entries, checkpoints, and the text at each moment asked for."""

    def __init__(self, updates: int, minutes: float, every: int, moments: list[int], seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.doc = Doc()
        self.text = self.doc.get("code:python", type=Text)
        self.text += STARTER
        self.entries: list[dict] = []
        self.checkpoints = [checkpoint_entry(ROOM, 0, self.doc.get_update(), START_MS, [], "python")]
        self.expected: dict[int, str] = {}
        self._generate(updates, minutes * 60_000 / updates, every, sorted(moments))

    def _generate(self, updates: int, step_ms: float, every: int, moments: list[int]) -> None:
        cursor, author, editors, chunk, after = len(STARTER), USERS[0], [], [], 0
        for seq in range(1, updates + 1):
            at_ms = START_MS + int(seq * step_ms)
            while moments and START_MS + moments[0] < at_ms:
                self.expected[moments.pop(0)] = str(self.text)
            if self.random.random() < 0.002:
                author = USERS[1 - USERS.index(author)]
            cursor = self._edit(cursor)
            self.entries.append(log_entry(ROOM, seq, self._last_update, at_ms, author))
            chunk.append((seq, at_ms, author, self._last_update))
            if author not in editors:
                editors.append(author)
            if seq % every == 0:
                state = self.doc.get_update()
                self.checkpoints.append(checkpoint_entry(ROOM, seq, state, at_ms, editors, "python", after, chunk))
                chunk, after = [], seq
        self.log = self.entries[after:]  # the update log: what no checkpoint holds yet
        for moment in moments:
            self.expected[moment] = str(self.text)

    def _edit(self, cursor: int) -> int:
        """One transaction: type a character at the cursor or delete one or two before it; returns the cursor."""
        length = len(self.text)
        if self.random.random() < 0.03:
            cursor = self.random.randint(0, length)
        before = self.doc.get_state()
        if self.random.random() < 0.2 and cursor > 2:
            size = self.random.randint(1, 2)
            del self.text[cursor - size : cursor]
            cursor -= size
        else:
            self.text.insert(min(cursor, length), self.random.choice("abcdefghij(){}[]=+ \n"))
            cursor = min(cursor, length) + 1
        self._last_update = self.doc.get_update(before)
        return cursor


def history_of(db: Database) -> DocumentHistory:
    return DocumentHistory(db.collabCheckpoints, db.collabCheckpointData, BatchedUpdateLog(db.collabUpdates, None))


async def store(db: Database, session: Session) -> None:
    """As the collab plane leaves it: the checkpoints with their chunks, and the update log after the last one."""
    if session.log:  # as the log's writer stores them: the time as a date
        await db.collabUpdates.insert_many([{**e, "at": EPOCH + timedelta(milliseconds=e["at"])} for e in session.log])
    for checkpoint in session.checkpoints:
        await history_of(db).add_checkpoint(checkpoint)


async def whole_log(db: Database, session: Session) -> float:
    """The baseline: read every update of the session and apply them all (merged) to the base state, once."""
    began = time.perf_counter()
    base = await db.collabCheckpointData.find_one({"_id": session.checkpoints[0]["_id"]})
    chunks = await db.collabCheckpointData.find({"roomId": ROOM}, {"seq": 1, "updates": 1}).to_list(None)
    logged = await db.collabUpdates.find({"roomId": ROOM}, {"seq": 1, "update": 1}).to_list(None)
    updates = [bytes(u) for chunk in sorted(chunks, key=lambda c: c["seq"]) for u in chunk["updates"]]
    updates += [bytes(entry["update"]) for entry in sorted(logged, key=lambda e: e["seq"])]
    doc = Doc()
    doc.apply_update(bytes(base["state"]))
    apply_all(doc, updates)
    assert len(updates) == len(session.entries)
    assert str(doc.get("code:python", type=Text)) == str(session.text)
    return (time.perf_counter() - began) * 1000


async def marks_figure(history: DocumentHistory, updates: int, minutes: float) -> None:
    """The edit times a scrubber's density is counted from, for the whole session (read 5 times)."""
    start, end = EPOCH + timedelta(milliseconds=START_MS), EPOCH + timedelta(milliseconds=START_MS + minutes * 60_000)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        assert len(await history.edit_times(ROOM, start, end)) == updates
        times.append((time.perf_counter() - began) * 1000)
    print(f"the edit times of the whole session (for the marks' density): p50 {percentile(times, 0.5):.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--moments", type=int, default=100)
    parser.add_argument("--every", type=int, default=500)
    args = parser.parse_args()
    draw = random.Random(11)
    moments = [draw.randint(0, int(args.minutes * 60_000)) for _ in range(args.moments)]
    session = Session(args.updates, args.minutes, args.every, moments)
    print(
        f"session: {args.updates} updates over {args.minutes:g} min, {len(session.checkpoints)} checkpoints, "
        f"final text {len(session.text)} chars, state {len(session.doc.get_update())} bytes",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedDatabase(Path(tmp) / "db")
        db = Database(await embedded.start(), "bench")
        await db.create_indexes()
        await store(db, session)
        history = history_of(db)
        baseline = [await whole_log(db, session) for _ in range(3)]
        times = []
        for moment in moments:
            began = time.perf_counter()
            found = await history.moment(ROOM, EPOCH + timedelta(milliseconds=START_MS + moment))
            times.append((time.perf_counter() - began) * 1000)
            assert found is not None and found.texts["python"] == session.expected[moment], moment
        print(
            f"baseline, the whole log applied once: {min(baseline):.0f} ms (best of 3; "
            f"{', '.join(f'{ms:.0f}' for ms in baseline)} ms)",
            flush=True,
        )
        print(
            f"a moment from the nearest checkpoint ({args.moments} moments): p50 {percentile(times, 0.5):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms (goal: under 200 ms)",
            flush=True,
        )
        await marks_figure(history, args.updates, args.minutes)
        await db.close()
        await embedded.stop()


if __name__ == "__main__":
    asyncio.run(main())
