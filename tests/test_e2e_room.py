"""End to end over real sockets: two people practise an interview in one room, from creation to the session record.

REST calls, the event WebSocket (/api/ws) and the collab WebSocket (/collab/{roomId}, y-protocols) all go
through the real server, with the real judge (bubblewrap) and the real database.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.websocket

from tests.collab.yclient import YClient
from tests.conftest import Api, assert_error, make_admin

STATEMENT = "Read two integers a and b. Print a + b.\n\n## Input\na b\n\n## Output\nthe sum"
REFERENCE = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"


class EventClient:
    """Collects the JSON frames of /api/ws and waits for the ones a step expects."""

    def __init__(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        self.connection = connection
        self.frames: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, base_url: str, token: str) -> EventClient:
        url = f"{base_url.replace('http', 'ws', 1)}/api/ws?token={token}"
        return cls(await tornado.websocket.websocket_connect(url))

    async def _read(self) -> None:
        while (message := await self.connection.read_message()) is not None:
            self.frames.append(json.loads(message))
            self._arrived.set()

    async def wait_for(self, type_: str, timeout: float = 60, **data: Any) -> dict[str, Any]:
        """The first frame of this type whose data has these values (waiting for it if needed)."""

        async def find() -> dict[str, Any]:
            while True:
                for frame in self.frames:
                    if frame["type"] == type_ and all(frame["data"].get(k) == v for k, v in data.items()):
                        return frame
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(find(), timeout)

    def close(self) -> None:
        self.connection.close()
        self._reader.cancel()


async def test_interview_from_invite_to_session_record(server, api: Api) -> None:
    admin = await make_admin(server, api)
    problem = (
        await api.post(
            "/api/problems",
            {
                "title": "Add Two Numbers E2E",
                "description": STATEMENT,
                "difficulty": "easy",
                "starterCode": {"python": "a, b = map(int, input().split())\n# your code\n"},
                "testCases": [
                    {"input": "1 2\n", "expectedOutput": "3\n"},
                    {"input": "40 2\n", "expectedOutput": "42\n", "isHidden": True},
                    {"input": "-5 5\n", "expectedOutput": "0\n", "isHidden": True},
                ],
            },
            token=admin["accessToken"],
        )
    ).json
    alice, bob = await api.register("e2e_alice"), await api.register("e2e_bob")
    a, b = alice["accessToken"], bob["accessToken"]

    # Alice creates the room; Bob looks it up by code and joins.
    room = (await api.post("/api/rooms", {"mode": "peer", "problemId": problem["id"], "name": "Mock"}, token=a)).json
    rid = room["id"]
    preview = (await api.get(f"/api/rooms/lookup/{room['inviteCode']}")).json
    assert preview["problem"]["title"] == "Add Two Numbers E2E" and preview["joinable"]
    joined = (await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=b)).json
    assert joined["myRole"] == "candidate"

    # Both connect to the event channel and the collab plane.
    events_a, events_b = await EventClient.connect(server.url, a), await EventClient.connect(server.url, b)
    await events_a.wait_for("ready")
    await events_b.wait_for("ready")
    doc_a = await YClient.connect(server.url, rid, room["collab"]["token"], {"id": alice["user"]["id"]})
    doc_b = await YClient.connect(server.url, rid, joined["collab"]["token"], {"id": bob["user"]["id"]})
    await doc_a.wait_for(lambda: "your code" in str(doc_a.text()))  # seeded with the starter code
    await events_a.wait_for("participant.joined", userId=bob["user"]["id"])
    people = (await api.get(f"/api/rooms/{rid}/participants", token=a)).json["data"]
    assert all(p["isActive"] for p in people)

    # warmup -> coding, seen by both.
    for to in ("warmup", "coding"):
        assert (await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=a)).status == 200
    await events_b.wait_for("room.phase_changed", to="coding")

    # They write the (wrong) solution together: Bob replaces the starter, Alice fixes a detail.
    text_b = doc_b.text()
    with doc_b.doc.transaction():
        del text_b[0 : len(str(text_b))]
        text_b += WRONG.replace("print(a - b)", "print(a - b )")
    await doc_a.wait_for(lambda: "print(a - b )" in str(doc_a.text()))
    text_a = doc_a.text()
    start = str(text_a).index("b )")
    with doc_a.doc.transaction():
        del text_a[start + 1 : start + 2]
    await doc_b.wait_for(lambda: str(doc_b.text()) == WRONG)
    code = str(doc_b.text())

    # Run: the result arrives as an event and is the same by polling.
    run_id = (
        await api.post(f"/api/rooms/{rid}/run", {"language": "python", "code": code, "stdin": "7 3\n"}, token=b)
    ).json["runId"]
    pushed = (await events_a.wait_for("run.completed", id=run_id))["data"]
    polled = (await api.get(f"/api/executions/{run_id}", token=a)).json
    assert pushed == polled and polled["stdout"] == "4\n" and polled["verdict"] == "accepted"

    # Submit the wrong solution: wrong_answer, and the hidden cases give verdict and timing only.
    sid = (await api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": code}, token=b)).json
    sid = sid["submissionId"]
    result = (await events_b.wait_for("submission.completed", id=sid))["data"]
    assert result["verdict"] == "wrong_answer" and (result["passed"], result["total"]) == (0, 3)
    hidden = [r for r in result["results"] if r["isHidden"]]
    assert len(hidden) == 2 and all(r.get("stdout") is None and r.get("expectedOutput") is None for r in hidden)
    assert (await api.get(f"/api/submissions/{sid}", token=a)).json == result

    # Then the right one.
    sid = (await api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": REFERENCE}, token=b)).json[
        "submissionId"
    ]
    accepted = (await events_a.wait_for("submission.completed", id=sid))["data"]
    assert accepted["verdict"] == "accepted" and accepted["passed"] == 3

    # The lock makes everyone read-only and stops runs.
    assert (await api.post(f"/api/rooms/{rid}/lock", token=a)).json["editorLocked"] is True
    await events_b.wait_for("room.editor_locked")
    before = str(doc_a.text())
    doc_b.text().insert(0, "# typed while locked\n")
    r = await api.post(f"/api/rooms/{rid}/run", {"language": "python", "code": REFERENCE, "stdin": "1 1\n"}, token=b)
    assert_error(r, 409, "ROOM_EDITOR_LOCKED")
    await asyncio.sleep(0.5)
    assert str(doc_a.text()) == before  # Bob's edit never reached Alice
    assert (await api.post(f"/api/rooms/{rid}/unlock", token=a)).json["editorLocked"] is False

    # Role swap: Bob asks, Alice accepts.
    swap = (await api.post(f"/api/rooms/{rid}/role-swap", token=b)).json
    await events_a.wait_for("role_swap.requested", requestId=swap["requestId"])
    swapped = (await api.post(f"/api/rooms/{rid}/role-swap/{swap['requestId']}", {"accept": True}, token=a)).json
    assert swapped["myRole"] == "candidate"
    await events_b.wait_for("role_swap.resolved", accepted=True)

    # Wrap-up and feedback both ways.
    assert (await api.post(f"/api/rooms/{rid}/phase", {"to": "wrapup"}, token=a)).status == 200
    ratings = {"problemSolving": 4, "communication": 5, "codeQuality": 3, "testing": 4, "overall": 4}
    for token, reviewee in ((a, bob), (b, alice)):
        r = await api.post(
            f"/api/rooms/{rid}/feedback",
            {"revieweeId": reviewee["user"]["id"], "ratings": ratings, "strengths": "clear thinking"},
            token=token,
        )
        assert r.status == 201, r.body
    feedback = (await api.get(f"/api/rooms/{rid}/feedback", token=a)).json
    assert feedback["allSubmitted"] is True and len(feedback["data"]) == 2

    # Finished: the collab sockets close with 4003 and the session record holds the story.
    assert (await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=a)).status == 200
    assert (await doc_a.wait_closed())[0] == 4003
    session_id = swapped["sessionId"]
    session = await server.db.sessions.find_one({"_id": session_id})
    assert session["status"] == "finished" and session["finalCode"]["code"].strip()
    types = [e["type"] async for e in server.db.sessionEvents.find({"sessionId": session_id}).sort("at", 1)]
    for expected in (
        "phase_changed",
        "run",
        "submission",
        "editor_locked",
        "editor_unlocked",
        "role_swapped",
        "feedback_submitted",
    ):
        assert expected in types, (expected, types)
    for _ in range(50):
        triggers = {s["trigger"] async for s in server.db.codeSnapshots.find({"sessionId": session_id})}
        if {"phase_change", "submission", "session_end"} <= triggers:
            break
        await asyncio.sleep(0.1)
    assert {"phase_change", "submission", "session_end"} <= triggers
    for client in (events_a, events_b):
        client.close()
    doc_b.close()
