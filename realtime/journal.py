"""The collab journal: a local append-only file of accepted updates, written before they are relayed.

Waiting for MongoDB before every relay puts a database round trip on every keystroke's path. Instead an update
is appended here (one write(2) of a checksummed record, a few microseconds), relayed, and copied to the
MongoDB update log right after in batches (realtime/updatelog.py). A record stays until MongoDB holds it, so a
crash of the process loses nothing: the next start replays the journal into MongoDB before any socket opens.
Like the database's own default (no fsync per commit), it survives a crash of the process, not of the machine.

A record holds the update with its room, seq, time (ms since the epoch) and author (the user id; none for the
server's own edits), what the update log and the history (realtime/history.py) are written from. Records of the
first format (no time or author: the high bit of the room id length is clear) are still read.

Records live in small segment files (`<n>.log`); a full segment is closed and a new one started, and closed
segments are deleted once MongoDB holds all their records. A `LOCK` file keeps two servers off one directory.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("syncode.collab.journal")

HEADER = struct.Struct("<II")  # body length, crc32 of body
BODY = struct.Struct("<HQ")  # room id length (| WITH_ORIGIN), seq; then the room id (utf-8) and the update
ORIGIN = struct.Struct("<QH")  # with WITH_ORIGIN, after BODY: time (ms; 0: unknown), author length (0: the server)
WITH_ORIGIN = 0x8000
SEGMENT_BYTES = 64 * 1024  # small: a restart after a crash replays at most this much that MongoDB already has


@dataclass(frozen=True)
class JournalEntry:
    room_id: str
    seq: int
    update: bytes
    at_ms: int | None = None  # None in records of the first format
    author: str | None = None


class JournalLocked(RuntimeError):
    pass


class UpdateJournal:
    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.appended = 0  # records appended since start; a record's index is its position in this count
        self._closed: list[tuple[Path, int]] = []  # full segments and the index of their last record
        self._fd = -1
        self._path: Path | None = None
        self._size = 0
        self._lock_fd = -1

    # -- start and stop ----------------------------------------------------------------------------------

    def replay(self) -> list[JournalEntry]:
        """Lock the directory and read every record left by an earlier run, oldest first."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = -1
            raise JournalLocked(f"{self.directory} is in use by another SynCode process") from None
        entries: list[JournalEntry] = []
        for path in self._segments():
            entries.extend(_read_segment(path))
        return entries

    def begin(self) -> None:
        """Forget what replay() returned (it is in MongoDB now) and open a fresh segment for appending."""
        for path in self._segments():
            path.unlink()
        self._open_segment(0)

    def close(self, everything_written: bool) -> None:
        """Stop appending; when MongoDB holds every record, the segments go too (nothing to replay next time)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if everything_written:
            for path in self._segments():
                path.unlink()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- appending ---------------------------------------------------------------------------------------

    def append(self, room_id: str, seq: int, update: bytes, at_ms: int = 0, author: str | None = None) -> int:
        """Write one record; returns its index. Raises OSError (and leaves no partial record) if it cannot."""
        room, by = room_id.encode(), (author or "").encode()
        body = BODY.pack(len(room) | WITH_ORIGIN, seq) + ORIGIN.pack(at_ms, len(by)) + room + by + update
        record = HEADER.pack(len(body), zlib.crc32(body)) + body
        try:
            written = os.write(self._fd, record)
            if written != len(record):
                raise OSError(f"short write to the collab journal ({written} of {len(record)} bytes)")
        except OSError:
            os.ftruncate(self._fd, self._size)  # a torn record would hide every record after it
            raise
        self._size += len(record)
        self.appended += 1
        if self._size >= self.segment_bytes:
            self._closed.append((self._path, self.appended))
            self._open_segment(self.appended)
        return self.appended

    def release(self, upto: int) -> None:
        """MongoDB holds every record up to index `upto`: delete the full segments that hold nothing newer."""
        while self._closed and self._closed[0][1] <= upto:
            self._closed.pop(0)[0].unlink(missing_ok=True)

    # -- files -------------------------------------------------------------------------------------------

    def _segments(self) -> list[Path]:
        return sorted(self.directory.glob("*.log"), key=lambda path: int(path.stem))

    def _open_segment(self, first_index: int) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._path = self.directory / f"{first_index:012d}.log"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)
        self._size = 0


def _read_segment(path: Path) -> list[JournalEntry]:
    data = path.read_bytes()
    entries: list[JournalEntry] = []
    offset = 0
    while offset + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, offset)
        body = data[offset + HEADER.size : offset + HEADER.size + length]
        if len(body) != length or zlib.crc32(body) != crc or length < BODY.size:
            break
        entries.append(_decode(body))
        offset += HEADER.size + length
    if offset != len(data):  # only the last record of the last segment can be torn (a crash mid-write)
        log.warning("collab journal segment ends in a torn record", extra={"segment": path.name, "at": offset})
    return entries


def _decode(body: bytes) -> JournalEntry:
    room_length, seq = BODY.unpack_from(body)
    if not room_length & WITH_ORIGIN:  # the first format
        room_id = body[BODY.size : BODY.size + room_length].decode()
        return JournalEntry(room_id, seq, body[BODY.size + room_length :])
    room_length &= ~WITH_ORIGIN
    at_ms, author_length = ORIGIN.unpack_from(body, BODY.size)
    start = BODY.size + ORIGIN.size
    room_id = body[start : start + room_length].decode()
    author = body[start + room_length : start + room_length + author_length].decode()
    return JournalEntry(room_id, seq, body[start + room_length + author_length :], at_ms or None, author or None)
