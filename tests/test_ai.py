"""The AI endpoints over real HTTP and /api/ws with the offline engine and real bank problems: messages, hints and
reviews answered, pushed and pollable, history pages, the session timeline, who may ask (observers, other rooms,
peer rooms), limits per user and room, the daily quota, weaknesses and the mute setting."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import pytest

from syncode.services.permissions import Cap
from tests.conftest import Api, assert_error, make_admin
from tests.test_events import EventClient
from tests.test_room_matrix import Endpoint, matrix_mismatches
from tests.test_rooms import join, new_room

BANK = Path(__file__).resolve().parents[1] / "problems"
NAIVE_TWO_SUM = tomllib.loads((BANK / "two-sum.toml").read_text())["naive"]["python"]

# This file's rows of the room authorization matrix (tests/test_room_matrix.py), in its format.
AI_ENDPOINTS = [
    Endpoint("POST", "/api/rooms/{room}/ai/messages", Cap.ai_assist, {"content": "hello"}),
    Endpoint("POST", "/api/rooms/{room}/ai/hints", Cap.ai_assist, {}),
    Endpoint("POST", "/api/rooms/{room}/ai/reviews", Cap.ai_assist, {"code": "print(1)\n"}),
    Endpoint("GET", "/api/rooms/{room}/ai/messages", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/ai/messages/not-a-message", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/ai/hints/not-a-hint", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/ai/reviews/not-a-review", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/ai/weaknesses", Cap.ai_assist),
    Endpoint("GET", "/api/rooms/{room}/ai/settings", Cap.view),
    Endpoint("PUT", "/api/rooms/{room}/ai/settings", Cap.ai_assist, {"proactiveMuted": False}),
]


@pytest.fixture(scope="module")
async def server(make_server):
    srv = await make_server(load_problem_bank=True, max_active_rooms=1000, ai_proactive_gap_sec=0)
    await srv.bank_loading
    return srv


async def ai_room(api: Api, user: dict | None = None, to: str = "coding", **body: Any) -> dict:
    """An ai room (on Two Sum unless told), hosted by its candidate, moved to `to`."""
    user = user or await api.register()
    room = await new_room(api, user, mode="ai", **{"problemId": "two-sum", **body})
    for phase in ("warmup", "coding")[: ("waiting", "warmup", "coding").index(to)]:
        r = await api.post(f"/api/rooms/{room['id']}/phase", {"to": phase}, token=user["accessToken"])
        assert r.status == 200, r.body
    return {**room, "user": user}


async def answered(api: Api, path: str, token: str) -> dict:
    """Poll an AI result until it is finished."""
    for _ in range(400):
        r = await api.get(path, token=token)
        assert r.status == 200, r.body
        if r.json["status"] in ("completed", "failed"):
            return r.json
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never finished")


async def test_messages_hints_and_reviews_are_answered_pushed_and_polled(server, api: Api) -> None:
    room = await ai_room(api)
    rid, token = room["id"], room["user"]["accessToken"]
    events = await EventClient.connect(server, token)
    try:
        r = await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "Can the numbers be negative?"}, token=token)
        assert r.status == 202, r.body
        reply_id = r.json["messageId"]
        mine = await events.expect("ai.message", rid, lambda d: d["role"] == "user")
        assert mine["data"]["content"] == "Can the numbers be negative?" and mine["data"]["authorId"] == room["hostId"]
        pushed = await events.expect("ai.message", rid, lambda d: d["id"] == reply_id)
        reply = await answered(api, f"/api/rooms/{rid}/ai/messages/{reply_id}", token)
        assert pushed["data"] == reply
        assert reply["role"] == "assistant" and reply["kind"] == "chat" and reply["provider"] == "offline"
        assert "-10^9 <= nums[i] <= 10^9" in reply["content"] and reply["completedAt"]

        r = await api.post(f"/api/rooms/{rid}/ai/hints", {"level": "subtle"}, token=token)
        assert r.status == 202, r.body
        hint_id = r.json["hintId"]
        hint = await answered(api, f"/api/rooms/{rid}/ai/hints/{hint_id}", token)
        assert (await events.expect("ai.hint", rid, lambda d: d["id"] == hint_id))["data"] == hint
        assert hint["kind"] == "hint" and "target - x" in hint["content"]  # the ladder's first hint

        r = await api.post(f"/api/rooms/{rid}/ai/reviews", {"code": NAIVE_TWO_SUM, "language": "python"}, token=token)
        assert r.status == 202, r.body
        review_id = r.json["reviewId"]
        review = await answered(api, f"/api/rooms/{rid}/ai/reviews/{review_id}", token)
        assert (await events.expect("ai.review", rid, lambda d: d["id"] == review_id))["data"] == review
        assert review["complexity"]["time"] == "O(n²)" and 0 <= review["score"] <= 10 and review["summary"]
        assert any(i["severity"] == "warning" and "nested" in i["message"] for i in review["issues"])
    finally:
        events.close()

    page = (await api.get(f"/api/rooms/{rid}/ai/messages?limit=3&sortOrder=asc", token=token)).json
    assert [(m["kind"], m["role"]) for m in page["data"]] == [
        ("proactive", "assistant"),  # the greeting when the room entered warmup
        ("chat", "user"),
        ("chat", "assistant"),
    ]
    after = page["pagination"]["nextCursor"]
    rest = await api.get(f"/api/rooms/{rid}/ai/messages?sortOrder=asc&cursor={after}", token=token)
    assert [m["kind"] for m in rest.json["data"]] == ["hint", "review"] and not rest.json["pagination"]["hasMore"]
    assert_error(await api.get(f"/api/rooms/{rid}/ai/hints/{review_id}", token=token), 404, "HINT_NOT_FOUND")
    assert_error(await api.get(f"/api/rooms/{rid}/ai/messages?cursor=%%%", token=token), 400)

    session_id = (await api.get(f"/api/rooms/{rid}", token=token)).json["sessionId"]
    timeline = (await api.get(f"/api/sessions/{session_id}/events", token=token)).json["data"]
    kinds = [(e["type"], e["data"].get("kind")) for e in timeline if e["type"] in ("ai_message", "hint_requested")]
    assert ("ai_message", "chat") in kinds and ("hint_requested", None) in kinds and ("ai_message", "review") in kinds
    history = (await api.get(f"/api/sessions/{session_id}/ai-messages", token=token)).json["data"]
    assert {m["id"] for m in history} >= {reply_id, hint_id, review_id}


async def test_hints_escalate_and_keep_the_code_they_answered(server, api: Api) -> None:
    room = await ai_room(api)
    rid, token = room["id"], room["user"]["accessToken"]
    ladder = tomllib.loads((BANK / "two-sum.toml").read_text())["hints"]
    texts = []
    for _ in range(3):
        r = await api.post(f"/api/rooms/{rid}/ai/hints", {}, token=token)
        texts.append((await answered(api, f"/api/rooms/{rid}/ai/hints/{r.json['hintId']}", token))["content"])
    assert ladder[0] in texts[0] and ladder[1] in texts[1] and ladder[2] in texts[2]
    r = await api.post(f"/api/rooms/{rid}/ai/hints", {}, token=token)
    assert_error(r, 429, "RATE_LIMITED")  # 3 hints per 5 minutes in a room
    assert int(r.headers["Retry-After"]) > 200 and r.headers["X-RateLimit-Limit"] == "3"
    stored = await server.db.aiMessages.find({"roomId": rid, "kind": "hint"}).to_list(None)
    assert [h["level"] for h in sorted(stored, key=lambda h: h["createdAt"])] == ["subtle", "moderate", "direct"]
    assert all("def two_sum" in h["code"] for h in stored)  # the live document: the starter code


async def test_who_may_ask_the_ai(server, api: Api) -> None:
    room = await ai_room(api, to="warmup")
    rid, token = room["id"], room["user"]["accessToken"]
    observer, stranger = await api.register(), await api.register()
    assert (await join(api, observer, room["inviteCode"], "observer")).status == 200
    asks = [("messages", {"content": "hi"}), ("hints", {}), ("reviews", {"code": "print(1)"})]
    for path, body in asks:
        assert_error(await api.post(f"/api/rooms/{rid}/ai/{path}", body, token=observer["accessToken"]), 403)
        assert_error(await api.post(f"/api/rooms/{rid}/ai/{path}", body, token=stranger["accessToken"]), 403)
    mute = {"proactiveMuted": True}
    assert_error(await api.put(f"/api/rooms/{rid}/ai/settings", mute, token=observer["accessToken"]), 403)
    assert_error(await api.get(f"/api/rooms/{rid}/ai/weaknesses", token=observer["accessToken"]), 403)
    r = await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "hello"}, token=token)
    reply_id = r.json["messageId"]
    seen = await api.get(f"/api/rooms/{rid}/ai/messages/{reply_id}", token=observer["accessToken"])
    assert seen.status == 200  # observers read the conversation
    assert_error(await api.get(f"/api/rooms/{rid}/ai/messages/{reply_id}", token=stranger["accessToken"]), 403)
    other = await ai_room(api, to="warmup")
    elsewhere = await api.get(f"/api/rooms/{other['id']}/ai/messages/{reply_id}", token=other["user"]["accessToken"])
    assert_error(elsewhere, 404, "AI_MESSAGE_NOT_FOUND")
    assert_error(await api.post(f"/api/rooms/{rid}/ai/messages", {"content": ""}, token=token), 400)
    assert_error(await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "x", "extra": 1}, token=token), 400)
    assert_error(await api.post(f"/api/rooms/{rid}/ai/hints", {"level": "loud"}, token=token), 400)
    assert_error(await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "hi"}), 401)

    peer = await new_room(api, observer, mode="peer", problemId="two-sum")  # interviewer and candidate may ask
    candidate = await api.register()
    assert (await join(api, candidate, peer["inviteCode"])).status == 200
    for user in (observer, candidate):
        r = await api.post(f"/api/rooms/{peer['id']}/ai/hints", {}, token=user["accessToken"])
        assert r.status == 202, r.body
    weak = (await api.get(f"/api/rooms/{peer['id']}/ai/weaknesses", token=observer["accessToken"])).json
    assert weak == {"candidateId": candidate["user"]["id"], "data": []}

    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=token)
    assert_error(await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "hi"}, token=token), 409, "ROOM_FINISHED")


async def test_authorization_matrix(server, api: Api) -> None:
    """AI_ENDPOINTS by every kind of caller, expected outcomes from the permissions table."""
    people = {name: await api.register() for name in ("host", "interviewer", "candidate", "observer", "stranger")}
    people.update(admin=await make_admin(server, api), problem="two-sum")
    assert not await matrix_mismatches(api, people, AI_ENDPOINTS)


async def test_settings_mute_proactive_turns(server, api: Api) -> None:
    room = await ai_room(api, to="waiting")
    rid, token = room["id"], room["user"]["accessToken"]
    assert (await api.get(f"/api/rooms/{rid}/ai/settings", token=token)).json == {"proactiveMuted": False}
    r = await api.put(f"/api/rooms/{rid}/ai/settings", {"proactiveMuted": True}, token=token)
    assert r.json == {"proactiveMuted": True}
    await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=token)
    await asyncio.sleep(0.5)
    assert (await api.get(f"/api/rooms/{rid}/ai/messages", token=token)).json["data"] == []  # no greeting


@pytest.fixture(scope="module")
async def tight(make_server):
    """A server with a daily AI quota of 2."""
    return await make_server(daily_ai_requests=2, max_active_rooms=1000)


async def test_the_daily_ai_quota(tight) -> None:
    api = Api(tight.url)
    user = await api.register()
    room = await new_room(api, user, mode="ai")
    rid, token = room["id"], user["accessToken"]
    for _ in range(2):
        assert (await api.post(f"/api/rooms/{rid}/ai/messages", {"content": "hello"}, token=token)).status == 202
    r = await api.post(f"/api/rooms/{rid}/ai/reviews", {"code": "print(1)"}, token=token)
    assert_error(r, 429, "QUOTA_EXCEEDED")
    assert int(r.headers["Retry-After"]) > 0
    quotas = (await api.get("/api/users/me/quotas", token=token)).json["ai"]
    assert quotas["used"] == 2 and quotas["limit"] == 2
