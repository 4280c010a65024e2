"""The collab internal HTTP API (API.md 5.2), snapshots and the callbacks into the control plane."""

from __future__ import annotations

import asyncio
import base64
import uuid

import pytest
from pycrdt import Doc, Map, Text

from syncode.collab import SNAPSHOT_READY, USER_DISCONNECTED, SnapshotReady, UserDisconnected
from syncode.events import Event
from tests.collab.conftest import Collab, eventually
from tests.conftest import assert_error


def yjs_state(**texts: str) -> str:
    doc = Doc()
    for language, text in texts.items():
        doc.get(f"code:{language}", type=Text).insert(0, text)
    return base64.b64encode(doc.get_update()).decode()


def text_of(state_b64: str, language: str = "python") -> str:
    doc = Doc()
    doc.apply_update(base64.b64decode(state_b64))
    return str(doc.get(f"code:{language}", type=Text))


@pytest.fixture
def bus_events(server):
    seen: list[Event] = []
    unsubscribe = server.ctx.bus.subscribe("collab.", seen.append)
    yield seen
    unsubscribe()


# -- secret -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/collab/documents"),
        ("DELETE", "/collab/documents/r1"),
        ("POST", "/collab/documents/r1/kick"),
        ("GET", "/collab/health"),
        ("POST", "/api/internal/collab/snapshot"),
        ("POST", "/api/internal/collab/user-disconnected"),
    ],
)
@pytest.mark.parametrize("secret", [None, "wrong"])
async def test_missing_or_wrong_secret_is_401(collab: Collab, method: str, path: str, secret: str | None):
    headers = {"X-Internal-Secret": secret} if secret else {}
    response = await collab.api.request(method, path, {} if method == "POST" else None, headers=headers)
    assert_error(response, 401, "UNAUTHORIZED")


# -- create -----------------------------------------------------------------------------------------------------


async def test_create_is_idempotent(collab: Collab):
    room = uuid.uuid4().hex
    first = await collab.api.post(
        "/collab/documents", {"roomId": room, "initialContent": {"python": "a = 1"}}, headers=collab.secret
    )
    assert first.status == 201
    assert first.json["roomId"] == room and first.json["created"] is True
    assert first.json["createdAt"].endswith("Z")
    again = await collab.api.post(
        "/collab/documents", {"roomId": room, "initialContent": {"python": "other"}}, headers=collab.secret
    )
    assert again.status == 200
    assert again.json == {**first.json, "created": False}
    client = await collab.connect(room)
    assert str(client.text()) == "a = 1"


async def test_create_from_a_snapshot_and_initial_content(collab: Collab):
    room = await collab.create(
        snapshot=yjs_state(python="from snapshot"),
        initialContent={"python": "ignored: snapshot has python", "go": "package main"},
    )
    client = await collab.connect(room)
    assert str(client.text()) == "from snapshot"
    assert str(client.text("code:go")) == "package main"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "roomId"),
        ({"roomId": "has space"}, "roomId"),
        ({"roomId": "r", "initialContent": {"cobol": "x"}}, "initialContent.cobol.[key]"),
        ({"roomId": "r", "initialContent": {}}, "initialContent"),
        ({"roomId": "r", "snapshot": "not base64!"}, "snapshot"),
        ({"roomId": "r", "snapshot": base64.b64encode(b"\x05\x06junk").decode()}, "snapshot"),
        ({"roomId": "r", "extra": 1}, "extra"),
    ],
)
async def test_create_rejects_bad_input(collab: Collab, body: dict, field: str):
    body = {**body, "roomId": body["roomId"] + uuid.uuid4().hex[:6]} if "roomId" in body else body
    response = await collab.api.post("/collab/documents", body, headers=collab.secret)
    error = assert_error(response, 400, "VALIDATION_FAILED")
    assert field in error["details"], error


# -- destroy ----------------------------------------------------------------------------------------------------


async def test_destroy_returns_final_state_and_closes_sockets(collab: Collab):
    room = await collab.create(initialContent={"python": "v1"})
    alice, bob = await collab.connect(room), await collab.connect(room)
    alice.text().insert(2, " edited")
    await eventually(lambda: str(bob.text()) == "v1 edited")
    response = await collab.api.delete(f"/collab/documents/{room}", headers=collab.secret)
    assert response.status == 200
    assert response.json["roomId"] == room and response.json["closedConnections"] == 2
    assert text_of(response.json["finalSnapshot"]) == "v1 edited"
    assert (await alice.wait_closed())[0] == (await bob.wait_closed())[0] == 4003
    again = await collab.api.delete(f"/collab/documents/{room}", headers=collab.secret)
    assert again.json == {**response.json, "closedConnections": 0}


