"""The collab WebSocket, `/collab/{roomId}?token=<collab token>`: one connection of one user to one room."""

from __future__ import annotations

import logging
import time
from typing import Any

from realtime import protocol
from realtime.plane import CollabService, Rejected
from realtime.protocol import ProtocolError
from realtime.room import DocumentTooLarge, Room
from realtime.updatelog import StorageUnavailable
from realtime.wsbase import BoundedSocket, TokenBucket
from syncode.context import Context
from syncode.enums import CloseCode

log = logging.getLogger("syncode.collab")


class CollabSocket(BoundedSocket):
    max_pending_frames = 1024  # updates and awareness are small and come in bursts

    def initialize(self, ctx: Context, plane: CollabService) -> None:
        self.plane = plane
        self.presence = ctx.presence
        self.settings_ = ctx.settings
        self.room: Room | None = None
        self.user_id = self.role = self.jti = ""
        self.close_reason_tag = "closed"
        self.rate = TokenBucket(ctx.settings.collab_messages_per_sec)
        self.inbound = TokenBucket(ctx.settings.collab_bytes_per_sec, ctx.settings.collab_max_message_bytes)

    @property
    def max_message_size(self) -> int:  # Tornado closes with 1009 above this
        return self.settings_.collab_max_message_bytes

    async def open(self, roomId: str) -> None:
        self.set_nodelay(True)  # see BoundedSocket
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
        now = time.monotonic()
        if not self.rate.take(1, now):
            self._drop(CloseCode.too_much, "too many messages", "rate_limited")
            return
        if not (self.inbound.take(len(message), now) and self.room.inbound.take(len(message), now)):
            self._drop(CloseCode.too_much, "too much data: slow down", "rate_limited")
            return
        if isinstance(message, str):
            self._drop(CloseCode.unsupported_data, "binary y-protocols frames only", "protocol_error")
            return
        try:
            await self.room.handle(self, protocol.parse(message))
        except ProtocolError as exc:
            self._drop(CloseCode.protocol_error, str(exc), "protocol_error")
        except DocumentTooLarge as exc:
            self._drop(CloseCode.document_too_large, str(exc), "document_too_large")
        except StorageUnavailable:
            # Not stored, so not applied: the client resends it when it resyncs after reconnecting.
            self._drop(CloseCode.server_error, "storage unavailable", "server_error")

    def _drop(self, code: int, reason: str, tag: str) -> None:
        self.close_with(code, reason, tag)
        if self.room:
            self.room.remove(self)

    # -- Peer ------------------------------------------------------------------------------------------

    def send(self, message: bytes) -> None:
        self.send_frame(message, binary=True)

    def on_slow_reader(self) -> None:
        self._drop(CloseCode.slow_reader, "not reading fast enough", "slow_reader")

    def close_with(self, code: int, reason: str, tag: str | None = None) -> None:
        self.close_reason_tag = tag or _TAGS.get(code, "closed")
        self.close(code, reason[:120])

    def on_close(self) -> None:
        if self.room is not None:
            self.plane.leave(self.room, self, self.close_reason_tag)
            self.presence.disconnected(self.room.room_id, self.user_id)


_TAGS = {
    CloseCode.kicked: "kicked",
    CloseCode.not_allowed: "room_closed",
    CloseCode.replaced: "replaced",
    CloseCode.shutdown: "server_shutdown",
}


def collab_routes(plane: CollabService) -> list[tuple[str, type, dict[str, Any]]]:
    return [("/collab/{roomId}", CollabSocket, {"plane": plane})]
