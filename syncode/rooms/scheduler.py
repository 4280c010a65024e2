"""Time-driven room changes: the auto-advance of a timed phase at its deadline, and the sweep that finishes live
rooms nobody has been connected to for a while. It decides when; the commands it is given make the change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from syncode.clock import utcnow
from syncode.rooms.rules import Room
from syncode.services import room_timer
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.rooms")

SWEEP_EVERY_SEC = 60

TimeUp = Callable[[str, str], Awaitable[None]]  # (room id, phase whose time is up)
SweepAbandoned = Callable[[], Awaitable[list[str]]]


def due_now(room: Room) -> bool:
    """The current phase's time is up (within the timer's 50 ms of slack)."""
    due = room_timer.deadline(room["timer"], room["config"]["durations"])
    return due is not None and due <= utcnow() + timedelta(milliseconds=50)


class RoomScheduler:
    def __init__(self, time_up: TimeUp, sweep: SweepAbandoned) -> None:
        self.time_up = time_up
        self.sweep = sweep
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._sweeper: asyncio.Task | None = None
        self._tasks = BackgroundTasks("room timer")

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    def stop(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
        for handle in self._deadlines.values():
            handle.cancel()
        self._deadlines.clear()

    def arm(self, room: Room) -> None:
        """Schedule the auto-advance of the room's current phase, if it has one (replacing any earlier one)."""
        self.disarm(room["_id"])
        if not room["config"].get("autoAdvance") or room["status"] not in room_timer.TIMED_PHASES:
            return
        due = room_timer.deadline(room["timer"], room["config"]["durations"])
        if due is None:
            return
        delay = max(0.0, (due - utcnow()).total_seconds())
        room_id, phase = room["_id"], room["status"]
        loop = asyncio.get_running_loop()
        self._deadlines[room_id] = loop.call_later(delay, lambda: self._tasks.spawn(self.time_up(room_id, phase)))

    def disarm(self, room_id: str) -> None:
        if handle := self._deadlines.pop(room_id, None):
            handle.cancel()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_SEC)
            try:
                await self.sweep()
            except Exception:
                log.exception("abandoned-room sweep failed")
