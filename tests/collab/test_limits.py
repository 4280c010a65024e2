"""What one participant may send: bytes per second per connection and per room, and the size of a document.

Past a budget the sender's socket closes with 4029, past the document cap with 4013; nothing of a refused update
is stored. An attacker flooding megabyte updates leaves other rooms and the API answering as usual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import tornado.websocket
from pycrdt import Doc, Text

from realtime import protocol
from run import Server
from syncode.enums import CloseCode
from tests.collab.conftest import Collab, eventually
from tests.conftest import Api

KB = 1024


@pytest.fixture(scope="module")
async def server(make_server) -> AsyncIterator[Server]:
    srv = await make_server(
        collab_max_message_bytes=48 * KB,  # a connection's burst
        collab_bytes_per_sec=64 * KB,
        collab_room_bytes_per_sec=4 * KB,  # a room's burst: two largest messages (96 kB)
    )
    yield srv
    await srv.stop()


def insertion(size: int, fill: str = "x") -> bytes:
    """A valid Yjs update inserting `size` characters into code:python, from a client of its own."""
    doc = Doc()
    doc.get("code:python", type=Text).insert(0, fill * size)
    return doc.get_update()


async def stored_bytes(collab: Collab, room: str) -> int:
    await collab.plane.update_log.drain()
    return sum([len(u["update"]) async for u in collab.plane.update_log.updates.find({"roomId": room})])


async def test_a_connection_over_its_byte_budget_is_closed(collab: Collab) -> None:
    room = await collab.create()
    client = await collab.connect(room)
    client.send(protocol.sync_update(insertion(30 * KB)))  # within the 48 kB burst
    client.send(protocol.sync_update(insertion(30 * KB, "y")))  # 18 kB left
    code, reason = await client.wait_closed()
    assert (code, reason) == (CloseCode.too_much, "too much data: slow down")
    assert 30 * KB < await stored_bytes(collab, room) < 40 * KB  # the first only


async def test_a_room_over_its_byte_budget_closes_the_sender(collab: Collab) -> None:
    room = await collab.create()
    first, second = await collab.connect(room, "first"), await collab.connect(room, "second")
    first.send(protocol.sync_update(insertion(40 * KB)))
    second.send(protocol.sync_update(insertion(40 * KB, "y")))
    await eventually(lambda: len(first.received_updates) == 1)
    await asyncio.sleep(1)  # the connection's budget is whole again; the room's has 4 kB more
    first.send(protocol.sync_update(insertion(40 * KB, "z")))
    assert (await first.wait_closed())[0] == CloseCode.too_much
    assert not second.closed.is_set(), second.connection.close_code


async def test_an_update_past_the_document_cap_is_refused(make_server) -> None:
    server = await make_server(
        collab_max_message_bytes=48 * KB, collab_bytes_per_sec=1024 * KB, collab_max_document_bytes=64 * KB
    )
    collab = Collab(server, Api(server.url))
    room = await collab.create()
    writer, reader = await collab.connect(room, "writer"), await collab.connect(room, "reader")
    writer.send(protocol.sync_update(insertion(40 * KB)))
    await eventually(lambda: len(str(reader.text())) == 40 * KB)
    await asyncio.sleep(0.2)  # the byte budget refills: only the document's size stands in the way
    writer.send(protocol.sync_update(insertion(40 * KB, "y")))
    code, reason = await writer.wait_closed()
    assert code == CloseCode.document_too_large and "may not grow" in reason
    assert "y" not in str(reader.text()) and not reader.closed.is_set()
    assert await stored_bytes(collab, room) < 48 * KB
    collab.close_all()
    await server.stop()


async def test_megabyte_floods_leave_other_rooms_and_the_api_responsive(make_server) -> None:
    """The reported attack: ~1 MB updates as fast as the socket takes them, reconnecting whenever closed.
    Meanwhile another room's edits and /api/health keep their usual latency, and the flooded document stays
    within its cap."""
    server = await make_server()
    collab, api = Collab(server, Api(server.url)), Api(server.url)
    flooded, quiet = await collab.create(), await collab.create()
    closes: list[int | None] = []

    async def attacker() -> None:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            client = await collab.connect(flooded, "mallory", sync=False)
            try:
                while not client.closed.is_set() and time.monotonic() < deadline:
                    client.send(protocol.sync_update(insertion(1000 * KB)))
                    await asyncio.sleep(0.01)
            except tornado.websocket.WebSocketClosedError:
                pass
            closes.append((await client.wait_closed())[0] if client.closed.is_set() else None)
            client.close()

    writer, reader = await collab.connect(quiet, "writer"), await collab.connect(quiet, "reader")
    health, relay = [], []

    async def bystander() -> None:
        for index in range(20):
            started = time.monotonic()
            assert (await api.get("/api/health")).status in (200, 503)
            health.append(time.monotonic() - started)
            started = time.monotonic()
            writer.text().insert(0, f"{index};")
            await eventually(lambda index=index: f"{index};" in str(reader.text()))
            relay.append(time.monotonic() - started)
            await asyncio.sleep(0.25)

    await asyncio.gather(attacker(), bystander())
    assert CloseCode.too_much in closes or CloseCode.document_too_large in closes
    assert max(health) < 1.0 and max(relay) < 1.0, (health, relay)
    assert (await api.get("/api/health")).status == 200
    assert await stored_bytes(collab, flooded) <= server.settings.collab_max_document_bytes + 1024 * KB
    collab.close_all()
    await server.stop()
