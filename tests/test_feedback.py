"""Peer feedback over real HTTP: submit, visibility until every pair has submitted, phase and mode rules."""

from __future__ import annotations

import pytest

from syncode.enums import PHASES
from tests.conftest import Api, assert_error

RATINGS = {"problemSolving": 4, "communication": 5, "codeQuality": 3, "testing": 2, "overall": 4}


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000)


async def peer_room(api: Api, *, observer: bool = False, phase: str | None = "wrapup", mode: str = "peer"):
    """host (interviewer), candidate and optionally an observer, in the room, moved to `phase`."""
    host, candidate = await api.register(), await api.register()
    r = await api.post("/api/rooms", {"mode": mode, "config": {"maxParticipants": 3}}, token=host["accessToken"])
    assert r.status == 201, r.body
    room = r.json
    r = await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=candidate["accessToken"])
    # In ai mode the host is the candidate, so the second person observes.
    assert r.status == 200 and r.json["myRole"] == ("candidate" if mode == "peer" else "observer"), r.body
    people = {"host": host, "candidate": candidate}
    if observer:
        people["observer"] = await api.register()
        r = await api.post(
            "/api/rooms/join",
            {"inviteCode": room["inviteCode"], "role": "observer"},
            token=people["observer"]["accessToken"],
        )
        assert r.status == 200 and r.json["myRole"] == "observer", r.body
    phases = PHASES[1:]  # after waiting
    for to in phases[: phases.index(phase) + 1] if phase else []:
        r = await api.post(f"/api/rooms/{room['id']}/phase", {"to": to}, token=host["accessToken"])
        assert r.status == 200, r.body
    return room["id"], people


def review(reviewee: dict, **extra) -> dict:
    return {"revieweeId": reviewee["user"]["id"], "ratings": RATINGS, **extra}


async def test_submit_and_visibility_until_everyone_submitted(api: Api, server) -> None:
    rid, p = await peer_room(api, observer=True)
    host, candidate = p["host"], p["candidate"]
    path = f"/api/rooms/{rid}/feedback"
    r = await api.post(
        path, review(candidate, strengths="clear plan", comment="good", wouldPairAgain=True), token=host["accessToken"]
    )
    assert r.status == 201, r.body
    mine = r.json
    assert {
        k: mine[k]
        for k in (
            "roomId",
            "reviewerId",
            "revieweeId",
            "ratings",
            "strengths",
            "improvements",
            "comment",
            "wouldPairAgain",
        )
    } == {
        "roomId": rid,
        "reviewerId": host["user"]["id"],
        "revieweeId": candidate["user"]["id"],
        "ratings": RATINGS,
        "strengths": "clear plan",
        "improvements": None,
        "comment": "good",
        "wouldPairAgain": True,
    }
    assert mine["id"] and mine["sessionId"] and mine["createdAt"].endswith("Z")
    assert_error(await api.post(path, review(candidate), token=host["accessToken"]), 409, "FEEDBACK_EXISTS")

    # Until the candidate has answered, each side sees only what they wrote.
    assert (await api.get(path, token=host["accessToken"])).json == {"data": [mine], "allSubmitted": False}
    assert (await api.get(path, token=candidate["accessToken"])).json == {"data": [], "allSubmitted": False}

    # Feedback stays open once the room has finished.
    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=host["accessToken"])
    r = await api.post(path, review(host, improvements="test edge cases"), token=candidate["accessToken"])
    assert r.status == 201, r.body
    theirs = r.json
    for user in (host, candidate):
        assert (await api.get(path, token=user["accessToken"])).json == {"data": [mine, theirs], "allSubmitted": True}
    assert (await api.get(f"{path}/mine", token=candidate["accessToken"])).json == {"data": [theirs]}
    events = [
        e async for e in server.db.sessionEvents.find({"sessionId": mine["sessionId"], "type": "feedback_submitted"})
    ]
    assert sorted((e["actorId"], e["data"]["revieweeId"]) for e in events) == sorted(
        [(host["user"]["id"], candidate["user"]["id"]), (candidate["user"]["id"], host["user"]["id"])]
    )


