"""The event channel, `/api/ws?token=<access token>`: JSON frames `{type, roomId?, data, at}`.

Client → server: `subscribe` / `unsubscribe` {roomId}, `ping`, `chat.send` {roomId, text}; `roomId` may sit at
the top level of the frame or inside `data`. Server → client: the bus events of the rooms the socket subscribed
to (on connect it joins all the user's live rooms), per-user events, `pong`, `subscribed` / `unsubscribed`
{reason}, `ready` {userId, rooms} once connected, and `error` {code, message, details?} (the socket stays open).

Close codes: 4001 bad token (also when the account's tokens are revoked: password change or reset, a reused
refresh token), 4003 banned or deleted account, 4008 not reading its frames, 4029 too many frames,
1009 frame too large.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pydantic import Field, ValidationError, model_validator

from realtime.wsbase import BoundedSocket, TokenBucket
from syncode.clock import iso, utcnow
from syncode.context import Context
from syncode.enums import CloseCode
from syncode.errors import Conflict, DomainError, Forbidden, RateLimited, Unauthorized, ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.common import ApiModel
from syncode.rooms.rules import member
from syncode.services.auth import Principal
from syncode.services.presence import Presence

log = logging.getLogger("syncode.events")

ACCOUNT_GONE = {"user.banned": "account banned", "user.deleted": "account deleted"}
# Only these reach clients; everything else on the bus (collab.*, user.*) is internal.
PUBLIC_PREFIXES = (
    "room.",
    "participant.",
    "role_swap.",
    "run.",
    "submission.",
    "analysis.",
    "ai.",
    "recording.",
    "report.",
    "hint.",
    "chat.",
    "match.",
)
# Membership changes start or end subscriptions; they are never forwarded themselves.
MEMBERSHIP = {"room.membership": "removed", "room.finished": "finished"}


def encode(type_: str, data: Any, room_id: str | None = None, at: datetime | None = None) -> bytes:
    frame: dict[str, Any] = {"type": type_}
    if room_id:
        frame["roomId"] = room_id
    frame.update(data=data, at=iso(at or utcnow()))
    return json.dumps(frame, separators=(",", ":"), default=str).encode()


def error_frame(exc: DomainError, room_id: str | None) -> bytes:
    data: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.details:
        data["details"] = exc.details
    if isinstance(exc, RateLimited):
        data["retryAfter"] = exc.retry_after
    return encode("error", data, room_id)


class ClientFrame(ApiModel):
    type: str
    room_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _room_id_from_data(self) -> ClientFrame:
        if not self.room_id and isinstance(self.data.get("roomId"), str):
            self.room_id = self.data["roomId"]
        return self

    @property
    def room(self) -> str:
        if not self.room_id:
            raise ValidationFailed("roomId is required", details={"roomId": "required"})
        return self.room_id


class EventHub:
    """Event sockets indexed by room and by user: one bus event costs one encode plus a set lookup."""

    def __init__(self, bus: EventBus, presence: Presence) -> None:
        self.presence = presence
        self._by_room: dict[str, set[EventSocket]] = defaultdict(set)
        self._by_user: dict[str, set[EventSocket]] = defaultdict(set)
        self.removals = 0  # bumped on every loss of membership, so an access check racing with one is redone
        self._unsubscribe_bus = bus.subscribe("", self.dispatch)

    @property
    def connections(self) -> int:
        return sum(len(sockets) for sockets in self._by_user.values())

    def add(self, socket: EventSocket) -> None:
        self._by_user[socket.user_id].add(socket)
        self.presence.online(socket.user_id)

    def remove(self, socket: EventSocket) -> None:
        for room_id in list(socket.rooms):
            self.leave(socket, room_id)
        if socket in self._by_user.get(socket.user_id, ()):  # removal runs twice for a socket we shut
            _discard(self._by_user, socket.user_id, socket)
            self.presence.offline(socket.user_id)

    def join(self, socket: EventSocket, room_id: str) -> None:
        if room_id not in socket.rooms:
            socket.rooms.add(room_id)
            self._by_room[room_id].add(socket)
            self.presence.connected(room_id, socket.user_id)

    def leave(self, socket: EventSocket, room_id: str) -> None:
        if room_id in socket.rooms:
            socket.rooms.discard(room_id)
            _discard(self._by_room, room_id, socket)
            self.presence.disconnected(room_id, socket.user_id)

    def dispatch(self, event: Event) -> None:
        if event.type in MEMBERSHIP:
            self._membership(event)
        elif event.type in ACCOUNT_GONE:
            for socket in list(self._by_user.get(event.data["userId"], ())):
                socket.shut(CloseCode.not_allowed, ACCOUNT_GONE[event.type])
        elif event.type == "user.tokens_revoked":
            for socket in list(self._by_user.get(event.data["userId"], ())):
                if socket.generation < event.data["generation"]:
                    socket.shut(CloseCode.bad_token, "token revoked; sign in or refresh again")
        elif event.type.startswith(PUBLIC_PREFIXES):
            targets = self._targets(event)
            if targets:
                payload = encode(event.type, event.data, event.room_id, event.at)
                for socket in targets:
                    socket.send(payload)

    def _targets(self, event: Event) -> list[EventSocket]:
        if event.room_id is None:
            return [s for user_id in event.user_ids for s in self._by_user.get(user_id, ())]
        sockets = self._by_room.get(event.room_id, ())
        return [s for s in sockets if s.user_id in event.user_ids] if event.user_ids else list(sockets)

    def _membership(self, event: Event) -> None:
        """Synchronous on purpose: a removed user gets nothing published after the removal, and a user who
        joins a room from another tab follows its events from the next one on."""
        if event.type == "room.membership" and event.data.get("member", False):
            for socket in list(self._by_user.get(event.data["userId"], ())):
                if event.room_id not in socket.rooms:
                    self.join(socket, event.room_id)
                    socket.send(encode("subscribed", {"reason": "joined"}, event.room_id))
            return
        self.removals += 1
        for socket in self._targets(event):
            self.leave(socket, event.room_id)
            socket.send(encode("unsubscribed", {"reason": MEMBERSHIP[event.type]}, event.room_id))

    def close(self) -> None:
        self._unsubscribe_bus()
        for sockets in list(self._by_user.values()):
            for socket in list(sockets):
                socket.shut(CloseCode.shutdown, "server shutting down")


def _discard(index: dict[str, set[EventSocket]], key: str, socket: EventSocket) -> None:
    sockets = index.get(key)
    if sockets is not None:
        sockets.discard(socket)
        if not sockets:
            del index[key]


class EventSocket(BoundedSocket):
    def initialize(self, ctx: Context, hub: EventHub) -> None:
        self.ctx = ctx
        self.hub = hub
        self.principal: Principal | None = None
        self.rooms: set[str] = set()
        self.rate = TokenBucket(ctx.settings.events_messages_per_sec)
        self.commands: dict[str, Callable[[ClientFrame], Awaitable[None]]] = {
            "ping": self._ping,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "chat.send": self._chat,
        }

    @property
    def user_id(self) -> str:
        assert self.principal is not None
        return self.principal.id

    @property
    def generation(self) -> int:
        assert self.principal is not None
        return self.principal.generation

    @property
    def max_message_size(self) -> int:  # Tornado closes with 1009 above this: room for the longest chat message
        return 4 * self.ctx.settings.chat_max_chars + 4096

    async def open(self) -> None:
        self.set_nodelay(True)  # see BoundedSocket
        try:
            self.principal = await self.ctx.auth.authenticate(self.get_query_argument("token", ""))
        except (Unauthorized, Forbidden) as exc:
            self.close(CloseCode.bad_token if isinstance(exc, Unauthorized) else CloseCode.not_allowed, exc.message)
            return
        if self.closed:
            return
        self.hub.add(self)
        room_ids = await self._checked(lambda: self.ctx.rooms.rooms_of(self.user_id))
        if self.closed:
            return
        for room_id in room_ids:
            self.hub.join(self, room_id)
        self.send(encode("ready", {"userId": self.user_id, "rooms": sorted(self.rooms)}))

    async def _checked(self, check: Callable[[], Awaitable[Any]]) -> Any:
        """Run a membership check again if someone lost a room meanwhile, so no removal slips past it."""
        while True:
            seen = self.hub.removals
            result = await check()
            if seen == self.hub.removals:
                return result

    async def on_message(self, message: str | bytes) -> None:
        if self.principal is None or self.closed:
            return
        if not self.rate.take():
            self.shut(CloseCode.too_much, "too many messages")
            return
        frame = None
        try:
            frame = self._parse(message)
            command = self.commands.get(frame.type)
            if command is None:
                raise ValidationFailed(f"unknown frame type {frame.type!r}", details={"type": "unknown"})
            await command(frame)
        except DomainError as exc:
            self.send(error_frame(exc, frame.room_id if frame else None))

    @staticmethod
    def _parse(message: str | bytes) -> ClientFrame:
        try:
            return ClientFrame.model_validate_json(message)
        except ValidationError as exc:
            # Bad JSON says why (nested over 200 levels deep, a number over 4300 digits, a syntax error).
            first = exc.errors()[0]
            reason = first["msg"] if first["type"] == "json_invalid" else "invalid"
            raise ValidationFailed(
                "frames are JSON objects {type, roomId?, data?}", details={"frame": reason}
            ) from None

    async def _ping(self, frame: ClientFrame) -> None:
        self.send(encode("pong", frame.data))

    async def _subscribe(self, frame: ClientFrame) -> None:
        room_id = frame.room
        await self._checked(lambda: self._check_member(room_id))
        if not self.closed:
            self.hub.join(self, room_id)
            self.send(encode("subscribed", {}, room_id))

    async def _check_member(self, room_id: str) -> None:
        assert self.principal is not None
        room, _ = await self.ctx.rooms.access(self.principal, room_id)
        if member(room, self.user_id) is None:  # admins may view any room, but only members get its events
            raise Forbidden("only participants of a room receive its events", "FORBIDDEN")
        if room["status"] == "finished":
            raise Conflict("this room has finished", "ROOM_FINISHED")

    async def _unsubscribe(self, frame: ClientFrame) -> None:
        room_id = frame.room
        self.hub.leave(self, room_id)
        self.send(encode("unsubscribed", {"reason": "requested"}, room_id))

    async def _chat(self, frame: ClientFrame) -> None:
        assert self.principal is not None
        text = frame.data.get("text")
        if not isinstance(text, str):
            raise ValidationFailed("text is required", details={"text": "required"})
        await self.ctx.chat.send(self.principal, frame.room, text)

    def send(self, payload: bytes) -> None:
        self.send_frame(payload, binary=False)  # bytes go out as a text frame, encoded once for all sockets

    def on_slow_reader(self) -> None:
        self.shut(CloseCode.slow_reader, "not reading events fast enough")

    def shut(self, code: int, reason: str) -> None:
        """Stop all deliveries now, and handle no more frames; the close handshake may take a while longer."""
        self.closed = True
        self.hub.remove(self)
        self.close(code, reason)

    def on_close(self) -> None:
        self.closed = True
        if self.principal is not None:
            self.hub.remove(self)


def event_routes(hub: EventHub) -> list[tuple[str, type, dict[str, Any]]]:
    return [("/api/ws", EventSocket, {"hub": hub})]
