"""Administration: the dashboard, user management (ban, role), and the audit trail."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from syncode.clock import utcnow
from syncode.db import Database
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
from syncode.pagination import paginate
from syncode.rooms import RoomRepository, RoomService
from syncode.rooms.views import admin_entry
from syncode.services.audit import AuditService
from syncode.services.auth import AuthService, Principal
from syncode.services.users import UserService


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
        db: Database,
        audit: AuditService,
        auth: AuthService,
        users: UserService,
        bus: EventBus,
        uptime: Callable[[], int],
        version: str,
        room_repo: RoomRepository,
        rooms: RoomService,
        judge_load: Callable[[], dict[str, int]],
    ) -> None:
        self.db = db
        self.room_repo = room_repo
        self.rooms = rooms
        self.audit = audit
        self.auth = auth
        self.users = users
        self.bus = bus
        self.uptime = uptime
        self.version = version
        self.judge_load = judge_load
        # Open WebSockets of both planes: the event channel's hub is built by the server with the HTTP routes.
        self.ws_connections: Callable[[], Awaitable[int]] | None = None

    # -- dashboard ----------------------------------------------------------------------------------------

    async def dashboard(self) -> AdminDashboard:
        now = utcnow()
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        db = self.db
        counts = {  # independent queries: sent together
            "users": db.users.count_documents({"deletedAt": None}),
            "active24h": db.users.count_documents({"deletedAt": None, "lastActiveAt": {"$gte": day}}),
            "banned": db.users.count_documents({"deletedAt": None, "bannedAt": {"$ne": None}}),
            "newLast7d": db.users.count_documents({"createdAt": {"$gte": week}}),
            "rooms24h": self.room_repo.count({"createdAt": {"$gte": day}}),
            "runs24h": db.runs.count_documents({"createdAt": {"$gte": day}}),
            "submissions24h": db.submissions.count_documents({"createdAt": {"$gte": day}}),
            "sessions": db.sessions.count_documents({}),
            "sessions24h": db.sessions.count_documents({"createdAt": {"$gte": day}}),
            "latency": self._avg_latency(day),
            "byStatus": self.room_repo.count_by_status(),
            "ws": self.ws_connections() if self.ws_connections else asyncio.sleep(0, 0),
        }
        n = dict(zip(counts, await asyncio.gather(*counts.values()), strict=True))
        load = self.judge_load()
        return AdminDashboard.model_validate(
            {
                "users": {
                    "total": n["users"],
                    "active24h": n["active24h"],
                    "banned": n["banned"],
                    "newLast7d": n["newLast7d"],
                },
                "rooms": {
                    "active": sum(c for status, c in n["byStatus"].items() if status in LIVE_STATUSES),
                    "byStatus": n["byStatus"],
                    "createdLast24h": n["rooms24h"],
                },
                "executions": {
                    "last24h": n["runs24h"] + n["submissions24h"],
                    "queued": load["queued"],
                    "running": load["running"],
                    "avgLatencyMs": n["latency"],
                },
                "sessions": {"total": n["sessions"], "last24h": n["sessions24h"]},
                "system": {"uptimeSec": self.uptime(), "wsConnections": n["ws"], "version": self.version},
            }
        )

    async def _avg_latency(self, since: Any) -> float | None:
        """Mean time from request to result over the last day's runs and submissions that finished."""
        total, count = 0.0, 0
        for collection in (self.db.runs, self.db.submissions):
            rows = await (
                await collection.aggregate(
                    [
                        {"$match": {"createdAt": {"$gte": since}, "finishedAt": {"$ne": None}}},
                        {
                            "$group": {
                                "_id": None,
                                "sum": {"$sum": {"$subtract": ["$finishedAt", "$createdAt"]}},
                                "n": {"$sum": 1},
                            }
                        },
                    ]
                )
            ).to_list()
            if rows:
                total += rows[0]["sum"]
                count += rows[0]["n"]
        return round(total / count, 1) if count else None

    # -- users --------------------------------------------------------------------------------------------

    async def list_users(self, q: AdminUserQuery) -> tuple[list[AdminUserEntry], Pagination]:
        query: dict[str, Any] = {}
        if q.search:
            pattern = {"$regex": re.escape(q.search.strip()), "$options": "i"}
            query["$or"] = [{"email": pattern}, {"username": pattern}, {"displayName": pattern}]
        if q.role:
            query["role"] = q.role
        if q.status == "active":
            query.update(deletedAt=None, bannedAt=None)
        elif q.status == "banned":
            query.update(deletedAt=None, bannedAt={"$ne": None})
        elif q.status == "deleted":
            query["deletedAt"] = {"$ne": None}
        page = await paginate(self.db.users, query, descending=q.sort_order == "desc", cursor=q.cursor, limit=q.limit)
        entries = [AdminUserEntry(**user_entry(u)) for u in page.items]
        return entries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def user_detail(self, user_id: str) -> AdminUserDetail:
        user = await self.db.users.find_one({"_id": user_id})
        if user is None:
            raise NotFound("user not found", "USER_NOT_FOUND")
        counts = {
            "rooms": await self.room_repo.count({"participants.userId": user_id}),
            "sessions": await self.db.sessions.count_documents({"participants.userId": user_id}),
            "submissions": await self.db.submissions.count_documents({"userId": user_id}),
        }
        recent = [audit_entry(d) for d in await self.audit.recent_for(user_id)]
        return AdminUserDetail(**user_entry(user), profile=self.users.profile(user), counts=counts, recent_audit=recent)

    async def update_user(
        self, admin: Principal, user_id: str, req: AdminUserUpdate, ip: str | None
    ) -> AdminUserDetail:
        if user_id == admin.id and (req.banned or req.role == "user"):
            raise Conflict("administrators cannot ban or demote themselves", "CANNOT_MODIFY_SELF")
        user = await self.db.users.find_one({"_id": user_id, "deletedAt": None})
        if user is None:
            raise NotFound("user not found", "USER_NOT_FOUND")
        if req.banned is not None:
            await self._set_banned(admin, user, req.banned, req.ban_reason, ip)
        if req.role is not None and req.role != user["role"]:
            await self.db.users.update_one({"_id": user_id}, {"$set": {"role": req.role, "updatedAt": utcnow()}})
            await self.audit.record(
                "admin.user.role_changed",
                actor_id=admin.id,
                target_type="user",
                target_id=user_id,
                ip=ip,
                metadata={"from": user["role"], "to": req.role},
            )
        self.auth.forget_user(user_id)
        return await self.user_detail(user_id)

    async def _set_banned(
        self, admin: Principal, user: dict[str, Any], banned: bool, reason: str | None, ip: str | None
    ) -> None:
        if banned:
            await self.db.users.update_one({"_id": user["_id"]}, {"$set": {"bannedAt": utcnow(), "banReason": reason}})
            await self.auth.revoke_user_tokens(user["_id"])
            action = "admin.user.banned"
        else:
            await self.db.users.update_one({"_id": user["_id"]}, {"$set": {"bannedAt": None, "banReason": None}})
            action = "admin.user.unbanned"
        await self.audit.record(
            action,
            actor_id=admin.id,
            target_type="user",
            target_id=user["_id"],
            ip=ip,
            metadata={"reason": reason} if reason else {},
        )
        self.auth.forget_user(user["_id"])
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
