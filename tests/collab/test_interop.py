"""Interop with the real JavaScript stack: stock yjs + y-websocket WebsocketProviders (Node) and a pycrdt client
editing one room together."""

from __future__ import annotations

import asyncio
import random

from tests.collab.conftest import Collab, JsClient, eventually

START = "def solve(nums):\n    return 0\n"


async def start_js(collab: Collab, js_clients: list[JsClient], room: str, user: str, role: str = "candidate"):
    client = await JsClient.start(collab.server.url, room, collab.token(room, user, role), user)
    js_clients.append(client)
    return client


async def texts(*clients) -> list[str]:
    return [await c.text() if isinstance(c, JsClient) else str(c.text()) for c in clients]


async def converged(collab: Collab, room: str, *clients) -> bool:
    seen = await texts(*clients)
    return len(set(seen)) == 1 and seen[0] == collab.plane.rooms[room].code("python")


async def test_two_js_clients_and_a_python_client_converge(collab: Collab, js_clients: list[JsClient]):
    room = await collab.create(initialContent={"python": START})
    alice, bob = await start_js(collab, js_clients, room, "alice"), await start_js(collab, js_clients, room, "bob")
    carol = await collab.connect(room, "carol")
    rng = random.Random(7)

    for turn in range(40):  # each round: all three edit at once, none waiting for the others' changes
        length = len(START) + turn
        await asyncio.gather(
            alice.call("insert", index=rng.randrange(length), value=f"<a{turn}>"),
            bob.call("delete", index=rng.randrange(length), length=2)
            if turn % 3 == 0
            else bob.call("insert", index=rng.randrange(length), value=f"<b{turn}>"),
        )
        code = carol.text()
        if turn % 4 == 0:
            del code[rng.randrange(len(code) - 1)]
        else:
            code.insert(rng.randrange(len(code)), f"<c{turn}>")

    await eventually(lambda: converged(collab, room, alice, bob, carol), timeout=10)
    final = (await texts(alice))[0]
    assert "<a39>" in final and "<c39>" in final and len(final) > len(START) + 100


async def test_everyone_sees_everyone_elses_presence(collab: Collab, js_clients: list[JsClient]):
    room = await collab.create()
    alice, bob = await start_js(collab, js_clients, room, "alice"), await start_js(collab, js_clients, room, "bob")
    carol = await collab.connect(room, "carol")
    await alice.call("awareness", cursor={"anchor": 1, "head": 4})

    async def seen_by(client: JsClient) -> set[str]:
        return {s["user"]["id"] for s in (await client.call("states"))["states"] if "user" in s}

    await eventually(lambda: _eq(seen_by(alice), {"bob", "carol"}))
    await eventually(lambda: _eq(seen_by(bob), {"alice", "carol"}))
    await eventually(lambda: {s["user"]["id"] for s in carol.peers_presence} == {"alice", "bob"})
    await eventually(lambda: any(s.get("cursor") == {"anchor": 1, "head": 4} for s in carol.peers_presence))
    await bob.call("disconnect")
    await eventually(lambda: {s["user"]["id"] for s in carol.peers_presence} == {"alice"})


async def test_observer_edits_never_reach_anyone(collab: Collab, js_clients: list[JsClient]):
    room = await collab.create(initialContent={"python": START})
    alice = await start_js(collab, js_clients, room, "alice")
    carol = await collab.connect(room, "carol")
    watcher = await start_js(collab, js_clients, room, "watcher", role="observer")
    await watcher.call("insert", index=0, value="OBSERVER")
    await alice.call("insert", index=0, value="# alice\n")
    await eventually(lambda: str(carol.text()).startswith("# alice\n"))
    await eventually(lambda: _contains(watcher.text(), "# alice\n"))  # it still receives the others' edits
    assert all("OBSERVER" not in text for text in await texts(alice, carol))
    assert "OBSERVER" not in collab.plane.rooms[room].code("python")
    await eventually(lambda: any(s["user"]["id"] == "watcher" for s in carol.peers_presence))


async def test_lock_and_unlock_with_stock_clients(collab: Collab, js_clients: list[JsClient]):
    room = await collab.create(initialContent={"python": "x"})
    alice, bob = await start_js(collab, js_clients, room, "alice"), await start_js(collab, js_clients, room, "bob")
    carol = await collab.connect(room, "carol")
    await collab.plane.set_locked(room, True)
    await alice.call("insert", index=0, value="LOCKED")
    carol.text().insert(0, "ALSO")
    await asyncio.sleep(0.3)
    assert await texts(bob) == ["x"] and collab.plane.rooms[room].code("python") == "x"

    await collab.plane.set_locked(room, False)
    await bob.call("insert", index=1, value="OPEN")
    await eventually(lambda: _eq(texts(bob, carol), ["xOPEN", "ALSOxOPEN"]))  # the dropped edit stayed local
    assert collab.plane.rooms[room].code("python") == "xOPEN"
    # An edit typed while locked resurfaces with its author's next edit, now that editing is allowed again.
    await alice.call("insert", index=0, value="!")
    await eventually(lambda: converged(collab, room, alice, bob))
    assert (await texts(bob))[0] == "!LOCKEDxOPEN"


async def test_stock_client_sees_kick_then_refusal(collab: Collab, js_clients: list[JsClient]):
    room = await collab.create()
    bob = await start_js(collab, js_clients, room, "bob")
    assert await collab.plane.kick(room, "bob") == 1
    await bob.wait_event(lambda e: e.get("event") == "close" and e["code"] == 4002)
    # y-websocket reconnects on its own with the same token: refused
    await bob.wait_event(lambda e: e.get("event") == "close" and e["code"] == 4003)


async def _eq(awaitable, expected) -> bool:
    return await awaitable == expected


async def _contains(awaitable, part: str) -> bool:
    return part in await awaitable
