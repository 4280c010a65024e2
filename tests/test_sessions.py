"""Session history end to end: one interview played over real sockets (REST, /api/ws, /collab with a Yjs client,
the real judge), then every /api/sessions endpoint checked against what happened."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from typing import Any

import pytest
from pycrdt import Map

from tests.collab.yclient import YClient
from tests.conftest import Api, assert_error, make_admin
from tests.test_e2e_room import EventClient
from tests.test_execution import create_problem, eventually

WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"
RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
HOSTILE = '<script>alert("x")</script> & </text>'
SHAPES = {
    "s1": {"type": "rect", "x": 10, "y": 20, "w": 120, "h": 60, "stroke": "#ff0000", "authorId": "a"},
    "s2": {"type": "arrow", "x": 0, "y": 0, "points": [[0, 0], [80, 40]], "authorId": "a"},
    "s3": {"type": "text", "x": 30, "y": 150, "text": HOSTILE, "authorId": "a"},
    "s4": {"type": "ellipse", "x": 200, "y": 10, "w": 50, "h": 30, "fill": "url(http://example.com/x)"},
}
ACTIONS = [  # the timeline of the story, in order
    ("phase_changed", {"to": "warmup"}),
    ("language_changed", {"language": "python"}),
    ("problem_changed", {}),
    ("phase_changed", {"to": "coding"}),
    ("timer_paused", {}),
    ("timer_resumed", {}),
    ("run", {"verdict": "accepted"}),
    ("submission", {"verdict": "wrong_answer", "passed": 0}),
    ("submission", {"verdict": "accepted", "passed": 4, "total": 4}),
    ("editor_locked", {}),
    ("editor_unlocked", {}),
    ("chat_message", {"text": "let me think <b>aloud</b>"}),
    ("participant_joined", {"role": "observer"}),
    ("participant_left", {"kicked": True}),
    ("role_swapped", {}),
    ("phase_changed", {"to": "wrapup"}),
    ("feedback_submitted", {}),
    ("feedback_submitted", {}),
    ("phase_changed", {"to": "finished"}),
]


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000, collab_snapshot_interval_sec=1, collab_tick_sec=0.2)


async def ok(response, status: int = 200) -> Any:
    assert response.status == status, response.body[:500]
    return response.json


class Story:
    """Alice (host, interviewer) and Bob (candidate) practise; Carol observes for a moment and is kicked."""

    def __init__(self, api: Api, server) -> None:
        self.api, self.server = api, server

    async def play(self) -> Story:
        api = self.api
        self.admin = await make_admin(self.server, api)
        self.problem = await create_problem(api, self.admin)
        self.alice, self.bob, self.carol = [await api.register() for _ in range(3)]
        room = await ok(await api.post("/api/rooms", self._room_body(), token=self.a), 201)
        self.rid = room["id"]
        joined = await ok(await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=self.b))
        self.events_a = await EventClient.connect(self.server.url, self.a)
        await self.events_a.wait_for("ready")
        self.doc_a = await YClient.connect(self.server.url, self.rid, room["collab"]["token"])
        self.doc_b = await YClient.connect(self.server.url, self.rid, joined["collab"]["token"])
        await self._warmup(room["inviteCode"])
        await self._code()
        await self._judge()
        await self._talk(room["inviteCode"])
        await self._wrap_up()
        return self

    @property
    def a(self) -> str:
        return self.alice["accessToken"]

    @property
    def b(self) -> str:
        return self.bob["accessToken"]

    def _room_body(self) -> dict[str, Any]:
        return {"mode": "peer", "language": "javascript", "config": {"maxParticipants": 3}}

    async def _phase(self, to: str) -> dict:
        return await ok(await self.api.post(f"/api/rooms/{self.rid}/phase", {"to": to}, token=self.a))

    async def _warmup(self, code: str) -> None:
        self.session_id = (await self._phase("warmup"))["sessionId"]
        await ok(await self.api.patch(f"/api/rooms/{self.rid}/settings", {"language": "python"}, token=self.a))
        body = {"problemId": self.problem["id"]}
        await ok(await self.api.put(f"/api/rooms/{self.rid}/problem", body, token=self.a))
        await self._phase("coding")

    async def _code(self) -> None:
        """Bob types the (wrong) solution, Alice draws on the whiteboard, the timer pauses for two seconds."""
        text = self.doc_b.text()
        await self.doc_b.wait_for(lambda: "import os" in str(text))
        with self.doc_b.doc.transaction():
            del text[0 : len(str(text))]
            text += WRONG
        board = self.doc_a.doc.get("whiteboard", type=Map)
        with self.doc_a.doc.transaction():
            for key, shape in SHAPES.items():
                board[key] = Map(shape) if key == "s1" else shape
        await self.doc_a.wait_for(lambda: str(self.doc_a.text()) == WRONG)
        await asyncio.sleep(2)  # a periodic snapshot of the changed document (interval 1 s, tick 0.2 s)
        await ok(await self.api.post(f"/api/rooms/{self.rid}/timer/pause", token=self.a))
        await asyncio.sleep(2.2)
        await ok(await self.api.post(f"/api/rooms/{self.rid}/timer/resume", token=self.a))

    async def _judge(self) -> None:
        api, rid = self.api, self.rid
        run = await ok(
            await api.post(
                f"/api/rooms/{rid}/run", {"language": "python", "code": RIGHT, "stdin": "1 2\n"}, token=self.b
            ),
            202,
        )
        await self.events_a.wait_for("run.completed", id=run["runId"])
        for code in (WRONG, RIGHT):
            sub = await ok(
                await api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": code}, token=self.b), 202
            )
            await self.events_a.wait_for("submission.completed", id=sub["submissionId"])
        await ok(await api.post(f"/api/rooms/{rid}/analysis", {}, token=self.b), 202)  # a `manual` snapshot
        await ok(await api.post(f"/api/rooms/{rid}/lock", token=self.a))
        await ok(await api.post(f"/api/rooms/{rid}/unlock", token=self.a))

    async def _talk(self, code: str) -> None:
        frame = {"type": "chat.send", "roomId": self.rid, "data": {"text": ACTIONS[11][1]["text"]}}
        self.events_a.connection.write_message(json.dumps(frame))
        await self.events_a.wait_for("chat.message")
        await ok(
            await self.api.post(
                "/api/rooms/join", {"inviteCode": code, "role": "observer"}, token=self.carol["accessToken"]
            )
        )
        carol_id = self.carol["user"]["id"]
        await ok(await self.api.delete(f"/api/rooms/{self.rid}/participants/{carol_id}", token=self.a), 204)
        swap = await ok(await self.api.post(f"/api/rooms/{self.rid}/role-swap", token=self.b), 201)
        await ok(
            await self.api.post(f"/api/rooms/{self.rid}/role-swap/{swap['requestId']}", {"accept": True}, token=self.a)
        )

    async def _wrap_up(self) -> None:
        await self._phase("wrapup")
        ratings = {"problemSolving": 4, "communication": 5, "codeQuality": 3, "testing": 4, "overall": 4}
        for token, reviewee in ((self.a, self.bob), (self.b, self.alice)):
            body = {"revieweeId": reviewee["user"]["id"], "ratings": ratings}
            await ok(await self.api.post(f"/api/rooms/{self.rid}/feedback", body, token=token), 201)
        self.final_text = str(self.doc_a.text())
        await self._phase("finished")
        self.events_a.close()

    async def get(self, suffix: str = "", token: str | None = None, status: int = 200) -> Any:
        return await ok(await self.api.get(f"/api/sessions/{self.session_id}{suffix}", token=token or self.a), status)


@pytest.fixture(scope="module")
async def story(api: Api, server) -> Story:
    played = await Story(api, server).play()
    # Runs and submissions reach the timeline just after their results (bookkeeping waits for an idle judge).
    await eventually(
        lambda: played.get("/events"), lambda body: [e["type"] for e in body["data"]].count("submission") == 2
    )
    return played


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_timeline_holds_each_action_once_in_order(story: Story) -> None:
    events = (await story.get("/events"))["data"]
    assert [e["type"] for e in events] == [kind for kind, _ in ACTIONS]
    for event, (kind, data) in zip(events, ACTIONS, strict=True):
        assert {k: event["data"].get(k) for k in data} == data, (kind, event)
        assert event["sessionId"] == story.session_id and event["id"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    by_type = {e["type"]: e for e in events}
    assert by_type["participant_left"]["data"]["userId"] == story.carol["user"]["id"]
    assert by_type["chat_message"]["actorId"] == story.alice["user"]["id"]
    assert by_type["problem_changed"]["data"]["problemId"] == story.problem["id"]


async def test_detail_tells_what_happened(story: Story) -> None:
    detail = await story.get()
    assert detail["id"] == story.session_id and detail["roomId"] == story.rid and detail["mode"] == "peer"
    assert detail["problem"]["id"] == story.problem["id"] and detail["language"] == "python"
    people = {p["userId"]: p for p in detail["participants"]}
    alice, bob, carol = (people[u["user"]["id"]] for u in (story.alice, story.bob, story.carol))
    assert (alice["role"], bob["role"], carol["role"]) == ("candidate", "interviewer", "observer")  # swapped
    assert alice["leftAt"] is None and carol["leftAt"] and carol["username"] == story.carol["user"]["username"]
    assert detail["myRole"] == "candidate" and detail["finishedAt"]
    assert [(r["verdict"], r["status"]) for r in detail["runs"]] == [("accepted", "completed")]
    subs = [(s["verdict"], s["passed"], s["total"]) for s in detail["submissions"]]
    assert subs == [("wrong_answer", 0, 4), ("accepted", 4, 4)]
    assert detail["verdict"] == "accepted"
    assert detail["finalCode"] == {"language": "python", "code": story.final_text}
    assert detail["hasReport"] == (detail["reportStatus"] is not None) and detail["hasRecording"] is False
    assert detail["hasWhiteboard"] is True and detail["feedbackCount"] == 2
    # Coding time without the pause, by hand from the timeline.
    events = (await story.get("/events"))["data"]
    moment = {(e["type"], e["data"].get("to")): at(e["at"]) for e in events}
    coding, wrapup = moment[("phase_changed", "coding")], moment[("phase_changed", "wrapup")]
    paused, resumed = moment[("timer_paused", None)], moment[("timer_resumed", None)]
    expected = int(((paused - coding) + (wrapup - resumed)).total_seconds())
    assert detail["durationSec"] == expected and (wrapup - coding).total_seconds() - expected >= 2


async def test_snapshots_by_trigger(story: Story) -> None:
    snapshots = (await story.get("/snapshots?limit=100"))["data"]
    triggers = [s["trigger"] for s in snapshots]
    assert {"periodic", "phase_change", "submission", "manual", "session_end"} <= set(triggers)
    assert [s["createdAt"] for s in snapshots] == sorted(s["createdAt"] for s in snapshots)
    assert triggers[-1] == "session_end" and snapshots[-1]["code"] == story.final_text
    assert all(s["linesOfCode"] == len(s["code"].splitlines()) and "state" not in s for s in snapshots)
    assert {s["phase"] for s in snapshots if s["trigger"] == "submission"} == {"coding"}
    first = await story.get("/snapshots?limit=2")
    assert len(first["data"]) == 2 and first["pagination"]["hasMore"]
    rest = await story.get(f"/snapshots?limit=100&cursor={first['pagination']['nextCursor']}")
    assert [s["id"] for s in first["data"] + rest["data"]] == [s["id"] for s in snapshots]


async def test_periodic_snapshots_only_while_the_document_changes(story: Story) -> None:
    """The collab plane takes one every interval (1 s here) if the document changed since the last one: one after
    the edits of the coding phase, none during the 2.2 s pause that followed them (nobody typed)."""
    snapshots = (await story.get("/snapshots?limit=100"))["data"]
    events = (await story.get("/events"))["data"]
    moment = {e["type"]: at(e["at"]) for e in events}
    periodic = [at(s["createdAt"]) for s in snapshots if s["trigger"] == "periodic" and s["phase"] == "coding"]
    assert periodic and all(t < moment["timer_paused"] for t in periodic), (periodic, moment["timer_paused"])


async def test_openapi_documents_the_session_endpoints(api: Api) -> None:
    paths = (await ok(await api.get("/api/openapi.json")))["paths"]
    for path in ("", "/{sessionId}", "/{sessionId}/events", "/{sessionId}/snapshots", "/{sessionId}/whiteboard"):
        assert "get" in paths[f"/api/sessions{path}"], path
    assert "delete" in paths["/api/sessions/{sessionId}"]
    board = paths["/api/sessions/{sessionId}/whiteboard"]["get"]
    assert {"application/json", "image/svg+xml", "image/png"} <= set(board["responses"]["200"]["content"])
    assert {"400", "401", "403", "404", "503"} <= set(board["responses"])
    assert "format" in {p["name"] for p in board["parameters"]}


async def test_feedback_ai_messages_and_recording(story: Story) -> None:
    feedback = (await story.get("/feedback"))["data"]
    assert {(f["reviewerId"], f["revieweeId"]) for f in feedback} == {
        (story.alice["user"]["id"], story.bob["user"]["id"]),
        (story.bob["user"]["id"], story.alice["user"]["id"]),
    }
    assert all(f["sessionId"] == story.session_id for f in feedback)
    assert await story.get("/ai-messages") == {"data": []}
    r = await story.api.get(f"/api/sessions/{story.session_id}/recording", token=story.a)
    assert_error(r, 404, "RECORDING_NOT_FOUND")


async def test_whiteboard_exports(story: Story) -> None:
    board = await story.get("/whiteboard?format=json")
    shapes = {s["id"]: s for s in board["shapes"]}
    assert set(shapes) == set(SHAPES) and shapes["s3"]["text"] == HOSTILE
    assert shapes["s2"]["points"] == [[0, 0], [80, 40]] and shapes["s4"]["fill"] is None  # no url() paint
    assert (shapes["s1"]["w"], shapes["s1"]["stroke"], shapes["s1"]["authorId"]) == (120, "#ff0000", "a")
    assert await story.get("/whiteboard") == board  # json is the default
    r = await story.api.get(f"/api/sessions/{story.session_id}/whiteboard?format=svg", token=story.a)
    assert r.status == 200 and r.headers["Content-Type"].startswith("image/svg+xml")
    svg = r.body.decode()
    assert svg.count("<rect") == 2 and "<ellipse" in svg and "<polyline" in svg and "marker-end" in svg
    assert '&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;/text&gt;' in svg and "<script" not in svg
    r = await story.api.get(f"/api/sessions/{story.session_id}/whiteboard?format=png", token=story.a)
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    assert r.body.startswith(b"\x89PNG\r\n\x1a\n") and len(r.body) > 500
    r = await story.api.get(f"/api/sessions/{story.session_id}/whiteboard?format=gif", token=story.a)
    body = assert_error(r, 400, "VALIDATION_FAILED")
    assert all(name in body["details"]["format"] for name in ("json", "svg", "png"))


async def test_png_unavailable_is_a_clear_503(story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # as when the cairo library cannot be loaded
    r = await story.api.get(f"/api/sessions/{story.session_id}/whiteboard?format=png", token=story.a)
    assert "format=svg" in assert_error(r, 503, "EXPORT_FORMAT_UNAVAILABLE")["message"]


async def test_access_outsiders_unknown_admins(story: Story, api: Api) -> None:
    outsider = await api.register()
    paths = ["", "/events", "/snapshots", "/recording", "/feedback", "/ai-messages", "/whiteboard"]
    for suffix in paths:
        r = await api.get(f"/api/sessions/{story.session_id}{suffix}", token=outsider["accessToken"])
        assert_error(r, 403, "FORBIDDEN", suffix)
        r = await api.get(f"/api/sessions/no-such-session{suffix}", token=story.a)
        assert_error(r, 404, "SESSION_NOT_FOUND", suffix)
    assert_error(await api.delete(f"/api/sessions/{story.session_id}", token=outsider["accessToken"]), 403)
    carol = await story.get(token=story.carol["accessToken"])  # a past participant may read it
    assert carol["myRole"] == "observer"
    seen = await story.get(token=story.admin["accessToken"])
    assert seen["myRole"] is None and seen["id"] == story.session_id
    assert_error(await api.get("/api/sessions"), 401)


async def short_session(api: Api, host: dict, mode: str = "ai") -> str:
    """A session with no code: warmup, then finished at once."""
    room = await ok(await api.post("/api/rooms", {"mode": mode}, token=host["accessToken"]), 201)
    body = {"to": "warmup"}
    session_id = (await ok(await api.post(f"/api/rooms/{room['id']}/phase", body, token=host["accessToken"])))[
        "sessionId"
    ]
    await ok(await api.post(f"/api/rooms/{room['id']}/phase", {"to": "finished"}, token=host["accessToken"]))
    return session_id


def settled(response) -> bool:
    return response.status == 200 and response.json["reportStatus"] != "pending"


async def listed(api: Api, token: str, query: str = "") -> list[str]:
    return [s["id"] for s in (await ok(await api.get(f"/api/sessions?limit=100{query}", token=token)))["data"]]


async def test_list_filters_sorts_and_pages(story: Story, api: Api, server) -> None:
    quick = await short_session(api, story.alice)
    assert await listed(api, story.a) == [quick, story.session_id]  # newest first
    assert await listed(api, story.a, "&sortOrder=asc") == [story.session_id, quick]
    assert await listed(api, story.a, "&mode=ai") == [quick]
    assert await listed(api, story.a, f"&problemId={story.problem['id']}") == [story.session_id]
    started = (await story.get())["startedAt"]
    assert await listed(api, story.a, f"&to={started}") == []
    assert await listed(api, story.a, f"&from={started}&mode=peer") == [story.session_id]
    assert await listed(api, story.a, "&sortBy=duration") == [story.session_id, quick]
    assert await listed(api, story.a, "&sortBy=finishedAt") == [quick, story.session_id]
    # Scores come from the training reports (through the recorder's hook); unscored sessions sort lowest. Reports
    # made in the background are waited for, so they do not overwrite the scores set here.
    for session_id in (quick, story.session_id):
        await eventually(lambda sid=session_id: api.get(f"/api/sessions/{sid}", token=story.a), settled)
    await server.ctx.sessions.report_state(quick, "failed")
    await server.ctx.sessions.report_state(story.session_id, "ready", 80.5)
    assert await listed(api, story.a, "&sortBy=overallScore") == [story.session_id, quick]
    await server.ctx.sessions.report_state(quick, "ready", 35)
    assert await listed(api, story.a, "&sortBy=overallScore") == [story.session_id, quick]
    assert await listed(api, story.a, "&sortBy=overallScore&sortOrder=asc") == [quick, story.session_id]
    first = await ok(await api.get("/api/sessions?limit=1&sortBy=overallScore", token=story.a))
    assert [s["overallScore"] for s in first["data"]] == [80.5] and first["pagination"]["hasMore"]
    cursor = first["pagination"]["nextCursor"]
    second = await ok(await api.get(f"/api/sessions?limit=1&sortBy=overallScore&cursor={cursor}", token=story.a))
    assert [s["id"] for s in second["data"]] == [quick] and not second["pagination"]["hasMore"]
    assert_error(await api.get(f"/api/sessions?sortBy=startedAt&cursor={cursor}", token=story.a), 400)
    assert_error(await api.get("/api/sessions?sortBy=rating", token=story.a), 400, "VALIDATION_FAILED")
    summary = next(s for s in first["data"])
    assert summary["verdict"] == "accepted" and summary["problem"]["title"] == story.problem["title"]
    detail = await story.get()
    assert (detail["hasReport"], detail["reportStatus"], detail["overallScore"]) == (True, "ready", 80.5)
    quiet = await ok(await api.get(f"/api/sessions/{quick}", token=story.a))
    assert (quiet["hasWhiteboard"], quiet["runs"], quiet["verdict"], quiet["durationSec"]) == (False, [], None, 0)
    assert (await ok(await api.get(f"/api/sessions/{quick}/whiteboard", token=story.a)))["shapes"] == []


async def test_soft_delete_hides_for_one_user_only(story: Story, api: Api) -> None:
    r = await api.delete(f"/api/sessions/{story.session_id}", token=story.b)
    assert r.status == 204 and r.body == b""
    assert story.session_id not in await listed(api, story.b)
    for suffix in ("", "/events", "/whiteboard"):
        r = await api.get(f"/api/sessions/{story.session_id}{suffix}", token=story.b)
        assert_error(r, 404, "SESSION_NOT_FOUND")
    assert_error(await api.delete(f"/api/sessions/{story.session_id}", token=story.b), 404)
    assert story.session_id in await listed(api, story.a)
    assert (await story.get())["id"] == story.session_id
