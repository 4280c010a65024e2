"""The rules of a room, as pure functions of its document: who is present, which roles and transitions are allowed,
what a participant entry looks like. No I/O; the commands apply these and store the result."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime
from typing import Any

from syncode.enums import PHASES, Mode, Role, RoomStatus
from syncode.errors import Conflict, ValidationFailed

Room = dict[str, Any]
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
SWAPPED = {Role.interviewer.value: Role.candidate.value, Role.candidate.value: Role.interviewer.value}


def invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(6))


def present(room: Room) -> list[dict[str, Any]]:
    """Participants currently in the room (not left, not kicked), longest-present first."""
    return sorted((p for p in room["participants"] if not p.get("leftAt")), key=lambda p: p["joinedAt"])


def member(room: Room, user_id: str | None) -> dict[str, Any] | None:
    return next((p for p in present(room) if p["userId"] == user_id), None) if user_id else None


def new_participant(user_id: str, user: dict[str, Any], role: str, now: datetime) -> dict[str, Any]:
    return {
        "userId": user_id,
        "username": user["username"],
        "displayName": user.get("displayName"),
        "role": role,
        "isMuted": False,
        "isReady": False,
        "joinedAt": now,
        "leftAt": None,
    }


def host_role(mode: str) -> str:
    return (Role.interviewer if mode == Mode.peer else Role.candidate).value


def check_roles(mode: str, participants: list[dict[str, Any]]) -> None:
    """peer: at most one interviewer and one candidate; ai: no interviewer, at most one candidate."""
    counts = Counter(p["role"] for p in participants)
    limits = {Role.interviewer: 1 if mode == Mode.peer else 0, Role.candidate: 1}
    for role, limit in limits.items():
        if counts[role] > limit:
            raise Conflict(
                f"this room already has its {role}" if limit else f"{mode} rooms have no {role}", "ROLE_TAKEN"
            )


def free_role(mode: str, people: list[dict[str, Any]]) -> str:
    """The role a newcomer who asked for none gets: the first one still free, else observer."""
    taken = {p["role"] for p in people}
    wanted = [Role.candidate, Role.interviewer] if mode == Mode.peer else [Role.candidate]
    return next((r for r in wanted if r not in taken), Role.observer).value


def check_transition(current: str, to: str) -> None:
    """Phases only move forward one step at a time; any live phase may end the room."""
    allowed = current != RoomStatus.finished and (
        to == RoomStatus.finished or PHASES.index(to) == PHASES.index(current) + 1
    )
    if not allowed:
        raise Conflict(f"cannot go from {current} to {to}", "ROOM_INVALID_TRANSITION", {"from": current, "to": to})


def next_phase(current: str) -> str:
    return PHASES[PHASES.index(current) + 1].value


def problem_can_change(status: str) -> bool:
    return PHASES.index(status) < PHASES.index(RoomStatus.coding)


def hint_is_new(room: Room, index: int, ladder: int) -> bool:
    """Whether revealing hint `index` of a ladder of `ladder` hints is news (False: already revealed, a retry).
    Hints are revealed in order, from warmup on (the session records it), the first one first."""
    if room["status"] == RoomStatus.waiting:
        raise Conflict("hints are revealed once the interview has started (warmup)", "ROOM_NOT_STARTED")
    if index >= ladder:
        where = f"the problem has {ladder} hints (0..{ladder - 1})" if ladder else "the problem has no hints"
        raise ValidationFailed(f"no hint {index}: {where}", details={"index": where})
    revealed = len(room.get("revealedHints", []))
    if index > revealed:
        raise Conflict(
            f"hints are revealed in order: the next one is {revealed}", "HINT_OUT_OF_ORDER", {"next": revealed}
        )
    return index == revealed


def departure(room: Room, user_id: str, now: datetime, kicked: bool) -> dict[str, Any]:
    """The changes that take `user_id` out of the room; the longest-present participant becomes host if needed."""
    participants = [
        {**p, "leftAt": now} if p["userId"] == user_id and not p.get("leftAt") else p for p in room["participants"]
    ]
    changes: dict[str, Any] = {"participants": participants}
    if kicked:
        changes["kicked"] = [*room.get("kicked", []), user_id]
    remaining = present({**room, "participants": participants})
    if room["hostId"] == user_id and remaining:
        changes["hostId"] = remaining[0]["userId"]
    return changes


def swap_roles(participants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Interviewer and candidate trade places; observers and former participants stay as they are."""
    return [
        {**p, "role": SWAPPED[p["role"]]} if not p.get("leftAt") and p["role"] in SWAPPED else p for p in participants
    ]
