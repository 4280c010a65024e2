"""Deep health check: database, sandbox, storage, collab, ai, media, mail."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

from config import Settings
from syncode.db import Database

Probe = Callable[[], Awaitable[dict[str, Any]]]
MIN_FREE_BYTES = 512 * 1024 * 1024


class HealthService:
    def __init__(self, settings: Settings, db: Database, started_at: float) -> None:
        self.settings = settings
        self.db = db
        self.started_at = started_at
        # Other planes register their probes at start-up (sandbox, collab, mail, media, ...).
        self.probes: dict[str, Probe] = {
            "database": self._database,
            "storage": self._storage,
            "ai": self._ai,
        }

    def uptime_sec(self) -> int:
        return int(time.monotonic() - self.started_at)

    async def check(self) -> dict[str, Any]:
        names = list(self.probes)
        results = await asyncio.gather(*(self._run(self.probes[n]) for n in names))
        checks = dict(zip(names, results, strict=True))
        if checks["database"]["status"] != "ok":
            status = "down"
        elif any(c["status"] != "ok" for c in checks.values() if c["status"] != "disabled"):
            status = "degraded"
        else:
            status = "ok"
        return {"status": status, "version": self.settings.version, "uptimeSec": self.uptime_sec(), "checks": checks}

    @staticmethod
    async def _run(probe: Probe) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(probe(), 3)
        except Exception as exc:  # a probe failure is a finding, not an error of the health endpoint
            return {"status": "down", "detail": f"{type(exc).__name__}: {exc}"[:300]}

    async def _database(self) -> dict[str, Any]:
        return {"status": "ok", "latencyMs": round(await self.db.ping(), 2)}

    async def _storage(self) -> dict[str, Any]:
        def probe() -> dict[str, Any]:
            data_dir = self.settings.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
            marker = data_dir / ".health"
            marker.write_text(str(time.time()))
            marker.unlink()
            free = shutil.disk_usage(data_dir).free
            status = "ok" if free >= MIN_FREE_BYTES else "degraded"
            return {"status": status, "detail": f"{free // (1024 * 1024)} MiB free in {data_dir}"}

        return await asyncio.to_thread(probe)

    async def _ai(self) -> dict[str, Any]:
        if self.settings.llm_base_url:
            return {"status": "ok", "detail": f"LLM at {self.settings.llm_base_url}"}
        return {"status": "ok", "detail": "offline engine (no LLM configured)"}
