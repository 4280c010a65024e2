"""Who is connected to which room right now (collab or event socket), counted per connection, and who has an
event socket (/api/ws) open at all.

In memory on purpose: after a restart nobody is connected until their sockets come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

Listener = Callable[[str, str, bool], None]  # (room_id, user_id, now_active)


class Presence:
    def __init__(self) -> None:
        self._connections: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._listeners: list[Listener] = []
        self._online: dict[str, int] = defaultdict(int)  # user id -> open event sockets

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def connected(self, room_id: str, user_id: str) -> None:
        users = self._connections[room_id]
        users[user_id] += 1
        if users[user_id] == 1:
            self._notify(room_id, user_id, True)

    def disconnected(self, room_id: str, user_id: str) -> None:
        users = self._connections.get(room_id)
        if not users or users.get(user_id, 0) == 0:
            return
        users[user_id] -= 1
        if users[user_id] == 0:
            del users[user_id]
            if not users:
                del self._connections[room_id]
            self._notify(room_id, user_id, False)

    def is_active(self, room_id: str, user_id: str) -> bool:
        return self._connections.get(room_id, {}).get(user_id, 0) > 0

    def online(self, user_id: str) -> None:
        """An event socket of the user opened."""
        self._online[user_id] += 1

    def offline(self, user_id: str) -> None:
        if self._online.get(user_id, 0) > 1:
            self._online[user_id] -= 1
        else:
            self._online.pop(user_id, None)

    def is_online(self, user_id: str) -> bool:
        return user_id in self._online

    def room_is_empty(self, room_id: str) -> bool:
        return room_id not in self._connections

    def _notify(self, room_id: str, user_id: str, active: bool) -> None:
        for listener in self._listeners:
            listener(room_id, user_id, active)
