"""Rooms over real HTTP: lifecycle, joining rules, phases and timer, control, role swap, admin, restart."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest

from syncode.rooms.rules import INVITE_ALPHABET
from tests.conftest import Api, assert_error, make_admin

SWAP_TTL_SEC = 3  # long enough to answer in time, short enough to wait out


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000, role_swap_ttl_sec=SWAP_TTL_SEC)


async def new_room(api: Api, host: dict, **body) -> dict:
    r = await api.post("/api/rooms", {"mode": "peer", **body}, token=host["accessToken"])
    assert r.status == 201, r.body
    return r.json


async def join(api: Api, user: dict, code: str, role: str | None = None):
    body = {"inviteCode": code} if role is None else {"inviteCode": code, "role": role}
    return await api.post("/api/rooms/join", body, token=user["accessToken"])


async def test_create_defaults_and_validation(api: Api) -> None:
    host = await api.register()
    room = await new_room(api, host, name="Practice")
    assert room["status"] == "waiting" and room["myRole"] == "interviewer" and room["hostId"] == host["user"]["id"]
    assert len(room["inviteCode"]) == 6 and set(room["inviteCode"]) <= set(INVITE_ALPHABET)
    assert room["config"]["maxParticipants"] == 2 and room["config"]["durations"]["codingSec"] == 2700
    assert room["collab"]["url"].endswith(f"/collab/{room['id']}") and room["collab"]["token"]
    assert "advance_phase" in room["myCapabilities"] and "destroy" in room["myCapabilities"]
    ai = await new_room(api, host, mode="ai")
    assert ai["myRole"] == "candidate"
    token = host["accessToken"]
    for bad in (
        {"mode": "solo"},
        {"mode": "peer", "language": "cobol"},
        {"mode": "peer", "extra": 1},
        {"mode": "peer", "config": {"maxParticipants": 9}},
        {"mode": "peer", "config": {"bogus": 1}},
        {"mode": "peer", "config": {"durations": {"codingSec": 1}}},
    ):
        assert_error(await api.post("/api/rooms", bad, token=token), 400, "VALIDATION_FAILED")
    assert_error(await api.post("/api/rooms", {"mode": "peer", "problemId": "nope"}, token=token), 404)
    assert_error(await api.post("/api/rooms", {"mode": "peer"}), 401)


async def test_idempotency_key_replays_the_first_room(api: Api) -> None:
    host = await api.register()
    headers = {"Idempotency-Key": "create-once-123"}
    first = await api.post("/api/rooms", {"mode": "peer"}, token=host["accessToken"], headers=headers)
    again = await api.post("/api/rooms", {"mode": "peer"}, token=host["accessToken"], headers=headers)
    assert first.status == again.status == 201 and first.json["id"] == again.json["id"]
    other = await api.register()
    theirs = await api.post("/api/rooms", {"mode": "peer"}, token=other["accessToken"], headers=headers)
    assert theirs.json["id"] != first.json["id"]  # keys are per user
    listed = (await api.get("/api/rooms", token=host["accessToken"])).json["data"]
    assert [r["id"] for r in listed] == [first.json["id"]]


async def test_join_rules(api: Api) -> None:
    host, a, b, c = [await api.register() for _ in range(4)]
    room = await new_room(api, host, config={"maxParticipants": 3, "allowObservers": False})
    code = room["inviteCode"]
    r = await join(api, a, code.lower())  # case-insensitive
    assert r.status == 200 and r.json["myRole"] == "candidate"
    assert (await join(api, a, code)).json["participantCount"] == 2  # rejoin is idempotent
    assert_error(await join(api, b, code, "interviewer"), 409, "ROLE_TAKEN")
    assert_error(await join(api, b, code, "observer"), 409, "ROLE_TAKEN")  # observers not allowed here
    assert_error(await join(api, b, code), 409, "ROLE_TAKEN")  # nothing left but observer
    assert_error(await join(api, b, "ZZZZZZ"), 404, "ROOM_NOT_FOUND")
    assert_error(await join(api, b, "ABC"), 400, "VALIDATION_FAILED")
    # Capacity: a two-seat room is full with host + candidate.
    small = await new_room(api, host)
    await join(api, a, small["inviteCode"])
    assert_error(await join(api, c, small["inviteCode"], "observer"), 409, "ROOM_FULL")
    # ai mode: no interviewer at all.
    ai = await new_room(api, host, mode="ai", config={"maxParticipants": 4})
    assert_error(await join(api, a, ai["inviteCode"], "interviewer"), 409, "ROLE_TAKEN")
    assert (await join(api, a, ai["inviteCode"])).json["myRole"] == "observer"


async def test_preview_needs_no_auth_and_hides_secrets(api: Api) -> None:
    host = await api.register(displayName="Host Person")
    room = await new_room(api, host, name="Open room")
    r = await api.get(f"/api/rooms/lookup/{room['inviteCode']}")
    assert r.status == 200
    preview = r.json
    assert preview == {
        "id": room["id"],
        "name": "Open room",
        "mode": "peer",
        "status": "waiting",
        "problem": None,
        "hostName": "Host Person",
        "participantCount": 1,
        "maxParticipants": 2,
        "joinable": True,
    }
    assert b"@example.com" not in r.body and room["inviteCode"].encode() not in r.body
    assert_error(await api.get("/api/rooms/lookup/QQQQQQ"), 404)


async def test_detail_is_for_participants_and_admins(api: Api, server) -> None:
    host, stranger = await api.register(), await api.register()
    room = await new_room(api, host)
    assert_error(await api.get(f"/api/rooms/{room['id']}", token=stranger["accessToken"]), 403, "FORBIDDEN")
    assert_error(await api.get("/api/rooms/not-a-room", token=stranger["accessToken"]), 404, "ROOM_NOT_FOUND")
    admin = await make_admin(server, api)
    r = await api.get(f"/api/rooms/{room['id']}", token=admin["accessToken"])
    assert r.status == 200 and r.json["myCapabilities"] == ["view"] and r.json["collab"]["token"] == ""


async def test_leave_hands_over_host_and_last_out_finishes(api: Api) -> None:
    host, a = await api.register(), await api.register()
    room = await new_room(api, host)
    await join(api, a, room["inviteCode"])
    assert (await api.post(f"/api/rooms/{room['id']}/leave", token=host["accessToken"])).status == 204
    detail = (await api.get(f"/api/rooms/{room['id']}", token=a["accessToken"])).json
    assert detail["hostId"] == a["user"]["id"] and detail["participantCount"] == 1
    assert "destroy" in detail["myCapabilities"]
    assert_error(await api.get(f"/api/rooms/{room['id']}", token=host["accessToken"]), 403)
    assert (await api.post(f"/api/rooms/{room['id']}/leave", token=a["accessToken"])).status == 204
    rooms = (await api.get("/api/rooms?status=finished", token=a["accessToken"])).json["data"]
    assert [r["id"] for r in rooms] == [room["id"]]
    # A finished room's code answers ROOM_FINISHED (until a live room reuses it).
    assert_error(await join(api, host, room["inviteCode"]), 409, "ROOM_FINISHED")
    assert (await api.get(f"/api/rooms/lookup/{room['inviteCode']}")).json["joinable"] is False


async def test_phases_session_events_and_snapshots(api: Api, server) -> None:
    host, a = await api.register(), await api.register()
    room = await new_room(api, host)
    rid = room["id"]
    await join(api, a, room["inviteCode"])
    token = host["accessToken"]
    assert_error(
        await api.post(f"/api/rooms/{rid}/phase", {"to": "coding"}, token=token), 409, "ROOM_INVALID_TRANSITION"
    )
    assert_error(await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=a["accessToken"]), 403)
    assert_error(await api.post(f"/api/rooms/{rid}/phase", {"to": "later"}, token=token), 400)
    r = await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=token)
    assert r.status == 200 and r.json["status"] == "warmup" and r.json["sessionId"]
    assert r.json["timer"]["remainingSec"] == 300 and r.json["timer"]["phaseDeadline"]
    session_id = r.json["sessionId"]
    for to in ("coding", "wrapup", "finished"):
        assert (await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=token)).status == 200
    assert_error(await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=token), 409)
    session = await server.db.sessions.find_one({"_id": session_id})
    assert session["finishedAt"] and {p["userId"] for p in session["participants"]} == {
        host["user"]["id"],
        a["user"]["id"],
    }
    events = [
        e["data"]["to"]
        async for e in server.db.sessionEvents.find({"sessionId": session_id, "type": "phase_changed"}).sort("at", 1)
    ]
    assert events == ["warmup", "coding", "wrapup", "finished"]
    for _ in range(50):  # snapshots arrive through the collab plane's subscriber
        triggers = [s["trigger"] async for s in server.db.codeSnapshots.find({"sessionId": session_id})]
        if len(triggers) == 4:
            break
        await asyncio.sleep(0.05)
    assert sorted(triggers) == ["phase_change", "phase_change", "phase_change", "session_end"]


async def test_timer_pause_resume_and_auto_advance(api: Api, server) -> None:
    host = await api.register()
    room = await new_room(
        api, host, config={"autoAdvance": True, "durations": {"warmupSec": 1, "codingSec": 60, "wrapupSec": 0}}
    )
    rid, token = room["id"], host["accessToken"]
    assert_error(await api.post(f"/api/rooms/{rid}/timer/pause", token=token), 409)  # waiting is untimed
    await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=token)
    for _ in range(60):
        detail = (await api.get(f"/api/rooms/{rid}", token=token)).json
        if detail["status"] == "coding":
            break
        await asyncio.sleep(0.1)
    assert detail["status"] == "coding", "warmup should auto-advance after 1 s"
    await asyncio.sleep(1.1)  # let some coding time run before the pause
    r = await api.post(f"/api/rooms/{rid}/timer/pause", token=token)
    assert r.json["timer"]["paused"] is True and r.json["timer"]["phaseDeadline"] is None
    ran = r.json["timer"]["elapsedSec"]
    assert ran >= 1 and r.json["timer"]["remainingSec"] == 60 - ran
    assert_error(await api.post(f"/api/rooms/{rid}/timer/pause", token=token), 409, "TIMER_STATE")
    # Exact accounting: time paused does not count.
    await asyncio.sleep(1.2)
    paused = (await api.get(f"/api/rooms/{rid}", token=token)).json["timer"]
    assert (paused["elapsedSec"], paused["remainingSec"]) == (ran, 60 - ran)
    r = await api.post(f"/api/rooms/{rid}/timer/resume", token=token)
    timer = r.json["timer"]
    assert timer["paused"] is False and timer["elapsedSec"] == ran
    deadline = datetime.fromisoformat(timer["phaseDeadline"].replace("Z", "+00:00"))
    assert abs((deadline - datetime.now(UTC)).total_seconds() - (60 - ran)) < 2


async def test_problem_settings_and_lock(api: Api, server) -> None:
    admin = await make_admin(server, api)
    problem = (
        await api.post(
            "/api/problems",
            {
                "title": "Room Problem",
                "description": "d",
                "difficulty": "medium",
                "starterCode": {"python": "print('starter')\n"},
                "testCases": [{"input": "", "expectedOutput": "x"}],
            },
            token=admin["accessToken"],
        )
    ).json
    host, a = await api.register(), await api.register()
    room = await new_room(api, host)
    rid, token = room["id"], host["accessToken"]
    await join(api, a, room["inviteCode"])
    go_room = await new_room(api, host, problemId=problem["id"], language="go")
    # The document's active language is the room's, not the first language of the starter code.
    assert (await server.db.collabDocs.find_one({"_id": go_room["id"]}))["language"] == "go"
    r = await api.put(f"/api/rooms/{rid}/problem", {"problemId": problem["id"]}, token=token)
    assert r.status == 200 and r.json["problem"] == {
        "id": problem["id"],
        "title": "Room Problem",
        "difficulty": "medium",
    }
    assert_error(await api.put(f"/api/rooms/{rid}/problem", {"problemId": "missing"}, token=token), 404)
    assert_error(await api.put(f"/api/rooms/{rid}/problem", {"problemId": problem["id"]}, token=a["accessToken"]), 403)
    r = await api.patch(
        f"/api/rooms/{rid}/settings",
        {"name": "Renamed", "language": "go", "config": {"maxParticipants": 4}},
        token=token,
    )
    assert r.status == 200 and (r.json["name"], r.json["language"]) == ("Renamed", "go")
    assert_error(
        await api.patch(f"/api/rooms/{rid}/settings", {"config": {"maxParticipants": 2}}, token=a["accessToken"]), 403
    )
    third = await api.register()
    await join(api, third, room["inviteCode"], "observer")
    r = await api.patch(f"/api/rooms/{rid}/settings", {"config": {"maxParticipants": 2}}, token=token)
    assert_error(r, 400, "VALIDATION_FAILED")
    r = await api.post(f"/api/rooms/{rid}/lock", token=token)
    assert r.json["editorLocked"] is True
    assert (await api.post(f"/api/rooms/{rid}/unlock", token=token)).json["editorLocked"] is False
    assert_error(await api.post(f"/api/rooms/{rid}/lock", token=third["accessToken"]), 403)
    for to in ("warmup", "coding"):
        await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=token)
    assert_error(
        await api.put(f"/api/rooms/{rid}/problem", {"problemId": problem["id"]}, token=token),
        409,
        "ROOM_INVALID_TRANSITION",
    )


async def test_role_swap(api: Api, server) -> None:
    host, a = await api.register(), await api.register()
    room = await new_room(api, host)
    rid = room["id"]
    assert_error(await api.post(f"/api/rooms/{rid}/role-swap", token=host["accessToken"]), 409, "ROLE_SWAP_UNAVAILABLE")
    await join(api, a, room["inviteCode"])
    r = await api.post(f"/api/rooms/{rid}/role-swap", token=host["accessToken"])
    assert r.status == 201
    request_id = r.json["requestId"]
    assert_error(await api.post(f"/api/rooms/{rid}/role-swap", token=a["accessToken"]), 409, "ROLE_SWAP_PENDING")
    assert_error(
        await api.post(f"/api/rooms/{rid}/role-swap/{request_id}", {"accept": True}, token=host["accessToken"]), 403
    )
    r = await api.post(f"/api/rooms/{rid}/role-swap/{request_id}", {"accept": True}, token=a["accessToken"])
    assert r.status == 200 and r.json["myRole"] == "interviewer"
    roles = {p["userId"]: p["role"] for p in r.json["participants"]}
    assert roles == {host["user"]["id"]: "candidate", a["user"]["id"]: "interviewer"}
    # Declined and expired requests.
    request_id = (await api.post(f"/api/rooms/{rid}/role-swap", token=a["accessToken"])).json["requestId"]
    r = await api.post(f"/api/rooms/{rid}/role-swap/{request_id}", {"accept": False}, token=host["accessToken"])
    assert r.json["myRole"] == "candidate"
    request_id = (await api.post(f"/api/rooms/{rid}/role-swap", token=a["accessToken"])).json["requestId"]
    await asyncio.sleep(SWAP_TTL_SEC + 0.2)
    assert_error(
        await api.post(f"/api/rooms/{rid}/role-swap/{request_id}", {"accept": True}, token=host["accessToken"]),
        410,
        "ROLE_SWAP_EXPIRED",
    )
    assert_error(await api.post(f"/api/rooms/{rid}/role-swap/nope", {"accept": True}, token=host["accessToken"]), 404)
    ai_room = await new_room(api, host, mode="ai")
    assert_error(await api.post(f"/api/rooms/{ai_room['id']}/role-swap", token=host["accessToken"]), 403)


async def test_participants_update_and_kick(api: Api) -> None:
    host, a, b = [await api.register() for _ in range(3)]
    room = await new_room(api, host, config={"maxParticipants": 3})
    rid = room["id"]
    await join(api, a, room["inviteCode"])
    await join(api, b, room["inviteCode"])
    people = (await api.get(f"/api/rooms/{rid}/participants", token=b["accessToken"])).json["data"]
    assert [p["role"] for p in people] == ["interviewer", "candidate", "observer"]
    r = await api.patch(f"/api/rooms/{rid}/participants/{a['user']['id']}", {"muted": True}, token=host["accessToken"])
    assert r.status == 200 and r.json["isMuted"] is True
    r = await api.patch(
        f"/api/rooms/{rid}/participants/{b['user']['id']}", {"role": "candidate"}, token=host["accessToken"]
    )
    assert_error(r, 409, "ROLE_TAKEN")
    assert_error(
        await api.patch(f"/api/rooms/{rid}/participants/{a['user']['id']}", {"muted": False}, token=b["accessToken"]),
        403,
    )
    assert_error(
        await api.patch(f"/api/rooms/{rid}/participants/nobody", {"muted": False}, token=host["accessToken"]),
        404,
        "PARTICIPANT_NOT_FOUND",
    )
    assert_error(
        await api.delete(f"/api/rooms/{rid}/participants/{host['user']['id']}", token=host["accessToken"]),
        409,
        "CANNOT_KICK_SELF",
    )
    assert_error(await api.delete(f"/api/rooms/{rid}/participants/{b['user']['id']}", token=a["accessToken"]), 403)
    assert (
        await api.delete(f"/api/rooms/{rid}/participants/{b['user']['id']}", token=host["accessToken"])
    ).status == 204
    assert_error(await api.get(f"/api/rooms/{rid}", token=b["accessToken"]), 403)
    assert_error(await join(api, b, room["inviteCode"]), 403, "ROOM_KICKED")


async def test_active_room_and_quota(make_server) -> None:
    server = await make_server(max_active_rooms=2)
    api = Api(server.url)
    user = await api.register()
    token = user["accessToken"]
    assert (await api.get("/api/users/me/active-room", token=token)).status == 204
    first = await new_room(api, user)
    second = await new_room(api, user)
    r = await api.get("/api/users/me/active-room", token=token)
    assert r.status == 200 and r.json["room"]["id"] in (first["id"], second["id"])
    assert_error(await api.post("/api/rooms", {"mode": "peer"}, token=token), 429, "QUOTA_EXCEEDED")
    await api.delete(f"/api/rooms/{first['id']}", token=token)
    assert_error(await api.get(f"/api/rooms/{first['id']}", token=token), 404)
    assert (await api.post("/api/rooms", {"mode": "peer"}, token=token)).status == 201
    await server.stop()


async def test_admin_rooms_list_and_close(api: Api, server) -> None:
    admin = await make_admin(server, api)
    host = await api.register()
    room = await new_room(api, host, mode="ai")
    token = admin["accessToken"]
    listed = (await api.get("/api/admin/rooms?mode=ai&status=waiting&limit=100", token=token)).json["data"]
    assert room["id"] in [r["id"] for r in listed]
    assert_error(await api.get("/api/admin/rooms", token=host["accessToken"]), 403)
    r = await api.post(f"/api/admin/rooms/{room['id']}/close", {"reason": "abuse"}, token=token)
    assert r.status == 200 and r.json["status"] == "finished"
    assert (await api.get(f"/api/rooms/{room['id']}", token=host["accessToken"])).json["status"] == "finished"
    logs = (await api.get(f"/api/admin/audit-logs?targetId={room['id']}", token=token)).json["data"]
    assert logs[0]["action"] == "admin.room.closed" and logs[0]["metadata"] == {"reason": "abuse"}
    assert_error(await api.post("/api/admin/rooms/nope/close", {}, token=token), 404)


async def test_abandoned_rooms_finish(api: Api, server) -> None:
    host = await api.register()
    room = await new_room(api, host)
    await server.db.rooms.update_one(
        {"_id": room["id"]}, {"$set": {"lastActivityAt": datetime.now(UTC) - timedelta(minutes=11)}}
    )
    finished = await server.ctx.rooms.finish_abandoned()
    assert room["id"] in finished
    assert (await api.get(f"/api/rooms/{room['id']}", token=host["accessToken"])).json["status"] == "finished"


async def test_rooms_and_timers_survive_a_restart(make_server, mongo_uri, tmp_path) -> None:
    first = await make_server(mongodb_db="restart_rooms", data_dir=tmp_path)
    api = Api(first.url)
    host, a = await api.register(), await api.register()
    room = await new_room(
        api, host, config={"autoAdvance": True, "durations": {"warmupSec": 2, "codingSec": 60, "wrapupSec": 60}}
    )
    await join(api, a, room["inviteCode"])
    await api.post(f"/api/rooms/{room['id']}/phase", {"to": "warmup"}, token=host["accessToken"])
    await first.stop()
    second = await make_server(mongodb_db="restart_rooms", data_dir=tmp_path)
    api = Api(second.url)
    detail = (await api.get(f"/api/rooms/{room['id']}", token=a["accessToken"])).json
    assert detail["participantCount"] == 2 and detail["myRole"] == "candidate" and detail["sessionId"]
    for _ in range(60):  # the re-armed warmup deadline still fires after the restart
        detail = (await api.get(f"/api/rooms/{room['id']}", token=a["accessToken"])).json
        if detail["status"] == "coding":
            break
        await asyncio.sleep(0.1)
    assert detail["status"] == "coding"
    await second.stop()


async def test_snapshot_callback_joins_the_session(api: Api, server) -> None:
    """A split-out collab plane posts snapshots over HTTP; they land in the session like in-process ones."""
    host = await api.register()
    room = await new_room(api, host)
    session_id = (await api.post(f"/api/rooms/{room['id']}/phase", {"to": "warmup"}, token=host["accessToken"])).json[
        "sessionId"
    ]
    payload = {
        "roomId": room["id"],
        "trigger": "manual",
        "language": "python",
        "code": "print('from http')\n",
        "snapshot": base64.b64encode(b"\x00\x00").decode(),
        "timestamp": "2026-01-01T00:00:00.000Z",
    }
    secret = {"X-Internal-Secret": server.settings.internal_secret}
    r = await api.post("/api/internal/collab/snapshot", payload, headers=secret)
    assert r.status == 200 and r.json == {"received": True}
    stored = await server.db.codeSnapshots.find_one({"sessionId": session_id, "trigger": "manual"})
    assert stored["code"] == "print('from http')\n" and stored["linesOfCode"] == 1
    assert_error(await api.post("/api/internal/collab/snapshot", payload), 401)
