"""Figures read off a session's record, as pure functions: its coding time from the timeline, its best verdict."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

CLOCK_EVENTS = ("phase_changed", "timer_paused", "timer_resumed")
TIME_ORDER = [("at", 1), ("seq", 1)]  # events recorded in the same millisecond keep the order they were written in


def coding_seconds(events: Iterable[dict[str, Any]], until: datetime) -> int:
    """Seconds spent in the `coding` phase with the timer running, from the timeline's phase changes, pauses and
    resumes (in time order); a phase still running counts up to `until`. A phase change starts its timer afresh
    (unpaused), as the room timer does."""
    phase, paused, running_since, total = None, False, None, 0.0
    for event in events:
        if event["type"] not in CLOCK_EVENTS:
            continue
        if running_since is not None:
            total += max(0.0, (event["at"] - running_since).total_seconds())
            running_since = None
        if event["type"] == "phase_changed":
            phase, paused = event["data"].get("to"), False
        else:
            paused = event["type"] == "timer_paused"
        if phase == "coding" and not paused:
            running_since = event["at"]
    if running_since is not None:
        total += max(0.0, (until - running_since).total_seconds())
    return int(total)


def best_verdict(submissions: Iterable[dict[str, Any]]) -> str | None:
    """`accepted` if any submission was; otherwise the verdict of the one that passed most tests (the later one
    of equals). Submissions without a verdict of the program (still running, or failed in the sandbox) do not
    count."""
    best: dict[str, Any] | None = None
    for sub in sorted(submissions, key=lambda s: s["createdAt"]):
        if sub.get("verdict") in (None, "internal_error"):
            continue
        if sub["verdict"] == "accepted":
            return "accepted"
        if best is None or sub.get("passed", 0) >= best.get("passed", 0):
            best = sub
    return best["verdict"] if best else None
