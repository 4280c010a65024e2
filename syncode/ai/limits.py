"""Sliding-window limits on AI requests per user and room (hints 3, messages 20, reviews 10 per 5 minutes by
default): exact counts of the requests in the last window, kept in memory (one process owns the rooms). A product
rule like the chat limit: it holds even when HTTP rate limiting is switched off."""

from __future__ import annotations

import time
from collections import deque

from syncode.errors import RateLimited

MAX_KEYS = 100_000


class SlidingWindows:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def take(self, key: str, limit: int, window_sec: float, what: str) -> None:
        """Count one request, or raise 429 RATE_LIMITED with Retry-After (when the oldest one leaves the window)."""
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_sec:
            hits.popleft()
        if len(hits) >= limit:
            retry = hits[0] + window_sec - now
            error = RateLimited(f"at most {limit} {what} per {int(window_sec)} s in a room; retry later", retry)
            error.headers.update({"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0"})
            error.headers["X-RateLimit-Reset"] = str(error.retry_after)
            raise error
        hits.append(now)
        if len(self._hits) > MAX_KEYS:
            self._prune(now, window_sec)

    def give_back(self, key: str) -> None:
        """A request refused after it was counted does not count."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def _prune(self, now: float, window_sec: float) -> None:
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window_sec}
