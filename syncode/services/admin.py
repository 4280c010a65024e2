"""Administration: the dashboard, user management (ban, role), and the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from syncode.clock import utcnow
from syncode.enums import LIVE_STATUSES
from syncode.errors import Conflict, NotFound
from syncode.events import Event, EventBus
from syncode.models.admin import (
    AdminDashboard,
    AdminUserDetail,
    AdminUserEntry,
    AdminUserQuery,
    AdminUserUpdate,
    AuditLogEntry,
)
from syncode.models.common import Pagination
from syncode.models.rooms import AdminRoomEntry, RoomQuery
from syncode.rooms import RoomRepository, RoomService
from syncode.rooms.views import admin_entry
from syncode.services.audit import AuditService
from syncode.services.auth import AuthService, Principal
from syncode.services.execution import ExecutionService
from syncode.services.users import UserService
from syncode.sessions.history import SessionHistory


def audit_entry(doc: dict[str, Any]) -> AuditLogEntry:
    return AuditLogEntry(
        id=doc["_id"],
        actor_id=doc.get("actorId"),
        action=doc["action"],
        target_type=doc["targetType"],
        target_id=doc.get("targetId"),
        metadata=doc.get("metadata", {}),
        ip=doc.get("ip"),
        created_at=doc["createdAt"],
    )


def user_entry(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["_id"],
        "email": user["email"],
        "username": user["username"],
        "role": user["role"],
        "banned_at": user.get("bannedAt"),
        "ban_reason": user.get("banReason"),
        "deleted_at": user.get("deletedAt"),
        "created_at": user["createdAt"],
        "last_active_at": user.get("lastActiveAt"),
    }


class AdminService:
    def __init__(
        self,
        audit: AuditService,
        auth: AuthService,
        users: UserService,
        bus: EventBus,
        room_repo: RoomRepository,
        rooms: RoomService,
        execution: ExecutionService,
        sessions: SessionHistory,
        judge_load: Callable[[], dict[str, int]],
        uptime: Callable[[], int],
        version: str,
    ) -> None:
        self.audit = audit
        self.auth = auth
        self.users = users
        self.bus = bus
        self.room_repo = room_repo
        self.rooms = rooms
        self.execution = execution
        self.sessions = sessions
        self.judge_load = judge_load
        self.uptime = uptime
        self.version = version
        # Open WebSockets of both planes: the event channel's hub is built by the server with the HTTP routes.
        self.ws_connections: Callable[[], Awaitable[int]] | None = None

    # -- dashboard ----------------------------------------------------------------------------------------

    async def dashboard(self) -> AdminDashboard:
        now = utcnow()
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        figures = {  # independent queries, each asked of the service that owns its collection: sent together
            "users": self.users.counts(day, week),
            "rooms24h": self.room_repo.count({"createdAt": {"$gte": day}}),
            "byStatus": self.room_repo.count_by_status(),
            "executions24h": self.execution.count(since=day),
            "latency": self.execution.mean_latency_ms(day),
            "sessions": self.sessions.count(),
            "sessions24h": self.sessions.count(since=day),
            "ws": self.ws_connections() if self.ws_connections else asyncio.sleep(0, 0),
        }
        n = dict(zip(figures, await asyncio.gather(*figures.values()), strict=True))
        load = self.judge_load()
        return AdminDashboard.model_validate(
            {
                "users": n["users"],
                "rooms": {
                    "active": sum(c for status, c in n["byStatus"].items() if status in LIVE_STATUSES),
                    "byStatus": n["byStatus"],
                    "createdLast24h": n["rooms24h"],
                },
                "executions": {
                    "last24h": sum(n["executions24h"].values()),
                    "queued": load["queued"],
                    "running": load["running"],
                    "avgLatencyMs": n["latency"],
                },
                "sessions": {"total": n["sessions"], "last24h": n["sessions24h"]},
                "system": {"uptimeSec": self.uptime(), "wsConnections": n["ws"], "version": self.version},
            }
        )

    # -- users --------------------------------------------------------------------------------------------

    async def list_users(self, q: AdminUserQuery) -> tuple[list[AdminUserEntry], Pagination]:
        page = await self.users.search(q)
        entries = [AdminUserEntry(**user_entry(u)) for u in page.items]
        return entries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def user_detail(self, user_id: str) -> AdminUserDetail:
        user = await self.users.find(user_id)
        if user is None:
            raise NotFound("user not found", "USER_NOT_FOUND")
        counts = {
            "rooms": await self.room_repo.count({"participants.userId": user_id}),
            "sessions": await self.sessions.count(participant=user_id),
            "submissions": (await self.execution.count(user_id=user_id))["submissions"],
        }
        recent = [audit_entry(d) for d in await self.audit.recent_for(user_id)]
        return AdminUserDetail(**user_entry(user), profile=self.users.profile(user), counts=counts, recent_audit=recent)

    async def update_user(
        self, admin: Principal, user_id: str, req: AdminUserUpdate, ip: str | None
    ) -> AdminUserDetail:
        if user_id == admin.id and (req.banned or req.role == "user"):
            raise Conflict("administrators cannot ban or demote themselves", "CANNOT_MODIFY_SELF")
        user = await self.users.find(user_id, live_only=True)
        if user is None:
            raise NotFound("user not found", "USER_NOT_FOUND")
        if req.banned is not None:
            await self._set_banned(admin, user, req.banned, req.ban_reason, ip)
        if req.role is not None and req.role != user["role"]:
            await self.users.set_role(user_id, req.role)
            await self.audit.record(
                "admin.user.role_changed",
                actor_id=admin.id,
                target_type="user",
                target_id=user_id,
                ip=ip,
                metadata={"from": user["role"], "to": req.role},
            )
        return await self.user_detail(user_id)

    async def _set_banned(
        self, admin: Principal, user: dict[str, Any], banned: bool, reason: str | None, ip: str | None
    ) -> None:
        await self.users.set_banned(user["_id"], banned, reason)
        if banned:
            await self.auth.revoke_user_tokens(user["_id"])
        await self.audit.record(
            "admin.user.banned" if banned else "admin.user.unbanned",
            actor_id=admin.id,
            target_type="user",
            target_id=user["_id"],
            ip=ip,
            metadata={"reason": reason} if reason else {},
        )
        # Rooms and sockets react to this (a banned user leaves live rooms, their sockets close).
        self.bus.publish(
            Event("user.banned" if banned else "user.unbanned", {"userId": user["_id"]}, user_ids=(user["_id"],))
        )

    async def audit_logs(self, **filters: Any) -> tuple[list[AuditLogEntry], Pagination]:
        page = await self.audit.search(**filters)
        return [audit_entry(d) for d in page.items], Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    # -- rooms -------------------------------------------------------------------------------------------

    async def list_rooms(self, q: RoomQuery) -> tuple[list[AdminRoomEntry], Pagination]:
        filters = {k: v for k, v in (("status", q.status), ("mode", q.mode)) if v}
        page = await self.room_repo.page(filters, q.sort_order == "desc", q.cursor, q.limit)
        return [admin_entry(r) for r in page.items], Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def close_room(self, admin: Principal, room_id: str, reason: str | None, ip: str | None) -> AdminRoomEntry:
        room = await self.rooms.close_by_admin(admin, room_id)
        metadata = {"reason": reason} if reason else {}
        await self.audit.record(
            "admin.room.closed", actor_id=admin.id, target_type="room", target_id=room_id, ip=ip, metadata=metadata
        )
        return admin_entry(room)
