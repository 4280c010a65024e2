"""Keystroke replay (API.md §6): the code of a session at any moment, rebuilt from its document's edit history,
and the moments worth jumping to, for a scrubber.

The history is the collab plane's (realtime/history.py, asked through the CollabPlane interface: every update with
its time and author, and checkpoints of the state). Marks come from the session's timeline (runs, submissions,
phases, hints, timer pauses) and from the edits themselves (pauses of a minute or more without one), with the edit
density per 10 s. Readers as every session endpoint (SessionAccess: participants and admins).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from syncode.clock import utcnow
from syncode.collab import CollabPlane
from syncode.db import Database
from syncode.errors import Gone
from syncode.models.sessions import EditDensity, ReplayMark, ReplayMarks, ReplayMoment
from syncode.services.auth import Principal
from syncode.sessions.access import SessionAccess
from syncode.sessions.timeline import TIME_ORDER

DENSITY_WINDOW_MS = 10_000
LONG_PAUSE_MS = 60_000
ONE_MS = timedelta(milliseconds=1)

# timeline event type -> (mark type, its ref from the event's data)
MARKED_EVENTS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "run": ("run", lambda data: data.get("runId")),
    "submission": ("submission", lambda data: data.get("submissionId")),
    "phase_changed": ("phase", lambda data: data.get("to")),
    "hint_revealed": ("hint", lambda data: data.get("index")),
    "hint_requested": ("hint", lambda data: data.get("hintId")),
    "timer_paused": ("pause", lambda data: "timer"),
}


class SessionReplay:
    def __init__(self, db: Database, access: SessionAccess, collab: CollabPlane) -> None:
        self.db = db
        self.access = access
        self.collab = collab

    async def moment(self, principal: Principal, session_id: str, at_ms: int) -> ReplayMoment:
        """The code `at_ms` after the session started, in the room's active language then (else the session's)."""
        session = await self.access.readable(principal, session_id)
        found = await self.collab.moment(session["roomId"], session["startedAt"] + at_ms * ONE_MS)
        if found is None:
            raise Gone(
                "no edit history is kept of this moment (it is older than the retention, or from before histories "
                "were kept)",
                "HISTORY_UNAVAILABLE",
            )
        language = found.language or session["language"]
        return ReplayMoment(code=found.texts.get(language, ""), language=language, at=at_ms, editors=found.editors)

    async def marks(self, principal: Principal, session_id: str) -> ReplayMarks:
        session = await self.access.readable(principal, session_id)
        start = session["startedAt"]
        duration = millis(start, session.get("finishedAt") or utcnow())
        query = {"sessionId": session_id, "type": {"$in": list(MARKED_EVENTS)}}
        events = await self.db.sessionEvents.find(query).sort(TIME_ORDER).to_list(None)
        times = await self.collab.edit_times(session["roomId"], start, start + duration * ONE_MS)
        edits = [millis(start, when) for when in times]
        marks = sorted([*event_marks(events, start), *idle_marks(edits, duration)], key=lambda mark: mark.at)
        return ReplayMarks(duration_ms=duration, marks=marks, density=density(edits, duration))


def millis(start: datetime, when: datetime) -> int:
    return max(0, (when - start) // ONE_MS)


def event_marks(events: list[dict[str, Any]], start: datetime) -> list[ReplayMark]:
    marks = []
    for event in events:
        kind, ref = MARKED_EVENTS[event["type"]]
        value = ref(event.get("data") or {})
        marks.append(ReplayMark(at=millis(start, event["at"]), type=kind, ref=None if value is None else str(value)))
    return marks


def idle_marks(edits: list[int], duration: int) -> list[ReplayMark]:
    """A pause where a minute or more went by without an edit (from the start, between edits, up to the end)."""
    bounds = [0, *edits, duration]
    return [
        ReplayMark(at=before, type="pause", ref="idle")
        for before, after in pairwise(bounds)
        if after - before >= LONG_PAUSE_MS
    ]


def density(edits: list[int], duration: int) -> list[EditDensity]:
    """Edits per 10 s window, from the start to the end (the last window may be shorter)."""
    counts = [0] * -(-duration // DENSITY_WINDOW_MS)
    for at in edits if counts else []:  # from the start to the end: an edit at the very end counts in the last
        counts[min(at // DENSITY_WINDOW_MS, len(counts) - 1)] += 1
    return [EditDensity(at=index * DENSITY_WINDOW_MS, edits=count) for index, count in enumerate(counts)]
