"""The audit log (`auditLogs`): who did what to which target, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.pagination import PageResult, paginate


class AuditService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        action: str,
        *,
        actor_id: str | None,
        target_type: str,
        target_id: str | None,
        ip: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        await self.db.auditLogs.insert_one(
            {
                "_id": new_id(),
                "actorId": actor_id,
                "action": action,
                "targetType": target_type,
                "targetId": target_id,
                "metadata": metadata or {},
                "ip": ip,
                "createdAt": utcnow(),
            }
        )

    async def search(
        self,
        *,
        actor_id: str | None = None,
        action: str | None = None,
        target_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> PageResult:
        query: dict[str, Any] = {}
        if actor_id:
            query["actorId"] = actor_id
        if action:
            query["action"] = action
        if target_id:
            query["targetId"] = target_id
        if since or until:
            query["createdAt"] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v}
        return await paginate(self.db.auditLogs, query, cursor=cursor, limit=limit)

    async def recent_for(self, user_id: str, limit: int = 20) -> list[dict[str, Any]]:
        query = {"$or": [{"actorId": user_id}, {"targetId": user_id}]}
        return await self.db.auditLogs.find(query).sort([("createdAt", -1), ("_id", -1)]).to_list(limit)