async def test_destroy_of_an_unloaded_document(collab: Collab):
    room = await collab.create(initialContent={"python": "cold"})
    response = await collab.api.delete(f"/collab/documents/{room}", headers=collab.secret)
    assert response.status == 200 and text_of(response.json["finalSnapshot"]) == "cold"


async def test_destroy_unknown_is_404(collab: Collab):
    assert_error(await collab.api.delete("/collab/documents/nope", headers=collab.secret), 404, "DOCUMENT_NOT_FOUND")


async def test_create_after_destroy_starts_afresh(collab: Collab):
    room = await collab.create(initialContent={"python": "old"})
    await collab.api.delete(f"/collab/documents/{room}", headers=collab.secret)
    await collab.create(room, initialContent={"python": "new"})
    client = await collab.connect(room)
    assert str(client.text()) == "new"


# -- kick -------------------------------------------------------------------------------------------------------


async def test_kick_closes_that_users_sockets(collab: Collab):
    room = await collab.create()
    await collab.connect(room, "bob")
    target = await collab.connect(room, "mallory")
    response = await collab.api.post(
        f"/collab/documents/{room}/kick", {"userId": "mallory", "reason": "spam"}, headers=collab.secret
    )
    assert response.status == 200 and response.json == {"kicked": True, "connections": 1}
    assert await target.wait_closed() == (4002, "spam")
    # This room's count: the plane's total also holds earlier tests' sockets until their close handshakes end.
    assert [peer.user_id for peer in collab.plane.rooms[room].peers] == ["bob"]


async def test_kick_of_an_absent_user_still_blocks_their_old_tokens(collab: Collab):
    room = await collab.create()
    token = collab.token(room, "later")
    await asyncio.sleep(1.05)  # the kick refuses tokens issued in an earlier second
    response = await collab.api.post(f"/collab/documents/{room}/kick", {"userId": "later"}, headers=collab.secret)
    assert response.json == {"kicked": True, "connections": 0}
    client = await collab.connect(room, token=token, sync=False)
    assert (await client.wait_closed())[0] == 4003
    fresh = await collab.connect(room, "later")  # a token issued after the kick (say, on re-admission) works
    assert not fresh.closed.is_set()


async def test_kick_in_unknown_room_is_404(collab: Collab):
    response = await collab.api.post("/collab/documents/nope/kick", {"userId": "u"}, headers=collab.secret)
    assert_error(response, 404, "DOCUMENT_NOT_FOUND")


async def test_kick_validates_body(collab: Collab):
    room = await collab.create()
    response = await collab.api.post(f"/collab/documents/{room}/kick", {"user": "u"}, headers=collab.secret)
    assert_error(response, 400, "VALIDATION_FAILED")


# -- health -----------------------------------------------------------------------------------------------------


async def test_health_counts_documents_and_connections(collab: Collab):
    async def health() -> dict:
        return (await collab.api.get("/collab/health", headers=collab.secret)).json

    idle = {"status": "ok", "documents": 0, "connections": 0, "pendingWrites": 0}
    await eventually(lambda: _eq(health(), idle))  # earlier rooms gone, their updates written
    room = await collab.create()
    await collab.connect(room)
    await collab.connect(room)
    assert await health() == {**idle, "documents": 1, "connections": 2}


async def _eq(awaitable, expected) -> bool:
    return await awaitable == expected


# -- snapshots and callbacks ------------------------------------------------------------------------------------


async def test_requested_snapshot_reaches_subscribers_and_the_bus(collab: Collab, bus_events: list[Event]):
    room = await collab.create(initialContent={"python": "py", "go": "package main"})
    received: list[SnapshotReady] = []

    async def subscriber(ready: SnapshotReady) -> None:
        received.append(ready)

    unsubscribe = collab.plane.on_snapshot(subscriber)
    try:
        ready = await collab.plane.request_snapshot(room, "submission", "go")
    finally:
        unsubscribe()
    assert (ready.room_id, ready.trigger, ready.language, ready.code) == (room, "submission", "go", "package main")
    assert text_of(base64.b64encode(ready.snapshot).decode()) == "py"
    await eventually(lambda: received == [ready])
    await eventually(lambda: any(e.type == SNAPSHOT_READY and e.data["trigger"] == "submission" for e in bus_events))
    event = next(e for e in bus_events if e.type == SNAPSHOT_READY)
    assert event.room_id == room and event.data["code"] == "package main"


