"""Per-user usage limits: the daily execution quota (runs + submissions + analyses) and the quotas overview."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from config import Settings
from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import DomainError, RateLimited
from syncode.models.execution import DailyQuota, Quotas, RoomQuota, StorageQuota
from syncode.services.auth import Principal
from syncode.services.blobs import LocalBlobStore
from syncode.services.rooms import RoomService


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

    @staticmethod
    def _counter_id(user_id: str, now: datetime) -> str:
        return f"{user_id}:{now:%Y-%m-%d}:executions"

    async def executions_used(self, user_id: str) -> int:
        """Jobs the user was admitted for today (UTC), whatever became of them."""
        counter = await self.db.usageCounters.find_one({"_id": self._counter_id(user_id, utcnow())})
        return counter["count"] if counter else 0

    async def take_execution(self, user_id: str) -> str:
        """Count one job against today's allowance in one atomic step, or raise 429 QUOTA_EXCEEDED
        (Retry-After: until midnight UTC). Returns the counter's id, for `refund_execution`."""
        now = utcnow()
        counter_id = self._counter_id(user_id, now)
        _, resets = day_bounds(now)
        limit = self.settings.daily_executions
        try:
            # At the limit the filter matches nothing and the upsert collides with the existing counter.
            await self.db.usageCounters.update_one(
                {"_id": counter_id, "count": {"$lt": limit}},
                {"$inc": {"count": 1}, "$setOnInsert": {"expiresAt": resets + timedelta(days=1)}},
                upsert=True,
            )
        except DuplicateKeyError:
            raise RateLimited(
                f"daily execution quota of {limit} used up", (resets - now).total_seconds(), "QUOTA_EXCEEDED"
            ) from None
        return counter_id

    async def refund_execution(self, counter_id: str) -> None:
        """A job the judge refused (busy, language unavailable) does not count."""
        await self.db.usageCounters.update_one({"_id": counter_id}, {"$inc": {"count": -1}})

    async def overview(self, principal: Principal) -> Quotas:
        _, resets = day_bounds(utcnow())
        settings = self.settings
        return Quotas(
            executions=DailyQuota(
                used=await self.executions_used(principal.id), limit=settings.daily_executions, resets_at=resets
            ),
            ai=DailyQuota(used=0, limit=settings.daily_ai_requests, resets_at=resets),  # no AI requests yet
            rooms=RoomQuota(active=len(await self.rooms.rooms_of(principal.id)), max_active=settings.max_active_rooms),
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
