"""The room commands: create, join, leave, kick, phases, problem, hints, settings, lock, timer, role swaps,
participants.

Each command runs under its room's lock (`_command`: lock, load, check the caller's capability), applies the
rules, saves through the repository, then runs its effects. One process owns the rooms (DESIGN.md on scale-out).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from config import Settings
from syncode.clock import new_id, utcnow
from syncode.collab import SnapshotReady, snapshot_event
from syncode.enums import Role, RoomStatus
from syncode.errors import Conflict, Forbidden, Gone, NotFound, RateLimited, ValidationFailed
from syncode.models.common import Pagination
from syncode.models.rooms import (
    CreateRoomRequest,
    JoinRoomRequest,
    RevealedHint,
    RoomConfig,
    RoomDetail,
    RoomParticipantSummary,
    RoomPreview,
    RoomQuery,
    RoomSummary,
    UpdateParticipantRequest,
    UpdateSettingsRequest,
)
from syncode.rooms import rules
from syncode.rooms.effects import RoomEffects
from syncode.rooms.repository import RoomRepository
from syncode.rooms.rules import Room, member, present
from syncode.rooms.scheduler import RoomScheduler, due_now
from syncode.rooms.views import RoomViews, capabilities_of
from syncode.services import room_timer
from syncode.services.auth import Principal
from syncode.services.permissions import Cap, require
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.rooms")

ABANDONED_AFTER_SEC = 600


class RoomService:
    def __init__(
        self,
        settings: Settings,
        repo: RoomRepository,
        views: RoomViews,
        effects: RoomEffects,
        problems: ProblemService,
        presence: Presence,
    ) -> None:
        self.settings = settings
        self.repo = repo
        self.views = views
        self.fx = effects
        self.problems = problems
        self.presence = presence
        self.scheduler = RoomScheduler(self._time_up, self.finish_abandoned)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks = BackgroundTasks("room background task")
        presence.listen(self._presence_changed)

    async def start(self) -> None:
        """Re-arm phase deadlines of live rooms (a restart loses no timer) and start the abandoned-room sweep."""
        async for room in self.repo.live_rooms():
            self.scheduler.arm(room)
        self.scheduler.start()

    async def close(self) -> None:
        self.scheduler.stop()

    # -- access ------------------------------------------------------------------------------------------

    async def access(self, principal: Principal, room_id: str, needed: Cap = Cap.view) -> tuple[Room, set[Cap]]:
        """The room and the caller's capabilities in it; raises 404/403 as the table says."""
        room = await self.repo.load(room_id)
        caps = capabilities_of(room, principal)
        require(caps, needed)
        return room, caps

    async def live_access(self, principal: Principal, room_id: str, needed: Cap) -> Room:
        """Like `access`, for changes: a finished room answers 409 ROOM_FINISHED."""
        room, _ = await self.access(principal, room_id, needed)
        if room["status"] == RoomStatus.finished:
            raise Conflict("this room has finished", "ROOM_FINISHED")
        return room

    @asynccontextmanager
    async def _command(
        self, principal: Principal, room_id: str, needed: Cap, live: bool = False
    ) -> AsyncIterator[Room]:
        """The room, loaded under its lock once the caller is allowed `needed` (and, if `live`, it is not over)."""
        async with self._locks[room_id]:
            if live:
                yield await self.live_access(principal, room_id, needed)
            else:
                yield (await self.access(principal, room_id, needed))[0]

    async def collab_member(self, room_id: str, user_id: str) -> bool | None:
        """May the user be in the room's collab document now (see syncode.collab.Membership)?"""
        room = await self.repo.read(room_id)
        if room is None:
            return None
        return (
            room.get("deletedAt") is None
            and room["status"] != RoomStatus.finished
            and member(room, user_id) is not None
        )

    # -- reads -------------------------------------------------------------------------------------------

    async def get(self, principal: Principal, room_id: str) -> RoomDetail:
        room, _ = await self.access(principal, room_id)
        return await self.views.detail(room, principal)

    async def participants(self, principal: Principal, room_id: str) -> list[RoomParticipantSummary]:
        room, _ = await self.access(principal, room_id)
        return await self.views.participants(room)

    async def list_mine(self, principal: Principal, q: RoomQuery) -> tuple[list[RoomSummary], Pagination]:
        filters: dict[str, Any] = {"participants.userId": principal.id}
        filters.update({k: v for k, v in (("status", q.status), ("mode", q.mode)) if v})
        page = await self.repo.page(filters, q.sort_order == "desc", q.cursor, q.limit)
        summaries = await self.views.summaries(page.items, principal.id)
        return summaries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def preview(self, code: str) -> RoomPreview:
        return await self.views.preview(await self.repo.by_code(code))

    async def active_room(self, principal: Principal) -> RoomDetail | None:
        room = await self.repo.latest_live_of(principal.id)
        return await self.views.detail(room, principal) if room else None

    async def rooms_of(self, user_id: str) -> list[str]:
        """Ids of the live rooms the user is in (for the event channel)."""
        return await self.repo.live_ids_of(user_id)

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def create(self, principal: Principal, req: CreateRoomRequest, idempotency_key: str | None) -> RoomDetail:
        if idempotency_key and (earlier := await self.repo.created_with(principal.id, idempotency_key)):
            return await self.views.detail(await self.repo.load(earlier), principal)
        await self._check_room_quota(principal)
        problem = await self.problems.find(principal, req.problem_id) if req.problem_id else None
        now = utcnow()
        room = new_room(principal, req, problem, now)
        await self.repo.insert(room)
        if idempotency_key and not await self.repo.remember_creation(principal.id, idempotency_key, room["_id"], now):
            await self.repo.remove(room["_id"])  # a concurrent replay won: answer with its room, drop ours
            return await self.create(principal, req, idempotency_key)
        starter = (problem or {}).get("starterCode") or {}
        await self.fx.collab.create_document(room["_id"], starter, language=room["language"])
        self.scheduler.arm(room)
        return await self.views.detail(room, principal)

    async def _check_room_quota(self, principal: Principal) -> None:
        active = await self.repo.count_live_of(principal.id)
        if active >= self.settings.max_active_rooms:
            raise RateLimited(
                f"you are already in {active} live rooms; leave or finish one first", 60, "QUOTA_EXCEEDED"
            )

    async def create_matched(
        self, room_id: str, seats: list[tuple[str, dict[str, Any], str]], problem_id: str | None, language: str
    ) -> Room:
        """A peer room for two users matchmaking paired, with the problem and language they accepted, each joined
        in their role: `seats` are (user id, account {username, displayName}, role); the interviewer hosts.
        `room_id` is the proposal's id, so a retry after a crash finds the room made the first time. No room
        quota: users enter matchmaking only while in no live room."""
        try:
            problem = await self.problems.find(None, problem_id) if problem_id else None
        except NotFound:  # unpublished or deleted since it was proposed
            problem = None
        async with self._locks[room_id]:
            room = await self.repo.read(room_id) or await self._insert_matched(room_id, seats, problem, language)
            starter = (problem or {}).get("starterCode") or {}
            await self.fx.collab.create_document(room_id, starter, language=room["language"])  # idempotent
            self.scheduler.arm(room)
            for user_id, _, _ in seats:
                self.fx.membership(room, user_id, True)
            return room

    async def _insert_matched(
        self, room_id: str, seats: list[tuple[str, dict[str, Any], str]], problem: dict[str, Any] | None, language: str
    ) -> Room:
        host_id, host, _ = next(seat for seat in seats if seat[2] == Role.interviewer)
        as_host = Principal(host_id, "user", host["username"], user=host)  # as if the interviewer created it
        room = new_room(as_host, CreateRoomRequest(mode="peer", language=language), problem, utcnow())
        seated = [rules.new_participant(user_id, user, role, room["createdAt"]) for user_id, user, role in seats]
        room.update(_id=room_id, participants=seated)
        await self.repo.insert(room)
        return room

    async def destroy(self, principal: Principal, room_id: str) -> None:
        async with self._command(principal, room_id, Cap.destroy) as room:
            room = await self._finish(room, principal.id, reason="destroyed")
            await self.repo.save(room, {"deletedAt": utcnow()})

    async def close_by_admin(self, admin: Principal, room_id: str) -> Room:
        async with self._locks[room_id]:
            return await self._finish(await self.repo.load(room_id), admin.id, reason="closed by an administrator")

    # -- membership --------------------------------------------------------------------------------------

    async def join(self, principal: Principal, req: JoinRoomRequest) -> RoomDetail:
        room = await self.repo.by_code(req.invite_code)
        async with self._locks[room["_id"]]:
            room = await self.repo.load(room["_id"])
            if principal.id in room.get("kicked", []):
                raise Forbidden("you were removed from this room", "ROOM_KICKED")
            if member(room, principal.id):  # rejoin is idempotent
                return await self.views.detail(room, principal)
            role = await self._admissible_role(principal, room, req.role)
            entry = rules.new_participant(principal.id, principal.user, role, utcnow())
            others = [p for p in room["participants"] if p["userId"] != principal.id]  # drop an earlier stint
            room = await self.repo.save(room, {"participants": [*others, entry]})
            await self.fx.sessions.participant_joined(room.get("sessionId"), entry)
            await self.fx.record(room, "participant_joined", principal.id, {"role": role})
            self.fx.membership(room, principal.id, True)
            await self.fx.changed(room, "participant.updated", {"userId": principal.id, "role": role, "joined": True})
            return await self.views.detail(room, principal)

    async def _admissible_role(self, principal: Principal, room: Room, asked: str | None) -> str:
        """The role a newcomer takes (the one asked for, or the first free one), if the room lets them in."""
        if room["status"] == RoomStatus.finished:
            raise Conflict("this room has finished", "ROOM_FINISHED")
        people = present(room)
        if len(people) >= room["config"]["maxParticipants"]:
            raise Conflict("this room is full", "ROOM_FULL")
        await self._check_room_quota(principal)
        role = asked or rules.free_role(room["mode"], people)
        if role == Role.observer and not room["config"]["allowObservers"]:
            raise Conflict("this room does not allow observers", "ROLE_TAKEN")
        rules.check_roles(room["mode"], [*people, {"role": role}])
        return role

    async def leave(self, principal: Principal, room_id: str) -> None:
        async with self._command(principal, room_id, Cap.leave) as room:
            await self._remove(room, principal.id, actor_id=principal.id, kicked=False)

    async def kick(self, principal: Principal, room_id: str, user_id: str) -> None:
        async with self._command(principal, room_id, Cap.kick) as room:
            if user_id == principal.id:
                raise Conflict("the host cannot kick themself; leave instead", "CANNOT_KICK_SELF")
            if member(room, user_id) is None:
                raise NotFound("no such participant", "PARTICIPANT_NOT_FOUND")
            await self._remove(room, user_id, actor_id=principal.id, kicked=True)

    async def user_gone(self, user_id: str) -> None:
        """A banned or deleted account leaves every live room at once (its collab sockets close)."""
        for room_id in await self.repo.live_ids_of(user_id):
            async with self._locks[room_id]:
                room = await self.repo.load(room_id)
                if member(room, user_id):
                    await self._remove(room, user_id, actor_id=None, kicked=False)

    async def _remove(self, room: Room, user_id: str, actor_id: str | None, kicked: bool) -> None:
        room = await self.repo.save(room, rules.departure(room, user_id, utcnow(), kicked))
        await self.fx.sessions.participant_left(room.get("sessionId"), user_id)
        await self.fx.record(room, "participant_left", actor_id, {"userId": user_id, "kicked": kicked})
        await self.fx.collab.kick(room["_id"], user_id, "kicked" if kicked else "left the room")
        self.fx.publish(room["_id"], "participant.kicked" if kicked else "participant.left", {"userId": user_id})
        self.fx.membership(room, user_id, False)
        if present(room):
            await self.fx.changed(room)
        else:
            await self._finish(room, actor_id, reason="empty")

    def _presence_changed(self, room_id: str, user_id: str, active: bool) -> None:
        self._tasks.spawn(self._record_presence(room_id, user_id, active))

    async def _record_presence(self, room_id: str, user_id: str, active: bool) -> None:
        await self.repo.touch(room_id)
        event = "participant.joined" if active else "participant.left"
        self.fx.publish(room_id, event, {"userId": user_id, "isActive": active})

    # -- phases ------------------------------------------------------------------------------------------

    async def change_phase(self, principal: Principal, room_id: str, to: str) -> RoomDetail:
        async with self._command(principal, room_id, Cap.advance_phase) as room:
            room = await self._change_phase(room, to, principal.id)
            return await self.views.detail(room, principal)

    async def _change_phase(self, room: Room, to: str, actor_id: str | None) -> Room:
        current = room["status"]
        rules.check_transition(current, to)
        if to == RoomStatus.finished:
            return await self._finish(room, actor_id, reason="phase")
        now = utcnow()
        changes: dict[str, Any] = {"status": to, "timer": room_timer.start_phase(to, now)}
        if to == RoomStatus.warmup and not room.get("sessionId"):
            changes["sessionId"] = await self.fx.sessions.start(room, now)
        room = await self.repo.save(room, changes)
        await self.fx.record(room, "phase_changed", actor_id, {"from": current, "to": to})
        await self.fx.snapshot(room, "phase_change")
        self.scheduler.arm(room)
        await self.fx.changed(room, "room.phase_changed", {"from": current, "to": to})
        self.fx.timer(room)
        return room

    async def _finish(self, room: Room, actor_id: str | None, reason: str) -> Room:
        """Any live phase -> finished: final snapshot, session closed, sockets closed (4003), code released."""
        if room["status"] == RoomStatus.finished:
            return room
        now, previous = utcnow(), room["status"]
        if room.get("sessionId"):
            data = {"from": previous, "to": "finished", "reason": reason}
            await self.fx.record(room, "phase_changed", actor_id, data)
            await self.fx.snapshot(room, "session_end")
        timer = {**room_timer.start_phase(RoomStatus.finished.value, now), "runningSince": None}
        room = await self.repo.save(
            room, {"status": RoomStatus.finished.value, "finishedAt": now, "timer": timer}, unset={"inviteKey": ""}
        )
        await self.fx.sessions.finish(room.get("sessionId"), now)
        self.scheduler.disarm(room["_id"])
        await self.fx.close_document(room)
        await self.fx.changed(room, "room.phase_changed", {"from": previous, "to": "finished", "reason": reason})
        self.fx.publish(room["_id"], "room.finished", {"reason": reason})
        return room

    async def _time_up(self, room_id: str, phase: str) -> None:
        """The scheduler's call at a phase deadline: advance, unless the room moved on or its timer was paused."""
        try:
            async with self._locks[room_id]:
                room = await self.repo.load(room_id)
                if room["status"] != phase or not room["config"].get("autoAdvance"):
                    return
                if not due_now(room):
                    self.scheduler.arm(room)  # paused or moved meanwhile
                    return
                await self._change_phase(room, rules.next_phase(phase), actor_id=None)
        except NotFound:
            pass
        except Exception:
            log.exception("auto-advance failed", extra={"roomId": room_id})

    async def advance_by_server(self, room_id: str, expected: str, to: str) -> bool:
        """A phase change the server makes on its own (the AI interviewer of an ai room): from `expected` to `to`,
        if the room is still in `expected` (False otherwise: someone moved it meanwhile)."""
        async with self._locks[room_id]:
            room = await self.repo.load(room_id)
            if room["status"] != expected:
                return False
            await self._change_phase(room, to, actor_id=None)
            return True

    async def finish_abandoned(self, idle_sec: int = ABANDONED_AFTER_SEC) -> list[str]:
        """Finish live rooms nobody has been connected to for `idle_sec`."""
        finished = []
        async for room in self.repo.idle_live_ids(utcnow() - timedelta(seconds=idle_sec)):
            if self.presence.room_is_empty(room["_id"]):
                async with self._locks[room["_id"]]:
                    await self._finish(await self.repo.load(room["_id"]), actor_id=None, reason="abandoned")
                finished.append(room["_id"])
        return finished

    async def snapshot(self, room: Room, trigger: str) -> None:
        await self.fx.snapshot(room, trigger)

    async def receive_snapshot(self, ready: SnapshotReady) -> None:
        """Where every collab snapshot arrives, in-process or through the HTTP callback: it joins the session
        record, and goes on the bus for whoever else follows the collab plane."""
        self.fx.bus.publish(snapshot_event(ready))
        room = await self.repo.read(ready.room_id)
        if not room or not room.get("sessionId"):
            return
        await self.fx.sessions.snapshot(
            room["sessionId"],
            room["_id"],
            ready.trigger,
            room["status"],
            ready.language,
            ready.code,
            ready.snapshot,
            editors=list(ready.editors),
            at=ready.timestamp,
        )

    # -- control -----------------------------------------------------------------------------------------

    async def select_problem(self, principal: Principal, room_id: str, problem_id: str) -> RoomDetail:
        async with self._command(principal, room_id, Cap.select_problem) as room:
            if not rules.problem_can_change(room["status"]):
                raise Conflict("the problem can only change before coding starts", "ROOM_INVALID_TRANSITION")
            problem = await self.problems.find(principal, problem_id)
            room = await self.repo.save(room, {"problemId": problem["_id"], "revealedHints": []})
            await self.fx.collab.replace_content(room["_id"], problem.get("starterCode") or {})
            await self.fx.record(room, "problem_changed", principal.id, {"problemId": problem["_id"]})
            await self.fx.changed(room)
            return await self.views.detail(room, principal)

    async def reveal_hint(self, principal: Principal, room_id: str, index: int) -> RoomDetail:
        """The interviewer shows the candidate the next hint of the problem's ladder (a retry of the last one is a
        no-op); it goes to the room (`revealedHints`), the event channel and the session timeline."""
        async with self._command(principal, room_id, Cap.reveal_hint, live=True) as room:
            if not room.get("problemId"):
                raise Conflict("this room has no problem yet", "ROOM_NO_PROBLEM")
            ladder = await self.problems.hints(room["problemId"])
            if rules.hint_is_new(room, index, len(ladder)):
                hint = {"index": index, "text": ladder[index], "revealedBy": principal.id, "revealedAt": utcnow()}
                room = await self.repo.save(room, {"revealedHints": [*room.get("revealedHints", []), hint]})
                await self.fx.record(room, "hint_revealed", principal.id, {"index": index, "total": len(ladder)})
                data = RevealedHint.model_validate(hint).to_json() | {"total": len(ladder)}
                await self.fx.changed(room, "hint.revealed", data)
            return await self.views.detail(room, principal)

    async def update_settings(self, principal: Principal, room_id: str, req: UpdateSettingsRequest) -> RoomDetail:
        async with self._command(principal, room_id, Cap.update_settings, live=True) as room:
            changes: dict[str, Any] = {}
            if req.name is not None:
                changes["name"] = req.name
            if req.config is not None:
                if req.config.max_participants < len(present(room)):
                    raise ValidationFailed(
                        "maxParticipants is below the current participant count",
                        details={"config.maxParticipants": "below current count"},
                    )
                changes["config"] = req.config.model_dump(by_alias=True)
            if req.language is not None and req.language != room["language"]:
                changes["language"] = req.language
                await self.fx.collab.set_language(room["_id"], req.language)
                await self.fx.record(room, "language_changed", principal.id, {"language": req.language})
            room = await self.repo.save(room, changes)
            self.scheduler.arm(room)
            await self.fx.changed(room)
            return await self.views.detail(room, principal)

    async def set_lock(self, principal: Principal, room_id: str, locked: bool) -> RoomDetail:
        async with self._command(principal, room_id, Cap.lock_editor, live=True) as room:
            room = await self.repo.save(room, {"editorLocked": locked})
            await self.fx.collab.set_locked(room_id, locked)
            kind = "editor_locked" if locked else "editor_unlocked"
            await self.fx.record(room, kind, principal.id, {})
            await self.fx.changed(room, f"room.{kind}", {"by": principal.id})
            return await self.views.detail(room, principal)

    async def set_paused(self, principal: Principal, room_id: str, paused: bool) -> RoomDetail:
        async with self._command(principal, room_id, Cap.control_timer) as room:
            if room["status"] not in room_timer.TIMED_PHASES:
                raise Conflict("the timer only runs in warmup, coding and wrapup", "ROOM_INVALID_TRANSITION")
            if room["timer"]["paused"] == paused:
                raise Conflict("the timer is already " + ("paused" if paused else "running"), "TIMER_STATE")
            now = utcnow()
            timer = room_timer.pause(room["timer"], now) if paused else room_timer.resume(room["timer"], now)
            room = await self.repo.save(room, {"timer": timer})
            self.scheduler.arm(room)
            data = {"elapsedSec": room_timer.elapsed_ms(timer, now) // 1000}
            await self.fx.record(room, "timer_paused" if paused else "timer_resumed", principal.id, data)
            self.fx.timer(room)
            await self.fx.changed(room)
            return await self.views.detail(room, principal)

    # -- role swap ---------------------------------------------------------------------------------------

    async def request_swap(self, principal: Principal, room_id: str) -> tuple[str, datetime]:
        async with self._command(principal, room_id, Cap.role_swap) as room:
            if not {Role.interviewer, Role.candidate} <= {p["role"] for p in present(room)}:
                raise Conflict("a swap needs both an interviewer and a candidate", "ROLE_SWAP_UNAVAILABLE")
            pending = room.get("roleSwap")
            if pending and pending["expiresAt"] > utcnow():
                raise Conflict("a role swap is already pending", "ROLE_SWAP_PENDING")
            expires = utcnow() + timedelta(seconds=self.settings.role_swap_ttl_sec)
            swap = {"requestId": new_id(), "requesterId": principal.id, "expiresAt": expires}
            await self.repo.save(room, {"roleSwap": swap})
            data = {"requestId": swap["requestId"], "requesterId": principal.id, "expiresAt": expires.isoformat()}
            self.fx.publish(room["_id"], "role_swap.requested", data)
            return swap["requestId"], expires

    async def answer_swap(self, principal: Principal, room_id: str, request_id: str, accept: bool) -> RoomDetail:
        async with self._command(principal, room_id, Cap.role_swap) as room:
            swap = room.get("roleSwap")
            if not swap or swap["requestId"] != request_id:
                raise NotFound("no such role swap request", "ROLE_SWAP_NOT_FOUND")
            if swap["requesterId"] == principal.id:
                raise Forbidden("the other party answers a role swap", "FORBIDDEN")
            if swap["expiresAt"] <= utcnow():
                await self.repo.save(room, {"roleSwap": None})
                raise Gone("this role swap request has expired", "ROLE_SWAP_EXPIRED")
            changes: dict[str, Any] = {"roleSwap": None}
            if accept:
                changes["participants"] = rules.swap_roles(room["participants"])
            room = await self.repo.save(room, changes)
            if accept:
                roles = {p["userId"]: p["role"] for p in present(room)}
                await self.fx.record(
                    room, "role_swapped", principal.id, {"requesterId": swap["requesterId"], "roles": roles}
                )
                for p in present(room):  # the collab plane decides read-only by role; tokens carry the old one
                    await self.fx.collab.set_role(room["_id"], p["userId"], p["role"])
            await self.fx.changed(room, "role_swap.resolved", {"requestId": request_id, "accepted": accept})
            return await self.views.detail(room, principal)

    # -- participants ------------------------------------------------------------------------------------

    async def update_participant(
        self, principal: Principal, room_id: str, user_id: str, req: UpdateParticipantRequest
    ) -> RoomParticipantSummary:
        async with self._command(principal, room_id, Cap.update_participant) as room:
            target = member(room, user_id)
            if target is None:
                raise NotFound("no such participant", "PARTICIPANT_NOT_FOUND")
            updated = {**target}
            if req.role is not None:
                updated["role"] = req.role
            if req.muted is not None:
                updated["isMuted"] = req.muted
            rules.check_roles(room["mode"], [updated if p["userId"] == user_id else p for p in present(room)])
            participants = [updated if p is target else p for p in room["participants"]]
            room = await self.repo.save(room, {"participants": participants})
            if req.role is not None and req.role != target["role"]:
                data = {"userId": user_id, "from": target["role"], "to": req.role}
                await self.fx.record(room, "role_changed", principal.id, data)
                await self.fx.collab.set_role(room_id, user_id, req.role)
            if (updated["role"], updated.get("isMuted")) != (target["role"], target.get("isMuted")):
                await self.fx.permissions_changed(room, user_id)  # what they may publish in the call
            view = next(v for v in await self.views.participants(room) if v.user_id == user_id)
            await self.fx.changed(room, "participant.updated", view.to_json())
            return view


def new_room(principal: Principal, req: CreateRoomRequest, problem: dict[str, Any] | None, now: datetime) -> Room:
    host = rules.new_participant(principal.id, principal.user, rules.host_role(req.mode), now)
    return {
        "_id": new_id(),
        "name": req.name,
        "mode": req.mode,
        "status": RoomStatus.waiting.value,
        "language": req.language,
        "problemId": problem["_id"] if problem else None,
        "hostId": principal.id,
        "config": (req.config or RoomConfig()).model_dump(by_alias=True),
        "participants": [host],
        "kicked": [],
        "editorLocked": False,
        "timer": room_timer.start_phase(RoomStatus.waiting.value, now),
        "sessionId": None,
        "roleSwap": None,
        "revealedHints": [],
        "createdAt": now,
        "updatedAt": now,
        "lastActivityAt": now,
        "finishedAt": None,
        "deletedAt": None,
    }
