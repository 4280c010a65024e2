"""The event channel /api/ws over real WebSockets: auth, subscriptions, room events, chat, removal, presence."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import tornado.websocket

from realtime.events import EventSocket
from syncode.events import Event
from tests.collab.conftest import eventually
from tests.collab.yclient import YClient
from tests.conftest import Api, make_admin, silent_websocket

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
CHAT_BURST = 5


@pytest.fixture(scope="module")
async def server(make_server):
    # A slow refill so that the chat burst stays spent for the length of a test.
    return await make_server(max_active_rooms=1000, chat_burst=CHAT_BURST, chat_messages_per_min=1)


class EventClient:
    """One /api/ws connection; every frame received is kept, `expect` consumes them in order of arrival."""

    def __init__(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        self.connection = connection
        self.received: list[dict[str, Any]] = []
        self.unread: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, server, token: str, ready: bool = True) -> EventClient:
        url = f"{server.url.replace('http', 'ws', 1)}/api/ws?token={token}"
        client = cls(await tornado.websocket.websocket_connect(url))
        if ready:
            await client.expect("ready")
        return client

    async def _read(self) -> None:
        while (message := await self.connection.read_message()) is not None:
            frame = json.loads(message)
            assert ISO_MS_Z.match(frame["at"]), frame
            self.received.append(frame)
            self.unread.append(frame)
            self.arrived.set()
        self.arrived.set()

    def send(self, type_: str, room_id: str | None = None, **data: Any) -> None:
        frame: dict[str, Any] = {"type": type_, "data": data}
        if room_id:
            frame["roomId"] = room_id
        self.connection.write_message(json.dumps(frame))

    async def expect(
        self, type_: str, room_id: str | None = None, where: Callable[[Any], bool] = lambda d: True, timeout: float = 5
    ) -> dict[str, Any]:
        """The first unread frame of this type (and room) whose data satisfies `where`; earlier ones stay unread."""
        async with asyncio.timeout(timeout):
            while True:
                for frame in self.unread:
                    if (
                        frame["type"] == type_
                        and (room_id is None or frame.get("roomId") == room_id)
                        and where(frame["data"])
                    ):
                        self.unread.remove(frame)
                        return frame
                if self.reader.done():
                    raise AssertionError(f"closed before {type_}: {self.unread}")
                self.arrived.clear()
                await self.arrived.wait()

    async def sync(self) -> None:
        """After this, every frame the server queued for us before our ping has been received."""
        nonce = uuid.uuid4().hex
        self.send("ping", nonce=nonce)
        await self.expect("pong", where=lambda d: d == {"nonce": nonce})

    def types(self, room_id: str) -> list[str]:
        return [f["type"] for f in self.received if f.get("roomId") == room_id]

    async def closed(self, timeout: float = 5) -> int | None:
        await asyncio.wait_for(self.reader, timeout)
        return self.connection.close_code

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
async def clients():
    opened: list[EventClient] = []

    async def connect(server, user: dict, **kw: Any) -> EventClient:
        client = await EventClient.connect(server, user["accessToken"], **kw)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()


async def room_with(api: Api, host: dict, *others: tuple[dict, str], **config: Any) -> dict:
    r = await api.post(
        "/api/rooms", {"mode": "peer", "config": {"maxParticipants": 3, **config}}, token=host["accessToken"]
    )
    room = r.json
    for user, role in others:
        r = await api.post(
            "/api/rooms/join", {"inviteCode": room["inviteCode"], "role": role}, token=user["accessToken"]
        )
        assert r.status == 200, r.body
    return room


def uid(user: dict) -> str:
    return user["user"]["id"]


async def is_active(api: Api, room_id: str, viewer: dict, user: dict) -> bool:
    people = (await api.get(f"/api/rooms/{room_id}/participants", token=viewer["accessToken"])).json["data"]
    return next(p["isActive"] for p in people if p["userId"] == uid(user))


async def test_bad_tokens_are_refused(api: Api, server, clients) -> None:
    for token in ("garbage", "", (await api.register())["refreshToken"]):
        client = await EventClient.connect(server, token, ready=False)
        assert await client.closed() == 4001
        assert client.received == []
    # A banned account: its live socket closes at once, and it cannot connect again.
    admin, user = await make_admin(server, api), await api.register()
    live = await clients(server, user)
    r = await api.patch(f"/api/admin/users/{uid(user)}", {"banned": True}, token=admin["accessToken"])
    assert r.status == 200
    assert await live.closed() == 4003
    again = await EventClient.connect(server, user["accessToken"], ready=False)
    assert await again.closed() == 4003


async def test_subscribe_is_for_present_participants_only(api: Api, server, clients) -> None:
    host, stranger = await api.register(), await api.register()
    admin = await make_admin(server, api)
    room = await room_with(api, host)
    rid = room["id"]
    watcher = await clients(server, stranger)
    for client in (watcher, await clients(server, admin)):  # admins may view any room, not follow its events
        client.send("subscribe", rid)
        assert (await client.expect("error", rid))["data"]["code"] == "FORBIDDEN"
    watcher.send("subscribe", "no-such-room")
    assert (await watcher.expect("error", "no-such-room"))["data"]["code"] == "ROOM_NOT_FOUND"
    watcher.send("subscribe")
    assert (await watcher.expect("error"))["data"] == {
        "code": "VALIDATION_FAILED",
        "message": "roomId is required",
        "details": {"roomId": "required"},
    }
    watcher.send("dance")
    assert (await watcher.expect("error"))["data"]["details"] == {"type": "unknown"}
    watcher.connection.write_message("not json")
    assert (await watcher.expect("error"))["data"]["code"] == "VALIDATION_FAILED"
    # The socket survives errors, and a stranger's socket never sees the room's events.
    await api.post(f"/api/rooms/{rid}/lock", token=host["accessToken"])
    await watcher.sync()
    assert watcher.types(rid) == ["error"]


async def test_room_events_reach_subscribers(api: Api, server, clients) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host)
    rid = room["id"]
    mine = await clients(server, host)
    assert mine.received[0]["data"] == {"userId": uid(host), "rooms": [rid]}  # live rooms joined on connect
    await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=candidate["accessToken"])
    joined = await mine.expect("participant.updated", rid)
    assert joined["data"] == {"userId": uid(candidate), "role": "candidate", "joined": True}
    theirs = await clients(server, candidate)
    await mine.expect("participant.joined", rid, lambda d: d["userId"] == uid(candidate))
    for to in ("warmup", "coding"):
        await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=host["accessToken"])
        for client in (mine, theirs):
            changed = await client.expect("room.phase_changed", rid, lambda d, to=to: d["to"] == to)
            assert changed["roomId"] == rid
            detail = await client.expect("room.updated", rid, lambda d, to=to: d["status"] == to)
            assert detail["data"]["id"] == rid and detail["data"]["myCapabilities"] == []
            timer = await client.expect("room.timer", rid, lambda d, to=to: d["phase"] == to)
            assert timer["data"]["paused"] is False
    await api.post(f"/api/rooms/{rid}/lock", token=host["accessToken"])
    assert (await theirs.expect("room.editor_locked", rid))["data"] == {"by": uid(host)}
    # Unsubscribed sockets get nothing more of the room; subscribing again resumes the flow.
    theirs.send("unsubscribe", rid)
    assert (await theirs.expect("unsubscribed", rid))["data"] == {"reason": "requested"}
    await api.post(f"/api/rooms/{rid}/unlock", token=host["accessToken"])
    await mine.expect("room.editor_unlocked", rid)
    await theirs.sync()
    assert "room.editor_unlocked" not in theirs.types(rid)
    theirs.send("subscribe", rid)
    await theirs.expect("subscribed", rid)
    await api.post(f"/api/rooms/{rid}/lock", token=host["accessToken"])
    await theirs.expect("room.editor_locked", rid)
    # Internal bus traffic (collab snapshots, membership bookkeeping) never reaches clients.
    server.ctx.bus.publish(Event("collab.snapshot_ready", {"roomId": rid}, room_id=rid))
    await mine.sync()
    await theirs.sync()
    internal = [
        t
        for t in mine.types(rid) + theirs.types(rid)
        if t.startswith(("collab.", "user.")) or t in ("room.membership", "room.finished")
    ]
    assert internal == []


async def test_per_user_events_go_only_to_their_users(api: Api, server, clients) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    rid = room["id"]
    mine, theirs = await clients(server, host), await clients(server, candidate)
    server.ctx.bus.publish(Event("match.proposed", {"matchId": "m1"}, user_ids=(uid(candidate),)))
    server.ctx.bus.publish(Event("ai.message", {"id": "a1"}, room_id=rid, user_ids=(uid(host),)))
    assert (await theirs.expect("match.proposed"))["data"] == {"matchId": "m1"}
    assert (await mine.expect("ai.message", rid))["data"] == {"id": "a1"}
    for client in (mine, theirs):
        await client.sync()
    assert "match.proposed" not in [f["type"] for f in mine.received]
    assert "ai.message" not in theirs.types(rid)


async def test_chat_is_stored_broadcast_and_limited(api: Api, server, clients) -> None:
    host, candidate, stranger = await api.register(), await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    rid = room["id"]
    mine, theirs = await clients(server, host), await clients(server, candidate)
    mine.send("chat.send", rid, text="hello there")
    for client in (mine, theirs):
        message = await client.expect("chat.message", rid)
    data = message["data"]
    assert {k: data[k] for k in ("roomId", "userId", "username", "text")} == {
        "roomId": rid,
        "userId": uid(host),
        "username": host["user"]["username"],
        "text": "hello there",
    }
    stored = await server.db.chatMessages.find_one({"_id": data["id"]})
    assert stored["roomId"] == rid and stored["text"] == "hello there" and stored["userId"] == uid(host)
    # roomId may also travel inside data.
    theirs.send("chat.send", roomId=rid, text="hi")
    await mine.expect("chat.message", rid, lambda d: d["text"] == "hi")
    for text, field_error in (("x" * 2001, "over 2000 characters"), ("   ", "empty")):
        mine.send("chat.send", rid, text=text)
        assert (await mine.expect("error", rid))["data"]["details"] == {"text": field_error}
    mine.send("chat.send", rid)
    assert (await mine.expect("error", rid))["data"]["details"] == {"text": "required"}
    outsider = await clients(server, stranger)
    outsider.send("chat.send", rid, text="let me in")
    assert (await outsider.expect("error", rid))["data"]["code"] == "FORBIDDEN"
    # Per-user rate limit: the burst is spent (one message sent already), the next is refused with a retry hint.
    mine.send("chat.send", rid, text="y" * 2000)
    for n in range(CHAT_BURST - 2):
        mine.send("chat.send", rid, text=f"message {n}")
    mine.send("chat.send", rid, text="one too many")
    error = (await mine.expect("error", rid))["data"]
    assert error["code"] == "RATE_LIMITED" and error["retryAfter"] >= 1
    theirs.send("chat.send", rid, text="still fine")  # the limit is per user
    await mine.expect("chat.message", rid, lambda d: d["text"] == "still fine")
    assert await server.db.chatMessages.count_documents({"roomId": rid, "userId": uid(host)}) == CHAT_BURST
    assert "one too many" not in [f["data"].get("text") for f in theirs.received if f["type"] == "chat.message"]


async def test_removed_users_stop_receiving_at_once(api: Api, server, clients) -> None:
    host, candidate, observer = await api.register(), await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"), (observer, "observer"))
    rid = room["id"]
    mine, kicked = await clients(server, host), await clients(server, observer)
    leaver = await clients(server, candidate)
    await mine.expect("participant.joined", rid, lambda d: d["userId"] == uid(observer))
    assert (await api.delete(f"/api/rooms/{rid}/participants/{uid(observer)}", token=host["accessToken"])).status == 204
    await api.post(f"/api/rooms/{rid}/lock", token=host["accessToken"])  # straight after the kick
    assert (await kicked.expect("unsubscribed", rid))["data"] == {"reason": "removed"}
    await kicked.sync()
    after = kicked.types(rid)[kicked.types(rid).index("unsubscribed") + 1 :]
    assert after == [], after
    assert "participant.kicked" in kicked.types(rid)  # told why, before the removal
    kicked.send("subscribe", rid)
    assert (await kicked.expect("error", rid))["data"]["code"] == "FORBIDDEN"
    # Its only connection is gone, so the others see the observer leave; a user who leaves is cut off too.
    await mine.expect("participant.left", rid, lambda d: d["userId"] == uid(observer))
    await api.post(f"/api/rooms/{rid}/leave", token=candidate["accessToken"])
    assert (await leaver.expect("unsubscribed", rid))["data"] == {"reason": "removed"}
    # A finished room ends every subscription, and cannot be subscribed to again.
    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=host["accessToken"])
    await mine.expect("room.phase_changed", rid, lambda d: d["to"] == "finished")
    assert (await mine.expect("unsubscribed", rid))["data"] == {"reason": "finished"}
    mine.send("subscribe", rid)
    assert (await mine.expect("error", rid))["data"]["code"] == "ROOM_FINISHED"
    assert "room.membership" not in mine.types(rid)


async def test_ping_pong_and_flooding(api: Api, server, clients) -> None:
    user = await api.register()
    client = await clients(server, user)
    client.send("ping", n=1)
    pong = await client.expect("pong")
    assert pong["data"] == {"n": 1} and "roomId" not in pong
    for _ in range(server.settings.events_messages_per_sec * 3):
        client.send("ping")
    assert await client.closed() == 4029
    client = await clients(server, user)
    client.send("ping", blob="x" * 20_000)
    assert await client.closed() == 1009


async def test_deep_nesting_and_huge_integers_are_error_frames(api: Api, server, clients) -> None:
    """Issue 24, finding 4 on the event socket: each answers an error frame saying why; the socket stays open."""
    client = await clients(server, await api.register())
    deep = '{"type":"ping","data":{"a":' + "[" * 5000 + "]" * 5000 + "}}"
    huge = '{"type":"ping","data":{"a":' + "1" * 5000 + "}}"
    for frame, reason in ((deep, "recursion limit exceeded"), (huge, "number out of range")):
        client.connection.write_message(frame)
        error = (await client.expect("error"))["data"]
        assert error["code"] == "VALIDATION_FAILED" and reason in error["details"]["frame"], error
    client.send("ping", n=2)
    assert (await client.expect("pong"))["data"] == {"n": 2}


async def test_presence_from_event_and_collab_sockets(api: Api, server, clients) -> None:
    host, candidate = await api.register(), await api.register()
    room = await room_with(api, host, (candidate, "candidate"))
    rid = room["id"]
    mine = await clients(server, host)
    assert not await is_active(api, rid, host, candidate)
    theirs = await clients(server, candidate)
    await mine.expect("participant.joined", rid, lambda d: d == {"userId": uid(candidate), "isActive": True})
    assert await is_active(api, rid, host, candidate)
    theirs.close()
    await mine.expect("participant.left", rid, lambda d: d == {"userId": uid(candidate), "isActive": False})
    assert not await is_active(api, rid, host, candidate)
    # The collab WebSocket counts as presence too.
    token = (await api.get(f"/api/rooms/{rid}", token=candidate["accessToken"])).json["collab"]["token"]
    collab = await YClient.connect(server.url, rid, token)
    await asyncio.wait_for(collab.synced.wait(), 5)
    await mine.expect("participant.joined", rid, lambda d: d["userId"] == uid(candidate))
    assert await is_active(api, rid, host, candidate)
    collab.close()
    await mine.expect("participant.left", rid, lambda d: d["userId"] == uid(candidate))
    assert not await is_active(api, rid, host, candidate)


async def test_a_client_that_stops_reading_is_dropped(api: Api, server, clients, monkeypatch) -> None:
    monkeypatch.setattr(EventSocket, "max_pending_frames", 4)  # reached after a few MB rather than hundreds
    user = await api.register()
    listening = await clients(server, user)
    before = server.events.connections
    silent = await silent_websocket(f"{server.url.replace('http', 'ws', 1)}/api/ws?token={user['accessToken']}")
    try:
        await eventually(lambda: server.events.connections == before + 1)
        blob = "x" * 200_000
        for n in range(40):  # 8 MB: more than the kernel buffers the silent client's frames can sit in
            server.ctx.bus.publish(Event("match.proposed", {"n": n, "blob": blob}, user_ids=(uid(user),)))
            await asyncio.sleep(0)
        await eventually(lambda: server.events.connections == before)
        await listening.expect("match.proposed", where=lambda d: d["n"] == 39)  # the reading one got them all
    finally:
        silent.close()
