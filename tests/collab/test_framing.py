"""The collab socket's WebSocket framing (realtime/wsframe.py) on the wire: a raw TCP client speaking RFC 6455."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from urllib.parse import urlsplit

from pycrdt import Doc, Text

from realtime import protocol
from tests.collab.conftest import Collab


class RawSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, collab: Collab, room: str) -> RawSocket:
        url = urlsplit(collab.server.url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /collab/{room}?token={collab.token(room, 'raw')} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    def send(self, opcode: int, payload: bytes, final: bool = True, rsv: int = 0) -> None:
        """A masked frame, as a client must send (lengths up to 64 KiB)."""
        mask = os.urandom(4)
        length = bytes([0x80 | len(payload)]) if len(payload) < 126 else struct.pack("!BH", 0x80 | 126, len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(bytes([(0x80 if final else 0) | rsv | opcode]) + length + mask + masked)

    async def frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return first & 0x0F, await self.reader.readexactly(length)

    async def until(self, opcode: int, first_byte: int | None = None) -> bytes:
        while True:
            got, payload = await asyncio.wait_for(self.frame(), 5)
            if got == opcode and (first_byte is None or payload[:2] == bytes([0, first_byte])):
                return payload


async def test_fragments_pings_and_a_close_are_answered_in_order(collab: Collab):
    room = await collab.create(initialContent={"python": "x = 1\n"})
    raw = await RawSocket.open(collab, room)
    assert (await raw.until(0x2))[:2] == bytes([protocol.SYNC, protocol.STEP1])  # the server's handshake first
    step1 = protocol.sync_step1(Doc().get_state())
    raw.send(0x2, step1[:2], final=False)  # one message in two fragments, a ping between them
    raw.send(0x9, b"are you there")
    raw.send(0x0, step1[2:])
    assert await raw.until(0xA) == b"are you there"
    reply = protocol.parse(await raw.until(0x2, protocol.STEP2))
    doc = Doc()
    doc.apply_update(reply.payload)
    assert str(doc.get("code:python", type=Text)) == "x = 1\n"
    raw.send(0x8, struct.pack("!H", 1000) + b"bye")
    assert (await raw.until(0x8))[:2] == struct.pack("!H", 1000)  # echoed, then the server hangs up
    assert await asyncio.wait_for(raw.reader.read(), 5) == b""


async def test_a_frame_larger_than_the_message_cap_closes_1009(collab: Collab):
    room = await collab.create()
    raw = await RawSocket.open(collab, room)
    cap = collab.server.settings.collab_max_message_bytes
    raw.writer.write(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", cap + 1) + os.urandom(4))  # the header alone
    assert (await raw.until(0x8))[:2] == struct.pack("!H", 1009)
    assert await asyncio.wait_for(raw.reader.read(), 5) == b""


async def test_reserved_bits_drop_the_connection(collab: Collab):
    room = await collab.create()
    raw = await RawSocket.open(collab, room)
    raw.send(0x2, protocol.query_awareness(), rsv=0x40)  # compressed, which was never agreed
    data = await asyncio.wait_for(raw.reader.read(), 5)
    while data:
        data = await asyncio.wait_for(raw.reader.read(), 5)
    assert data == b""