async def test_periodic_snapshot_when_changed_uses_the_meta_language(make_server, api):
    server = await make_server(collab_snapshot_interval_sec=1, collab_tick_sec=0.05)
    try:
        helper = Collab(server, api.__class__(server.url))
        received: list[SnapshotReady] = []

        async def subscriber(ready: SnapshotReady) -> None:
            received.append(ready)

        server.collab.on_snapshot(subscriber)
        room = await helper.create(initialContent={"python": "p"})
        client = await helper.connect(room)
        client.doc.get("meta", type=Map)["language"] = "javascript"
        client.text("code:javascript").insert(0, "let x")
        await eventually(lambda: received, timeout=5)
        assert (received[0].trigger, received[0].language, received[0].code) == ("periodic", "javascript", "let x")
        await asyncio.sleep(1.5)
        assert len(received) == 1  # unchanged since: no new periodic snapshot
        helper.close_all()
    finally:
        await server.stop()


async def test_user_disconnected_reaches_the_bus(collab: Collab, bus_events: list[Event]):
    room = await collab.create()
    received: list[UserDisconnected] = []

    async def subscriber(gone: UserDisconnected) -> None:
        received.append(gone)

    unsubscribe = collab.plane.on_user_disconnected(subscriber)
    try:
        (await collab.connect(room, "leaver")).close()
        await eventually(lambda: received)
    finally:
        unsubscribe()
    assert (received[0].room_id, received[0].user_id, received[0].reason) == (room, "leaver", "closed")
    await eventually(lambda: any(e.type == USER_DISCONNECTED and e.data["userId"] == "leaver" for e in bus_events))


async def test_snapshot_callback_publishes_on_the_bus(collab: Collab, bus_events: list[Event]):
    body = {
        "roomId": "r-split",
        "trigger": "phase_change",
        "language": "python",
        "code": "x = 1",
        "snapshot": yjs_state(python="x = 1"),
        "timestamp": "2026-01-02T03:04:05.678Z",
    }
    response = await collab.api.post("/api/internal/collab/snapshot", body, headers=collab.secret)
    assert response.status == 200 and response.json == {"received": True}
    await eventually(lambda: any(e.type == SNAPSHOT_READY and e.room_id == "r-split" for e in bus_events))
    event = next(e for e in bus_events if e.room_id == "r-split")
    assert event.data == body


async def test_user_disconnected_callback_publishes_on_the_bus(collab: Collab, bus_events: list[Event]):
    body = {"roomId": "r-split", "userId": "u1", "reason": "kicked", "timestamp": "2026-01-02T03:04:05.678Z"}
    response = await collab.api.post("/api/internal/collab/user-disconnected", body, headers=collab.secret)
    assert response.status == 200 and response.json == {"received": True}
    await eventually(lambda: any(e.type == USER_DISCONNECTED and e.room_id == "r-split" for e in bus_events))
    assert next(e for e in bus_events if e.room_id == "r-split").data == body


@pytest.mark.parametrize(
    "path,body",
    [
        (
            "/api/internal/collab/snapshot",
            {
                "roomId": "r",
                "trigger": "whenever",
                "language": "python",
                "code": "",
                "snapshot": "",
                "timestamp": "2026-01-02T03:04:05Z",
            },
        ),
        ("/api/internal/collab/user-disconnected", {"roomId": "r", "userId": "u"}),
    ],
)
async def test_callbacks_validate(collab: Collab, path: str, body: dict):
    assert_error(await collab.api.post(path, body, headers=collab.secret), 400, "VALIDATION_FAILED")


async def test_openapi_documents_the_collab_routes(collab: Collab):
    paths = (await collab.api.get("/api/openapi.json")).json["paths"]
    assert paths["/collab/documents"]["post"]["security"] == [{"internalSecret": []}]
    for path in (
        "/collab/documents/{roomId}",
        "/collab/documents/{roomId}/kick",
        "/collab/health",
        "/api/internal/collab/snapshot",
        "/api/internal/collab/user-disconnected",
    ):
        assert path in paths
