"""What a room command does besides storing the room: the session record, events on the bus, the collab plane, and
the live media permissions of a participant (listeners registered by the media service).

Commands call these after their change is saved, in the order the change calls for.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from syncode.clock import utcnow
from syncode.collab import CollabPlane
from syncode.events import Event, EventBus
from syncode.rooms.rules import Room
from syncode.rooms.views import RoomViews
from syncode.services import room_timer
from syncode.sessions.recorder import SessionRecorder

log = logging.getLogger("syncode.rooms")
PermissionListener = Callable[[Room, str], Awaitable[None]]


class RoomEffects:
    def __init__(self, bus: EventBus, sessions: SessionRecorder, collab: CollabPlane, views: RoomViews) -> None:
        self.bus = bus
        self.sessions = sessions
        self.collab = collab
        self.views = views
        self._permission_listeners: list[PermissionListener] = []

    def on_permissions_changed(self, listener: PermissionListener) -> None:
        """Called with the saved room and a participant whose role or mute changed (what they may publish)."""
        self._permission_listeners.append(listener)

    async def permissions_changed(self, room: Room, user_id: str) -> None:
        for listener in self._permission_listeners:
            try:
                await listener(room, user_id)
            except Exception:  # the change is saved; the next media token carries it
                log.warning("live media permissions not updated", extra={"roomId": room["_id"], "userId": user_id})

    async def record(self, room: Room, kind: str, actor_id: str | None, data: dict[str, Any]) -> None:
        """A timeline event of the room's session (none before the session starts, while the room waits)."""
        await self.sessions.event(room.get("sessionId"), kind, actor_id, data)

    def publish(self, room_id: str, event_type: str, data: dict[str, Any], user_ids: tuple[str, ...] = ()) -> None:
        self.bus.publish(Event(event_type, data, room_id=room_id, user_ids=user_ids))

    def membership(self, room: Room, user_id: str, is_member: bool) -> None:
        """Tells the event channel to follow (or stop following) the room for this user."""
        self.publish(room["_id"], "room.membership", {"userId": user_id, "member": is_member}, (user_id,))

    async def changed(self, room: Room, event_type: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Publish a specific event (if any) and the new neutral room view."""
        if event_type:
            self.publish(room["_id"], event_type, data or {})
        neutral = await self.views.detail(room, None)
        self.publish(room["_id"], "room.updated", neutral.to_json())

    def timer(self, room: Room) -> None:
        view = room_timer.view(room["timer"], room["config"]["durations"], utcnow())
        self.publish(room["_id"], "room.timer", view.to_json())

    async def snapshot(self, room: Room, trigger: str) -> None:
        """Ask the collab plane for a snapshot; it reaches the session record like every other one."""
        try:
            await self.collab.request_snapshot(room["_id"], trigger, room["language"])
        except Exception:
            log.warning("snapshot not taken", extra={"roomId": room["_id"], "trigger": trigger})

    async def close_document(self, room: Room) -> None:
        try:
            await self.collab.destroy_document(room["_id"])
        except Exception:  # the room is finished either way; a missing document is not an error here
            log.warning("collab document not destroyed", extra={"roomId": room["_id"]})
