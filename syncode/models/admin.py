"""Admin views: dashboard, users, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from syncode.models.common import ApiModel, PageQuery, RequestModel, Timestamp
from syncode.models.users import UserProfile, UserRole


class UsersFigures(ApiModel):
    total: int
    active24h: int = Field(alias="active24h")
    banned: int
    new_last7d: int = Field(alias="newLast7d")  # to_camel would say newLast7D


class RoomsFigures(ApiModel):
    active: int
    by_status: dict[str, int]
    created_last24h: int = Field(alias="createdLast24h")


class ExecutionsFigures(ApiModel):
    last24h: int = Field(alias="last24h")
    queued: int
    running: int
    avg_latency_ms: float | None = None


class SessionsFigures(ApiModel):
    total: int
    last24h: int = Field(alias="last24h")


class SystemFigures(ApiModel):
    uptime_sec: int
    ws_connections: int
    version: str


class AdminDashboard(ApiModel):
    users: UsersFigures
    rooms: RoomsFigures
    executions: ExecutionsFigures
    sessions: SessionsFigures
    system: SystemFigures


class AdminUserEntry(ApiModel):
    id: str
    email: str
    username: str
    role: UserRole
    banned_at: Timestamp | None = None
    ban_reason: str | None = None
    deleted_at: Timestamp | None = None
    created_at: Timestamp
    last_active_at: Timestamp | None = None


class UserCounts(ApiModel):
    rooms: int
    sessions: int
    submissions: int


class AuditLogEntry(ApiModel):
    id: str
    actor_id: str | None = None
    action: str
    target_type: str
    target_id: str | None = None
    metadata: dict[str, Any]
    ip: str | None = None
    created_at: Timestamp


class AdminUserDetail(AdminUserEntry):
    profile: UserProfile
    counts: UserCounts
    recent_audit: list[AuditLogEntry]


class AdminUserQuery(PageQuery):
    search: str | None = Field(None, max_length=200)
    role: UserRole | None = None
    status: Literal["active", "banned", "deleted"] | None = None


class AdminUserUpdate(RequestModel):
    banned: bool | None = None
    ban_reason: str | None = Field(None, max_length=500)
    role: UserRole | None = None

    @model_validator(mode="after")
    def _something(self) -> AdminUserUpdate:
        if self.banned is None and self.role is None:
            raise ValueError("give banned and/or role")
        if self.ban_reason and self.banned is not True:
            raise ValueError("banReason goes with banned: true")
        return self


class AuditQuery(PageQuery):
    actor_id: str | None = Field(None, max_length=100)
    action: str | None = Field(None, max_length=100)
    target_id: str | None = Field(None, max_length=100)
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = None
