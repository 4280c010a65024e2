"""Crash safety with a real kill: `python run.py` runs as a process on a data dir and a database, accepts work
(202), is killed with SIGKILL while that work is in flight, and is started again on the same data dir and database.
What it had accepted must end visibly: judged again, or failed with an error saying why and what to do, never left
queued or running; the room sees the outcome over /api/ws and in its session's timeline."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from syncode.db import Database
from syncode.embedded import free_port
from syncode.enums import PHASES
from tests.conftest import Api
from tests.fake_llm import FakeLlm
from tests.test_e2e_room import EventClient
from tests.test_execution import coding_room, create_problem
from tests.test_rooms import join, new_room
from tests.test_run import alive, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
SLOW_RUN = "import time\ntime.sleep(4)\nprint('woke up', input())\n"  # still running when the kill comes
SLOW_ADD = "import time\ntime.sleep(1)\na, b = map(int, input().split())\nprint(a + b)\n"


class Syncode:
    """`python run.py` on a fixed port, data dir and database: started, killed, started again."""

    def __init__(self, mongo_uri: str | None, data_dir: Path, **settings: str) -> None:
        """`mongo_uri` None: the embedded database in the data dir, a child of the server (it stops when the
        server is killed, as in a default installation)."""
        self.port = free_port()
        self.data_dir = data_dir
        self.log = data_dir / "server.log"  # every start's stderr
        self.database = f"crash_{uuid.uuid4().hex[:10]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCODE_")}
        if mongo_uri:  # the database outlives the server: what a restart finds is what it left
            self.env.update(SYNCODE_MONGODB_URI=mongo_uri, SYNCODE_MONGODB_DB=self.database)
        self.env.update(
            SYNCODE_BCRYPT_ROUNDS="4",
            SYNCODE_RATE_LIMIT_ENABLED="false",
            SYNCODE_SANDBOX="process",
            SYNCODE_JUDGE_POOL_SIZE="0",
            SYNCODE_LOAD_PROBLEM_BANK="false",
            SYNCODE_LOG_LEVEL="WARNING",
            **settings,
        )
        self.process: subprocess.Popen | None = None
        self.api = Api(self.url)
        self.db = Database(mongo_uri, self.database) if mongo_uri else None  # the test's view of what is stored

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        cmd = [sys.executable, "run.py", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        with open(self.log, "a") as log:  # a file, not a pipe nobody reads (a full pipe would block the server)
            self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stderr=log)
        try:
            await wait_healthy(self.api, self.process, timeout=90)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.log.read_text()[-3000:]}") from None

    async def kill(self) -> None:
        """SIGKILL: nothing of the process runs after it (no shutdown, no cleanup)."""
        assert self.process is not None and self.process.poll() is None, "the server died on its own"
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 30)

    async def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.db:
            await self.db.close()

    async def events(self, token: str) -> EventClient:
        """An /api/ws connection, once its `ready` frame came (it then follows the user's live rooms)."""
        client = await EventClient.connect(self.url, token)
        await client.wait_for("ready")
        return client


@pytest.fixture
async def syncode(mongo_uri: str, tmp_path: Path) -> AsyncIterator[Callable[..., Syncode]]:
    made: list[Syncode] = []

    def make(embedded: bool = False, **settings: str) -> Syncode:
        made.append(Syncode(None if embedded else mongo_uri, tmp_path, **settings))
        return made[-1]

    yield make
    for server in made:
        await server.stop()


async def until(read: Callable[[], Awaitable[T]], ready: Callable[[T], Any], timeout: float = 60) -> T:
    """Read until `ready` holds; the last value read otherwise (the caller's assertion then shows it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if ready(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.1)


async def admin_of(server: Syncode) -> dict:
    """An account promoted in the database, as `run.py promote-admin` does (the server reads accounts again
    within a second)."""
    admin = await server.api.register()
    await server.db.users.update_one({"_id": admin["user"]["id"]}, {"$set": {"role": "admin"}})
    me = await until(
        lambda: server.api.get("/api/users/me", token=admin["accessToken"]), lambda r: r.json["role"] == "admin"
    )
    assert me.json["role"] == "admin"
    return admin


async def peer_room(api: Api, candidate: dict, phase: str) -> dict:
    """A peer room with a new host (the interviewer) and this candidate, moved on to `phase`; its detail."""
    host = await api.register()
    room = await new_room(api, host)
    assert (await join(api, candidate, room["inviteCode"])).status == 200
    for to in PHASES[1 : PHASES.index(phase) + 1]:
        r = await api.post(f"/api/rooms/{room['id']}/phase", {"to": to}, token=host["accessToken"])
        assert r.status == 200, r.body
    return (await api.get(f"/api/rooms/{room['id']}", token=candidate["accessToken"])).json


async def job(server: Syncode, path: str, token: str) -> dict:
    r = await server.api.get(path, token=token)
    assert r.status == 200, r.body
    return r.json


async def finished(server: Syncode, path: str, token: str) -> dict:
    return await until(lambda: job(server, path, token), lambda j: j["status"] in ("completed", "failed"))


async def timeline(server: Syncode, session_id: str, token: str) -> list[dict]:
    r = await server.api.get(f"/api/sessions/{session_id}/events?limit=100", token=token)
    assert r.status == 200, r.body
    return r.json["data"]


async def test_run_and_submission_in_flight_are_judged_again_after_a_kill(syncode) -> None:
    """Also a run finished just before the kill, whose bookkeeping (the session timeline) waited for the busy judge:
    the restart writes it."""
    server = syncode(SYNCODE_JUDGE_WORKERS="3")  # the quick run is judged beside the slow ones
    await server.start()
    problem = await create_problem(server.api, await admin_of(server), timeLimitMs=5000)
    room = await coding_room(server.api, problem)
    rid, token = room["id"], room["candidate"]["accessToken"]
    r = await server.api.post(
        f"/api/rooms/{rid}/run", {"language": "python", "code": SLOW_RUN, "stdin": "7"}, token=token
    )
    assert r.status == 202, r.body
    run_id = r.json["runId"]
    r = await server.api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": SLOW_ADD}, token=token)
    assert r.status == 202, r.body
    submission_id = r.json["submissionId"]
    r = await server.api.post(f"/api/rooms/{rid}/run", {"language": "python", "code": "print(5)"}, token=token)
    quick_id = r.json["runId"]
    quick = await finished(server, f"/api/executions/{quick_id}", token)
    assert quick["status"] == "completed" and quick["stdout"] == "5\n"
    assert (await job(server, f"/api/executions/{run_id}", token))["status"] == "running"  # it sleeps 4 s
    await server.kill()
    # Killed before the quick run's bookkeeping, which waits (up to 2 s) for a judge with nothing to do.
    assert (await server.db.runs.find_one({"_id": quick_id}))["unrecorded"] is True

    await server.start()
    events = await server.events(token)
    try:
        # Judged again from what was stored with them: the room follows it as it would have the first time.
        completed = await events.wait_for("run.completed", id=run_id)
        assert completed["roomId"] == rid and completed["data"]["status"] == "completed"
        assert completed["data"]["stdout"] == "woke up 7\n"
        judged = await events.wait_for("submission.completed", id=submission_id)
        assert judged["data"]["verdict"] == "accepted" and judged["data"]["passed"] == judged["data"]["total"] == 4
    finally:
        events.close()
    run = await job(server, f"/api/executions/{run_id}", token)
    assert run["status"] == "completed" and run["stdout"] == "woke up 7\n" and run["error"] is None
    submission = await job(server, f"/api/submissions/{submission_id}", token)
    assert submission["status"] == "completed" and submission["verdict"] == "accepted"
    assert (await server.db.runs.find_one({"_id": run_id}))["attempts"] == 2
    session_id = (await server.api.get(f"/api/rooms/{rid}", token=token)).json["sessionId"]
    events_seen = await until(
        lambda: timeline(server, session_id, token),
        lambda es: [e["type"] for e in es].count("run") == 2 and any(e["type"] == "submission" for e in es),
    )
    runs = sorted((e["data"] for e in events_seen if e["type"] == "run"), key=lambda data: data["runId"] == run_id)
    submissions = [e["data"] for e in events_seen if e["type"] == "submission"]
    assert runs == [
        {"runId": quick_id, "language": "python", "verdict": "accepted"},
        {"runId": run_id, "language": "python", "verdict": "accepted"},
    ], events_seen
    assert await server.db.runs.count_documents({"roomId": rid, "unrecorded": True}) == 0
    assert [s["submissionId"] for s in submissions] == [submission_id] and submissions[0]["verdict"] == "accepted"
    # The problem's statistics count it once.
    r = await server.api.get(f"/api/problems/{problem['id']}", token=token)
    assert r.json["totalSubmissions"] == 1 and r.json["attemptStatus"] == "solved"


async def test_the_embedded_database_keeps_what_a_killed_server_accepted(syncode) -> None:
    """The default installation: the embedded database is the server's child and stops with it, as do the
    sandboxes (a program spinning in one must not outlive the server that started it)."""
    server = syncode(embedded=True)
    await server.start()
    room = await coding_room(server.api, None)
    rid, token = room["id"], room["candidate"]["accessToken"]
    code = "import time\ntime.sleep(3)\nprint('still here')\n"
    r = await server.api.post(f"/api/rooms/{rid}/run", {"language": "python", "code": code}, token=token)
    assert r.status == 202, r.body
    spin = {"language": "python", "code": "while True:\n    pass\n", "timeoutMs": 2000}
    spinning = await server.api.post(f"/api/rooms/{rid}/run", spin, token=token)
    assert spinning.status == 202, spinning.body
    await asyncio.sleep(1)
    started = descendants(server.process.pid)
    assert len(started) >= 3, started  # the database and the two sandboxes, at least
    await server.kill()
    left = await until(lambda: asyncio.sleep(0, [pid for pid in started if alive(pid)]), lambda pids: not pids, 15)
    assert not left, [Path(f"/proc/{pid}/cmdline").read_bytes()[:200] for pid in left]

    await server.start()
    run = await finished(server, f"/api/executions/{r.json['runId']}", token)
    assert run["status"] == "completed" and run["stdout"] == "still here\n"
    run = await finished(server, f"/api/executions/{spinning.json['runId']}", token)
    assert run["status"] == "completed" and run["verdict"] == "time_limit_exceeded"


def descendants(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    except FileNotFoundError:  # it ended meanwhile
        pass
    return found


async def test_a_job_in_flight_at_two_kills_in_a_row_fails_with_an_error(syncode) -> None:
    """The second judging may be what brings the server down: it is not tried a third time."""
    server = syncode()
    await server.start()
    room = await coding_room(server.api, None)
    rid, token = room["id"], room["candidate"]["accessToken"]
    r = await server.api.post(
        f"/api/rooms/{rid}/run", {"language": "python", "code": SLOW_RUN, "stdin": "1"}, token=token
    )
    run_id = r.json["runId"]
    await asyncio.sleep(0.5)
    await server.kill()

    await server.start()  # judges it again: killed during that too
    stored = await until(lambda: server.db.runs.find_one({"_id": run_id}), lambda doc: doc["attempts"] == 2)
    assert stored["attempts"] == 2 and stored["status"] == "running"
    await server.kill()

    await server.start()
    run = await finished(server, f"/api/executions/{run_id}", token)
    assert run["status"] == "failed" and run["verdict"] is None and run["finishedAt"]
    assert run["error"] == (
        "the server restarted while this was running, and again while it ran a second time; run it again"
    )
    listed = (await server.api.get(f"/api/rooms/{rid}/runs", token=token)).json["data"]
    assert [(j["id"], j["status"], j["error"]) for j in listed] == [(run_id, "failed", run["error"])]
    session_id = (await server.api.get(f"/api/rooms/{rid}", token=token)).json["sessionId"]
    seen = await until(lambda: timeline(server, session_id, token), lambda es: any(e["type"] == "run" for e in es))
    assert [e["data"] for e in seen if e["type"] == "run"] == [{"runId": run_id, "language": "python", "verdict": None}]
    # The server goes on judging: a new run in the same room completes.
    r = await server.api.post(f"/api/rooms/{rid}/run", {"language": "python", "code": "print(2)"}, token=token)
    assert (await finished(server, f"/api/executions/{r.json['runId']}", token))["stdout"] == "2\n"


async def test_ai_answer_and_report_in_flight_are_finished_after_a_kill(syncode) -> None:
    """An AI reply waiting for the LLM and a training report waiting for its prose when the process is killed are
    answered after the restart (both are stored queued or pending: the store is their queue)."""
    llm = await FakeLlm().start()
    llm.delay = 60  # the first process's calls: still waiting at the kill
    try:
        server = syncode(SYNCODE_LLM_BASE_URL=llm.url, SYNCODE_LLM_MAX_RETRIES="0")
        await server.start()
        candidate = await server.api.register()
        token = candidate["accessToken"]
        live = await peer_room(server.api, candidate, "coding")
        rid = live["id"]
        r = await server.api.post(f"/api/rooms/{rid}/ai/messages", {"content": "Is O(n log n) fine?"}, token=token)
        assert r.status == 202, r.body
        reply_id = r.json["messageId"]
        finished_room = await peer_room(server.api, candidate, "finished")
        session_id = finished_room["sessionId"]
        await until(lambda: asyncio.sleep(0, len(llm.requests)), lambda n: n == 2)  # both are at the LLM
        assert len(llm.requests) == 2, llm.prompts()
        assert (await server.api.get(f"/api/sessions/{session_id}/report", token=token)).status == 202  # pending
        await server.kill()

        llm.delay = 1.5  # answered after the restart (with time to reconnect first)
        await server.start()
        events = await server.events(token)
        try:
            pushed = await events.wait_for("ai.message", id=reply_id)
            assert pushed["roomId"] == rid and pushed["data"]["status"] == "completed"
            assert pushed["data"]["content"] == "LLM reply: tell me more about your approach."
            ready = await events.wait_for("report.ready", sessionId=session_id)
            assert ready["data"]["status"] == "ready" and ready["data"]["roomId"] == finished_room["id"]
        finally:
            events.close()
        message = await job(server, f"/api/rooms/{rid}/ai/messages/{reply_id}", token)
        assert message["status"] == "completed" and message["provider"] == "llm"
        prompts = llm.prompts()
        assert len(prompts) == 4 and sum("Is O(n log n) fine?" in prompt for prompt in prompts) == 2, prompts
        report = await server.api.get(f"/api/sessions/{session_id}/report", token=token)
        assert report.status == 200 and report.json["status"] == "ready", report.body
        assert report.json["summary"] == "LLM summary of the session."
        seen = await until(
            lambda: timeline(server, live["sessionId"], token), lambda es: any(e["type"] == "ai_message" for e in es)
        )
        answered = [e["data"] for e in seen if e["type"] == "ai_message" and e["data"]["messageId"] == reply_id]
        assert answered and answered[-1]["status"] == "completed", seen
    finally:
        await llm.stop()


async def queue_status(server: Syncode, user: dict) -> dict:
    r = await server.api.get("/api/matchmaking/status", token=user["accessToken"])
    assert r.status == 200, r.body
    return r.json


async def proposed(server: Syncode, user: dict) -> dict:
    """The user's pending proposal, once the queue made it."""
    found = await until(lambda: queue_status(server, user), lambda s: s["status"] == "proposed")
    assert found["status"] == "proposed", found
    return found["match"]


async def enter_queue(server: Syncode, user: dict, role: str) -> None:
    r = await server.api.post("/api/matchmaking/queue", {"roles": [role]}, token=user["accessToken"])
    assert r.status == 202, r.body


def accept(server: Syncode, user: dict, match: dict) -> Awaitable[Any]:
    return server.api.post(f"/api/matchmaking/matches/{match['matchId']}/accept", token=user["accessToken"])


async def test_proposals_pending_at_a_kill_can_be_accepted_or_expire_after_the_restart(syncode) -> None:
    """Two proposals, each accepted by one side, when the process is killed: after the restart the other side of
    one accepts and gets the room; the other expires on time, its accepting user back in the queue,
    the silent one out of it, and the queue pairs again from there."""
    server = syncode(SYNCODE_MATCH_PROPOSAL_TTL_SEC="20")  # outlasts a restart on a loaded machine
    await server.start()
    a, b, c, d = [await server.api.register() for _ in range(4)]
    await enter_queue(server, a, "candidate")
    await enter_queue(server, b, "interviewer")
    first = await proposed(server, a)
    await enter_queue(server, c, "candidate")
    await enter_queue(server, d, "interviewer")
    second = await proposed(server, c)
    assert (await accept(server, a, first)).status == 200
    assert (await accept(server, c, second)).status == 200
    await server.kill()

    await server.start()
    sockets = {user["user"]["id"]: await server.events(user["accessToken"]) for user in (a, b, c, d)}
    try:
        assert (await queue_status(server, b))["match"]["matchId"] == first["matchId"]  # still pending
        r = await accept(server, b, first)
        assert r.status == 200 and r.json["status"] == "matched", r.body
        room_id = r.json["match"]["roomId"]
        for user in (a, b):
            matched = await sockets[user["user"]["id"]].wait_for("match.matched", matchId=first["matchId"])
            assert matched["data"]["roomId"] == room_id
        room = (await server.api.get(f"/api/rooms/{room_id}", token=a["accessToken"])).json
        roles = {p["userId"]: p["role"] for p in room["participants"]}
        assert roles == {a["user"]["id"]: "candidate", b["user"]["id"]: "interviewer"}

        # The second proposal expires on time after the restart: whoever accepted stays in the queue.
        expired_c = await sockets[c["user"]["id"]].wait_for("match.expired", timeout=40, matchId=second["matchId"])
        expired_d = await sockets[d["user"]["id"]].wait_for("match.expired", timeout=10, matchId=second["matchId"])
        assert expired_c["data"]["status"] == "searching" and expired_d["data"]["status"] == "idle"
        assert (await queue_status(server, c))["status"] == "searching"
        assert (await queue_status(server, d))["status"] == "idle"
        # The restarted queue holds c's entry: d coming back is paired with c again.
        await enter_queue(server, d, "interviewer")
        again = await proposed(server, d)
        assert again["matchId"] != second["matchId"] and again["opponent"]["userId"] == c["user"]["id"]
        pushed = await sockets[c["user"]["id"]].wait_for("match.proposed", matchId=again["matchId"])
        assert pushed["data"]["opponent"]["userId"] == d["user"]["id"]
    finally:
        for socket in sockets.values():
            socket.close()