async def test_phase_and_mode_rules(api: Api) -> None:
    rid, p = await peer_room(api, phase=None)
    for to in (None, "warmup", "coding"):
        if to:
            await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=p["host"]["accessToken"])
        r = await api.post(f"/api/rooms/{rid}/feedback", review(p["candidate"]), token=p["host"]["accessToken"])
        assert_error(r, 409, "FEEDBACK_NOT_OPEN")
    # Finished straight from waiting: there never was a session to review.
    rid, p = await peer_room(api, phase=None)
    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=p["host"]["accessToken"])
    r = await api.post(f"/api/rooms/{rid}/feedback", review(p["candidate"]), token=p["host"]["accessToken"])
    assert_error(r, 409, "FEEDBACK_NOT_OPEN")
    # AI rooms have no peer to review.
    rid, p = await peer_room(api, mode="ai", phase="wrapup")
    for method, path, body in (("POST", "", review(p["host"])), ("GET", "", None), ("GET", "/mine", None)):
        r = await api.request(method, f"/api/rooms/{rid}/feedback{path}", body, token=p["host"]["accessToken"])
        assert_error(r, 409, "FEEDBACK_PEER_ONLY")


async def test_validation(api: Api) -> None:
    rid, p = await peer_room(api, observer=True)
    token, path = p["host"]["accessToken"], f"/api/rooms/{rid}/feedback"
    stranger = await api.register()
    for body, field in (
        (review(p["host"]), "revieweeId"),  # yourself
        (review(p["observer"]), "revieweeId"),  # observers are not reviewed
        (review(stranger), "revieweeId"),
        ({"revieweeId": p["candidate"]["user"]["id"], "ratings": {**RATINGS, "overall": 6}}, "ratings.overall"),
        ({"revieweeId": p["candidate"]["user"]["id"], "ratings": {**RATINGS, "testing": 0}}, "ratings.testing"),
        ({"revieweeId": p["candidate"]["user"]["id"], "ratings": {**RATINGS, "testing": 2.5}}, "ratings.testing"),
        ({"revieweeId": p["candidate"]["user"]["id"], "ratings": {"overall": 3}}, "ratings.problemSolving"),
        ({"revieweeId": p["candidate"]["user"]["id"], "ratings": {**RATINGS, "speed": 3}}, "ratings.speed"),
        (review(p["candidate"], comment="x" * 2001), "comment"),
        (review(p["candidate"], strengths="x" * 2001), "strengths"),
        (review(p["candidate"], mood="great"), "mood"),
        ({"ratings": RATINGS}, "revieweeId"),
    ):
        body_ = assert_error(await api.post(path, body, token=token), 400, "VALIDATION_FAILED")
        assert field in body_["details"], (field, body_)
    assert (await api.get(path, token=token)).json["data"] == []  # nothing was stored
    assert (await api.post(path, review(p["candidate"], comment="x" * 2000), token=token)).status == 201
    assert_error(await api.get("/api/rooms/not-a-room/feedback", token=token), 404, "ROOM_NOT_FOUND")


async def test_authorization(api: Api) -> None:
    """Feedback rows of the authorization matrix: only the interviewer and the candidate are allowed."""
    rid, p = await peer_room(api, observer=True)
    stranger = await api.register()
    host, candidate = p["host"], p["candidate"]
    rows = [
        ("POST", "/feedback", lambda me: review(candidate if me is host else host)),
        ("GET", "/feedback", lambda me: None),
        ("GET", "/feedback/mine", lambda me: None),
    ]
    for method, suffix, body in rows:
        url = f"/api/rooms/{rid}{suffix}"
        assert_error(await api.request(method, url, body(host)), 401, "UNAUTHORIZED")
        for outsider in (stranger, p["observer"]):
            r = await api.request(method, url, body(host), token=outsider["accessToken"])
            assert_error(r, 403, "FORBIDDEN")
        for me in (host, candidate):
            r = await api.request(method, url, body(me), token=me["accessToken"])
            assert r.status == (201 if method == "POST" else 200), (method, suffix, r.body)
