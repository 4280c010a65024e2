"""What the control plane needs from the collab plane. Declared here, implemented in realtime/, wired in run.py,
so imports point one way (realtime -> syncode)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from syncode.clock import iso
from syncode.events import Event


@dataclass(frozen=True)
class SnapshotReady:
    room_id: str
    trigger: str  # periodic | phase_change | submission | manual | session_end
    language: str
    code: str
    snapshot: bytes  # full Yjs state as one update
    timestamp: datetime  # every update in it was accepted at or before this time (ms), every later one after
    editors: tuple[str, ...] = ()  # users who edited since the room's previous snapshot, in order of first edit


@dataclass(frozen=True)
class DocumentMoment:
    """A document as it was at some moment, rebuilt from its history."""

    texts: dict[str, str]  # language -> text of Y.Text('code:<language>')
    language: str | None  # the active language then, when known
    editors: list[str]  # every user who had edited it by then, in order of first edit


@dataclass(frozen=True)
class UserDisconnected:
    room_id: str
    user_id: str
    reason: str
    timestamp: datetime


class CollabPlane(Protocol):
    async def start(self) -> None:
        """Before any socket can open (an in-process plane replays its journal here)."""

    async def close(self) -> None:
        """Close every socket and write what is pending; the database is still up."""

    async def create_document(
        self,
        room_id: str,
        initial_content: dict[str, str] | None = None,
        snapshot: bytes | None = None,
        language: str | None = None,
    ) -> tuple[bool, datetime]:
        """`language`: the room's active one (default: the first of `initial_content`, else python)."""

    async def destroy_document(self, room_id: str) -> tuple[bytes, int]: ...

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> int: ...

    async def set_locked(self, room_id: str, locked: bool) -> None: ...

    async def set_role(self, room_id: str, user_id: str, role: str) -> None:
        """The user's role changed (swap, promotion): it overrides the role claim of their collab tokens."""

    async def replace_content(self, room_id: str, content: dict[str, str]) -> None:
        """Replace the text of `code:<language>` for each language given (a new problem's starter code)."""

    async def set_language(self, room_id: str, language: str) -> None:
        """The room's active language (meta map and document record)."""

    async def request_snapshot(self, room_id: str, trigger: str, language: str) -> SnapshotReady: ...

    async def moment(self, room_id: str, at: datetime) -> DocumentMoment | None:
        """The document as it was at `at`, from its history; None when no history of that moment is kept
        (older than the retention, or from before histories were kept)."""

    async def edit_times(self, room_id: str, start: datetime, end: datetime) -> list[datetime]:
        """When users (not the server) edited the document between start and end, in time order."""

    async def health(self) -> dict[str, Any]: ...

    def on_snapshot(self, subscriber: SnapshotSubscriber) -> Callable[[], None]:
        """Every SnapshotReady (periodic or requested) goes to the subscriber; returns an unsubscribe function."""

    def on_user_disconnected(self, subscriber: DisconnectSubscriber) -> Callable[[], None]: ...


SnapshotSubscriber = Callable[[SnapshotReady], Awaitable[None]]
Membership = Callable[[str, str], Awaitable[bool | None]]
"""(room id, user id) -> may this user be in the room's document now? Asked at every connect, so a kick, a leave,
a ban or a deleted account refuses even a token issued a moment earlier. None: not a room of the control plane
(a document made through the internal API alone), where the token and the plane's kicks decide."""
DisconnectSubscriber = Callable[[UserDisconnected], Awaitable[None]]

SNAPSHOT_READY = "collab.snapshot_ready"
USER_DISCONNECTED = "collab.user_disconnected"


def snapshot_event(ready: SnapshotReady) -> Event:
    """The bus event for a snapshot, the same whether it came in-process or through the HTTP callback."""
    data = {
        "roomId": ready.room_id,
        "trigger": ready.trigger,
        "language": ready.language,
        "code": ready.code,
        "snapshot": base64.b64encode(ready.snapshot).decode(),
        "timestamp": iso(ready.timestamp),
    }
    if ready.editors:
        data["editors"] = list(ready.editors)
    return Event(SNAPSHOT_READY, data, room_id=ready.room_id)


def disconnect_event(gone: UserDisconnected) -> Event:
    data = {"roomId": gone.room_id, "userId": gone.user_id, "reason": gone.reason, "timestamp": iso(gone.timestamp)}
    return Event(USER_DISCONNECTED, data, room_id=gone.room_id)
