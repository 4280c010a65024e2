"""GET /api/rooms/{roomId}/chat: the chat history a reloaded page reads, paged, for the room's participants."""

from __future__ import annotations

import pytest

from tests.conftest import Api, assert_error, make_admin
from tests.test_events import EventClient, room_with, uid

SENT = 12  # under the event socket's frame rate


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000, chat_burst=100, chat_messages_per_min=600)


async def test_history_pages_newest_first_and_is_for_participants(api: Api, server) -> None:
    host, candidate, observer, stranger = [await api.register() for _ in range(4)]
    room = await room_with(api, host, (candidate, "candidate"))
    rid = room["id"]
    token = host["accessToken"]
    assert (await api.get(f"/api/rooms/{rid}/chat", token=token)).json == {
        "data": [],
        "pagination": {"nextCursor": None, "hasMore": False},
    }

    client = await EventClient.connect(server, token)
    try:
        client.send("subscribe", rid)
        await client.expect("subscribed", rid)
        for n in range(SENT):
            client.send("chat.send", rid, text=f"message {n}")
            await client.expect("chat.message", rid, lambda d, n=n: d["text"] == f"message {n}")
    finally:
        client.close()

    # Newest first, in pages that neither skip nor repeat.
    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=5&cursor={cursor}" if cursor else "?limit=5"
        page = (await api.get(f"/api/rooms/{rid}/chat{query}", token=candidate["accessToken"])).json
        seen += [m["text"] for m in page["data"]]
        if not page["pagination"]["hasMore"]:
            assert page["pagination"]["nextCursor"] is None
            break
        cursor = page["pagination"]["nextCursor"]
    assert seen == [f"message {n}" for n in reversed(range(SENT))]
    first = (await api.get(f"/api/rooms/{rid}/chat?limit=1&sortOrder=asc", token=token)).json["data"][0]
    assert first["text"] == "message 0" and first["userId"] == uid(host) and first["roomId"] == rid
    assert first["username"] == host["user"]["username"] and first["createdAt"].endswith("Z")

    # Participants only (observers too), also after the room finished; strangers, admins and the anonymous not.
    r = await api.post(
        "/api/rooms/join", {"inviteCode": room["inviteCode"], "role": "observer"}, token=observer["accessToken"]
    )
    assert r.status == 200, r.body
    assert len((await api.get(f"/api/rooms/{rid}/chat", token=observer["accessToken"])).json["data"]) == SENT
    assert_error(await api.get(f"/api/rooms/{rid}/chat", token=stranger["accessToken"]), 403)
    admin = await make_admin(server, api)
    assert_error(await api.get(f"/api/rooms/{rid}/chat", token=admin["accessToken"]), 403)
    assert_error(await api.get(f"/api/rooms/{rid}/chat"), 401)
    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=token)
    assert len((await api.get(f"/api/rooms/{rid}/chat?limit=100", token=token)).json["data"]) == SENT

    # Client mistakes are 4xx in the ErrorResponse shape.
    assert_error(await api.get(f"/api/rooms/{rid}/chat?cursor=%%%", token=token), 400)
    assert_error(await api.get(f"/api/rooms/{rid}/chat?limit=0", token=token), 400)
    assert_error(await api.get(f"/api/rooms/{rid}/chat?sortOrder=up", token=token), 400)
    assert_error(await api.get(f"/api/rooms/{rid}/chat?colour=red", token=token), 400)
    assert_error(await api.get("/api/rooms/not-a-room/chat", token=token), 404)


async def test_history_is_in_the_openapi_document(api: Api) -> None:
    spec = (await api.get("/api/openapi.json")).json
    get = spec["paths"]["/api/rooms/{roomId}/chat"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"roomId", "cursor", "limit", "sortOrder"}
    assert {"200", "400", "403", "404"} <= set(get["responses"])
