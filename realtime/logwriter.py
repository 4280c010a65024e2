"""The collab update log's writer, in a process of its own.

pymongo spends about a quarter of a millisecond of Python per insert; in the server's process that time is taken
from the event loop that relays every update. This child process owns a synchronous client and does the inserts;
the server hands it batches over a pipe (length-prefixed pickles, both ends ours) and reads back None or an error.
A batch is (log entries, checkpoints): the entries go into collabUpdates, then the checkpoints into
collabCheckpointData (their state and chunk) and collabCheckpoints (realtime/history.py).

    python -m realtime.logwriter <mongodb uri> <database name>
"""

from __future__ import annotations

import asyncio
import pickle
import struct
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, PyMongoError

from syncode.embedded import die_with_parent

FRAME = struct.Struct("!I")
PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where `-m realtime.logwriter` imports from
DUPLICATE_KEY = 11000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def insert(collection: Collection, docs: list[dict[str, Any]]) -> str | None:
    """Insert log entries; entries already there (a retry, a replay) count as written. None, or the error."""
    try:
        collection.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        details = exc.details
        if details.get("writeConcernErrors") or any(
            error.get("code") != DUPLICATE_KEY for error in details.get("writeErrors", [])
        ):
            return str(exc)
    except PyMongoError as exc:
        return str(exc)
    return None


def insert_batch(db: Database, docs: list[dict], checkpoints: list[dict]) -> str | None:
    """One batch: the log entries, then the checkpoints' data and marks (none points at missing data). None, or
    the first error (the whole batch is written again: what got in counts as written then)."""
    for doc in docs:
        if isinstance(doc.get("at"), int):  # ms since the epoch, from the server's end
            doc["at"] = EPOCH + timedelta(milliseconds=doc["at"])
    data = [checkpoint["data"] for checkpoint in checkpoints]
    marks = [{key: value for key, value in checkpoint.items() if key != "data"} for checkpoint in checkpoints]
    for name, batch in (("collabUpdates", docs), ("collabCheckpointData", data), ("collabCheckpoints", marks)):
        if batch and (error := insert(db[name], batch)) is not None:
            return error
    return None


def main() -> None:
    die_with_parent()
    uri, name = sys.argv[1:3]
    db = MongoClient(uri, serverSelectionTimeoutMS=5000)[name]
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while header := source.read(FRAME.size):
        docs, checkpoints = pickle.loads(source.read(FRAME.unpack(header)[0]))
        reply = pickle.dumps(insert_batch(db, docs, checkpoints))
        sink.write(FRAME.pack(len(reply)) + reply)
        sink.flush()


class LogWriter:
    """The server's end, an EntryWriter (realtime/updatelog.py): one batch in flight at a time (the log's flusher),
    the process restarted if it died."""

    def __init__(self, uri: str, name: str) -> None:
        self.argv = [sys.executable, "-m", "realtime.logwriter", uri, name]
        self.process: asyncio.subprocess.Process | None = None

    async def write(self, docs: list[dict[str, Any]], checkpoints: list[dict[str, Any]] = ()) -> str | None:
        try:
            process = await self._running()
            payload = pickle.dumps((docs, list(checkpoints)))
            process.stdin.write(FRAME.pack(len(payload)) + payload)
            header = await process.stdout.readexactly(FRAME.size)
            return pickle.loads(await process.stdout.readexactly(FRAME.unpack(header)[0]))
        except (OSError, RuntimeError, asyncio.IncompleteReadError) as exc:  # RuntimeError: uvloop's closed pipe
            await self.close()  # started afresh on the next write
            return f"update log writer died: {exc!r}"
        except asyncio.CancelledError:  # its reply must not be taken for the next batch's
            if self.process is not None and self.process.returncode is None:
                self.process.kill()
            self.process = None
            raise

    async def start(self) -> None:
        """Start the process ahead of the first batch: starting it forks the server, which blocks the event loop
        for 14-22 ms (measured with a 200 MB server), too long a pause in the middle of a session."""
        await self._running()

    async def _running(self) -> asyncio.subprocess.Process:
        if self.process is not None and self.process.returncode is not None:  # it died since the last batch
            await self.close()
        if self.process is None:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=PROJECT_ROOT
            )
        return self.process

    async def close(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()


if __name__ == "__main__":
    main()
