"""In-process domain event bus. Services publish; the WebSocket layer and the collab plane subscribe.

Kept behind this small interface so that a multi-process deployment can swap it for change streams.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncode.clock import utcnow
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.events")


@dataclass(frozen=True)
class Event:
    type: str  # e.g. "room.updated", "user.banned"
    data: dict[str, Any]
    room_id: str | None = None
    user_ids: tuple[str, ...] = ()  # for per-user events (match.*), empty for room events
    at: datetime = field(default_factory=utcnow)


Subscriber = Callable[[Event], Awaitable[None] | None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[Subscriber]] = defaultdict(list)
        self._tasks = BackgroundTasks("event subscriber")

    def subscribe(self, prefix: str, subscriber: Subscriber) -> Callable[[], None]:
        """Receive every event whose type starts with `prefix` ("" for all). Returns an unsubscribe function."""
        self._subscribers[prefix].append(subscriber)
        return lambda: self._subscribers[prefix].remove(subscriber)

    def publish(self, event: Event) -> None:
        """Deliver without blocking the publisher; a failing subscriber is logged, never propagated."""
        for prefix, subscribers in list(self._subscribers.items()):
            if not event.type.startswith(prefix):
                continue
            for subscriber in list(subscribers):
                try:
                    result = subscriber(event)
                except Exception:
                    log.exception("event subscriber failed", extra={"event": event.type})
                    continue
                if asyncio.iscoroutine(result):
                    self._tasks.spawn(result)

    async def drain(self) -> None:
        """Wait for in-flight subscriber tasks (used at shutdown)."""
        await self._tasks.wait()
