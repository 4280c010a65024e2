"""/api/admin/* (role admin; every write is audited by the services)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.admin import (
    AdminDashboard,
    AdminUserDetail,
    AdminUserEntry,
    AdminUserQuery,
    AdminUserUpdate,
    AuditLogEntry,
    AuditQuery,
)
from syncode.models.common import Page


class StatsHandler(BaseHandler):
    @operation(summary="System overview stats", tag="Admin", response=AdminDashboard, errors=(403,), admin=True)
    async def get(self) -> None:
        self.respond(await self.ctx.admin.dashboard())


class AdminUsersHandler(BaseHandler):
    @operation(
        summary="List all users",
        tag="Admin",
        query=AdminUserQuery,
        response=Page[AdminUserEntry],
        errors=(400, 403),
        admin=True,
    )
    async def get(self) -> None:
        data, pagination = await self.ctx.admin.list_users(self.query(AdminUserQuery))
        self.respond(Page[AdminUserEntry](data=data, pagination=pagination))


class AdminUserHandler(BaseHandler):
    @operation(
        summary="Get user details (admin view)", tag="Admin", response=AdminUserDetail, errors=(403, 404), admin=True
    )
    async def get(self, userId: str) -> None:
        self.respond(await self.ctx.admin.user_detail(userId))

    @operation(
        summary="Update user (ban, role change)",
        tag="Admin",
        request=AdminUserUpdate,
        response=AdminUserDetail,
        errors=(400, 403, 404, 409),
        admin=True,
        description="A ban revokes the user's refresh tokens and takes effect at once. An admin cannot ban "
        "or demote themself (409 CANNOT_MODIFY_SELF).",
    )
    async def patch(self, userId: str) -> None:
        req = self.body(AdminUserUpdate)
        self.respond(await self.ctx.admin.update_user(self.user, userId, req, self.client_ip))


class AuditLogsHandler(BaseHandler):
    @operation(
        summary="Query audit logs",
        tag="Admin",
        query=AuditQuery,
        response=Page[AuditLogEntry],
        errors=(400, 403),
        admin=True,
        description="Newest first; `from`/`to` are ISO-8601 timestamps.",
    )
    async def get(self) -> None:
        q = self.query(AuditQuery)
        data, pagination = await self.ctx.admin.audit_logs(
            actor_id=q.actor_id,
            action=q.action,
            target_id=q.target_id,
            since=q.from_,
            until=q.to,
            cursor=q.cursor,
            limit=q.limit,
        )
        self.respond(Page[AuditLogEntry](data=data, pagination=pagination))
