"""Per-user usage limits: the daily execution quota (runs + submissions + analyses) and the quotas overview."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from config import Settings
from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import DomainError, RateLimited
from syncode.models.execution import DailyQuota, Quotas, RoomQuota, StorageQuota
from syncode.services.auth import Principal
from syncode.services.blobs import LocalBlobStore
from syncode.services.rooms import RoomService

EXECUTION_COLLECTIONS = ("runs", "submissions", "analyses")


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of the current UTC day and the moment the daily quotas reset."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


class QuotaService:
    def __init__(self, settings: Settings, db: Database, rooms: RoomService, blobs: LocalBlobStore) -> None:
        self.settings = settings
        self.db = db
        self.rooms = rooms
        self.blobs = blobs

    async def executions_used(self, user_id: str) -> int:
        """Jobs the user started today (UTC), whatever became of them."""
        start, _ = day_bounds(utcnow())
        query = {"userId": user_id, "createdAt": {"$gte": start}}
        counts = await asyncio.gather(*(getattr(self.db, name).count_documents(query)
                                        for name in EXECUTION_COLLECTIONS))
        return sum(counts)

    async def check_executions(self, user_id: str) -> None:
        """Raise 429 QUOTA_EXCEEDED (Retry-After: until midnight UTC) once the daily allowance is used."""
        limit = self.settings.daily_executions
        if await self.executions_used(user_id) >= limit:
            now = utcnow()
            _, resets = day_bounds(now)
            raise RateLimited(f"daily execution quota of {limit} used up", (resets - now).total_seconds(),
                              "QUOTA_EXCEEDED")

    async def overview(self, principal: Principal) -> Quotas:
        _, resets = day_bounds(utcnow())
        settings = self.settings
        return Quotas(
            executions=DailyQuota(used=await self.executions_used(principal.id), limit=settings.daily_executions,
                                  resets_at=resets),
            ai=DailyQuota(used=0, limit=settings.daily_ai_requests, resets_at=resets),  # no AI requests yet
            rooms=RoomQuota(active=len(await self.rooms.rooms_of(principal.id)),
                            max_active=settings.max_active_rooms),
            storage=StorageQuota(used_bytes=await self._stored_bytes(principal), limit_bytes=settings.storage_bytes),
        )

    async def _stored_bytes(self, principal: Principal) -> int:
        """Bytes the user keeps in the blob store (today: their avatar)."""
        key = principal.user.get("avatarKey")
        if not key:
            return 0
        try:
            return await self.blobs.size(key)
        except (OSError, DomainError):  # a dangling key holds no bytes
            return 0
