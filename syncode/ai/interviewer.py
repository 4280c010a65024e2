"""The AI interviewer of ai-mode rooms: it runs the interview.

It greets and asks a clarifying question when the room enters `warmup`; in `coding` it reacts to runs and
submissions (a failing one: a Socratic question about it; several failures in a row: a step back; an accepted
submission: a complexity follow-up, and it moves the room to `wrapup`), nudges after `ai_idle_nudge_sec` without
edits, runs or messages, and moves the room to `wrapup` when the coding time is up; entering `wrapup` otherwise,
it asks about complexity and alternatives. The candidate finishes the room.

Proactive turns are bounded: at most one in flight per room and one per `ai_proactive_gap_sec` (a turn due
sooner waits, the latest reason winning, and is dropped if the phase moves on); the candidate can mute them
(AiService.update_settings). What it watches lives in memory, re-read from the live ai rooms at start-up; when
it last spoke and the mute are stored (AiStore.room_state).
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import Settings
from syncode.ai.brief import job_brief
from syncode.ai.gather import BriefBuilder
from syncode.ai.service import AiService
from syncode.ai.store import AiStore
from syncode.clock import utcnow
from syncode.collab import SNAPSHOT_READY
from syncode.enums import Mode, RoomStatus
from syncode.events import Event, EventBus
from syncode.rooms import RoomService
from syncode.rooms.rules import Room
from syncode.rooms.scheduler import due_now
from syncode.services.execution import ExecutionService

log = logging.getLogger("syncode.ai")

WATCHED = (RoomStatus.warmup, RoomStatus.coding, RoomStatus.wrapup)


@dataclass
class Watch:
    """What the interviewer keeps about one live ai room."""

    active_at: float  # monotonic: the last edit, run, submission, message or phase change
    code_hash: int | None = None
    failures: int = 0  # failing runs and submissions in a row
    nudged: bool = False  # an idle nudge since the last activity
    spoke_at: float = -1e9  # monotonic: the last proactive turn
    pending: tuple[str, str] | None = None  # (trigger, phase) of a turn waiting for the gap
    moved: bool = False  # the interviewer itself moved the room to wrapup (and said why)


class Interviewer:
    def __init__(
        self,
        settings: Settings,
        bus: EventBus,
        rooms: RoomService,
        ai: AiService,
        store: AiStore,
        execution: ExecutionService,
        builder: BriefBuilder,
    ) -> None:
        self.settings = settings
        self.bus = bus
        self.rooms = rooms
        self.ai = ai
        self.store = store
        self.execution = execution
        self.builder = builder
        self.watches: dict[str, Watch] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._unsubscribe: list[Any] = []
        self._ticker: asyncio.Task | None = None

    async def start(self) -> None:
        async for room in self.rooms.repo.live_rooms():
            if room["mode"] == Mode.ai and room["status"] in WATCHED:
                await self._watch(room["_id"])
        handlers = {
            "room.phase_changed": self._phase_changed,
            "run.completed": self._job_done,
            "submission.completed": self._job_done,
            SNAPSHOT_READY: self._edited,
            "ai.message": self._message,
            "chat.message": self._message,
            "room.finished": self._finished,
        }
        for prefix, handler in handlers.items():
            self._unsubscribe.append(self.bus.subscribe(prefix, handler))
        self._ticker = asyncio.create_task(self._tick_forever())

    async def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._ticker:
            self._ticker.cancel()

    async def _watch(self, room_id: str) -> Watch:
        if room_id not in self.watches:
            state = await self.store.room_state(room_id)
            watch = Watch(active_at=time.monotonic())
            if isinstance(state.get("lastProactiveAt"), datetime):
                watch.spoke_at = time.monotonic() - (utcnow() - state["lastProactiveAt"]).total_seconds()
            self.watches[room_id] = watch
        return self.watches[room_id]

    async def _ai_room(self, event: Event) -> Room | None:
        """The event's room if it is a live ai room."""
        if event.room_id is None:
            return None
        room = await self.rooms.repo.read(event.room_id)
        if room is None or room["mode"] != Mode.ai or room["status"] not in WATCHED:
            return None
        return room

    # -- events ------------------------------------------------------------------------------------------

    async def _phase_changed(self, event: Event) -> None:
        room = await self._ai_room(event)
        if room is None:
            return
        watch = await self._watch(room["_id"])
        watch.active_at, watch.nudged, watch.failures = time.monotonic(), False, 0
        to = event.data.get("to")
        if to == RoomStatus.warmup:
            await self._say(room, "greeting")
        elif to == RoomStatus.wrapup and watch.moved:
            watch.moved = False
        elif to == RoomStatus.wrapup:
            await self._say(room, "wrapup")

    async def _job_done(self, event: Event) -> None:
        room = await self._ai_room(event)
        if room is None or room["status"] != RoomStatus.coding:
            return
        watch = await self._watch(room["_id"])
        watch.active_at, watch.nudged = time.monotonic(), False
        jobs = await self.execution.recent_jobs(room["_id"], 1)
        if not jobs or jobs[-1]["_id"] != event.data.get("id"):
            return
        _, _, visible = await self.builder.problem(room.get("problemId"))
        job = job_brief(jobs[-1], visible)
        if job.ok and job.accepted_submission:
            watch.failures = 0
            await self._say(room, "accepted", job.code, job.language, then=RoomStatus.wrapup)
            await self._move_to_wrapup(room, watch)
        elif job.ok:
            watch.failures = 0
        else:
            watch.failures += 1
            stuck = watch.failures >= self.settings.ai_failing_runs_nudge
            trigger = "stuck_runs" if stuck else f"failing_{job.kind}"
            await self._say(room, trigger, job.code, job.language)

    async def _edited(self, event: Event) -> None:
        watch = self.watches.get(event.room_id or "")
        code_hash = zlib.crc32(str(event.data.get("code", "")).encode())
        if watch and code_hash != watch.code_hash:
            watch.code_hash, watch.active_at, watch.nudged = code_hash, time.monotonic(), False

    async def _message(self, event: Event) -> None:
        watch = self.watches.get(event.room_id or "")
        human = event.type == "chat.message" or event.data.get("role") == "user"
        if watch and human:
            watch.active_at, watch.nudged = time.monotonic(), False

    async def _finished(self, event: Event) -> None:
        self.watches.pop(event.room_id or "", None)
        self._locks.pop(event.room_id or "", None)

    # -- turns -------------------------------------------------------------------------------------------

    async def _say(
        self, room: Room, trigger: str, code: str | None = None, language: str | None = None, then: str | None = None
    ) -> None:
        """A proactive turn now, or later when one is in flight or the last was too recent (while the room is in
        phase `then`, by default its current one); none when muted."""
        room_id = room["_id"]
        async with self._locks.setdefault(room_id, asyncio.Lock()):
            watch = await self._watch(room_id)
            state = await self.store.room_state(room_id)
            if state.get("proactiveMuted"):
                watch.pending = None
                return
            too_soon = time.monotonic() - watch.spoke_at < self.settings.ai_proactive_gap_sec
            if too_soon or await self.store.proactive_in_flight(room_id):
                watch.pending = (trigger, then or room["status"])
                return
            watch.pending, watch.spoke_at = None, time.monotonic()
            await self.store.update_room(room_id, lastProactiveAt=utcnow())
            await self.ai.speak(room, trigger, code, language)

    async def _move_to_wrapup(self, room: Room, watch: Watch) -> None:
        watch.moved = True  # before the move: its event may arrive before the call returns
        try:
            moved = await self.rooms.advance_by_server(room["_id"], RoomStatus.coding, RoomStatus.wrapup)
        except Exception:
            moved = False
            raise
        finally:
            if not moved:
                watch.moved = False

    # -- the clock ---------------------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.ai_tick_sec)
            try:
                await self.tick()
            except Exception:
                log.exception("AI interviewer tick failed")

    async def tick(self) -> None:
        """Time up in coding, idle nudges, turns that waited for the gap."""
        for room_id, watch in list(self.watches.items()):
            room = await self.rooms.repo.read(room_id)
            if room is None or room["status"] not in WATCHED:
                self.watches.pop(room_id, None)
                continue
            if room["status"] == RoomStatus.coding and not room["config"].get("autoAdvance") and due_now(room):
                await self._say(room, "time_up", then=RoomStatus.wrapup)
                await self._move_to_wrapup(room, watch)
                continue
            idle = time.monotonic() - watch.active_at >= self.settings.ai_idle_nudge_sec
            idle = idle and not self.rooms.presence.room_is_empty(room_id)  # nobody there: nobody to nudge
            if room["status"] == RoomStatus.coding and idle and not watch.nudged:
                watch.nudged = True
                await self._say(room, "idle")
            elif watch.pending and watch.pending[1] == room["status"]:
                await self._say(room, watch.pending[0])
            elif watch.pending:
                watch.pending = None  # the phase moved on: that turn is no longer relevant
