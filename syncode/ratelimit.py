"""In-memory token buckets (per IP, per user, per route class)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from syncode.errors import RateLimited


@dataclass(frozen=True)
class Rate:
    per_minute: int
    burst: int | None = None  # bucket size; defaults to per_minute

    @property
    def capacity(self) -> int:
        return self.burst or self.per_minute


@dataclass
class Verdict:
    limit: int
    remaining: int
    reset_sec: int
    retry_after: float  # 0 when allowed

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_sec),
        }


class RateLimiter:
    MAX_BUCKETS = 100_000

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated_at)

    def take(self, key: str, rate: Rate, cost: float = 1.0) -> Verdict:
        """Take `cost` tokens from the bucket; the verdict says whether it was allowed and when it refills."""
        now = time.monotonic()
        per_sec = rate.per_minute / 60.0
        tokens, updated = self._buckets.get(key, (float(rate.capacity), now))
        tokens = min(rate.capacity, tokens + (now - updated) * per_sec)
        retry_after = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            retry_after = (cost - tokens) / per_sec
        if len(self._buckets) >= self.MAX_BUCKETS:
            self._prune(now)
        self._buckets[key] = (tokens, now)
        reset = int((rate.capacity - tokens) / per_sec + 0.999)
        return Verdict(rate.capacity, int(tokens), reset, retry_after)

    def check(self, key: str, rate: Rate) -> Verdict:
        """Take one token or raise RateLimited (a no-op verdict when limiting is switched off)."""
        if not self.enabled:
            return Verdict(rate.capacity, rate.capacity, 0, 0)
        verdict = self.take(key, rate)
        if verdict.retry_after:
            error = RateLimited("too many requests, slow down", verdict.retry_after)
            error.headers.update(verdict.headers())
            raise error
        return verdict

    def _prune(self, now: float) -> None:
        # Buckets idle for 10 minutes are full again; dropping them changes nothing.
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 600}
