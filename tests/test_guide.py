"""The interviewer's guide over real HTTP and WebSockets: the interviewer reads it, the candidate finds no trace of
it (room detail, events, the collab document and token, the problem endpoint, the feedback form) until the session
has finished; hints are revealed in order; admins write guides through the problems API."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from syncode.services.problem_bank import load_bank, parse_problem
from tests.collab.yclient import YClient
from tests.conftest import Api, assert_error, make_admin
from tests.test_events import EventClient

BANK = Path(__file__).resolve().parent.parent / "problems"
SLUG = "two-sum"


@pytest.fixture(scope="module")
async def server(make_server, tmp_path_factory: pytest.TempPathFactory):
    srv = await make_server(max_active_rooms=1000)
    bank = tmp_path_factory.mktemp("bank")
    shutil.copy(BANK / f"{SLUG}.toml", bank)
    report = await load_bank(srv.db, bank)
    assert report.created == [SLUG], report
    return srv


@pytest.fixture(scope="module")
def bank_problem():
    return parse_problem((BANK / f"{SLUG}.toml").read_bytes(), f"{SLUG}.toml")


def secrets_of(problem) -> list[str]:
    """Texts that only the guide holds: a candidate must never receive any of them before the session ends."""
    guide = problem.guide
    anchors = [text for dimension in dict(guide.rubric).values() for text in dict(dimension).values()]
    solutions = [code.strip() for code in problem.reference.values()]
    return [guide.approach, *guide.mistakes, *guide.follow_ups, *anchors, *solutions]


def leaked(received: Any, secrets: list[str]) -> list[str]:
    text = received if isinstance(received, str) else json.dumps(received)
    return [s[:60] for s in secrets if s in text or json.dumps(s)[1:-1] in text]


async def peer_room(api: Api, problem: str | None = SLUG, observer: bool = False) -> tuple[str, dict[str, dict]]:
    people = {"interviewer": await api.register(), "candidate": await api.register()}
    body: dict[str, Any] = {"mode": "peer", "config": {"maxParticipants": 3}}
    if problem:
        body["problemId"] = problem
    room = (await api.post("/api/rooms", body, token=people["interviewer"]["accessToken"])).json
    roles = ["candidate", "observer"] if observer else ["candidate"]
    if observer:
        people["observer"] = await api.register()
    for role in roles:
        r = await api.post(
            "/api/rooms/join", {"inviteCode": room["inviteCode"], "role": role}, token=people[role]["accessToken"]
        )
        assert r.status == 200 and r.json["myRole"] == role, r.body
    return room["id"], people


async def advance(api: Api, rid: str, host: dict, *phases: str) -> None:
    for to in phases:
        r = await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=host["accessToken"])
        assert r.status == 200, r.body


def collab_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_interviewer_reads_the_guide_and_the_candidate_finds_no_trace(api: Api, server, bank_problem) -> None:
    rid, p = await peer_room(api, observer=True)
    interviewer, candidate, observer = (p[r]["accessToken"] for r in ("interviewer", "candidate", "observer"))
    secrets = secrets_of(bank_problem)
    events = await EventClient.connect(server, candidate)
    detail = (await api.get(f"/api/rooms/{rid}", token=candidate)).json
    document = await YClient.connect(server.url, rid, detail["collab"]["token"])
    await asyncio.wait_for(document.synced.wait(), 5)

    r = await api.get(f"/api/rooms/{rid}/guide", token=interviewer)
    assert r.status == 200, r.body
    guide = r.json
    written = bank_problem.guide
    assert guide["problem"]["title"] == bank_problem.title
    assert guide["approach"] == written.approach and guide["mistakes"] == written.mistakes
    assert guide["complexity"] == {"time": written.complexity.time, "space": written.complexity.space}
    assert guide["followUps"] == written.follow_ups and 3 <= len(guide["followUps"]) <= 5
    assert set(guide["rubric"]) == {"problemSolving", "codeQuality", "testing", "communication"}
    assert guide["rubric"]["testing"] == {
        "1": written.rubric.testing.poor,
        "3": written.rubric.testing.fair,
        "5": written.rubric.testing.strong,
    }
    assert guide["hints"] == bank_problem.hints
    assert guide["referenceSolutions"] == {"python": bank_problem.reference["python"]}
    assert "read_guide" in (await api.get(f"/api/rooms/{rid}", token=interviewer)).json["myCapabilities"]
    for token in (candidate, observer):
        assert_error(await api.get(f"/api/rooms/{rid}/guide", token=token), 403, "FORBIDDEN")
        assert_error(await api.post(f"/api/rooms/{rid}/hints/reveal", {"index": 0}, token=token), 403, "FORBIDDEN")

    # Everything the candidate reads while the room lives, through every channel.
    await advance(api, rid, p["interviewer"], "warmup")
    r = await api.post(f"/api/rooms/{rid}/hints/reveal", {"index": 0}, token=interviewer)
    assert r.status == 200 and [h["text"] for h in r.json["revealedHints"]] == bank_problem.hints[:1], r.body
    await advance(api, rid, p["interviewer"], "coding", "wrapup")
    answers = [
        await api.get(f"/api/rooms/{rid}", token=candidate),
        await api.get(f"/api/rooms/{rid}/participants", token=candidate),
        await api.get(f"/api/problems/{SLUG}", token=candidate),
        await api.get(f"/api/problems?search={SLUG}", token=candidate),
        await api.get(f"/api/rooms/{rid}/feedback/form", token=candidate),
        await api.get("/api/users/me/active-room", token=candidate),
    ]
    assert all(a.status == 200 for a in answers), [a.body[:200] for a in answers]
    assert answers[2].json["guide"] is None and "referenceSolutions" not in answers[2].json
    session_id = answers[0].json["sessionId"]
    assert_error(await api.get(f"/api/sessions/{session_id}/guide", token=candidate), 409, "SESSION_NOT_FINISHED")
    await events.sync()
    token = answers[0].json["collab"]["token"]
    assert set(collab_claims(token)) == {"sub", "typ", "jti", "iat", "exp", "roomId", "role"}
    assert not leaked([a.json for a in answers], secrets)
    assert not leaked(events.received, secrets)
    assert not leaked(json.dumps(collab_claims(token)), secrets)
    state = document.doc.get_update()
    assert not [s[:60] for s in secrets if s.encode() in state], "guide content in the collab document"
    assert str(document.text()).strip() == bank_problem.starter_code["python"].strip()
    document.close()

    # The form: the interviewer rates the candidate against the problem's rubric, the candidate gets general anchors.
    form = (await api.get(f"/api/rooms/{rid}/feedback/form", token=interviewer)).json["data"]
    assert [(f["revieweeId"], f["revieweeRole"], f["source"]) for f in form] == [
        (p["candidate"]["user"]["id"], "candidate", "problem")
    ]
    assert form[0]["anchors"]["problemSolving"] == guide["rubric"]["problemSolving"]
    assert set(form[0]["anchors"]) == {"problemSolving", "codeQuality", "testing", "communication", "overall"}
    mine = answers[4].json["data"]
    assert [(f["revieweeRole"], f["source"]) for f in mine] == [("interviewer", "general")]
    assert_error(await api.get(f"/api/rooms/{rid}/feedback/form", token=observer), 403, "FORBIDDEN")

    # Once the session has finished, every participant reads the guide.
    await advance(api, rid, p["interviewer"], "finished")
    for token in (candidate, observer, interviewer):
        r = await api.get(f"/api/sessions/{session_id}/guide", token=token)
        assert r.status == 200 and r.json == guide, r.body
    stranger = (await api.register())["accessToken"]
    assert_error(await api.get(f"/api/sessions/{session_id}/guide", token=stranger), 403, "FORBIDDEN")
    events.connection.close()


async def test_hints_are_revealed_in_order(api: Api, server, bank_problem) -> None:
    rid, p = await peer_room(api)
    interviewer, candidate = p["interviewer"]["accessToken"], p["candidate"]["accessToken"]
    ladder = bank_problem.hints
    path = f"/api/rooms/{rid}/hints/reveal"
    events = await EventClient.connect(server, candidate)
    assert_error(await api.post(path, {"index": 0}, token=interviewer), 409, "ROOM_NOT_STARTED")
    await advance(api, rid, p["interviewer"], "warmup")
    body = assert_error(await api.post(path, {"index": 1}, token=interviewer), 409, "HINT_OUT_OF_ORDER")
    assert body["details"] == {"next": 0}
    for index, text in enumerate(ladder):
        r = await api.post(path, {"index": index}, token=interviewer)
        assert r.status == 200 and len(r.json["revealedHints"]) == index + 1, r.body
        frame = await events.expect("hint.revealed", rid)
        assert frame["data"]["index"] == index and frame["data"]["text"] == text
        assert frame["data"]["revealedBy"] == p["interviewer"]["user"]["id"] and frame["data"]["total"] == len(ladder)
    again = await api.post(path, {"index": 0}, token=interviewer)  # a retry: no new reveal, no new event
    assert again.status == 200 and len(again.json["revealedHints"]) == len(ladder)
    assert_error(await api.post(path, {"index": len(ladder)}, token=interviewer), 400, "VALIDATION_FAILED")
    assert_error(await api.post(path, {"index": -1}, token=interviewer), 400, "VALIDATION_FAILED")
    assert_error(await api.post(path, {"index": 0, "extra": 1}, token=interviewer), 400, "VALIDATION_FAILED")
    shown = (await api.get(f"/api/rooms/{rid}", token=candidate)).json["revealedHints"]
    assert [(h["index"], h["text"]) for h in shown] == list(enumerate(ladder))
    assert all(h["revealedAt"].endswith("Z") for h in shown)
    await events.sync()
    assert events.types(rid).count("hint.revealed") == len(ladder)
    session_id = (await api.get(f"/api/rooms/{rid}", token=candidate)).json["sessionId"]
    await advance(api, rid, p["interviewer"], "finished")
    assert_error(await api.post(path, {"index": 0}, token=interviewer), 409, "ROOM_FINISHED")
    timeline = (await api.get(f"/api/sessions/{session_id}/events", token=candidate)).json["data"]
    revealed = [e for e in timeline if e["type"] == "hint_revealed"]
    assert [e["data"]["index"] for e in revealed] == list(range(len(ladder)))
    assert all(e["actorId"] == p["interviewer"]["user"]["id"] for e in revealed)
    events.connection.close()


async def test_who_reads_the_guide_follows_roles_and_mode(api: Api, server) -> None:
    # A room without a problem: 409 for the interviewer, still 403 for the candidate.
    rid, p = await peer_room(api, problem=None)
    interviewer, candidate = p["interviewer"]["accessToken"], p["candidate"]["accessToken"]
    assert_error(await api.get(f"/api/rooms/{rid}/guide", token=interviewer), 409, "ROOM_NO_PROBLEM")
    assert_error(await api.get(f"/api/rooms/{rid}/guide", token=candidate), 403, "FORBIDDEN")
    await advance(api, rid, p["interviewer"], "warmup")
    assert_error(
        await api.post(f"/api/rooms/{rid}/hints/reveal", {"index": 0}, token=interviewer), 409, "ROOM_NO_PROBLEM"
    )
    # After a role swap the guide follows the interviewer's seat, not the host.
    r = await api.put(f"/api/rooms/{rid}/problem", {"problemId": SLUG}, token=interviewer)
    assert r.status == 200, r.body
    request = (await api.post(f"/api/rooms/{rid}/role-swap", token=interviewer)).json["requestId"]
    r = await api.post(f"/api/rooms/{rid}/role-swap/{request}", {"accept": True}, token=candidate)
    assert r.status == 200, r.body
    assert (await api.get(f"/api/rooms/{rid}/guide", token=candidate)).status == 200
    assert_error(await api.get(f"/api/rooms/{rid}/guide", token=interviewer), 403, "FORBIDDEN")
    # In ai mode nobody reads it: the AI interviewer does.
    host = await api.register()
    room = (await api.post("/api/rooms", {"mode": "ai", "problemId": SLUG}, token=host["accessToken"])).json
    assert room["myRole"] == "candidate" and "read_guide" not in room["myCapabilities"]
    assert_error(await api.get(f"/api/rooms/{room['id']}/guide", token=host["accessToken"]), 403, "FORBIDDEN")


async def test_admins_write_guides_through_the_problems_api(api: Api, server, bank_problem) -> None:
    admin = (await make_admin(server, api))["accessToken"]
    guide = bank_problem.guide.model_dump(mode="json", by_alias=True)
    problem = {
        "title": "Guided Problem",
        "description": "## Input\nn\n## Output\nn",
        "difficulty": "easy",
        "hints": ["first", "second"],
        "testCases": [{"input": "1\n", "expectedOutput": "1\n"}],
    }
    r = await api.post("/api/problems", {**problem, "guide": guide}, token=admin)
    assert r.status == 201 and r.json["guide"] == guide, r.body
    pid = r.json["id"]
    broken = {**guide, "rubric": {k: v for k, v in guide["rubric"].items() if k != "testing"}}
    body = assert_error(await api.patch(f"/api/problems/{pid}", {"guide": broken}, token=admin), 400)
    assert "guide.rubric.testing" in body["details"]
    rid, p = await peer_room(api, problem=pid)
    assert (await api.get(f"/api/problems/{pid}", token=p["candidate"]["accessToken"])).json["guide"] is None
    read = (await api.get(f"/api/rooms/{rid}/guide", token=p["interviewer"]["accessToken"])).json
    assert read["approach"] == guide["approach"] and read["hints"] == ["first", "second"]
    assert read["referenceSolutions"] == {}
    # Removing it leaves the interviewer the hint ladder.
    r = await api.patch(f"/api/problems/{pid}", {"guide": None}, token=admin)
    assert r.status == 200 and r.json["guide"] is None, r.body
    read = (await api.get(f"/api/rooms/{rid}/guide", token=p["interviewer"]["accessToken"])).json
    assert read["approach"] is None and read["rubric"] is None and read["mistakes"] == []
    assert read["hints"] == ["first", "second"]
    # The feedback form then falls back on general anchors for the candidate.
    await advance(api, rid, p["interviewer"], "warmup", "coding", "wrapup")
    form = (await api.get(f"/api/rooms/{rid}/feedback/form", token=p["interviewer"]["accessToken"])).json["data"]
    assert [(f["revieweeRole"], f["source"]) for f in form] == [("candidate", "general")]
