"""Rooms: lifecycle, participants, phases and timer, editor lock, role swaps, previews and admin views.

Mutations of one room are serialised by a per-room lock (one process owns the rooms; see DESIGN.md on
scale-out). Every change is published on the event bus and, once the session exists, written to its timeline.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from config import Settings
from syncode.cache import DocumentCache
from syncode.clock import new_id, utcnow
from syncode.collab import CollabPlane, SnapshotReady, snapshot_event
from syncode.db import Database
from syncode.errors import Conflict, Forbidden, Gone, NotFound, RateLimited, ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.common import Pagination
from syncode.models.rooms import (
    AdminRoomEntry,
    CollabAccess,
    CreateRoomRequest,
    JoinRoomRequest,
    ProblemRef,
    RoomConfig,
    RoomDetail,
    RoomParticipantSummary,
    RoomPreview,
    RoomQuery,
    RoomSummary,
    UpdateParticipantRequest,
    UpdateSettingsRequest,
)
from syncode.pagination import paginate
from syncode.security import issue_collab_token
from syncode.services import room_timer
from syncode.services.audit import AuditService
from syncode.services.auth import Principal
from syncode.services.blobs import LocalBlobStore
from syncode.services.permissions import Cap, capabilities, require
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.services.sessions import SessionRecorder
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.rooms")

INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
PHASES = ["waiting", "warmup", "coding", "wrapup", "finished"]
LIVE = ["waiting", "warmup", "coding", "wrapup"]
ROLE_SWAP_TTL_SEC = 60
ABANDONED_AFTER_SEC = 600
IDEMPOTENCY_TTL = timedelta(hours=24)
ROOM_CACHE_SIZE = 10_000
ROOM_CACHE_TTL_SEC = 5.0  # how long a change made behind this service's back may go unseen


def invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(6))


def present(room: dict[str, Any]) -> list[dict[str, Any]]:
    """Participants currently in the room (not left, not kicked), longest-present first."""
    return sorted((p for p in room["participants"] if not p.get("leftAt")), key=lambda p: p["joinedAt"])


def member(room: dict[str, Any], user_id: str) -> dict[str, Any] | None:
    return next((p for p in present(room) if p["userId"] == user_id), None)


def check_roles(mode: str, participants: list[dict[str, Any]]) -> None:
    """peer: at most one interviewer and one candidate; ai: no interviewer, at most one candidate."""
    counts = defaultdict(int)
    for p in participants:
        counts[p["role"]] += 1
    limits = {"interviewer": 1 if mode == "peer" else 0, "candidate": 1}
    for role, limit in limits.items():
        if counts[role] > limit:
            raise Conflict(
                f"this room already has its {role}" if limit else f"{mode} rooms have no {role}", "ROLE_TAKEN"
            )


class RoomService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        bus: EventBus,
        audit: AuditService,
        problems: ProblemService,
        blobs: LocalBlobStore,
        presence: Presence,
    ) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.audit = audit
        self.problems = problems
        self.blobs = blobs
        self.presence = presence
        self.sessions = SessionRecorder(db)
        self.collab: CollabPlane | None = None  # wired by run.py
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._sweeper: asyncio.Task | None = None
        self._tasks = BackgroundTasks("room background task")
        # Every request in a room reads its document; this service makes every write to it (DESIGN.md: a room
        # belongs to one process), so reads are served from memory between writes.
        self._cache = DocumentCache(capacity=ROOM_CACHE_SIZE, ttl=ROOM_CACHE_TTL_SEC)
        presence.listen(self._presence_changed)

    # -- start-up and background duties ------------------------------------------------------------------

    async def start(self) -> None:
        """Re-arm phase deadlines of live rooms (a restart loses no timer) and start the abandoned-room sweep."""
        async for room in self.db.rooms.find({"status": {"$in": LIVE}, "deletedAt": None}):
            self._arm(room)
        self._sweeper = asyncio.create_task(self._sweep_abandoned())

    async def close(self) -> None:
        if self._sweeper:
            self._sweeper.cancel()
        for handle in self._deadlines.values():
            handle.cancel()
        self._deadlines.clear()

    def _arm(self, room: dict[str, Any]) -> None:
        """Schedule the auto-advance of the room's current phase, if it has one."""
        if old := self._deadlines.pop(room["_id"], None):
            old.cancel()
        if not room["config"].get("autoAdvance") or room["status"] not in room_timer.TIMED_PHASES:
            return
        due = room_timer.deadline(room["timer"], room["config"]["durations"])
        if due is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, (due - utcnow()).total_seconds())
        room_id, phase = room["_id"], room["status"]
        self._deadlines[room_id] = loop.call_later(delay, lambda: self._tasks.spawn(self._time_up(room_id, phase)))

    async def _time_up(self, room_id: str, phase: str) -> None:
        try:
            async with self._locks[room_id]:
                room = await self._load(room_id)
                if room["status"] != phase or not room["config"].get("autoAdvance"):
                    return
                due = room_timer.deadline(room["timer"], room["config"]["durations"])
                if due is None or due > utcnow() + timedelta(milliseconds=50):
                    self._arm(room)  # paused or moved meanwhile
                    return
                await self._change_phase(room, PHASES[PHASES.index(phase) + 1], actor_id=None)
        except NotFound:
            pass
        except Exception:
            log.exception("auto-advance failed", extra={"roomId": room_id})

    async def _sweep_abandoned(self) -> None:
        while True:
            await asyncio.sleep(60)
            try:
                await self.finish_abandoned()
            except Exception:
                log.exception("abandoned-room sweep failed")

    async def finish_abandoned(self, idle_sec: int = ABANDONED_AFTER_SEC) -> list[str]:
        """Finish live rooms nobody has been connected to for `idle_sec`."""
        cutoff = utcnow() - timedelta(seconds=idle_sec)
        finished = []
        async for room in self.db.rooms.find(
            {"status": {"$in": LIVE}, "deletedAt": None, "lastActivityAt": {"$lt": cutoff}}, {"_id": 1}
        ):
            if self.presence.room_is_empty(room["_id"]):
                async with self._locks[room["_id"]]:
                    await self._finish(await self._load(room["_id"]), actor_id=None, reason="abandoned")
                finished.append(room["_id"])
        return finished

    def _presence_changed(self, room_id: str, user_id: str, active: bool) -> None:
        self._tasks.spawn(self._record_presence(room_id, user_id, active))

    async def _record_presence(self, room_id: str, user_id: str, active: bool) -> None:
        await self._write(room_id, self.db.rooms.update_one({"_id": room_id}, {"$set": {"lastActivityAt": utcnow()}}))
        self.bus.publish(
            Event(
                "participant.joined" if active else "participant.left",
                {"userId": user_id, "isActive": active},
                room_id=room_id,
            )
        )

    # -- loading and views -------------------------------------------------------------------------------

    async def _load(self, room_id: str) -> dict[str, Any]:
        room = await self._read(room_id)
        if room is None or room.get("deletedAt") is not None:
            raise NotFound("room not found", "ROOM_NOT_FOUND")
        return room

    async def _read(self, room_id: str) -> dict[str, Any] | None:
        """The room's document, deleted or not. By _id alone: the embedded database serves a bare _id equality
        on a point-lookup fast path, while any other field sends it through its query planner."""
        return await self._cache.get(room_id, lambda: self.db.rooms.find_one({"_id": room_id}))

    async def _write(self, room_id: str, write: Awaitable[Any]) -> None:
        """Every change to a room document goes through here, so the cache never serves what it replaced."""
        try:
            await write
        finally:
            self.forget(room_id)

    def forget(self, room_id: str) -> None:
        """After a change made to the room's document behind this service's back (directly in the database)."""
        self._cache.forget(room_id)

    async def access(
        self, principal: Principal, room_id: str, needed: Cap = Cap.view
    ) -> tuple[dict[str, Any], set[Cap]]:
        """The room and the caller's capabilities in it; raises 404/403 as the table says."""
        room = await self._load(room_id)
        caps = self.capabilities_of(room, principal)
        require(caps, needed)
        return room, caps

    async def live_access(self, principal: Principal, room_id: str, needed: Cap) -> dict[str, Any]:
        """Like `access`, for changes: a finished room answers 409 ROOM_FINISHED."""
        room, _ = await self.access(principal, room_id, needed)
        if room["status"] == "finished":
            raise Conflict("this room has finished", "ROOM_FINISHED")
        return room

    def capabilities_of(self, room: dict[str, Any], principal: Principal) -> set[Cap]:
        me = member(room, principal.id)
        caps = capabilities(me["role"] if me else None, room["hostId"] == principal.id and me is not None, room["mode"])
        if principal.is_admin:
            caps.add(Cap.view)  # admins may look at any room (and close it through /admin/rooms)
        return caps

    async def _problem_refs(self, rooms: list[dict[str, Any]]) -> dict[str, ProblemRef]:
        """The problems of these rooms in one query (a list page must not ask once per room)."""
        ids = list({r["problemId"] for r in rooms if r.get("problemId")})
        if not ids:
            return {}
        found = self.db.problems.find({"_id": {"$in": ids}}, {"title": 1, "difficulty": 1})
        return {p["_id"]: ProblemRef(id=p["_id"], title=p["title"], difficulty=p["difficulty"]) async for p in found}

    async def _problem_ref(self, room: dict[str, Any]) -> ProblemRef | None:
        return (await self._problem_refs([room])).get(room.get("problemId") or "")

    def _summary_fields(self, room: dict[str, Any], problem: ProblemRef | None, user_id: str | None) -> dict:
        me = member(room, user_id) if user_id else None
        return {
            "id": room["_id"],
            "name": room.get("name"),
            "mode": room["mode"],
            "status": room["status"],
            "language": room["language"],
            "problem": problem,
            "host_id": room["hostId"],
            "participant_count": len(present(room)),
            "my_role": me["role"] if me else None,
            "created_at": room["createdAt"],
        }

    async def participants_view(self, room: dict[str, Any]) -> list[RoomParticipantSummary]:
        people = present(room)
        users = {
            u["_id"]: u
            async for u in self.db.users.find(
                {"_id": {"$in": [p["userId"] for p in people]}}, {"username": 1, "displayName": 1, "avatarKey": 1}
            )
        }
        result = []
        for p in people:
            user = users.get(p["userId"], {})
            avatar = user.get("avatarKey")
            result.append(
                RoomParticipantSummary(
                    user_id=p["userId"],
                    username=user.get("username", p["username"]),
                    display_name=user.get("displayName"),
                    avatar_url=self.blobs.signed_download(avatar) if avatar else None,
                    role=p["role"],
                    is_host=p["userId"] == room["hostId"],
                    is_active=self.presence.is_active(room["_id"], p["userId"]),
                    is_muted=p.get("isMuted", False),
                    is_ready=p.get("isReady", False),
                    joined_at=p["joinedAt"],
                )
            )
        return result

    def collab_access(self, room: dict[str, Any], user_id: str | None) -> CollabAccess:
        ws_base = self.settings.base_url.replace("http", "ws", 1)
        url = f"{ws_base}/collab/{room['_id']}"
        me = member(room, user_id) if user_id else None
        if me is None:
            return CollabAccess(url=url, token="")
        token, _ = issue_collab_token(
            self.settings.collab_jwt_secret, self.settings.collab_token_ttl_sec, user_id, room["_id"], me["role"]
        )
        return CollabAccess(url=url, token=token)

    async def detail(self, room: dict[str, Any], principal: Principal | None) -> RoomDetail:
        """The room as `principal` sees it; with None, the neutral view pushed to every participant."""
        user_id = principal.id if principal else None
        caps = self.capabilities_of(room, principal) if principal else set()
        return RoomDetail(
            **self._summary_fields(room, await self._problem_ref(room), user_id),
            invite_code=room["inviteCode"],
            config=RoomConfig.model_validate(room["config"]),
            participants=await self.participants_view(room),
            editor_locked=room.get("editorLocked", False),
            timer=room_timer.view(room["timer"], room["config"]["durations"], utcnow()),
            session_id=room.get("sessionId"),
            my_capabilities=sorted(c.value for c in caps),
            collab=self.collab_access(room, user_id),
        )

    async def get(self, principal: Principal, room_id: str) -> RoomDetail:
        room, _ = await self.access(principal, room_id)
        return await self.detail(room, principal)

    async def _changed(self, room: dict[str, Any], event_type: str | None = None, data: dict | None = None) -> None:
        """Publish a specific event (if any) and the new neutral room view."""
        if event_type:
            self.bus.publish(Event(event_type, data or {}, room_id=room["_id"]))
        neutral = await self.detail(room, None)
        self.bus.publish(Event("room.updated", neutral.to_json(), room_id=room["_id"]))

    async def _save(
        self, room: dict[str, Any], changes: dict[str, Any], unset: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": utcnow()}}
        if unset:
            update["$unset"] = unset
        await self._write(room["_id"], self.db.rooms.update_one({"_id": room["_id"]}, update))
        room = {**room, **changes}
        for key in unset or {}:
            room.pop(key, None)
        return room

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def create(self, principal: Principal, req: CreateRoomRequest, idempotency_key: str | None) -> RoomDetail:
        if idempotency_key:
            replay = await self.db.idempotencyKeys.find_one({"_id": f"{principal.id}:{idempotency_key}"})
            if replay:
                room = await self._load(replay["roomId"])
                return await self.detail(room, principal)
        await self._check_room_quota(principal)
        problem = None
        if req.problem_id:
            problem = await self.problems.find(principal, req.problem_id)
        now = utcnow()
        user = principal.user
        host = {
            "userId": principal.id,
            "username": user.get("username", principal.username),
            "displayName": user.get("displayName"),
            "role": "interviewer" if req.mode == "peer" else "candidate",
            "isMuted": False,
            "isReady": False,
            "joinedAt": now,
            "leftAt": None,
        }
        room = {
            "_id": new_id(),
            "name": req.name,
            "mode": req.mode,
            "status": "waiting",
            "language": req.language,
            "problemId": problem["_id"] if problem else None,
            "hostId": principal.id,
            "config": (req.config or RoomConfig()).model_dump(by_alias=True),
            "participants": [host],
            "kicked": [],
            "editorLocked": False,
            "timer": room_timer.start_phase("waiting", now),
            "sessionId": None,
            "roleSwap": None,
            "createdAt": now,
            "updatedAt": now,
            "lastActivityAt": now,
            "finishedAt": None,
            "deletedAt": None,
        }
        await self._insert_with_code(room)
        if idempotency_key:
            try:
                await self.db.idempotencyKeys.insert_one(
                    {
                        "_id": f"{principal.id}:{idempotency_key}",
                        "roomId": room["_id"],
                        "createdAt": now,
                        "expiresAt": now + IDEMPOTENCY_TTL,
                    }
                )
            except DuplicateKeyError:  # a concurrent replay won: answer with its room, drop ours
                await self._write(room["_id"], self.db.rooms.delete_one({"_id": room["_id"]}))
                return await self.create(principal, req, idempotency_key)
        if self.collab:
            await self.collab.create_document(
                room["_id"], (problem or {}).get("starterCode") or {}, language=room["language"]
            )
        self._arm(room)
        return await self.detail(room, principal)

    async def _insert_with_code(self, room: dict[str, Any]) -> None:
        for _ in range(20):
            code = invite_code()
            try:
                await self.db.rooms.insert_one({**room, "inviteCode": code, "inviteKey": code})
                room.update(inviteCode=code, inviteKey=code)
                return
            except DuplicateKeyError:
                continue  # the code is in use by a live room: draw again
        raise Conflict("could not allocate an invite code, try again", "INVITE_CODE_EXHAUSTED")

    async def _check_room_quota(self, principal: Principal) -> None:
        active = await self.db.rooms.count_documents(
            {
                "status": {"$in": LIVE},
                "deletedAt": None,
                "participants": {"$elemMatch": {"userId": principal.id, "leftAt": None}},
            }
        )
        if active >= self.settings.max_active_rooms:
            raise RateLimited(
                f"you are already in {active} live rooms; leave or finish one first", 60, "QUOTA_EXCEEDED"
            )

    async def list_mine(self, principal: Principal, q: RoomQuery) -> tuple[list[RoomSummary], Pagination]:
        query: dict[str, Any] = {"deletedAt": None, "participants.userId": principal.id}
        if q.status:
            query["status"] = q.status
        if q.mode:
            query["mode"] = q.mode
        page = await paginate(self.db.rooms, query, descending=q.sort_order == "desc", cursor=q.cursor, limit=q.limit)
        problems = await self._problem_refs(page.items)
        summaries = [
            RoomSummary(**self._summary_fields(r, problems.get(r.get("problemId") or ""), principal.id))
            for r in page.items
        ]
        return summaries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def destroy(self, principal: Principal, room_id: str) -> None:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.destroy)
            await self._finish(room, principal.id, reason="destroyed")
            await self._write(room_id, self.db.rooms.update_one({"_id": room_id}, {"$set": {"deletedAt": utcnow()}}))

    async def preview(self, code: str) -> RoomPreview:
        room = await self._by_code(code)
        host = await self.db.users.find_one({"_id": room["hostId"]}, {"username": 1, "displayName": 1})
        problem = await self._problem_ref(room)
        count = len(present(room))
        return RoomPreview(
            id=room["_id"],
            name=room.get("name"),
            mode=room["mode"],
            status=room["status"],
            problem={"title": problem.title, "difficulty": problem.difficulty} if problem else None,
            host_name=(host or {}).get("displayName") or (host or {}).get("username", "unknown"),
            participant_count=count,
            max_participants=room["config"]["maxParticipants"],
            joinable=room["status"] != "finished" and count < room["config"]["maxParticipants"],
        )

    async def _by_code(self, code: str) -> dict[str, Any]:
        """The live room with this code, else the latest finished one that had it (codes are reused)."""
        code = code.strip().upper()
        room = await self.db.rooms.find_one({"inviteKey": code, "deletedAt": None})
        if room is None:
            room = await self.db.rooms.find_one({"inviteCode": code, "deletedAt": None}, sort=[("createdAt", -1)])
        if room is None:
            raise NotFound("no room with this invite code", "ROOM_NOT_FOUND")
        return room

    async def join(self, principal: Principal, req: JoinRoomRequest) -> RoomDetail:
        room = await self._by_code(req.invite_code)
        async with self._locks[room["_id"]]:
            room = await self._load(room["_id"])
            if principal.id in room.get("kicked", []):
                raise Forbidden("you were removed from this room", "ROOM_KICKED")
            if member(room, principal.id):  # rejoin is idempotent
                return await self.detail(room, principal)
            if room["status"] == "finished":
                raise Conflict("this room has finished", "ROOM_FINISHED")
            people = present(room)
            if len(people) >= room["config"]["maxParticipants"]:
                raise Conflict("this room is full", "ROOM_FULL")
            await self._check_room_quota(principal)
            role = req.role or self._free_role(room, people)
            if role == "observer" and not room["config"]["allowObservers"]:
                raise Conflict("this room does not allow observers", "ROLE_TAKEN")
            check_roles(room["mode"], [*people, {"role": role}])
            user = principal.user
            entry = {
                "userId": principal.id,
                "username": user.get("username", principal.username),
                "displayName": user.get("displayName"),
                "role": role,
                "isMuted": False,
                "isReady": False,
                "joinedAt": utcnow(),
                "leftAt": None,
            }
            others = [p for p in room["participants"] if p["userId"] != principal.id]  # drop an earlier stint
            room = await self._save(room, {"participants": [*others, entry]})
            await self.sessions.participant_joined(room.get("sessionId"), entry)
            await self.sessions.event(room.get("sessionId"), "participant_joined", principal.id, {"role": role})
            self.bus.publish(
                Event(
                    "room.membership",
                    {"userId": principal.id, "member": True},
                    room_id=room["_id"],
                    user_ids=(principal.id,),
                )
            )
            await self._changed(room, "participant.updated", {"userId": principal.id, "role": role, "joined": True})
            return await self.detail(room, principal)

    @staticmethod
    def _free_role(room: dict[str, Any], people: list[dict[str, Any]]) -> str:
        taken = {p["role"] for p in people}
        wanted = ["candidate", "interviewer"] if room["mode"] == "peer" else ["candidate"]
        return next((r for r in wanted if r not in taken), "observer")

    async def leave(self, principal: Principal, room_id: str) -> None:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.leave)
            await self._remove(room, principal.id, actor_id=principal.id, kicked=False)

    async def _remove(self, room: dict[str, Any], user_id: str, actor_id: str | None, kicked: bool) -> None:
        now = utcnow()
        participants = [
            {**p, "leftAt": now} if p["userId"] == user_id and not p.get("leftAt") else p for p in room["participants"]
        ]
        changes: dict[str, Any] = {"participants": participants}
        if kicked:
            changes["kicked"] = [*room.get("kicked", []), user_id]
        remaining = present({**room, "participants": participants})
        if room["hostId"] == user_id and remaining:
            changes["hostId"] = remaining[0]["userId"]  # the longest-present participant
        room = await self._save(room, changes)
        await self.sessions.participant_left(room.get("sessionId"), user_id)
        await self.sessions.event(
            room.get("sessionId"), "participant_left", actor_id, {"userId": user_id, "kicked": kicked}
        )
        if self.collab:
            await self.collab.kick(room["_id"], user_id, "kicked" if kicked else "left the room")
        self.bus.publish(
            Event("participant.kicked" if kicked else "participant.left", {"userId": user_id}, room_id=room["_id"])
        )
        self.bus.publish(
            Event("room.membership", {"userId": user_id, "member": False}, room_id=room["_id"], user_ids=(user_id,))
        )
        if not remaining:
            await self._finish(room, actor_id, reason="empty")
        else:
            await self._changed(room)

    # -- phases ------------------------------------------------------------------------------------------

    async def change_phase(self, principal: Principal, room_id: str, to: str) -> RoomDetail:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.advance_phase)
            room = await self._change_phase(room, to, principal.id)
            return await self.detail(room, principal)

    async def _change_phase(self, room: dict[str, Any], to: str, actor_id: str | None) -> dict[str, Any]:
        current = room["status"]
        allowed = current != "finished" and (to == "finished" or PHASES.index(to) == PHASES.index(current) + 1)
        if not allowed:
            raise Conflict(f"cannot go from {current} to {to}", "ROOM_INVALID_TRANSITION", {"from": current, "to": to})
        if to == "finished":
            return await self._finish(room, actor_id, reason="phase")
        now = utcnow()
        changes: dict[str, Any] = {"status": to, "timer": room_timer.start_phase(to, now)}
        if to == "warmup" and not room.get("sessionId"):
            changes["sessionId"] = await self.sessions.start(room, now)
        room = await self._save(room, changes)
        await self.sessions.event(room["sessionId"], "phase_changed", actor_id, {"from": current, "to": to})
        await self.snapshot(room, "phase_change")
        self._arm(room)
        await self._changed(room, "room.phase_changed", {"from": current, "to": to})
        self._publish_timer(room)
        return room

    async def _finish(self, room: dict[str, Any], actor_id: str | None, reason: str) -> dict[str, Any]:
        """Any live phase -> finished: final snapshot, session closed, sockets closed (4003), code released."""
        if room["status"] == "finished":
            return room
        now = utcnow()
        previous = room["status"]
        if room.get("sessionId"):
            await self.sessions.event(
                room["sessionId"], "phase_changed", actor_id, {"from": previous, "to": "finished", "reason": reason}
            )
            await self.snapshot(room, "session_end")
        room = await self._save(
            room,
            {
                "status": "finished",
                "finishedAt": now,
                "timer": {**room_timer.start_phase("finished", now), "runningSince": None},
            },
            unset={"inviteKey": ""},
        )
        await self.sessions.finish(room.get("sessionId"), now)
        if handle := self._deadlines.pop(room["_id"], None):
            handle.cancel()
        if self.collab:
            try:
                await self.collab.destroy_document(room["_id"])
            except Exception:  # the room is finished either way; a missing document is not an error here
                log.warning("collab document not destroyed", extra={"roomId": room["_id"]})
        await self._changed(room, "room.phase_changed", {"from": previous, "to": "finished", "reason": reason})
        self.bus.publish(Event("room.finished", {"reason": reason}, room_id=room["_id"]))
        return room

    async def snapshot(self, room: dict[str, Any], trigger: str) -> None:
        """Ask the collab plane for a snapshot; it reaches `store_snapshot` like every other one."""
        if not self.collab:
            return
        try:
            await self.collab.request_snapshot(room["_id"], trigger, room["language"])
        except Exception:
            log.warning("snapshot not taken", extra={"roomId": room["_id"], "trigger": trigger})

    async def receive_snapshot(self, ready: SnapshotReady) -> None:
        """Where every collab snapshot arrives, in-process or through the HTTP callback: it joins the session
        record, and goes on the bus for whoever else follows the collab plane."""
        self.bus.publish(snapshot_event(ready))
        room = await self._read(ready.room_id)
        if not room or not room.get("sessionId"):
            return
        await self.sessions.snapshot(
            room["sessionId"], room["_id"], ready.trigger, room["status"], ready.language, ready.code, ready.snapshot
        )

    # -- control -----------------------------------------------------------------------------------------

    async def select_problem(self, principal: Principal, room_id: str, problem_id: str) -> RoomDetail:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.select_problem)
            if PHASES.index(room["status"]) >= PHASES.index("coding"):
                raise Conflict("the problem can only change before coding starts", "ROOM_INVALID_TRANSITION")
            problem = await self.problems.find(principal, problem_id)
            room = await self._save(room, {"problemId": problem["_id"]})
            if self.collab:
                await self.collab.replace_content(room["_id"], problem.get("starterCode") or {})
            await self.sessions.event(
                room.get("sessionId"), "problem_changed", principal.id, {"problemId": problem["_id"]}
            )
            await self._changed(room)
            return await self.detail(room, principal)

    async def update_settings(self, principal: Principal, room_id: str, req: UpdateSettingsRequest) -> RoomDetail:
        async with self._locks[room_id]:
            room = await self.live_access(principal, room_id, Cap.update_settings)
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
                if self.collab:
                    await self.collab.set_language(room["_id"], req.language)
                await self.sessions.event(
                    room.get("sessionId"), "language_changed", principal.id, {"language": req.language}
                )
            room = await self._save(room, changes)
            self._arm(room)
            await self._changed(room)
            return await self.detail(room, principal)

    async def set_lock(self, principal: Principal, room_id: str, locked: bool) -> RoomDetail:
        async with self._locks[room_id]:
            room = await self.live_access(principal, room_id, Cap.lock_editor)
            room = await self._save(room, {"editorLocked": locked})
            if self.collab:
                await self.collab.set_locked(room_id, locked)
            kind = "editor_locked" if locked else "editor_unlocked"
            await self.sessions.event(room.get("sessionId"), kind, principal.id, {})
            await self._changed(room, f"room.{kind}", {"by": principal.id})
            return await self.detail(room, principal)

    async def set_paused(self, principal: Principal, room_id: str, paused: bool) -> RoomDetail:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.control_timer)
            if room["status"] not in room_timer.TIMED_PHASES:
                raise Conflict("the timer only runs in warmup, coding and wrapup", "ROOM_INVALID_TRANSITION")
            if room["timer"]["paused"] == paused:
                raise Conflict("the timer is already " + ("paused" if paused else "running"), "TIMER_STATE")
            now = utcnow()
            timer = room_timer.pause(room["timer"], now) if paused else room_timer.resume(room["timer"], now)
            room = await self._save(room, {"timer": timer})
            self._arm(room)
            await self.sessions.event(
                room.get("sessionId"),
                "timer_paused" if paused else "timer_resumed",
                principal.id,
                {"elapsedSec": room_timer.elapsed_ms(timer, now) // 1000},
            )
            self._publish_timer(room)
            await self._changed(room)
            return await self.detail(room, principal)

    def _publish_timer(self, room: dict[str, Any]) -> None:
        view = room_timer.view(room["timer"], room["config"]["durations"], utcnow())
        self.bus.publish(Event("room.timer", view.to_json(), room_id=room["_id"]))

    # -- role swap ---------------------------------------------------------------------------------------

    async def request_swap(self, principal: Principal, room_id: str) -> tuple[str, datetime]:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.role_swap)
            roles = {p["role"] for p in present(room)}
            if not {"interviewer", "candidate"} <= roles:
                raise Conflict("a swap needs both an interviewer and a candidate", "ROLE_SWAP_UNAVAILABLE")
            pending = room.get("roleSwap")
            if pending and pending["expiresAt"] > utcnow():
                raise Conflict("a role swap is already pending", "ROLE_SWAP_PENDING")
            swap = {
                "requestId": new_id(),
                "requesterId": principal.id,
                "expiresAt": utcnow() + timedelta(seconds=ROLE_SWAP_TTL_SEC),
            }
            await self._save(room, {"roleSwap": swap})
            self.bus.publish(
                Event(
                    "role_swap.requested",
                    {
                        "requestId": swap["requestId"],
                        "requesterId": principal.id,
                        "expiresAt": swap["expiresAt"].isoformat(),
                    },
                    room_id=room_id,
                )
            )
            return swap["requestId"], swap["expiresAt"]

    async def answer_swap(self, principal: Principal, room_id: str, request_id: str, accept: bool) -> RoomDetail:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.role_swap)
            swap = room.get("roleSwap")
            if not swap or swap["requestId"] != request_id:
                raise NotFound("no such role swap request", "ROLE_SWAP_NOT_FOUND")
            if swap["requesterId"] == principal.id:
                raise Forbidden("the other party answers a role swap", "FORBIDDEN")
            if swap["expiresAt"] <= utcnow():
                await self._save(room, {"roleSwap": None})
                raise Gone("this role swap request has expired", "ROLE_SWAP_EXPIRED")
            changes: dict[str, Any] = {"roleSwap": None}
            if accept:
                flip = {"interviewer": "candidate", "candidate": "interviewer"}
                changes["participants"] = [
                    {**p, "role": flip[p["role"]]} if not p.get("leftAt") and p["role"] in flip else p
                    for p in room["participants"]
                ]
            room = await self._save(room, changes)
            if accept:
                await self.sessions.event(
                    room.get("sessionId"), "role_swapped", principal.id, {"requesterId": swap["requesterId"]}
                )
                await self._sync_collab_roles(room)
            await self._changed(room, "role_swap.resolved", {"requestId": request_id, "accepted": accept})
            return await self.detail(room, principal)

    async def _sync_collab_roles(self, room: dict[str, Any]) -> None:
        """The collab plane decides read-only by role: tell it the roles that changed (tokens carry the old)."""
        if self.collab:
            for p in present(room):
                await self.collab.set_role(room["_id"], p["userId"], p["role"])

    # -- participants ------------------------------------------------------------------------------------

    async def participants(self, principal: Principal, room_id: str) -> list[RoomParticipantSummary]:
        room, _ = await self.access(principal, room_id)
        return await self.participants_view(room)

    async def update_participant(
        self, principal: Principal, room_id: str, user_id: str, req: UpdateParticipantRequest
    ) -> RoomParticipantSummary:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.update_participant)
            target = member(room, user_id)
            if target is None:
                raise NotFound("no such participant", "PARTICIPANT_NOT_FOUND")
            updated = {**target}
            if req.role is not None:
                updated["role"] = req.role
            if req.muted is not None:
                updated["isMuted"] = req.muted
            people = [updated if p["userId"] == user_id else p for p in present(room)]
            check_roles(room["mode"], people)
            participants = [updated if p is target else p for p in room["participants"]]
            room = await self._save(room, {"participants": participants})
            if req.role is not None and req.role != target["role"]:
                await self.sessions.event(
                    room.get("sessionId"),
                    "role_changed",
                    principal.id,
                    {"userId": user_id, "from": target["role"], "to": req.role},
                )
                if self.collab:
                    await self.collab.set_role(room_id, user_id, req.role)
            view = next(v for v in await self.participants_view(room) if v.user_id == user_id)
            await self._changed(room, "participant.updated", view.to_json())
            return view

    async def kick(self, principal: Principal, room_id: str, user_id: str) -> None:
        async with self._locks[room_id]:
            room, _ = await self.access(principal, room_id, Cap.kick)
            if user_id == principal.id:
                raise Conflict("the host cannot kick themself; leave instead", "CANNOT_KICK_SELF")
            if member(room, user_id) is None:
                raise NotFound("no such participant", "PARTICIPANT_NOT_FOUND")
            await self._remove(room, user_id, actor_id=principal.id, kicked=True)

    # -- per-user views ----------------------------------------------------------------------------------

    async def active_room(self, principal: Principal) -> RoomDetail | None:
        room = await self.db.rooms.find_one(
            {
                "status": {"$in": LIVE},
                "deletedAt": None,
                "participants": {"$elemMatch": {"userId": principal.id, "leftAt": None}},
            },
            sort=[("updatedAt", -1)],
        )
        return await self.detail(room, principal) if room else None

    async def collab_member(self, room_id: str, user_id: str) -> bool | None:
        """May the user be in the room's collab document now (see syncode.collab.Membership)?"""
        room = await self._read(room_id)
        if room is None:
            return None
        return room.get("deletedAt") is None and room["status"] != "finished" and member(room, user_id) is not None

    async def rooms_of(self, user_id: str) -> list[str]:
        """Ids of the live rooms the user is in (for the event channel)."""
        return [
            r["_id"]
            async for r in self.db.rooms.find(
                {
                    "status": {"$in": LIVE},
                    "deletedAt": None,
                    "participants": {"$elemMatch": {"userId": user_id, "leftAt": None}},
                },
                {"_id": 1},
            )
        ]

    # -- admin -------------------------------------------------------------------------------------------

    async def admin_list(self, q: RoomQuery) -> tuple[list[AdminRoomEntry], Pagination]:
        query: dict[str, Any] = {"deletedAt": None}
        if q.status:
            query["status"] = q.status
        if q.mode:
            query["mode"] = q.mode
        page = await paginate(self.db.rooms, query, descending=q.sort_order == "desc", cursor=q.cursor, limit=q.limit)
        return [self.admin_entry(r) for r in page.items], Pagination(
            next_cursor=page.next_cursor, has_more=page.has_more
        )

    @staticmethod
    def admin_entry(room: dict[str, Any]) -> AdminRoomEntry:
        return AdminRoomEntry(
            id=room["_id"],
            name=room.get("name"),
            mode=room["mode"],
            status=room["status"],
            host_id=room["hostId"],
            participant_count=len(present(room)),
            created_at=room["createdAt"],
        )

    async def admin_close(self, admin: Principal, room_id: str, reason: str | None, ip: str | None) -> AdminRoomEntry:
        async with self._locks[room_id]:
            room = await self._load(room_id)
            room = await self._finish(room, admin.id, reason="closed by an administrator")
            await self.audit.record(
                "admin.room.closed",
                actor_id=admin.id,
                target_type="room",
                target_id=room_id,
                ip=ip,
                metadata={"reason": reason} if reason else {},
            )
            return self.admin_entry(room)

    async def user_gone(self, user_id: str) -> None:
        """A banned or deleted account leaves every live room at once (its collab sockets close)."""
        for room_id in await self.rooms_of(user_id):
            async with self._locks[room_id]:
                room = await self._load(room_id)
                if member(room, user_id):
                    await self._remove(room, user_id, actor_id=None, kicked=False)
