"""What both WebSockets share: the origin policy, rate budgets, and sending that cannot pile up.

A client that stops reading would otherwise make the server buffer every frame meant for it, without bound.
Frames not yet handed to the kernel are counted; past the cap the socket is closed with 4008 (the stock
y-websocket client reconnects and resyncs; an event client re-reads the room).
"""

from __future__ import annotations

import asyncio
import time

import tornado.websocket

from realtime.wsframe import LeanProtocol
from syncode.enums import CloseCode


class TokenBucket:
    """`rate` units (messages, bytes) per second, in bursts of up to `capacity` (default: one second's worth)."""

    def __init__(self, rate: float, capacity: float | None = None) -> None:
        self.rate = rate
        self.capacity = rate if capacity is None else capacity
        self.tokens = float(self.capacity)
        self.stamp = time.monotonic()

    def take(self, amount: float = 1, now: float | None = None) -> bool:
        """`now`: time.monotonic(), when the caller has it already (three buckets are asked per collab frame)."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


class BoundedSocket(tornado.websocket.WebSocketHandler):
    """Subclasses turn Nagle's algorithm off as they open (Tornado leaves it on): every frame is small and
    wanted at once, and a reader that only reads acknowledges late, so Nagle would hold frames back.

    After the handshake and open(), frames travel on the event loop's transport (realtime/wsframe.py)."""

    max_pending_frames = 256  # frames waiting to be flushed before the client counts as not reading
    pending = 0
    closed = False  # no more deliveries (the close handshake may take a while longer)

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")  # on refused handshakes too, as every HTTP answer

    def check_origin(self, origin: str) -> bool:
        return True  # the token, not the origin, authorises the connection

    def get_websocket_protocol(self) -> tornado.websocket.WebSocketProtocol | None:
        standard = super().get_websocket_protocol()  # None for a version other than 13
        # No compression is offered (get_compression_options): the lean reader refuses compressed frames.
        return LeanProtocol(self, False, standard.params) if standard is not None else None

    def send_frame(self, payload: bytes, binary: bool) -> None:
        """Queue a frame; never raises, so a closed or slow socket cannot disturb whoever broadcasts."""
        connection = self.ws_connection
        if self.closed or connection is None or connection.is_closing():
            return
        if isinstance(connection, LeanProtocol) and connection.transport is not None:
            if connection.backlog() >= self.max_pending_frames:
                self.on_slow_reader()
            else:
                connection.send(payload, binary)
            return
        if self.pending >= self.max_pending_frames:
            self.on_slow_reader()
            return
        try:
            future = self.write_message(payload, binary=binary)
        except tornado.websocket.WebSocketClosedError:
            return
        self.pending += 1
        future.add_done_callback(self._written)

    def _written(self, future: asyncio.Future) -> None:
        self.pending -= 1
        if not future.cancelled():
            future.exception()  # a peer that went away mid-write is not an error worth a traceback

    def on_slow_reader(self) -> None:
        """Drop the client (subclasses also detach it from what it receives)."""
        self.closed = True
        self.close(CloseCode.slow_reader, "not reading fast enough")
