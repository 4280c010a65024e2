"""Per-user usage limits: the daily execution quota (runs + submissions + analyses), the daily AI quota (messages,
hints and reviews asked of the AI interviewer) and the quotas overview."""

from __future__ import annotations

from datetime import datetime, timedelta

from config import Settings
from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import DomainError, RateLimited
from syncode.models.execution import DailyQuota, Quotas, RoomQuota, StorageQuota
from syncode.rooms import RoomRepository
from syncode.services.auth import Principal
from syncode.services.blobs import BlobStore
from syncode.services.recordings import RecordingStore
from syncode.tasks import BackgroundTasks


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start of the current UTC day and the moment the daily quotas reset."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


class QuotaService:
    """The daily counters (executions, AI requests) of each user are kept in memory once read, and every change is
    also written to the database in the background: admitting a job costs no round trip, and a restart resumes from
    the stored count (a crash may forget the last few, in the user's favour). Exact while one process serves a user's
    rooms; with rooms sharded across processes (DESIGN.md), each would admit up to the limit on its own."""

    def __init__(
        self, settings: Settings, db: Database, rooms: RoomRepository, blobs: BlobStore, recordings: RecordingStore
    ) -> None:
        self.settings = settings
        self.db = db
        self.rooms = rooms
        self.blobs = blobs
        self.recordings = recordings
        self._day = ""  # the UTC day of the counters in memory
        self._used: dict[str, int] = {}  # counter id -> jobs admitted that day, for the counters read so far
        self._writes = BackgroundTasks("quota counter write")

    async def close(self) -> None:
        await self._writes.wait()

    async def executions_used(self, user_id: str) -> int:
        """Jobs the user was admitted for today (UTC), whatever became of them."""
        counter_id = await self._counter(user_id, utcnow())
        return self._used[counter_id]

    async def ai_used(self, user_id: str) -> int:
        """AI requests the user was admitted for today (UTC)."""
        counter_id = await self._counter(user_id, utcnow(), "ai")
        return self._used[counter_id]

    async def _counter(self, user_id: str, now: datetime, kind: str = "executions") -> str:
        """The id of the user's `kind` counter for the day of `now`, read into memory if it is not yet."""
        day = f"{now:%Y-%m-%d}"
        if day != self._day:
            self._day, self._used = day, {}  # yesterday's counters are done with
        counter_id = f"{user_id}:{day}:{kind}"
        if counter_id not in self._used:
            stored = await self.db.usageCounters.find_one({"_id": counter_id})
            self._used.setdefault(counter_id, stored["count"] if stored else 0)  # a concurrent read may have won
        return counter_id

    async def take_execution(self, user_id: str) -> str:
        """Count one job against today's allowance, or raise 429 QUOTA_EXCEEDED (Retry-After: until midnight
        UTC). Returns the counter's id, for `refund_execution`."""
        return await self._take(user_id, "executions", self.settings.daily_executions, "execution")

    def refund_execution(self, counter_id: str) -> None:
        """A job the judge refused (busy, language unavailable) does not count."""
        self._count(counter_id, -1)

    async def take_ai(self, user_id: str) -> str:
        """Count one AI request (message, hint, review) against today's allowance, or raise 429 QUOTA_EXCEEDED.
        Returns the counter's id, for `refund_ai`."""
        return await self._take(user_id, "ai", self.settings.daily_ai_requests, "AI")

    def refund_ai(self, counter_id: str) -> None:
        """A request refused after it was counted (the room changed meanwhile) does not count."""
        self._count(counter_id, -1)

    async def _take(self, user_id: str, kind: str, limit: int, what: str) -> str:
        now = utcnow()
        counter_id = await self._counter(user_id, now, kind)
        _, resets = day_bounds(now)
        if self._used[counter_id] >= limit:
            error = RateLimited(
                f"daily {what} quota of {limit} used up", (resets - now).total_seconds(), "QUOTA_EXCEEDED"
            )
            error.headers.update({"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"})
            error.headers["X-RateLimit-Reset"] = error.headers["Retry-After"]
            raise error
        self._count(counter_id, 1, expires=resets + timedelta(days=1))
        return counter_id

    def _count(self, counter_id: str, change: int, expires: datetime | None = None) -> None:
        if counter_id in self._used:
            self._used[counter_id] += change
        update: dict = {"$inc": {"count": change}}
        if expires:
            update["$setOnInsert"] = {"expiresAt": expires}
        self._writes.spawn(self.db.usageCounters.update_one({"_id": counter_id}, update, upsert=True))

    async def overview(self, principal: Principal) -> Quotas:
        _, resets = day_bounds(utcnow())
        settings = self.settings
        return Quotas(
            executions=DailyQuota(
                used=await self.executions_used(principal.id), limit=settings.daily_executions, resets_at=resets
            ),
            ai=DailyQuota(used=await self.ai_used(principal.id), limit=settings.daily_ai_requests, resets_at=resets),
            rooms=RoomQuota(active=await self.rooms.count_live_of(principal.id), max_active=settings.max_active_rooms),
            storage=StorageQuota(used_bytes=await self._stored_bytes(principal), limit_bytes=settings.storage_bytes),
        )

    async def _stored_bytes(self, principal: Principal) -> int:
        """Bytes the user keeps in the object store, as stored: their avatar and the recordings they started."""
        return await self._avatar_bytes(principal) + await self.recordings.bytes_started_by(principal.id)

    async def _avatar_bytes(self, principal: Principal) -> int:
        key = principal.user.get("avatarKey")
        if not key:
            return 0
        try:
            return await self.blobs.size(key)
        except (OSError, DomainError):  # a dangling key holds no bytes
            return 0
