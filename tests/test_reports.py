"""Training reports, compare, statistics and weaknesses over real HTTP and /api/ws, with the real judge (process
backend): a finished session's report against a hand computation from the scoring rules (syncode/sessions/
scoring.py), the odd sessions (no submission, only runs, AI mode, abandoned), pending then ready (also across a
restart), access, and what a user reads across sessions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncode.sessions.reports import report_fields
from tests.conftest import Api, assert_error, make_admin
from tests.test_events import EventClient
from tests.test_execution import ADD, HIDDEN_ANSWERS, SPIN, SUBTRACT, create_problem, finished_job
from tests.test_rooms import join, new_room

# Descriptive names, one function: the static analysis finds nothing (code quality 100).
GOOD = (
    "def add(first: int, second: int) -> int:\n    return first + second\n\n\n"
    "first, second = map(int, input().split())\nprint(add(first, second))\n"
)
RATINGS = {"problemSolving": 4, "communication": 4, "codeQuality": 4, "testing": 4, "overall": 4}
DIMENSIONS = ("correctness", "efficiency", "codeQuality", "problemSolving", "communication")


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=1000)


@pytest.fixture(scope="module")
async def problem(server, api: Api) -> dict:
    """An easy problem with 2 visible and 2 hidden tests, and a reference solution in Python."""
    created = await create_problem(api, await make_admin(server, api))
    await server.db.problems.update_one({"_id": created["id"]}, {"$set": {"referenceSolutions": {"python": ADD}}})
    return created


async def room_in(api: Api, problem: dict | None, candidate: dict | None = None, mode: str = "peer") -> dict:
    """A room in `coding`: in peer mode a host interviewer and a candidate, in ai mode the host is the candidate."""
    host = await api.register()
    body: dict[str, Any] = {"mode": mode, **({"problemId": problem["id"]} if problem else {})}
    room = await new_room(api, host, **body)
    if mode == "peer":
        candidate = candidate or await api.register()
        assert (await join(api, candidate, room["inviteCode"])).status == 200
    for to in ("warmup", "coding"):
        assert (await phase(api, room["id"], host, to)).status == 200
    return {"id": room["id"], "host": host, "candidate": candidate or host}


async def phase(api: Api, room_id: str, host: dict, to: str):
    return await api.post(f"/api/rooms/{room_id}/phase", {"to": to}, token=host["accessToken"])


async def submit(api: Api, room: dict, code: str) -> dict:
    token = room["candidate"]["accessToken"]
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": code}, token=token)
    assert r.status == 202, r.body
    return await finished_job(api, f"/api/submissions/{r.json['submissionId']}", token)


async def run(api: Api, room: dict, code: str = ADD) -> dict:
    token = room["candidate"]["accessToken"]
    body = {"language": "python", "code": code, "stdin": "1 2\n"}
    r = await api.post(f"/api/rooms/{room['id']}/run", body, token=token)
    assert r.status == 202, r.body
    return await finished_job(api, f"/api/executions/{r.json['runId']}", token)


async def session_of(api: Api, room: dict) -> str:
    return (await api.get(f"/api/rooms/{room['id']}", token=room["host"]["accessToken"])).json["sessionId"]


async def ready_report(api: Api, session_id: str, token: str) -> dict:
    for _ in range(1200):
        r = await api.get(f"/api/sessions/{session_id}/report", token=token)
        assert r.status in (200, 202), r.body
        if r.status == 200:
            return r.json
        assert r.json == {"sessionId": session_id, "status": "pending"}
        await asyncio.sleep(0.05)
    raise AssertionError("the report never became ready")


async def finished_report(api: Api, room: dict) -> dict:
    assert (await phase(api, room["id"], room["host"], "finished")).status == 200
    return await ready_report(api, await session_of(api, room), room["candidate"]["accessToken"])


def scores(report: dict) -> dict[str, int]:
    return {name: report["dimensions"][name]["score"] for name in DIMENSIONS}


async def test_report_matches_a_hand_computation(api: Api, server, problem: dict) -> None:
    room = await room_in(api, problem)
    candidate, host = room["candidate"], room["host"]
    events = await EventClient.connect(server, candidate["accessToken"])
    for _ in range(2):
        assert (await run(api, room))["verdict"] == "accepted"
    assert (await submit(api, room, SUBTRACT))["verdict"] == "wrong_answer"
    assert (await submit(api, room, GOOD))["verdict"] == "accepted"
    for text in ("I will use a hash map", "that is O(n)", "done"):
        events.send("chat.send", room["id"], text=text)
        await events.expect("chat.message", room["id"], where=lambda d, text=text: d["text"] == text)
    assert (await phase(api, room["id"], host, "wrapup")).status == 200
    feedback = {"revieweeId": candidate["user"]["id"], "ratings": RATINGS}
    assert (await api.post(f"/api/rooms/{room['id']}/feedback", feedback, token=host["accessToken"])).status == 201
    assert (await phase(api, room["id"], host, "finished")).status == 200
    session_id = await session_of(api, room)
    ready = await events.expect("report.ready", timeout=120)
    assert ready["data"]["sessionId"] == session_id and "roomId" not in ready  # a per-user event
    r = await api.get(f"/api/sessions/{session_id}/report", token=candidate["accessToken"])
    assert r.status == 200, r.body
    report = r.json
    # correctness: the last submission passed 4 of 4 -> 100. efficiency: on the 3 longest inputs the candidate's
    # and the reference's CPU times are under 100 ms, which counts as 100 ms: 1x -> 100. code quality: no
    # finding, complexity 1, no poor name -> 100. problem solving: 2 runs (5 are free), 1 failed submission (-10),
    # accepted within the 15 minutes of an easy problem, no hint -> 90. communication: 3 messages (30) and a
    # rating of 4 ((4 - 1) x 25 = 75): (30 + 75) / 2 = 52.5 -> 53.
    assert scores(report) == {
        "correctness": 100,
        "efficiency": 100,
        "codeQuality": 100,
        "problemSolving": 90,
        "communication": 53,
    }
    assert report["overallScore"] == 91  # 35 + 15 + 15 + 0.2 x 90 + 0.15 x 53 = 90.95
    assert report["status"] == "ready" and report["provider"] == "offline"
    assert report["candidateId"] == candidate["user"]["id"] and report["sessionId"] == session_id
    assert [(t["index"], t["hidden"], t["passed"], t["verdict"]) for t in report["tests"]] == [
        (0, False, True, "accepted"),
        (1, False, True, "accepted"),
        (2, True, True, "accepted"),
        (3, True, True, "accepted"),
    ]
    assert not any(answer in r.body.decode() for answer in HIDDEN_ANSWERS)
    assert len(report["strengths"]) == 3 and len(report["improvements"]) == 1
    assert report["improvements"][0].startswith("Think aloud")
    assert report["history"] == {"trend": "steady", "sessionsCompared": 0, "averageScore": None}
    assert report["summary"].startswith(f"{problem['title']}: 91/100 overall.")
    for dimension in report["dimensions"].values():
        assert dimension["summary"] and all(e["type"] in ("code_line", "event", "test") for e in dimension["evidence"])
    # The session lists it; the reference ran once for this problem and language; the interviewer may read it.
    session = await server.db.sessions.find_one({"_id": session_id})
    assert (session["reportStatus"], session["overallScore"]) == ("ready", 91)
    assert await server.db.referenceTimings.count_documents({"problemId": problem["id"]}) == 1
    theirs = await api.get(f"/api/sessions/{session_id}/report", token=host["accessToken"])
    assert theirs.status == 200 and theirs.json == report
    # The same session always gets the same numbers.
    again = report_fields(await server.ctx.reports.gatherer.gather(session), [])
    assert again["overallScore"] == 91 and {k: v["score"] for k, v in again["dimensions"].items()} == scores(report)
    events.close()


async def test_pending_until_judging_ends_then_ready(api: Api, server, problem: dict) -> None:
    room = await room_in(api, problem)
    token = room["candidate"]["accessToken"]
    r = await api.post(f"/api/rooms/{room['id']}/submit", {"language": "python", "code": SPIN}, token=token)
    assert r.status == 202
    assert (await phase(api, room["id"], room["host"], "finished")).status == 200
    session_id = await session_of(api, room)
    pending = await api.get(f"/api/sessions/{session_id}/report", token=token)
    assert pending.status == 202 and pending.json == {"sessionId": session_id, "status": "pending"}
    assert (await server.db.sessions.find_one({"_id": session_id}))["reportStatus"] == "pending"
    report = await ready_report(api, session_id, token)  # made once the submission was judged
    assert [t["verdict"] for t in report["tests"]] == ["time_limit_exceeded"] * 4
    assert scores(report)["correctness"] == 0 and scores(report)["efficiency"] == 0


async def test_reports_of_odd_sessions(api: Api, server, problem: dict) -> None:
    # No submission.
    nothing = await finished_report(api, await room_in(api, problem))
    assert nothing["tests"] == [] and nothing["dimensions"]["correctness"]["summary"].startswith("No submission")
    assert scores(nothing)["problemSolving"] == 0 and scores(nothing)["communication"] == 0
    assert nothing["dimensions"]["codeQuality"]["summary"] == "No code was written."  # the starter code is left
    # Only runs.
    room = await room_in(api, problem)
    for _ in range(2):
        await run(api, room)
    runs_only = await finished_report(api, room)
    assert scores(runs_only)["correctness"] == 0 and scores(runs_only)["problemSolving"] == 10
    assert runs_only["dimensions"]["problemSolving"]["summary"] == "The code was run 2 times but never submitted."
    # No problem at all.
    assert scores(await finished_report(api, await room_in(api, None)))["problemSolving"] == 0
    # AI mode: the host is the candidate.
    ai = await room_in(api, problem, mode="ai")
    await submit(api, ai, GOOD)
    report = await finished_report(api, ai)
    assert report["candidateId"] == ai["host"]["user"]["id"] and scores(report)["correctness"] == 100


async def test_abandoned_room_gets_a_report(api: Api, server, problem: dict) -> None:
    room = await room_in(api, problem)
    await submit(api, room, SUBTRACT)
    old = datetime.now(UTC) - timedelta(minutes=11)
    await server.db.rooms.update_one({"_id": room["id"]}, {"$set": {"lastActivityAt": old}})
    assert room["id"] in await server.ctx.rooms.finish_abandoned()
    report = await ready_report(api, await session_of(api, room), room["candidate"]["accessToken"])
    assert report["summary"].endswith("The room was left idle and closed.")
    assert scores(report)["correctness"] == 0 and report["tests"][0]["verdict"] == "wrong_answer"


async def test_a_report_that_keeps_failing_is_marked_failed(api: Api, server, problem: dict, monkeypatch) -> None:
    attempts = []

    async def broken(session: dict) -> None:
        attempts.append(session["_id"])
        raise RuntimeError("evidence unavailable")

    monkeypatch.setattr(server.ctx.reports.gatherer, "gather", broken)
    monkeypatch.setattr(server.ctx.reports, "retry_delay_sec", 0.01)
    room = await room_in(api, problem)
    assert (await phase(api, room["id"], room["host"], "finished")).status == 200
    session_id = await session_of(api, room)
    report = await ready_report(api, session_id, room["candidate"]["accessToken"])
    assert report["status"] == "failed" and report["overallScore"] is None and report["dimensions"] is None
    assert attempts == [session_id] * 3
    assert (await server.db.sessions.find_one({"_id": session_id}))["reportStatus"] == "failed"


async def test_a_report_begun_at_every_start_and_never_finished_is_marked_failed(make_server, tmp_path) -> None:
    """Its making may be what brings the process down: after MAX_ATTEMPTS tries begun (restarts included), the
    next start marks it failed instead of trying again. tests/test_crash_safety.py resumes one after a real kill."""
    first = await make_server(mongodb_db=f"reports_{tmp_path.name[-12:]}", data_dir=tmp_path)
    api = Api(first.url)
    room = await room_in(api, None)
    assert (await phase(api, room["id"], room["host"], "finished")).status == 200
    session_id = await session_of(api, room)
    token = room["candidate"]["accessToken"]
    assert (await ready_report(api, session_id, token))["status"] == "ready"
    # As three processes that each died while making it would have left it.
    await first.db.reports.update_one({"_id": session_id}, {"$set": {"status": "pending", "attempts": 3}})
    await first.stop()
    second = await make_server(mongodb_db=first.settings.mongodb_db, data_dir=tmp_path)
    report = await ready_report(Api(second.url), session_id, token)
    assert report["status"] == "failed"
    assert (await second.db.reports.find_one({"_id": session_id}))["attempts"] == 4
    assert (await second.db.sessions.find_one({"_id": session_id}))["reportStatus"] == "failed"
    await second.stop()


async def test_report_access(api: Api, server, problem: dict) -> None:
    room = await room_in(api, problem)
    session_id = await session_of(api, room)
    token = room["candidate"]["accessToken"]
    assert_error(await api.get(f"/api/sessions/{session_id}/report", token=token), 404, "REPORT_NOT_FOUND")
    assert (await phase(api, room["id"], room["host"], "finished")).status == 200
    await ready_report(api, session_id, token)
    outsider = await api.register()
    assert_error(await api.get(f"/api/sessions/{session_id}/report", token=outsider["accessToken"]), 403)
    assert_error(await api.get("/api/sessions/no-such-session/report", token=token), 404)
    assert_error(await api.get(f"/api/sessions/{session_id}/report"), 401)
    admin = await make_admin(server, api)
    assert (await api.get(f"/api/sessions/{session_id}/report", token=admin["accessToken"])).status == 200


async def two_sessions(api: Api, problem: dict) -> tuple[dict, list[str], list[dict]]:
    """One candidate: a session with a wrong submission, then one with an accepted submission."""
    candidate = await api.register()
    ids, reports = [], []
    for code in (SUBTRACT, GOOD):
        room = await room_in(api, problem, candidate)
        await submit(api, room, code)
        reports.append(await finished_report(api, room))
        ids.append(await session_of(api, room))
    return candidate, ids, reports


async def test_compare_stats_and_weaknesses(api: Api, server, problem: dict) -> None:
    candidate, ids, (first, second) = await two_sessions(api, problem)
    token = candidate["accessToken"]
    assert second["history"]["sessionsCompared"] == 1 and second["history"]["trend"] == "improving"
    averages = await server.ctx.reports.average_scores([candidate["user"]["id"], "nobody"])
    assert averages == {candidate["user"]["id"]: (first["overallScore"] + second["overallScore"]) / 2}
    # compare: oldest first whatever the order asked; deltas between consecutive reports; trend
    r = await api.get(f"/api/sessions/compare?ids={ids[1]},{ids[0]}", token=token)
    assert r.status == 200, r.body
    compared = r.json
    assert [s["sessionId"] for s in compared["sessions"]] == ids
    assert compared["sessions"][0]["deltas"] is None and compared["sessions"][0]["problem"]["id"] == problem["id"]
    expected = {name: scores(second)[name] - scores(first)[name] for name in DIMENSIONS}
    expected["overall"] = second["overallScore"] - first["overallScore"]
    assert compared["sessions"][1]["deltas"] == expected and compared["deltas"] == expected
    assert compared["sessions"][1]["dimensions"] == scores(second) and compared["trend"] == "improving"
    outsider = await api.register()
    foreign = await room_in(api, problem)
    for bad in ([ids[0]], [ids[0], ids[0]], [*ids, await session_of(api, foreign)], [f"x{i}" for i in range(11)]):
        assert_error(await api.get(f"/api/sessions/compare?ids={','.join(bad)}", token=token), 400)
    assert_error(await api.get(f"/api/sessions/compare?ids={','.join(ids)}", token=outsider["accessToken"]), 400)
    # stats: today's bucket counts both sessions and submissions
    stats = (await api.get("/api/users/me/stats?bucket=day", token=token)).json
    today = stats["series"][-1]
    assert today["start"] == datetime.now(UTC).strftime("%Y-%m-%dT00:00:00.000Z") and len(stats["series"]) in (30, 31)
    average = (first["overallScore"] + second["overallScore"]) / 2
    assert (today["sessions"], today["submissions"], today["accepted"], today["avgScore"]) == (2, 2, 1, average)
    totals = stats["totals"]
    assert (totals["sessions"], totals["problemsSolved"], totals["acceptanceRate"]) == (2, 1, 0.5)
    assert totals["byDifficulty"]["easy"] == {"attempted": 1, "solved": 1}
    assert totals["byLanguage"] == {"python": {"submissions": 2, "accepted": 1}}
    assert stats["streakDays"] == 1 and totals["practiceMinutes"] >= 0
    weekly = (await api.get("/api/users/me/stats?bucket=week", token=token)).json
    assert weekly["series"][-1]["sessions"] == 2 and len(weekly["series"]) in (12, 13)
    for query in ("bucket=month", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from=2000-01-01T00:00:00Z"):
        assert_error(await api.get(f"/api/users/me/stats?{query}", token=token), 400, case=query)
    # weaknesses: no conversation in either session; failing tests in the first
    entries = (await api.get("/api/users/me/weaknesses", token=token)).json["data"]
    by_category = {e["category"]: e for e in entries}
    assert entries[0]["category"] == "communication" and by_category["communication"]["frequency"] == 2
    assert [s["sessionId"] for s in by_category["communication"]["sessions"]] == ids[::-1]
    assert by_category["edge_cases"]["frequency"] == 1 and by_category["edge_cases"]["sessions"][0]["score"] == 0
    assert by_category["edge_cases"]["trend"] == "stable" and by_category["edge_cases"]["description"]
    await server.db.sessions.update_one({"_id": ids[0]}, {"$addToSet": {"hiddenFor": candidate["user"]["id"]}})
    entries = (await api.get("/api/users/me/weaknesses", token=token)).json["data"]
    assert [e["category"] for e in entries] == ["communication"] and entries[0]["frequency"] == 1
    assert (await api.get("/api/users/me/stats", token=token)).json["totals"]["sessions"] == 1


async def test_pending_and_missing_reports_are_made_after_a_restart(make_server, tmp_path) -> None:
    """A crash leaves a report pending, or a finished session without one: the next start makes both."""
    first = await make_server(mongodb_db="reports_restart", data_dir=tmp_path, max_active_rooms=1000)
    api = Api(first.url)
    problem = await create_problem(api, await make_admin(first, api))
    rooms = [await room_in(api, problem) for _ in range(2)]
    reports = [await finished_report(api, room) for room in rooms]
    pending, missing = [await session_of(api, room) for room in rooms]
    await first.db.reports.update_one({"_id": pending}, {"$set": {"status": "pending"}, "$unset": {"dimensions": ""}})
    await first.db.reports.delete_one({"_id": missing})
    await first.db.sessions.update_one({"_id": missing}, {"$unset": {"reportStatus": "", "overallScore": ""}})
    await first.stop()
    second = await make_server(mongodb_db="reports_restart", data_dir=tmp_path, max_active_rooms=1000)
    assert await second.db.reports.find_one({"_id": missing})  # made at start-up, not when first read
    api = Api(second.url)
    for room, session_id, before in zip(rooms, (pending, missing), reports, strict=True):
        report = await ready_report(api, session_id, room["candidate"]["accessToken"])
        assert scores(report) == scores(before)
        assert (await second.db.sessions.find_one({"_id": session_id}))["reportStatus"] == "ready"
    await second.stop()
