"""The collab WebSocket with Python (pycrdt) clients: sync, persistence, read-only rules and every close code."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
from pycrdt import Map

from realtime import protocol
from realtime.socket import CollabSocket
from syncode.collab import UserDisconnected
from tests.collab.conftest import Collab, eventually
from tests.conftest import silent_websocket


async def test_clients_sync_through_the_server(collab: Collab):
    room = await collab.create(initialContent={"python": "print(1)\n"})
    alice = await collab.connect(room)
    assert str(alice.text()) == "print(1)\n"
    bob = await collab.connect(room)
    alice.text().insert(0, "# a\n")
    bob.text().insert(len(bob.text()), "# b\n")
    await eventually(lambda: str(alice.text()) == str(bob.text()) == "# a\nprint(1)\n# b\n")


async def test_document_survives_unload_and_compaction(collab: Collab):
    room = await collab.create()
    writer = await collab.connect(room)
    for i in range(45):  # more than collab_compact_updates: the log is folded into a snapshot on the way
        writer.text().insert(len(writer.text()), f"{i},")
    expected = "".join(f"{i}," for i in range(45))
    await eventually(lambda: collab.plane.rooms[room].applied_seq >= 45)
    writer.close()
    await eventually(lambda: room not in collab.plane.rooms)  # unloaded (collab_unload_seconds=0)

    async def log_folded() -> bool:  # unloading compacts on its way out, just after leaving the registry
        return await collab.plane.update_log.updates.count_documents({"roomId": room}) == 0

    await eventually(log_folded)
    reader = await collab.connect(room)
    assert str(reader.text()) == expected


async def test_the_relayed_update_is_the_logged_one(collab: Collab):
    room = await collab.create()
    writer, reader = await collab.connect(room), await collab.connect(room)
    writer.text().insert(0, "logged first")
    await eventually(lambda: str(reader.text()) == "logged first")
    await collab.plane.update_log.drain()  # journaled before the relay; in MongoDB a batch later
    logged = [u async for u in collab.plane.update_log.updates.find({"roomId": room})]
    assert [bytes(u["update"]) for u in logged] == reader.received_updates[-1:]


async def test_presence_is_shared_and_removed_on_close(collab: Collab):
    room = await collab.create()
    alice = await collab.connect(room, "alice")
    bob = await collab.connect(room, "bob")
    await eventually(lambda: [s["user"]["id"] for s in alice.peers_presence] == ["bob"])
    bob.set_presence({"user": {"id": "bob", "name": "Bob", "color": "#f00"}, "cursor": {"anchor": 3}})
    await eventually(lambda: alice.peers_presence and alice.peers_presence[0].get("cursor") == {"anchor": 3})
    bob.close()
    await eventually(lambda: alice.peers_presence == [])


async def test_query_awareness_returns_current_states(collab: Collab):
    room = await collab.create()
    await collab.connect(room, "alice")
    bob = await collab.connect(room, "bob")
    bob.awareness = type(bob.awareness)(bob.doc)  # forget what was pushed, then ask
    bob.send(protocol.query_awareness())
    await eventually(lambda: [s["user"]["id"] for s in bob.peers_presence] == ["alice"])


async def test_observer_updates_are_dropped_but_presence_works(collab: Collab):
    room = await collab.create(initialContent={"python": "base"})
    editor = await collab.connect(room, "editor")
    observer = await collab.connect(room, "watcher", role="observer")
    observer.text().insert(0, "observer was here ")
    observer.set_presence({"user": {"id": "watcher"}, "cursor": {"anchor": 1}})
    await eventually(lambda: any(s.get("cursor") for s in editor.peers_presence))
    editor.text().insert(4, "!")
    await eventually(lambda: str(observer.text()).endswith("base!"))
    assert str(editor.text()) == "base!"
    assert collab.plane.rooms[room].code("python") == "base!"
    await collab.plane.update_log.drain()
    assert await collab.plane.update_log.updates.count_documents({"roomId": room}) == 1  # the editor's only


async def test_lock_makes_everyone_read_only_until_unlocked(collab: Collab):
    room = await collab.create(initialContent={"python": "x"})
    alice, bob = await collab.connect(room), await collab.connect(room)
    await collab.plane.set_locked(room, True)
    alice.text().insert(0, "locked ")
    await asyncio.sleep(0.2)
    assert str(bob.text()) == "x" and collab.plane.rooms[room].code("python") == "x"
    await collab.plane.set_locked(room, False)
    bob.text().insert(1, "y")
    await eventually(lambda: collab.plane.rooms[room].code("python") == "xy")
    # alice's next edit builds on the one the lock dropped: the server asks her for it, and now accepts it
    alice.text().insert(len(alice.text()), "z")
    await eventually(lambda: str(alice.text()) == str(bob.text()) == "locked xyz")
    assert collab.plane.rooms[room].code("python") == "locked xyz"


# -- close codes ---------------------------------------------------------------------------------------------


async def test_bad_token_closes_4001(collab: Collab):
    room = await collab.create()
    expired = jwt.encode(
        {
            "sub": "u",
            "typ": "collab",
            "roomId": room,
            "role": "candidate",
            "iat": int(time.time()) - 100,
            "exp": int(time.time()) - 10,
        },
        collab.server.settings.collab_jwt_secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {
            "sub": "u",
            "typ": "collab",
            "roomId": room,
            "role": "candidate",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "x" * 48,
        algorithm="HS256",
    )
    for token in ("", "garbage", expired, forged):
        client = await collab.connect(room, token=token or "x", sync=False)
        assert (await client.wait_closed())[0] == 4001


async def test_token_for_another_room_or_role_closes_4003(collab: Collab):
    room, other = await collab.create(), await collab.create()
    for token in (collab.token(other, "u1"), collab.token(room, "u1", role="admin")):
        client = await collab.connect(room, token=token, sync=False)
        assert (await client.wait_closed())[0] == 4003


async def test_unknown_room_closes_4004(collab: Collab):
    room = uuid.uuid4().hex
    client = await collab.connect(room, sync=False)
    assert (await client.wait_closed())[0] == 4004


async def test_destroyed_room_closes_4003(collab: Collab):
    room = await collab.create()
    client = await collab.connect(room)
    await collab.plane.destroy_document(room)
    assert (await client.wait_closed())[0] == 4003
    again = await collab.connect(room, sync=False)
    assert (await again.wait_closed())[0] == 4003


async def test_kick_closes_4002_and_blocks_the_same_token(collab: Collab):
    room = await collab.create()
    token = collab.token(room, "mallory")
    client = await collab.connect(room, token=token)
    stays = await collab.connect(room, "alice")
    assert await collab.plane.kick(room, "mallory", "be nice") == 1
    assert await client.wait_closed() == (4002, "be nice")
    retry = await collab.connect(room, token=token, sync=False)
    assert (await retry.wait_closed())[0] == 4003
    assert not stays.closed.is_set()


async def test_second_connection_of_a_user_replaces_the_first_with_4009(collab: Collab):
    room = await collab.create()
    first = await collab.connect(room, "same")
    second = await collab.connect(room, "same")
    assert (await first.wait_closed())[0] == 4009
    assert not second.closed.is_set()


async def test_message_flood_closes_4029(collab: Collab):
    room = await collab.create()
    client = await collab.connect(room)
    for _ in range(200):  # the test server allows 50 messages per second
        client.send(protocol.query_awareness())
    assert (await client.wait_closed())[0] == 4029


async def test_message_over_the_limit_closes_1009(collab: Collab):
    room = await collab.create()
    client = await collab.connect(room)
    client.send(protocol.sync_update(b"\x00" * (collab.server.settings.collab_max_message_bytes + 1)))
    assert (await client.wait_closed())[0] == 1009


async def test_malformed_frames_close_1002_and_are_not_stored(collab: Collab):
    room = await collab.create()
    for frame in (b"\x00\x02\x05\x01\x02", b"\x09", protocol.sync_update(b"\x01\x02garbage")):
        client = await collab.connect(room)
        client.send(frame)
        assert (await client.wait_closed())[0] == 1002
    await collab.plane.update_log.drain()
    assert await collab.plane.update_log.updates.count_documents({"roomId": room}) == 0


# -- changes made by the control plane ------------------------------------------------------------------------


async def test_role_change_applies_to_open_and_future_connections(collab: Collab):
    room = await collab.create(initialContent={"python": "v"})
    editor = await collab.connect(room, "editor")
    promoted = await collab.connect(room, "watcher", role="observer")
    await collab.plane.set_role(room, "watcher", "candidate")
    promoted.text().insert(1, "1")
    await eventually(lambda: str(editor.text()) == "v1")
    await collab.plane.set_role(room, "editor", "observer")
    editor.text().insert(0, "dropped ")
    await asyncio.sleep(0.2)
    assert collab.plane.rooms[room].code("python") == "v1"
    editor.close()
    again = await collab.connect(room, "editor", role="candidate")  # the override beats the token's claim
    again.text().insert(0, "still dropped ")
    await asyncio.sleep(0.2)
    assert collab.plane.rooms[room].code("python") == "v1"


async def test_replace_content_reaches_clients_and_storage(collab: Collab):
    room = await collab.create(initialContent={"python": "old starter", "go": "package old"})
    client = await collab.connect(room)
    await collab.plane.replace_content(room, {"python": "def new():\n    pass\n"})
    await eventually(lambda: str(client.text()) == "def new():\n    pass\n")
    assert str(client.text("code:go")) == "package old"
    client.close()
    await eventually(lambda: room not in collab.plane.rooms)
    reloaded = await collab.connect(room)
    assert str(reloaded.text()) == "def new():\n    pass\n"


async def test_set_language_updates_meta_and_snapshots(collab: Collab):
    room = await collab.create(initialContent={"python": "p", "go": "package main"})
    client = await collab.connect(room)
    await collab.plane.set_language(room, "go")
    await eventually(lambda: client.doc.get("meta", type=Map).get("language") == "go")
    ready = await collab.plane.request_snapshot(room, "manual", "go")
    assert (ready.language, ready.code) == ("go", "package main")


async def test_a_client_that_stops_reading_is_dropped_4008_and_the_rest_go_on(collab: Collab, monkeypatch):
    monkeypatch.setattr(CollabSocket, "max_pending_frames", 4)  # reached after a few MB rather than hundreds
    room = await collab.create()
    writer, reader = await collab.connect(room, "writer"), await collab.connect(room, "reader")
    url = f"{collab.server.url.replace('http', 'ws', 1)}/collab/{room}?token={collab.token(room, 'silent')}"
    gone: list[UserDisconnected] = []

    async def record(event: UserDisconnected) -> None:
        gone.append(event)

    unsubscribe = collab.plane.on_user_disconnected(record)
    silent = await silent_websocket(url)
    try:
        await eventually(lambda: len(collab.plane.rooms[room].peers) == 3)
        chunk = "x" * 200_000
        for _ in range(40):  # 8 MB: more than the kernel buffers the silent client's frames can sit in
            writer.text().insert(0, chunk)
            await asyncio.sleep(0.02)  # under the test server's 50 messages/s
            if len(collab.plane.rooms[room].peers) == 2:
                break
        await eventually(lambda: {p.user_id for p in collab.plane.rooms[room].peers} == {"writer", "reader"})
        await eventually(lambda: len(str(reader.text())) == len(str(writer.text())))
        await eventually(lambda: [(e.user_id, e.reason) for e in gone] == [("silent", "slow_reader")])
    finally:
        unsubscribe()
        silent.close()
