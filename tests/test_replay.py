"""Keystroke replay end to end: a session where two users edit over /collab (Yjs clients), run and submit, on a
server that compacts the update log every few updates; then the replay at every snapshot's moment gives that
snapshot's code, snapshots and replays name the right editors, the marks hold the run, the submission and the
phases, and the history outlives compaction and the document's destruction. A second server with a retention of
seconds deletes the history. Access as every session endpoint."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from typing import Any

import pytest

from realtime.history import unpack
from tests.collab.yclient import YClient
from tests.conftest import Api, assert_error, make_admin
from tests.test_e2e_room import EventClient
from tests.test_execution import create_problem, eventually

RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
STARTER = "import os\n"


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(
        max_active_rooms=1000,
        collab_snapshot_interval_sec=1,
        collab_tick_sec=0.1,
        collab_compact_updates=5,
        collab_history_checkpoint_updates=4,
    )


async def ok(response, status: int = 200) -> Any:
    assert response.status == status, response.body[:500]
    return response.json


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def offset(started: str, when: str) -> int:
    return max(0, round((at(when) - at(started)).total_seconds() * 1000))


class Session:
    """Alice (host, interviewer) and Bob (candidate) in a peer room whose problem starts with STARTER in Python."""

    def __init__(self, api: Api, server) -> None:
        self.api, self.server = api, server
        self.typed = 0  # updates the clients sent

    async def open(self, problem: dict, language: str = "javascript") -> Session:
        self.alice, self.bob = await self.api.register(), await self.api.register()
        body = {"mode": "peer", "language": language, "problemId": problem["id"]}
        room = await ok(await self.api.post("/api/rooms", body, token=self.a), 201)
        self.rid = room["id"]
        joined = await ok(await self.api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=self.b))
        self.doc_a = await YClient.connect(self.server.url, self.rid, room["collab"]["token"])
        self.doc_b = await YClient.connect(self.server.url, self.rid, joined["collab"]["token"])
        self.session_id = (await self.phase("warmup"))["sessionId"]
        await ok(await self.api.patch(f"/api/rooms/{self.rid}/settings", {"language": "python"}, token=self.a))
        await self.phase("coding")
        return self

    @property
    def a(self) -> str:
        return self.alice["accessToken"]

    @property
    def b(self) -> str:
        return self.bob["accessToken"]

    async def phase(self, to: str) -> dict:
        return await ok(await self.api.post(f"/api/rooms/{self.rid}/phase", {"to": to}, token=self.a))

    async def type(self, client: YClient, lines: list[str]) -> None:
        """One update per line, appended; then wait until both clients hold them."""
        text = client.text()
        await client.wait_for(lambda: STARTER in str(text))
        for line in lines:
            text.insert(len(str(text)), line)
            self.typed += 1
        final = str(text)
        for other in (self.doc_a, self.doc_b):
            await other.wait_for(lambda other=other: str(other.text()) == final)

    async def snapshots(self) -> list[dict]:
        return (await self.get("/snapshots?limit=100&sortOrder=asc"))["data"]

    async def next_periodic(self) -> None:
        """Until a periodic snapshot holds everything typed so far."""
        text = str(self.doc_a.text())
        await eventually(self.snapshots, lambda snaps: any(s["code"] == text for s in snaps))

    async def get(self, suffix: str = "", token: str | None = None, status: int = 200) -> Any:
        return await ok(await self.api.get(f"/api/sessions/{self.session_id}{suffix}", token=token or self.a), status)


class Story(Session):
    async def play(self) -> Story:
        self.admin = await make_admin(self.server, self.api)
        await self.open(await create_problem(self.api, self.admin))
        events = await EventClient.connect(self.server.url, self.a)
        await events.wait_for("ready")
        for client, lines in ((self.doc_a, [f"# alice {n}\n" for n in range(10)]), (self.doc_b, ["# bob\n"] * 10)):
            await self.type(client, lines)
            await self.next_periodic()
        self.compacted = await eventually(self._log_entries, lambda count: count < self.typed)
        await self._judge(events)
        await self.type(self.doc_a, ["x = 1\n"] * 5)
        await self.type(self.doc_b, ["y = 2\n"] * 5)
        await self.next_periodic()
        await self.phase("wrapup")
        self.final_text = str(self.doc_a.text())
        await self.phase("finished")
        events.close()
        return self

    async def _judge(self, events: EventClient) -> None:
        body = {"language": "python", "code": RIGHT, "stdin": "1 2\n"}
        run = await ok(await self.api.post(f"/api/rooms/{self.rid}/run", body, token=self.b), 202)
        await events.wait_for("run.completed", id=run["runId"])
        body = {"language": "python", "code": RIGHT}
        sub = await ok(await self.api.post(f"/api/rooms/{self.rid}/submit", body, token=self.b), 202)
        await events.wait_for("submission.completed", id=sub["submissionId"])
        self.run_id, self.submission_id = run["runId"], sub["submissionId"]

    async def _log_entries(self) -> int:
        return await self.server.db.collabUpdates.count_documents({"roomId": self.rid})


@pytest.fixture(scope="module")
async def story(api: Api, server) -> Story:
    return await Story(api, server).play()


async def test_replay_at_each_snapshot_gives_its_code(story: Story) -> None:
    assert story.compacted < story.typed, "the update log was folded into snapshots during the session"
    started = (await story.get())["startedAt"]
    snapshots = await story.snapshots()
    assert len(snapshots) >= 8 and snapshots[-1]["trigger"] == "session_end"
    for snapshot in snapshots:
        moment = await story.get(f"/replay?at={offset(started, snapshot['createdAt'])}")
        assert (moment["code"], moment["language"]) == (snapshot["code"], snapshot["language"]), snapshot
    assert snapshots[-1]["code"] == story.final_text


async def test_replay_follows_the_active_language_and_starts_from_the_starting_code(story: Story) -> None:
    first = await story.get("/replay?at=0")
    assert first == {"code": "", "language": "javascript", "at": 0, "editors": []}, "before the switch to python"
    started = (await story.get())["startedAt"]
    coding = next(s for s in await story.snapshots() if s["phase"] == "coding")
    moment = await story.get(f"/replay?at={offset(started, coding['createdAt'])}")
    assert moment["language"] == "python" and moment["code"] == STARTER


async def test_snapshots_and_replays_name_the_editors(story: Story) -> None:
    alice, bob = story.alice["user"]["id"], story.bob["user"]["id"]
    snapshots = await story.snapshots()
    named = [user for s in snapshots for user in s["editors"]]
    runs = [user for index, user in enumerate(named) if index == 0 or named[index - 1] != user]
    assert runs == [alice, bob, alice, bob], [s["editors"] for s in snapshots]
    assert all(len(s["editors"]) == len(set(s["editors"])) for s in snapshots)
    assert not any(s["editors"] for s in snapshots if s["trigger"] in ("phase_change", "submission", "session_end"))
    started = (await story.get())["startedAt"]
    first = next(s for s in snapshots if s["editors"])
    assert (await story.get(f"/replay?at={offset(started, first['createdAt'])}"))["editors"] == [alice]
    assert (await story.get("/replay?at=36000000"))["editors"] == [alice, bob]


async def test_marks_hold_the_run_the_submission_the_phases_and_the_edit_density(story: Story) -> None:
    marks = await eventually(
        lambda: story.get("/replay/marks"),
        lambda body: {"run", "submission"} <= {m["type"] for m in body["marks"]},
    )
    kinds = [(m["type"], m.get("ref")) for m in marks["marks"]]
    assert ("run", story.run_id) in kinds and ("submission", story.submission_id) in kinds
    assert [ref for kind, ref in kinds if kind == "phase"] == ["warmup", "coding", "wrapup", "finished"]
    assert [m["at"] for m in marks["marks"]] == sorted(m["at"] for m in marks["marks"])
    detail = await story.get()
    assert marks["durationMs"] == offset(detail["startedAt"], detail["finishedAt"])
    assert all(m["at"] <= marks["durationMs"] for m in marks["marks"])
    density = marks["density"]
    assert len(density) == math.ceil(marks["durationMs"] / 10_000)
    assert [d["at"] for d in density] == [10_000 * n for n in range(len(density))]
    assert sum(d["edits"] for d in density) == story.typed, "every update the users made, none of the server's"


async def test_every_update_is_kept_once_with_its_author(story: Story) -> None:
    """The log is gone with the document; the checkpoints' chunks (one every 4 updates here, and one before each
    compaction) hold every update, none twice."""
    db, rid = story.server.db, story.rid
    assert await db.collabUpdates.count_documents({"roomId": rid}) == 0
    assert await db.collabCheckpoints.count_documents({"roomId": rid}) >= story.typed // 4
    chunks = await db.collabCheckpointData.find({"roomId": rid}).to_list(None)
    seqs = [seq for chunk in chunks for seq in unpack(chunk["seqs"])]
    assert sorted(seqs) == list(range(1, max(seqs) + 1)), "each update once"
    authors = [by for chunk in chunks for by in chunk["authors"]]
    alice, bob = story.alice["user"]["id"], story.bob["user"]["id"]
    assert sorted(by for by in authors if by) == sorted([alice] * 15 + [bob] * 15)
    assert len(authors) > story.typed, "the server's own edits (starter code, language) have no author"


async def test_only_participants_and_admins_read_the_replay(story: Story, api: Api) -> None:
    stranger = (await api.register())["accessToken"]
    admin = story.admin["accessToken"]
    for suffix in ("/replay?at=0", "/replay/marks"):
        await story.get(suffix, token=story.b)
        await story.get(suffix, token=admin)
        assert_error(await api.get(f"/api/sessions/{story.session_id}{suffix}", token=stranger), 403, "FORBIDDEN")
        assert_error(await api.get(f"/api/sessions/no-such-session{suffix}", token=admin), 404, "SESSION_NOT_FOUND")
    for query in ("", "?at=-1", "?at=soon"):
        assert_error(await api.get(f"/api/sessions/{story.session_id}/replay{query}", token=story.a), 400)


async def test_history_expires_after_the_retention(make_server) -> None:
    """Retention 4 s: a room still edited keeps what follows its last checkpoint older than that (the session's
    start is gone); once nobody has edited for that long, all of it goes."""
    server = await make_server(collab_history_days=4 / 86400, collab_tick_sec=0.05, collab_history_checkpoint_updates=3)
    local = Api(server.url)
    admin = await make_admin(server, local)
    session = await Session(local, server).open(await create_problem(local, admin), language="python")
    await session.type(session.doc_a, [f"early {n}\n" for n in range(4)])
    for n in range(14):  # 7 s of edits: the room is never idle for as long as the retention
        await session.type(session.doc_b, [f"late {n}\n"])
        await asyncio.sleep(0.5)
    replay = f"/api/sessions/{session.session_id}/replay"
    assert_error(await local.get(f"{replay}?at=0", token=session.a), 410, "HISTORY_UNAVAILABLE")
    latest = await ok(await local.get(f"{replay}?at=36000000", token=session.a))
    assert latest["code"] == str(session.doc_a.text()) and "early 3" in latest["code"]
    await session.phase("finished")
    await eventually(
        lambda: local.get(f"{replay}?at=36000000", token=session.a), lambda response: response.status == 410
    )
    assert_error(await local.get(f"{replay}?at=36000000", token=session.a), 410, "HISTORY_UNAVAILABLE")
    for collection in (server.db.collabCheckpoints, server.db.collabCheckpointData):
        assert await collection.count_documents({"roomId": session.rid}) == 0
    await server.stop()
