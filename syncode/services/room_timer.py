"""Phase timer arithmetic: server-side deadlines with exact elapsed accounting across pauses.

Stored on the room as `timer`: {phase, phaseStartedAt, runningSince (None while paused), elapsedMs (accumulated
before runningSince), paused}. Everything else (deadline, remaining) is derived, never stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from syncode.models.rooms import Timer

TIMED_PHASES = {"warmup": "warmupSec", "coding": "codingSec", "wrapup": "wrapupSec"}


def start_phase(phase: str, now: datetime) -> dict[str, Any]:
    return {"phase": phase, "phaseStartedAt": now, "runningSince": now, "elapsedMs": 0, "paused": False}


def elapsed_ms(timer: dict[str, Any], now: datetime) -> int:
    running = timer.get("runningSince")
    extra = int((now - running).total_seconds() * 1000) if running and not timer["paused"] else 0
    return timer["elapsedMs"] + extra


def duration_sec(phase: str, durations: dict[str, int]) -> int | None:
    key = TIMED_PHASES.get(phase)
    return durations.get(key) if key else None


def deadline(timer: dict[str, Any], durations: dict[str, int]) -> datetime | None:
    """When the phase's time is up (None for untimed phases and while paused)."""
    total = duration_sec(timer["phase"], durations)
    if total is None or timer["paused"] or not timer.get("runningSince"):
        return None
    return timer["runningSince"] + timedelta(milliseconds=total * 1000 - timer["elapsedMs"])


def pause(timer: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**timer, "elapsedMs": elapsed_ms(timer, now), "runningSince": None, "paused": True}


def resume(timer: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {**timer, "runningSince": now, "paused": False}


def view(timer: dict[str, Any], durations: dict[str, int], now: datetime) -> Timer:
    elapsed = elapsed_ms(timer, now)
    total = duration_sec(timer["phase"], durations)
    remaining = None if total is None else max(0, total - elapsed // 1000)
    return Timer(
        phase=timer["phase"],
        phase_started_at=timer.get("phaseStartedAt"),
        phase_deadline=deadline(timer, durations),
        paused=timer["paused"],
        elapsed_sec=elapsed // 1000,
        remaining_sec=remaining,
    )
