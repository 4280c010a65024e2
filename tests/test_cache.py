"""DocumentCache: read-through between writes, no stale store after a racing write, expiry served while re-read."""

from __future__ import annotations

import asyncio

from syncode.cache import DocumentCache


class Store:
    """A stand-in database: counts reads, and can hold a read until released."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {"a": {"v": 1}, "b": {"v": 1}}
        self.reads = 0
        self.gate: asyncio.Event | None = None

    def loader(self, key: str):
        async def load() -> dict | None:
            self.reads += 1
            seen = self.docs.get(key)  # what the database answers now, delivered once the gate opens
            if self.gate:
                await self.gate.wait()
            return seen

        return load


async def test_reads_once_until_forgotten() -> None:
    store, cache = Store(), DocumentCache(capacity=10, ttl=60)
    assert await cache.get("a", store.loader("a")) == {"v": 1}
    assert await cache.get("a", store.loader("a")) == {"v": 1}
    assert store.reads == 1
    store.docs["a"] = {"v": 2}
    cache.forget("a")
    assert await cache.get("a", store.loader("a")) == {"v": 2}
    assert store.reads == 2


async def test_a_read_overtaken_by_a_write_is_not_stored() -> None:
    store, cache = Store(), DocumentCache(capacity=10, ttl=60)
    store.gate = asyncio.Event()
    reading = asyncio.ensure_future(cache.get("a", store.loader("a")))
    await asyncio.sleep(0)  # the read has seen {"v": 1}
    store.docs["a"] = {"v": 2}
    cache.forget("a")  # the write lands while that read is in flight
    store.gate.set()
    assert await reading == {"v": 1}
    assert await cache.get("a", store.loader("a")) == {"v": 2}
    assert store.reads == 2


async def test_missing_documents_are_not_cached() -> None:
    store, cache = Store(), DocumentCache(capacity=10, ttl=60)
    assert await cache.get("c", store.loader("c")) is None
    store.docs["c"] = {"v": 1}
    assert await cache.get("c", store.loader("c")) == {"v": 1}


async def test_an_expired_entry_is_served_while_read_again() -> None:
    store, cache = Store(), DocumentCache(capacity=10, ttl=0.05)
    await cache.get("a", store.loader("a"))
    store.docs["a"] = {"v": 2}  # behind the cache's back
    await asyncio.sleep(0.06)
    assert await cache.get("a", store.loader("a")) == {"v": 1}  # at once, without waiting for the database
    await asyncio.sleep(0.01)
    assert await cache.get("a", store.loader("a")) == {"v": 2}
    assert store.reads == 2


async def test_least_recently_used_goes_first() -> None:
    store, cache = Store(), DocumentCache(capacity=1, ttl=60)
    await cache.get("a", store.loader("a"))
    await cache.get("b", store.loader("b"))
    await cache.get("a", store.loader("a"))
    assert store.reads == 3
