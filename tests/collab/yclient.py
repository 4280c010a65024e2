"""A y-websocket client built on pycrdt and Tornado's WebSocket client, for tests (and the benchmark)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import tornado.websocket
from pycrdt import Awareness, Doc, Text

from realtime import protocol


class YClient:
    """Keeps a Doc in sync with one room: answers the sync handshake, applies remote updates, sends local ones."""

    def __init__(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        self.connection = connection
        self.doc = Doc()
        self.awareness = Awareness(self.doc)
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.received_updates: list[bytes] = []
        self._applying_remote = False
        self.doc.observe(self._send_local_update)
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, base_url: str, room_id: str, token: str, user: dict[str, Any] | None = None) -> YClient:
        url = f"{base_url.replace('http', 'ws', 1)}/collab/{room_id}?token={token}"
        client = cls(await tornado.websocket.websocket_connect(url))
        client.send(protocol.sync_step1(client.doc.get_state()))
        if user is not None:
            client.set_presence({"user": user})
        return client

    # -- state ---------------------------------------------------------------------------------------------

    def text(self, name: str = "code:python") -> Text:
        return self.doc.get(name, type=Text)

    @property
    def peers_presence(self) -> list[dict[str, Any]]:
        return [s for cid, s in self.awareness.states.items() if cid != self.doc.client_id and s]

    def set_presence(self, state: dict[str, Any]) -> None:
        self.awareness.set_local_state(state)
        self.send(protocol.awareness(self.awareness.encode_awareness_update([self.doc.client_id])))

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    async def wait_closed(self, timeout: float = 5) -> tuple[int | None, str | None]:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.connection.close_code, self.connection.close_reason

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self.connection.close()

    # -- wire ----------------------------------------------------------------------------------------------

    def send(self, message: bytes) -> None:
        if not self.closed.is_set():
            self.connection.write_message(message, binary=True)

    def _send_local_update(self, event: Any) -> None:
        if not self._applying_remote:
            self.send(protocol.sync_update(event.update))

    async def _read(self) -> None:
        while True:
            message = await self.connection.read_message()
            if message is None:
                self.closed.set()
                return
            self._handle(protocol.parse(message))

    def _handle(self, frame: protocol.Frame) -> None:
        if frame.kind == protocol.SYNC and frame.step == protocol.STEP1:
            self.send(protocol.sync_step2(self.doc.get_update(frame.payload)))
        elif frame.is_document_update:
            self.received_updates.append(frame.payload)
            self._applying_remote = True
            try:
                self.doc.apply_update(frame.payload)
            finally:
                self._applying_remote = False
            if frame.step == protocol.STEP2:
                self.synced.set()
        elif frame.kind == protocol.AWARENESS:
            self.awareness.apply_awareness_update(frame.payload, "remote")
