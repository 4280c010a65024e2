"""Run, submit and static analysis in rooms over real HTTP, with the real judge (process backend).

Events are observed by subscribing to the server's bus (the /api/ws channel forwards the same events).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import tornado.httpclient

from syncode.clock import new_id
from syncode.enums import PHASES
from syncode.events import Event
from syncode.services import execution
from syncode.services.execution import PROGRESS_INTERVAL_SEC
from syncode.services.permissions import Cap
from tests.conftest import Api, assert_error, make_admin
from tests.test_room_matrix import Endpoint, matrix_mismatches
from tests.test_rooms import join, new_room

ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
SUBTRACT = "a, b = map(int, input().split())\nprint(a - b)\n"
SPIN = "while True:\n    pass\n"
HIDDEN_ANSWERS = ("123457", "1000001")  # expected outputs of the hidden cases: they must never leave the server
FINISHED = ("completed", "failed")
T = TypeVar("T")

# This file's rows of the room authorization matrix (tests/test_room_matrix.py), in its format.
EXECUTION_ENDPOINTS = [
    Endpoint("POST", "/api/rooms/{room}/run", Cap.run, {"language": "python", "code": "print(1)"}),
    Endpoint("POST", "/api/rooms/{room}/submit", Cap.submit, {"language": "python", "code": ADD}),
    Endpoint("POST", "/api/rooms/{room}/analysis", Cap.analyze, {"code": "x = 1\n"}),
    Endpoint("GET", "/api/rooms/{room}/runs", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/submissions", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/analysis/not-an-analysis", Cap.view),
]


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000)


@pytest.fixture(scope="module")
async def admin(server, api: Api) -> dict:
    return await make_admin(server, api)


@pytest.fixture(scope="module")
async def problem(api: Api, admin: dict) -> dict:
    return await create_problem(api, admin)


async def create_problem(api: Api, admin: dict, **fields: Any) -> dict:
    cases = [
        {"input": "1 2\n", "expectedOutput": "3\n"},
        {"input": "10 -4\n", "expectedOutput": "6\n"},
        {"input": "123456 1\n", "expectedOutput": HIDDEN_ANSWERS[0] + "\n", "isHidden": True},
        {"input": "1000000 1\n", "expectedOutput": HIDDEN_ANSWERS[1] + "\n", "isHidden": True},
    ]
    r = await api.post(
        "/api/problems",
        {
            "title": f"Add {new_id()[:8]}",
            "description": "Print a + b.",
            "difficulty": "easy",
            "timeLimitMs": 1000,
            "starterCode": {"python": "import os\n"},
            "testCases": cases,
            **fields,
        },
        token=admin["accessToken"],
    )
    assert r.status == 201, r.body
    return r.json


async def coding_room(api: Api, problem: dict | None, phase: str = "coding", **config: Any) -> dict:
    """A peer room with host (interviewer) and candidate, moved on to `phase`."""
    host, candidate = await api.register(), await api.register()
    body: dict[str, Any] = {"problemId": problem["id"]} if problem else {}
    if config:
        body["config"] = config
    room = await new_room(api, host, **body)
    assert (await join(api, candidate, room["inviteCode"])).status == 200
    for to in PHASES[1 : PHASES.index(phase) + 1]:
        r = await api.post(f"/api/rooms/{room['id']}/phase", {"to": to}, token=host["accessToken"])
        assert r.status == 200, r.body
    return {"id": room["id"], "code": room["inviteCode"], "host": host, "candidate": candidate}


async def finished_job(api: Api, path: str, token: str) -> dict:
    for _ in range(600):
        r = await api.get(path, token=token)
        assert r.status == 200, r.body
        if r.json["status"] in FINISHED:
            return r.json
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not finish")


async def eventually(read: Callable[[], Awaitable[T]], ready: Callable[[T], Any] = bool) -> T:
    """What follows a published result (session timeline, problem statistics, attempt status, the submission
    snapshot) is written just after it: read until `ready` holds (or give up), then the caller asserts on it."""
    for _ in range(200):
        value = await read()
        if ready(value):
            break
        await asyncio.sleep(0.05)
    return value


class Recorder:
    """Collects bus events of some types; `wait` returns the first matching one."""

    def __init__(self, server, prefix: str) -> None:
        self.events: list[Event] = []
        self.stop = server.ctx.bus.subscribe(prefix, self.events.append)

    async def wait(self, event_type: str, **match: Any) -> Event:
        for _ in range(600):
            for event in self.events:
                if event.type == event_type and all(event.data.get(k) == v for k, v in match.items()):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {event_type} event matching {match}")

    def of(self, event_type: str, **match: Any) -> list[Event]:
        return [e for e in self.events if e.type == event_type and all(e.data.get(k) == v for k, v in match.items())]


async def test_run_output_by_polling_and_events(api: Api, server, problem: dict) -> None:
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    recorder = Recorder(server, "run.")
    r = await api.post(
        f"/api/rooms/{room['id']}/run", {"language": "python", "code": ADD, "stdin": "40 2\n"}, token=token
    )
    assert r.status == 202 and set(r.json) == {"runId"}
    run_id = r.json["runId"]
    polled = await finished_job(api, f"/api/executions/{run_id}", token)
    assert polled["status"] == "completed" and polled["verdict"] == "accepted" and polled["stdout"] == "42\n"
    assert polled["roomId"] == room["id"] and polled["userId"] == room["candidate"]["user"]["id"]
    assert polled["exitCode"] == 0 and polled["timeMs"] is not None and polled["finishedAt"]
    started = await recorder.wait("run.started", id=run_id)
    completed = await recorder.wait("run.completed", id=run_id)
    recorder.stop()
    assert started.room_id == completed.room_id == room["id"] and started.data["status"] == "running"
    assert completed.data == polled  # push and polling show the same data
    # The host (another participant) may read it too; the session timeline has the run.
    assert (await api.get(f"/api/executions/{run_id}", token=room["host"]["accessToken"])).json == polled
    session_id = (await api.get(f"/api/rooms/{room['id']}", token=token)).json["sessionId"]
    event = await eventually(lambda: server.db.sessionEvents.find_one({"sessionId": session_id, "type": "run"}))
    assert event["actorId"] == room["candidate"]["user"]["id"] and event["data"]["runId"] == run_id


async def test_wrong_answer_withholds_hidden_details(api: Api, server, problem: dict) -> None:
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    recorder = Recorder(server, "submission.")
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": SUBTRACT}, token=token)
    assert r.status == 202 and set(r.json) == {"submissionId"}
    sid = r.json["submissionId"]
    polled = await finished_job(api, f"/api/submissions/{sid}", token)
    assert (polled["status"], polled["verdict"], polled["passed"], polled["total"]) == (
        "completed",
        "wrong_answer",
        0,
        4,
    )
    assert polled["problemId"] == problem["id"]
    visible, hidden = polled["results"][:2], polled["results"][2:]
    assert [c["isHidden"] for c in polled["results"]] == [False, False, True, True]
    assert visible[0]["stdout"] == "-1\n" and visible[0]["expectedOutput"] == "3\n"
    for case in hidden:
        assert case["verdict"] == "wrong_answer" and case["timeMs"] is not None
        assert case["stdout"] is None and case["expectedOutput"] is None and case["stderr"] is None
    completed = await recorder.wait("submission.completed", id=sid)
    progress = [e.data for e in recorder.of("submission.progress", submissionId=sid)]
    recorder.stop()
    assert completed.data == polled
    assert_progress_spaced(progress, completed.data)
    raw = (
        json.dumps([e.data for e in recorder.events])
        + (await api.get(f"/api/submissions/{sid}", token=token)).body.decode()
    )
    assert not any(answer in raw for answer in HIDDEN_ANSWERS)
    detail = await eventually(
        lambda: api.get(f"/api/problems/{problem['id']}", token=token), lambda r: r.json["attemptStatus"]
    )
    assert detail.json["attemptStatus"] == "attempted"


async def test_accepted_submission_updates_stats_session_and_snapshot(api: Api, server, admin: dict) -> None:
    problem = await create_problem(api, admin)
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": ADD}, token=token)
    result = await finished_job(api, f"/api/submissions/{r.json['submissionId']}", token)
    assert (result["verdict"], result["passed"], result["total"]) == ("accepted", 4, 4)
    assert all(c["verdict"] == "accepted" for c in result["results"]) and result["timeMs"] is not None
    mine = (
        await eventually(
            lambda: api.get(f"/api/problems/{problem['id']}", token=token),
            lambda r: r.json["totalSubmissions"] and r.json["attemptStatus"],
        )
    ).json
    assert (mine["totalSubmissions"], mine["acceptanceRate"], mine["attemptStatus"]) == (1, 100.0, "solved")
    theirs = (await api.get(f"/api/problems/{problem['id']}", token=room["host"]["accessToken"])).json
    assert theirs["attemptStatus"] is None
    session_id = (await api.get(f"/api/rooms/{room['id']}", token=token)).json["sessionId"]
    event = await eventually(lambda: server.db.sessionEvents.find_one({"sessionId": session_id, "type": "submission"}))
    assert event["data"]["submissionId"] == result["id"] and event["data"]["verdict"] == "accepted"
    snapshot = await eventually(
        lambda: server.db.codeSnapshots.find_one({"sessionId": session_id, "trigger": "submission"})
    )
    assert snapshot and snapshot["code"] == "import os\n"  # the live document (the starter code here)


async def test_bookkeeping_waits_for_an_idle_judge_at_most_its_delay(make_server, monkeypatch) -> None:
    monkeypatch.setattr(execution, "BOOKKEEPING_MAX_DELAY_SEC", 1.0)
    server = await make_server(judge_workers=2)  # the run and the submission are judged side by side
    api = Api(server.url)
    problem = await create_problem(api, await make_admin(server, api))
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    session_id = (await api.get(f"/api/rooms/{room['id']}", token=token)).json["sessionId"]
    recorder = Recorder(server, "")
    slow = {"language": "python", "code": "import time\ntime.sleep(5)\n", "timeoutMs": 8000}
    run_id = (await api.post(f"/api/rooms/{room['id']}/run", slow, token=token)).json["runId"]
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": ADD}, token=token)
    submission = (await recorder.wait("submission.completed", id=r.json["submissionId"])).data

    def recorded(type_: str) -> Awaitable[dict | None]:
        return server.db.sessionEvents.find_one({"sessionId": session_id, "type": type_})

    # The judge is busy with the run: the submission's bookkeeping waits...
    assert await recorded("submission") is None
    assert (await api.get(f"/api/problems/{problem['id']}", token=token)).json["totalSubmissions"] == 0
    # ...at most BOOKKEEPING_MAX_DELAY_SEC, while the run still runs.
    event = await eventually(lambda: recorded("submission"))
    assert (await api.get(f"/api/executions/{run_id}", token=token)).json["status"] == "running"
    assert (await api.get(f"/api/problems/{problem['id']}", token=token)).json["totalSubmissions"] == 1
    assert event["data"]["submissionId"] == submission["id"]
    finished = datetime.fromisoformat(submission["finishedAt"])
    assert abs(event["at"] - finished) < timedelta(milliseconds=2)  # dated when it finished, not when written
    run = (await recorder.wait("run.completed", id=run_id)).data
    recorder.stop()
    assert run["status"] == "completed"
    assert (await eventually(lambda: recorded("run")))["data"]["runId"] == run_id
    await server.stop()


async def test_polling_shows_progress_while_running(api: Api, server, problem: dict) -> None:
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    recorder = Recorder(server, "submission.progress")
    slow = "import time\ntime.sleep(0.3)\n" + ADD
    sid = (await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": slow}, token=token)).json[
        "submissionId"
    ]
    seen = set()
    while (polled := (await api.get(f"/api/submissions/{sid}", token=token)).json)["status"] not in FINISHED:
        if polled["status"] == "running" and polled["passed"]:
            assert recorder.of("submission.progress", submissionId=sid, passed=polled["passed"])  # pushed first
            seen.add(polled["passed"])
        await asyncio.sleep(0.05)
    recorder.stop()
    assert seen and polled["passed"] == 4


async def test_progress_of_many_fast_cases_is_published_at_a_bounded_rate(api: Api, server, admin: dict) -> None:
    cases = [{"input": f"{i} 1\n", "expectedOutput": f"{i + 1}\n"} for i in range(40)]
    problem = await create_problem(api, admin, testCases=cases)
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    recorder = Recorder(server, "submission.")
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": ADD}, token=token)
    sid = r.json["submissionId"]
    completed = (await recorder.wait("submission.completed", id=sid)).data
    recorder.stop()
    assert (completed["verdict"], completed["passed"]) == ("accepted", 40)
    progress = [e.data for e in recorder.of("submission.progress", submissionId=sid)]
    assert_progress_spaced(progress, completed)
    assert len(progress) < 40  # 40 fast cases take far less than 40 intervals


def assert_progress_spaced(progress: list[dict], completed: dict) -> None:
    """submission.progress events of one submission: consistent figures, and at most one per
    PROGRESS_INTERVAL_SEC from the submission on (none before the first interval has passed)."""
    assert all(p["total"] == completed["total"] and p["passed"] <= p["done"] <= p["total"] for p in progress)
    done = [p["done"] for p in progress]
    assert done == sorted(set(done))
    judging = datetime.fromisoformat(completed["finishedAt"]) - datetime.fromisoformat(completed["createdAt"])
    if judging.total_seconds() > PROGRESS_INTERVAL_SEC + 0.1:  # some case finished after the first interval
        assert done
    assert len(done) <= (judging.total_seconds() + 0.01) / PROGRESS_INTERVAL_SEC  # 10 ms: clocks


async def test_time_limit_and_compilation_error_verdicts(api: Api, problem: dict) -> None:
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": SPIN}, token=token)
    tle = await finished_job(api, f"/api/submissions/{r.json['submissionId']}", token)
    assert tle["verdict"] == "time_limit_exceeded" and tle["passed"] == 0
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "c", "code": "int main( {"}, token=token)
    broken = await finished_job(api, f"/api/submissions/{r.json['submissionId']}", token)
    assert broken["verdict"] == "compilation_error" and "error" in broken["compileOutput"]
    r = await api.post(
        f"/api/rooms/{room['id']}/run", {"language": "python", "code": SPIN, "timeoutMs": 300}, token=token
    )
    run = await finished_job(api, f"/api/executions/{r.json['runId']}", token)
    assert run["verdict"] == "time_limit_exceeded"


async def test_lock_and_phase_rules(api: Api, admin: dict, problem: dict) -> None:
    room = await coding_room(api, problem, phase="waiting")
    rid, host, token = room["id"], room["host"]["accessToken"], room["candidate"]["accessToken"]
    run = {"language": "python", "code": "print(1)"}
    submit = {"language": "python", "code": ADD}
    assert (await api.post(f"/api/rooms/{rid}/run", run, token=token)).status == 202  # runs in any live phase
    assert_error(await api.post(f"/api/rooms/{rid}/submit", submit, token=token), 409, "ROOM_INVALID_PHASE")
    for to in ("warmup", "coding"):
        await api.post(f"/api/rooms/{rid}/phase", {"to": to}, token=host)
    await api.post(f"/api/rooms/{rid}/lock", token=host)
    assert_error(await api.post(f"/api/rooms/{rid}/run", run, token=token), 409, "ROOM_EDITOR_LOCKED")
    assert_error(await api.post(f"/api/rooms/{rid}/submit", submit, token=host), 409, "ROOM_EDITOR_LOCKED")
    await api.post(f"/api/rooms/{rid}/unlock", token=host)
    assert (await api.post(f"/api/rooms/{rid}/submit", submit, token=token)).status == 202
    await api.post(f"/api/rooms/{rid}/phase", {"to": "wrapup"}, token=host)
    assert_error(await api.post(f"/api/rooms/{rid}/submit", submit, token=token), 409, "ROOM_INVALID_PHASE")
    await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=host)
    assert_error(await api.post(f"/api/rooms/{rid}/run", run, token=token), 409, "ROOM_FINISHED")
    bare = await coding_room(api, None)
    assert_error(
        await api.post(f"/api/rooms/{bare['id']}/submit", submit, token=bare["candidate"]["accessToken"]),
        409,
        "ROOM_NO_PROBLEM",
    )


async def test_submission_to_a_vanished_problem_is_refused_and_not_counted(api: Api, server, admin: dict) -> None:
    """The quota is taken while the problem is read: a refusal there gives it back and stores nothing."""
    problem = await create_problem(api, admin)
    room = await coding_room(api, problem)
    token = room["candidate"]["accessToken"]
    used = (await api.get("/api/users/me/quotas", token=token)).json["executions"]["used"]
    await server.db.problems.update_one({"_id": problem["id"]}, {"$set": {"deletedAt": datetime.now(UTC)}})
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": ADD}, token=token)
    assert_error(r, 404, "PROBLEM_NOT_FOUND")
    assert (await api.get("/api/users/me/quotas", token=token)).json["executions"]["used"] == used
    assert await server.db.submissions.count_documents({"roomId": room["id"]}) == 0


async def test_who_may_run_and_read(api: Api, server, admin: dict, problem: dict) -> None:
    room = await coding_room(api, problem, maxParticipants=3)
    rid, token = room["id"], room["candidate"]["accessToken"]
    observer, stranger = await api.register(), await api.register()
    assert (await join(api, observer, room["code"], "observer")).status == 200
    run = {"language": "python", "code": "print(1)"}
    assert_error(await api.post(f"/api/rooms/{rid}/run", run, token=observer["accessToken"]), 403, "FORBIDDEN")
    assert_error(await api.post(f"/api/rooms/{rid}/run", run, token=stranger["accessToken"]), 403, "FORBIDDEN")
    assert_error(await api.post("/api/rooms/no-such-room/run", run, token=token), 404, "ROOM_NOT_FOUND")
    assert_error(await api.post(f"/api/rooms/{rid}/run", run), 401)
    for bad in (
        {"language": "cobol", "code": "x"},
        {"language": "python", "code": ""},
        {"language": "python", "code": "x", "extra": 1},
        {"language": "python", "code": "x", "memoryMb": 8},
    ):
        assert_error(await api.post(f"/api/rooms/{rid}/run", bad, token=token), 400, "VALIDATION_FAILED")
    run_id = (await api.post(f"/api/rooms/{rid}/run", run, token=token)).json["runId"]
    await finished_job(api, f"/api/executions/{run_id}", token)
    assert (await api.get(f"/api/executions/{run_id}", token=observer["accessToken"])).status == 200
    assert (await api.get(f"/api/executions/{run_id}", token=admin["accessToken"])).status == 200
    assert_error(await api.get(f"/api/executions/{run_id}", token=stranger["accessToken"]), 403)
    assert_error(await api.get("/api/executions/not-a-run", token=token), 404, "RUN_NOT_FOUND")
    assert_error(await api.get("/api/submissions/not-a-submission", token=token), 404, "SUBMISSION_NOT_FOUND")
    # The owner keeps access to their run after leaving the room.
    await api.post(f"/api/rooms/{rid}/leave", token=token)
    assert (await api.get(f"/api/executions/{run_id}", token=token)).status == 200


async def test_authorization_matrix(api: Api, server, admin: dict, problem: dict) -> None:
    """EXECUTION_ENDPOINTS by every kind of caller, expected outcomes from the permissions table."""
    people = {name: await api.register() for name in ("host", "interviewer", "candidate", "observer", "stranger")}
    people.update(admin=admin, problem=problem["id"])
    assert not await matrix_mismatches(api, people, EXECUTION_ENDPOINTS)


async def test_lists_page_without_full_outputs(api: Api, problem: dict) -> None:
    room = await coding_room(api, problem)
    rid, token = room["id"], room["candidate"]["accessToken"]
    long = {"language": "python", "code": "print('x' * 1000)"}
    ids = [(await api.post(f"/api/rooms/{rid}/run", long, token=token)).json["runId"] for _ in range(3)]
    for run_id in ids:
        await finished_job(api, f"/api/executions/{run_id}", token)
    r = await api.get(f"/api/rooms/{rid}/runs?limit=2", token=token)
    page = r.json
    assert [run["id"] for run in page["data"]] == ids[::-1][:2] and page["pagination"]["hasMore"] is True
    assert all(len(run["stdout"]) == 200 and run["truncated"] for run in page["data"])
    rest = (await api.get(f"/api/rooms/{rid}/runs?limit=2&cursor={page['pagination']['nextCursor']}", token=token)).json
    assert [run["id"] for run in rest["data"]] == [ids[0]] and rest["pagination"]["nextCursor"] is None
    full = (await api.get(f"/api/executions/{ids[0]}", token=token)).json
    assert len(full["stdout"]) == 1001 and full["truncated"] is False
    assert_error(await api.get(f"/api/rooms/{rid}/runs?cursor=@@@", token=token), 400)
    sid = (await api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": SUBTRACT}, token=token)).json[
        "submissionId"
    ]
    await finished_job(api, f"/api/submissions/{sid}", token)
    listed = (await api.get(f"/api/rooms/{rid}/submissions", token=token)).json["data"]
    assert [s["id"] for s in listed] == [sid] and listed[0]["verdict"] == "wrong_answer"
    assert all(c["stdout"] is None and c["expectedOutput"] is None and c["verdict"] for c in listed[0]["results"])


async def test_static_analysis_for_python(api: Api, server, problem: dict) -> None:
    room = await coding_room(api, problem)
    rid, token = room["id"], room["candidate"]["accessToken"]
    recorder = Recorder(server, "analysis.")
    code = (
        "import os\n\ndef pick(x):\n    if x > 1:\n        return 1\n    elif x < 0:\n        return 2\n    return 3\n"
    )
    r = await api.post(f"/api/rooms/{rid}/analysis", {"code": code, "language": "python"}, token=token)
    assert r.status == 202
    analysis_id = r.json["analysisId"]
    result = await finished_job(api, f"/api/rooms/{rid}/analysis/{analysis_id}", token)
    assert result["status"] == "completed" and result["language"] == "python"
    assert any(d["tool"] == "ruff" and d["rule"] == "F401" and d["line"] == 1 for d in result["diagnostics"])
    assert {"function": "pick", "startLine": 3, "endLine": 8, "cyclomatic": 3} in result["complexity"]
    assert result["summary"]["maxComplexity"] == 3 and result["summary"]["errors"] + result["summary"]["warnings"]
    assert {t["tool"] for t in result["toolResults"]} >= {"ruff", "lizard"}
    assert (await recorder.wait("analysis.completed", id=analysis_id)).data == result
    recorder.stop()
    # Without code: the live document (the problem's starter code) in the room's language.
    live_id = (await api.post(f"/api/rooms/{rid}/analysis", {}, token=token)).json["analysisId"]
    live = await finished_job(api, f"/api/rooms/{rid}/analysis/{live_id}", token)
    assert [d["rule"] for d in live["diagnostics"]] == ["F401"]
    assert_error(await api.post(f"/api/rooms/{rid}/analysis", {"language": "go"}, token=token), 400)
    assert_error(await api.get(f"/api/rooms/{rid}/analysis/nope", token=token), 404, "ANALYSIS_NOT_FOUND")


async def test_daily_quota(make_server) -> None:
    server = await make_server(daily_executions=2)
    api = Api(server.url)
    room = await coding_room(api, None)
    token = room["candidate"]["accessToken"]
    run = {"language": "python", "code": "print(1)"}
    for _ in range(2):
        assert (await api.post(f"/api/rooms/{room['id']}/run", run, token=token)).status == 202
    r = await api.post(f"/api/rooms/{room['id']}/analysis", {"code": "x = 1\n"}, token=token)
    assert_error(r, 429, "QUOTA_EXCEEDED")
    midnight = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(int(r.headers["Retry-After"]) - (midnight - datetime.now(UTC)).total_seconds()) < 5
    quotas = (await api.get("/api/users/me/quotas", token=token)).json
    assert quotas["executions"] == {"used": 2, "limit": 2, "resetsAt": midnight.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    assert quotas["ai"]["used"] == 0 and quotas["ai"]["limit"] > 0
    assert quotas["rooms"] == {"active": 1, "maxActive": server.settings.max_active_rooms}
    assert quotas["storage"]["usedBytes"] == 0 and quotas["storage"]["limitBytes"] > 0
    other = room["host"]["accessToken"]  # quotas are per user
    assert (await api.post(f"/api/rooms/{room['id']}/run", run, token=other)).status == 202
    assert_error(await api.get("/api/users/me/quotas"), 401)
    await server.stop()
    # Counts are kept in memory and stored behind: a restart resumes from what was stored.
    settings = server.settings
    again = await make_server(daily_executions=2, mongodb_db=settings.mongodb_db, data_dir=settings.data_dir)
    api = Api(again.url)
    assert (await api.get("/api/users/me/quotas", token=token)).json["executions"]["used"] == 2
    assert_error(await api.post(f"/api/rooms/{room['id']}/run", run, token=token), 429, "QUOTA_EXCEEDED")
    assert (await api.get("/api/users/me/quotas", token=other)).json["executions"]["used"] == 1
    await again.stop()


async def fetch_from(source_ip: str, url: str, token: str, body: dict) -> tornado.httpclient.HTTPResponse:
    client = tornado.httpclient.AsyncHTTPClient()
    return await client.fetch(
        url,
        method="POST",
        body=json.dumps(body),
        raise_error=False,
        headers={"Authorization": f"Bearer {token}"},
        network_interface=source_ip,
    )


async def test_execute_rate_limit_is_per_user(make_server) -> None:
    server = await make_server(rate_limit_enabled=True, rate_limit_execute_per_min=2)
    api = Api(server.url)
    room = await coding_room(api, None)
    url, token = f"{server.url}/api/rooms/{room['id']}/run", room["candidate"]["accessToken"]
    run = {"language": "python", "code": "print(1)"}
    assert [(await fetch_from("127.0.0.1", url, token, run)).code for _ in range(2)] == [202, 202]
    r = await fetch_from("127.0.0.2", url, token, run)  # a fresh IP bucket, but the same user
    assert r.code == 429 and json.loads(r.body)["code"] == "RATE_LIMITED" and int(r.headers["Retry-After"]) >= 1
    await server.stop()


async def test_judge_busy_is_a_429(make_server) -> None:
    server = await make_server(judge_workers=1, judge_queue_size=1)
    api = Api(server.url)
    room = await coding_room(api, None)
    token = room["candidate"]["accessToken"]
    slow = {"language": "python", "code": "import time\ntime.sleep(1.5)\n", "timeoutMs": 1000}
    path = f"/api/rooms/{room['id']}/run"
    accepted = [(await api.post(path, slow, token=token)).json["runId"] for _ in range(2)]
    r = await api.post(path, slow, token=token)
    assert_error(r, 429, "JUDGE_BUSY")
    assert int(r.headers["Retry-After"]) >= 1
    assert await server.db.runs.count_documents({"roomId": room["id"]}) == 2  # a refusal stores nothing
    quotas = (await api.get("/api/users/me/quotas", token=token)).json
    assert quotas["executions"]["used"] == 2  # ...and does not count against the daily quota
    stats = (await api.get("/api/admin/stats", token=(await make_admin(server, api))["accessToken"])).json
    assert stats["executions"]["running"] == 1 and stats["executions"]["queued"] == 1
    for run_id in accepted:
        assert (await finished_job(api, f"/api/executions/{run_id}", token))["status"] == "completed"
    assert (await api.post(path, {"language": "python", "code": "print(1)"}, token=token)).status == 202
    await server.stop()


async def test_restart_leaves_no_job_running(make_server, tmp_path) -> None:
    """A clean stop leaves the jobs in flight to the next start, which judges them again (tests/test_crash_safety.py
    kills the process); what cannot be judged again fails with an error saying why."""
    first = await make_server(mongodb_db="restart_execution", data_dir=tmp_path)
    api = Api(first.url)
    room = await coding_room(api, None)
    token = room["candidate"]["accessToken"]
    slow = {"language": "python", "code": "import time\ntime.sleep(2)\nprint('done')\n", "timeoutMs": 5000}
    run_id = (await api.post(f"/api/rooms/{room['id']}/run", slow, token=token)).json["runId"]
    orphan = {
        "roomId": room["id"],
        "userId": room["candidate"]["user"]["id"],
        "language": "python",
        "code": "print(1)",
        "status": "running",
        "createdAt": datetime.now(UTC),
        "finishedAt": None,
    }
    gone = {**orphan, "_id": new_id(), "problemId": "deleted-problem", "total": 1}  # as a crashed process left it
    twice = {**orphan, "_id": new_id(), "attempts": 2}  # in flight at two restarts in a row
    await first.db.submissions.insert_one(gone)
    await first.db.runs.insert_one(twice)
    await first.stop()
    second = await make_server(mongodb_db="restart_execution", data_dir=tmp_path)
    api = Api(second.url)
    run = await finished_job(api, f"/api/executions/{run_id}", token)
    assert run["status"] == "completed" and run["stdout"] == "done\n" and run["error"] is None
    submission = await finished_job(api, f"/api/submissions/{gone['_id']}", token)
    assert submission["status"] == "failed" and submission["error"] == (
        "the server restarted while this was running and cannot run it again (problem not found); submit again"
    )
    run = await finished_job(api, f"/api/executions/{twice['_id']}", token)
    assert run["status"] == "failed" and run["error"].endswith("and again while it ran a second time; run it again")
    await second.stop()
