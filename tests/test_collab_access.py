"""Who may be in a room's collab document is decided at connect time from the room and the account as they are
now: a collab token issued a moment before a kick, a leave, a ban or an account deletion no longer connects."""

from __future__ import annotations

import asyncio

from tests.collab.yclient import YClient
from tests.conftest import Api, make_admin
from tests.test_events import room_with, uid

REFUSED = 4003


async def fresh_token(api: Api, room_id: str, user: dict) -> str:
    r = await api.get(f"/api/rooms/{room_id}", token=user["accessToken"])
    assert r.status == 200, r.body
    return r.json["collab"]["token"]


async def connect_code(server, room_id: str, token: str) -> int | None:
    """The close code the server answers a connection with (None: it stayed open and synced)."""
    client = await YClient.connect(server.url, room_id, token)
    try:
        code, _ = await client.wait_closed(timeout=3)
        return code
    except TimeoutError:
        assert client.synced.is_set()
        return None
    finally:
        client.connection.close()


async def test_a_member_connects(server, api: Api) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    assert await connect_code(server, room["id"], await fresh_token(api, room["id"], candidate)) is None


async def test_token_fetched_just_before_a_kick_is_refused(server, api: Api) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    token = await fresh_token(api, room["id"], candidate)  # same second as the kick
    r = await api.delete(f"/api/rooms/{room['id']}/participants/{uid(candidate)}", token=host["accessToken"])
    assert r.status == 204
    assert await connect_code(server, room["id"], token) == REFUSED


async def test_token_fetched_just_before_leaving_is_refused(server, api: Api) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    token = await fresh_token(api, room["id"], candidate)
    assert (await api.post(f"/api/rooms/{room['id']}/leave", token=candidate["accessToken"])).status == 204
    assert await connect_code(server, room["id"], token) == REFUSED


async def test_token_fetched_just_before_a_ban_is_refused(server, api: Api) -> None:
    admin, host, candidate = await make_admin(server, api), await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    token = await fresh_token(api, room["id"], candidate)
    r = await api.patch(f"/api/admin/users/{uid(candidate)}", {"banned": True}, token=admin["accessToken"])
    assert r.status == 200, r.body
    assert await connect_code(server, room["id"], token) == REFUSED


async def test_deleting_the_account_closes_its_socket_and_leaves_the_room(server, api: Api) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    rid = room["id"]
    token = await fresh_token(api, rid, candidate)
    watcher = await YClient.connect(server.url, rid, await fresh_token(api, rid, host))
    doomed = await YClient.connect(server.url, rid, token)
    await asyncio.wait_for(doomed.synced.wait(), 5)
    r = await api.delete("/api/users/me", {"password": candidate["password"]}, token=candidate["accessToken"])
    assert r.status == 204
    code, _ = await doomed.wait_closed()
    assert code in (4002, REFUSED)
    doomed.text().insert(0, "written after the deletion")  # goes nowhere: the socket is closed
    await asyncio.sleep(0.3)
    assert "written after the deletion" not in str(watcher.text())
    assert await connect_code(server, rid, token) == REFUSED
    people = (await api.get(f"/api/rooms/{rid}/participants", token=host["accessToken"])).json["data"]
    assert uid(candidate) not in [p["userId"] for p in people]
    watcher.connection.close()
