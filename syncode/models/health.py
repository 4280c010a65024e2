"""Health check shapes."""

from __future__ import annotations

from typing import Literal

from syncode.models.common import ApiModel


class Check(ApiModel):
    status: Literal["ok", "degraded", "down", "disabled"]
    latency_ms: float | None = None
    detail: str | None = None


class HealthResponse(ApiModel):
    status: Literal["ok", "degraded", "down"]
    version: str
    uptime_sec: int
    checks: dict[str, Check]
