"""AI-mode rooms end to end over real HTTP, /api/ws and the real judge (process backend): the AI interviewer greets in
warmup, asks about a failing visible test, follows up on an accepted submission and moves the room to wrapup; the
candidate finishes and the report's timeline holds the AI's messages. Then the idle nudge, the mute and the move
to wrapup when the coding time is up."""

from __future__ import annotations

import asyncio
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.test_ai import ai_room
from tests.test_events import EventClient
from tests.test_execution import finished_job
from tests.test_reports import ready_report

BANK = Path(__file__).resolve().parents[1] / "problems"
TWO_SUM = tomllib.loads((BANK / "two-sum.toml").read_text())
SWAPPED = 'print("1 0")\n'  # the first example's indices, the wrong way round


@pytest.fixture(scope="module")
async def server(make_server):
    srv = await make_server(load_problem_bank=True, max_active_rooms=1000, ai_proactive_gap_sec=0, ai_tick_sec=0.2)
    await srv.bank_loading
    return srv


def proactive(data: dict) -> bool:
    return data["kind"] == "proactive" and data["status"] == "completed"


async def test_the_ai_runs_an_interview_from_greeting_to_report(server, api: Api) -> None:
    user = await api.register(displayName="Ada")
    room = await ai_room(api, user, to="waiting")
    rid, token = room["id"], user["accessToken"]
    events = await EventClient.connect(server, token)
    try:
        await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=token)
        greeting = (await events.expect("ai.message", rid, proactive))["data"]
        assert greeting["content"].startswith("Hi Ada!") and "Two Sum" in greeting["content"]
        assert greeting["role"] == "assistant" and greeting["provider"] == "offline"
        await api.post(f"/api/rooms/{rid}/phase", {"to": "coding"}, token=token)

        example = TWO_SUM["examples"][0]["input"]
        r = await api.post(
            f"/api/rooms/{rid}/run", {"language": "python", "code": SWAPPED, "stdin": example}, token=token
        )
        assert r.status == 202, r.body
        await finished_job(api, f"/api/executions/{r.json['runId']}", token)
        question = (await events.expect("ai.message", rid, proactive, timeout=20))["data"]["content"]
        assert "visible test #1" in question and "Expected `0 1`" in question and "printed `1 0`" in question

        code = TWO_SUM["reference"]["python"]
        r = await api.post(f"/api/rooms/{rid}/submit", {"language": "python", "code": code}, token=token)
        assert r.status == 202, r.body
        result = await finished_job(api, f"/api/submissions/{r.json['submissionId']}", token)
        assert result["verdict"] == "accepted"
        follow_up = (await events.expect("ai.message", rid, proactive, timeout=20))["data"]["content"]
        assert f"All {result['total']} tests pass" in follow_up and "complexity" in follow_up
        moved = await events.expect("room.phase_changed", rid, lambda d: d["to"] == "wrapup", timeout=20)
        assert moved["data"]["from"] == "coding"
    finally:
        events.close()
    assert (await api.get(f"/api/rooms/{rid}", token=token)).json["status"] == "wrapup"

    assert (await api.post(f"/api/rooms/{rid}/phase", {"to": "finished"}, token=token)).status == 200
    session_id = (await api.get(f"/api/rooms/{rid}", token=token)).json["sessionId"]
    report = await ready_report(api, session_id, token)
    assert report["provider"] == "offline" and report["overallScore"] > 0
    timeline = (await api.get(f"/api/sessions/{session_id}/events", token=token)).json["data"]
    said = [e["data"]["messageId"] for e in timeline if e["type"] == "ai_message"]
    assert greeting["id"] in said and len(said) >= 3
    history = (await api.get(f"/api/sessions/{session_id}/ai-messages", token=token)).json["data"]
    assert [m["kind"] for m in history][:3] == ["proactive"] * 3


@pytest.fixture(scope="module")
async def eager(make_server):
    """Nudges after one idle second."""
    return await make_server(max_active_rooms=1000, ai_proactive_gap_sec=0, ai_tick_sec=0.2, ai_idle_nudge_sec=1)


async def test_idle_nudge_mute_and_the_end_of_coding_time(eager) -> None:
    api = Api(eager.url)
    user = await api.register()
    durations = {"warmupSec": 0, "codingSec": 60, "wrapupSec": 60}
    room = await ai_room(api, user, to="waiting", problemId=None, config={"durations": durations})
    rid, token = room["id"], user["accessToken"]
    events = await EventClient.connect(eager, token)
    try:
        await api.post(f"/api/rooms/{rid}/phase", {"to": "warmup"}, token=token)
        assert "Pick a problem" in (await events.expect("ai.message", rid, proactive))["data"]["content"]
        await api.post(f"/api/rooms/{rid}/phase", {"to": "coding"}, token=token)
        coding_started = time.monotonic()
        nudge = (await events.expect("ai.message", rid, proactive, timeout=10))["data"]["content"]
        assert "quiet" in nudge
        r = await api.put(f"/api/rooms/{rid}/ai/settings", {"proactiveMuted": True}, token=token)
        assert r.json == {"proactiveMuted": True}
        await events.sync()
        said_before = len([f for f in events.received if f["type"] == "ai.message"])
        wait = 60 - (time.monotonic() - coding_started) + 15
        moved = await events.expect("room.phase_changed", rid, lambda d: d["to"] == "wrapup", timeout=wait)
        assert moved["data"]["from"] == "coding"  # the AI ends the coding phase (autoAdvance is off)
        await asyncio.sleep(0.5)
        await events.sync()
        assert len([f for f in events.received if f["type"] == "ai.message"]) == said_before  # muted: no word
    finally:
        events.close()
