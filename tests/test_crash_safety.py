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
from tests.conftest import Api
from tests.test_e2e_room import EventClient
from tests.test_execution import coding_room, create_problem
from tests.test_run import wait_healthy

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
SLOW_RUN = "import time\ntime.sleep(4)\nprint('woke up', input())\n"  # still running when the kill comes
SLOW_ADD = "import time\ntime.sleep(1)\na, b = map(int, input().split())\nprint(a + b)\n"


class Syncode:
    """`python run.py` on a fixed port, data dir and database: started, killed, started again."""

    def __init__(self, mongo_uri: str, data_dir: Path, **settings: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.database = f"crash_{uuid.uuid4().hex[:10]}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCODE_")}
        self.env.update(
            SYNCODE_MONGODB_URI=mongo_uri,  # the database outlives the server: what a restart finds is what it left
            SYNCODE_MONGODB_DB=self.database,
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
        self.db = Database(mongo_uri, self.database)  # the test's own view of what is stored

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        cmd = [sys.executable, "run.py", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stderr=subprocess.PIPE, text=True)
        await wait_healthy(self.api, self.process, timeout=90)

    async def kill(self) -> None:
        """SIGKILL: nothing of the process runs after it (no shutdown, no cleanup)."""
        assert self.process is not None and self.process.poll() is None, "the server died on its own"
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 30)
        self.process.stderr.close()

    async def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process and self.process.stderr and not self.process.stderr.closed:
            self.process.stderr.close()
        await self.db.close()

    async def events(self, token: str) -> EventClient:
        """An /api/ws connection, once its `ready` frame came (it then follows the user's live rooms)."""
        client = await EventClient.connect(self.url, token)
        await client.wait_for("ready")
        return client


@pytest.fixture
async def syncode(mongo_uri: str, tmp_path: Path) -> AsyncIterator[Callable[..., Syncode]]:
    made: list[Syncode] = []

    def make(**settings: str) -> Syncode:
        made.append(Syncode(mongo_uri, tmp_path, **settings))
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
    server = syncode()
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
    await asyncio.sleep(0.5)  # the sandboxes start (the run sleeps 4 s in its own)
    assert (await job(server, f"/api/executions/{run_id}", token))["status"] == "running"
    await server.kill()

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
        lambda: timeline(server, session_id, token), lambda es: {"run", "submission"} <= {e["type"] for e in es}
    )
    runs = [e["data"] for e in events_seen if e["type"] == "run"]
    submissions = [e["data"] for e in events_seen if e["type"] == "submission"]
    assert runs == [{"runId": run_id, "language": "python", "verdict": "accepted"}], events_seen
    assert [s["submissionId"] for s in submissions] == [submission_id] and submissions[0]["verdict"] == "accepted"
    # The problem's statistics count it once.
    r = await server.api.get(f"/api/problems/{problem['id']}", token=token)
    assert r.json["totalSubmissions"] == 1 and r.json["attemptStatus"] == "solved"


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
