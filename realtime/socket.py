"""The collab WebSocket, `/collab/{roomId}?token=<collab token>`: one connection of one user to one room."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import tornado.websocket

from realtime import protocol
from realtime.plane import CollabService, Rejected
from realtime.protocol import ProtocolError
from realtime.room import Room
from realtime.store import StorageUnavailable
from syncode.context import Context

log = logging.getLogger("syncode.collab")


class MessageRate:
    """Token bucket: `rate` messages per second, bursts of up to one second's worth."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.tokens = float(rate)
        self.stamp = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class CollabSocket(tornado.websocket.WebSocketHandler):
    def initialize(self, ctx: Context, plane: CollabService) -> None:
        self.plane = plane
        self.presence = ctx.presence
        self.settings_ = ctx.settings
        self.room: Room | None = None
        self.user_id = self.role = self.jti = ""
        self.close_reason_tag = "closed"
        self.rate = MessageRate(ctx.settings.collab_messages_per_sec)

    @property
    def max_message_size(self) -> int:  # Tornado closes with 1009 above this
        return self.settings_.collab_max_message_bytes

    def check_origin(self, origin: str) -> bool:
        return True  # the token, not the origin, authorises the connection

    async def open(self, roomId: str) -> None:
        token = self.get_query_argument("token", "")
        try:
            self.room = await self.plane.join(roomId, token, self._adopt)
        except Rejected as exc:
            self.close_with(exc.code, exc.reason)
            return
        self.presence.connected(roomId, self.user_id)

    def _adopt(self, claims: dict[str, Any]) -> CollabSocket:
        self.user_id, self.role, self.jti = claims["sub"], claims["role"], claims.get("jti", "")
        return self

    async def on_message(self, message: str | bytes) -> None:
        if self.room is None:
            return
        if not self.rate.allow():
            self._drop(4029, "too many messages", "rate_limited")
            return
        if isinstance(message, str):
            self._drop(1003, "binary y-protocols frames only", "protocol_error")
            return
        try:
            await self.room.handle(self, protocol.parse(message))
        except ProtocolError as exc:
            self._drop(1002, str(exc), "protocol_error")
        except StorageUnavailable:
            # Not stored, so not applied: the client resends it when it resyncs after reconnecting.
            self._drop(1011, "storage unavailable", "server_error")

    def _drop(self, code: int, reason: str, tag: str) -> None:
        self.close_with(code, reason, tag)
        if self.room:
            self.room.remove(self)

    # -- Peer ------------------------------------------------------------------------------------------

    def send(self, message: bytes) -> None:
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        try:
            self.write_message(message, binary=True).add_done_callback(_consume_error)
        except tornado.websocket.WebSocketClosedError:
            pass

    def close_with(self, code: int, reason: str, tag: str | None = None) -> None:
        self.close_reason_tag = tag or _TAGS.get(code, "closed")
        self.close(code, reason[:120])

    def on_close(self) -> None:
        if self.room is not None:
            self.plane.leave(self.room, self, self.close_reason_tag)
            self.presence.disconnected(self.room.room_id, self.user_id)


_TAGS = {4002: "kicked", 4003: "room_closed", 4009: "replaced", 1001: "server_shutdown"}


def _consume_error(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()  # a peer that went away mid-write is not an error worth a traceback


def collab_routes(plane: CollabService) -> list[tuple[str, type, dict[str, Any]]]:
    return [("/collab/{roomId}", CollabSocket, {"plane": plane})]
