"""Documents kept in memory between the writes of the service that owns them."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from syncode.tasks import BackgroundTasks

Document = dict[str, Any]


class DocumentCache:
    """A read-through cache of documents by id, for the service that makes every write to them: each write calls
    `forget`, and a read that was in flight across it does not store what it read (that may predate the write).

    Entries expire after `ttl` seconds, which bounds how long a change made behind the service's back (by hand in
    the database, or by another process once rooms are sharded) goes unseen: an expired entry is served once more
    while it is read again. The least recently used entry goes first beyond `capacity`. Cached documents are
    shared between callers: treat them as read-only."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self._entries: OrderedDict[str, tuple[float, Document]] = OrderedDict()  # id -> (expiry, document)
        self._reads: dict[str, object] = {}  # id -> the latest read in flight, which alone may store its result
        self._refreshes = BackgroundTasks("cache refresh")

    async def get(self, key: str, load: Callable[[], Awaitable[Document | None]]) -> Document | None:
        entry = self._entries.get(key)
        if entry is None:
            return await self._read(key, load)
        self._entries.move_to_end(key)
        if entry[0] <= time.monotonic() and key not in self._reads:
            # Read again in the background: entries that expire together (rooms created together) must not all
            # make their next request wait on the database.
            self._refreshes.spawn(self._read(key, load))
        return entry[1]

    async def _read(self, key: str, load: Callable[[], Awaitable[Document | None]]) -> Document | None:
        read = self._reads[key] = object()
        try:
            document = await load()
            fresh = self._reads.get(key) is read  # else a write came in meanwhile, which what was read may predate
        finally:
            if self._reads.get(key) is read:
                del self._reads[key]
        if fresh:
            self._store(key, document)
        return document

    def forget(self, key: str) -> None:
        """After a write: the next read goes to the database, and none in flight stores what it read."""
        self._entries.pop(key, None)
        self._reads.pop(key, None)

    def _store(self, key: str, document: Document | None) -> None:
        if document is None:  # gone: not cached, so that its creation is seen at once
            self._entries.pop(key, None)
            return
        self._entries[key] = (time.monotonic() + self.ttl, document)
        self._entries.move_to_end(key)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
