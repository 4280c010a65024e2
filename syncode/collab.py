"""What the control plane needs from the collab plane. Declared here, implemented in realtime/, wired in run.py,
so imports point one way (realtime -> syncode)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class SnapshotReady:
    room_id: str
    trigger: str  # periodic | phase_change | submission | manual | session_end
    language: str
    code: str
    snapshot: bytes  # full Yjs state as one update
    timestamp: datetime


@dataclass(frozen=True)
class UserDisconnected:
    room_id: str
    user_id: str
    reason: str
    timestamp: datetime


class CollabPlane(Protocol):
    async def create_document(
        self, room_id: str, initial_content: dict[str, str] | None = None, snapshot: bytes | None = None
    ) -> tuple[bool, datetime]: ...

    async def destroy_document(self, room_id: str) -> tuple[bytes, int]: ...

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> int: ...

    async def set_locked(self, room_id: str, locked: bool) -> None: ...

    async def request_snapshot(self, room_id: str, trigger: str, language: str) -> SnapshotReady | None: ...

    async def health(self) -> dict[str, Any]: ...


SnapshotSubscriber = Callable[[SnapshotReady], Awaitable[None]]
DisconnectSubscriber = Callable[[UserDisconnected], Awaitable[None]]
