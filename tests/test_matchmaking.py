"""Matchmaking over real HTTP and /api/ws: the queue, proposals, accept and decline, timeouts, heartbeats, a restart
in the middle of a proposal, scores, and 200 users entering at once."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from syncode.matchmaking.mirror import seeker_of
from syncode.matchmaking.rules import ScoreWindow, compatible
from tests.collab.conftest import eventually
from tests.conftest import Api, assert_error
from tests.test_events import EventClient

QUEUE, STATUS = "/api/matchmaking/queue", "/api/matchmaking/status"
QUICK_TTL = 1.5


@pytest.fixture(scope="module")
async def server(make_server):
    srv = await make_server(load_problem_bank=True, max_active_rooms=1000, match_tick_sec=0.05)
    await srv.bank_loading
    return srv


@pytest.fixture(scope="module")
async def quick(make_server):
    """Proposals and silent entries expire within seconds."""
    return await make_server(match_proposal_ttl_sec=QUICK_TTL, match_queue_ttl_sec=QUICK_TTL, match_tick_sec=0.05)


@pytest.fixture
async def people(server):
    """Registers users on a server; at the end each leaves the queue, so the next test starts with it empty."""
    made: list[tuple[Api, dict]] = []

    async def make(n: int = 1, on: Any = None) -> list[dict]:
        api = Api((on or server).url)
        users = [await api.register() for _ in range(n)]
        made.extend((api, u) for u in users)
        return users

    yield make
    for _ in range(2):
        for api, user in made:
            await api.delete(QUEUE, token=user["accessToken"])


async def enter(api: Api, user: dict, **prefs: Any) -> dict:
    r = await api.post(QUEUE, prefs, token=user["accessToken"])
    assert r.status == 202, r.body
    return r.json


async def status(api: Api, user: dict) -> dict:
    r = await api.get(STATUS, token=user["accessToken"])
    assert r.status == 200, r.body
    return r.json


async def proposal(api: Api, user: dict) -> dict:
    async def proposed() -> bool:
        return (await status(api, user))["status"] == "proposed"

    await eventually(proposed)
    return (await status(api, user))["match"]


def answer(api: Api, user: dict, match: dict, verb: str):
    return api.post(f"/api/matchmaking/matches/{match['matchId']}/{verb}", token=user["accessToken"])


async def test_enter_poll_replace_and_cancel(server, people) -> None:
    api = Api(server.url)
    (a,) = await people()
    assert (await status(api, a))["status"] == "idle"
    first = await enter(api, a, roles=["candidate"], topics=["only-a"])
    assert first["status"] == "searching" and first["position"] == 1
    assert (await status(api, a))["queuedAt"] == first["queuedAt"]
    await asyncio.sleep(0.01)
    again = await enter(api, a, roles=["candidate"], languages=["go"])
    assert again["queuedAt"] > first["queuedAt"]  # re-entering replaces the entry and its place
    assert (await status(api, a))["position"] == 1
    assert (await api.delete(QUEUE, token=a["accessToken"])).status == 204
    assert (await status(api, a))["status"] == "idle"
    assert (await api.delete(QUEUE, token=a["accessToken"])).status == 204


@pytest.mark.parametrize(
    "body",
    [
        {"languages": ["cobol"]},
        {"difficulties": ["extreme"]},
        {"roles": ["observer"]},
        {"topics": ["Not a slug!"]},
        {"mode": "ai"},
        {"colour": "blue"},
        {"languages": "python"},
    ],
)
async def test_bad_preferences_are_400(server, people, body: dict) -> None:
    (a,) = await people()
    assert_error(await Api(server.url).post(QUEUE, body, token=a["accessToken"]), 400, "VALIDATION_FAILED")


async def test_auth_and_unknown_matches(server, people) -> None:
    api = Api(server.url)
    assert_error(await api.post(QUEUE, {}), 401)
    assert_error(await api.get(STATUS), 401)
    (a,) = await people()
    assert_error(await answer(api, a, {"matchId": "nope"}, "accept"), 404, "MATCH_NOT_FOUND")
    assert_error(await answer(api, a, {"matchId": "nope"}, "decline"), 404, "MATCH_NOT_FOUND")


async def test_a_user_in_a_live_room_cannot_queue_and_joining_one_leaves_the_queue(server, people) -> None:
    api = Api(server.url)
    host, guest = await people(2)
    room = (await api.post("/api/rooms", {"mode": "peer"}, token=host["accessToken"])).json
    assert_error(await api.post(QUEUE, {}, token=host["accessToken"]), 409, "IN_LIVE_ROOM")
    await enter(api, guest, roles=["candidate"], topics=["lonely"])
    await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=guest["accessToken"])
    await eventually(lambda: _is(api, guest, "idle"))


async def _is(api: Api, user: dict, state: str) -> bool:
    return (await status(api, user))["status"] == state


async def test_accept_accept_makes_a_room_with_both_in_their_roles(server, people) -> None:
    api = Api(server.url)
    a, b = await people(2)
    ws_a, ws_b = [await EventClient.connect(server, u["accessToken"]) for u in (a, b)]
    try:
        await enter(api, a, roles=["candidate"], languages=["go"], difficulties=["easy"], topics=["arrays"])
        await enter(api, b, roles=["interviewer"], languages=["python", "go"])
        pushed = (await ws_a.expect("match.proposed"))["data"]
        match = await proposal(api, a)
        assert pushed == match
        assert match["myRole"] == "candidate" and match["language"] == "go"
        assert match["opponent"]["userId"] == b["user"]["id"] and "email" not in match["opponent"]
        assert match["opponent"]["username"] == b["user"]["username"] and match["opponent"]["problemsSolved"] == 0
        assert match["problem"]["difficulty"] == "easy" and "arrays" in match["problem"]["tags"]
        seen_by_b = await proposal(api, b)
        assert seen_by_b["myRole"] == "interviewer" and seen_by_b["opponent"]["userId"] == a["user"]["id"]
        assert_error(await api.post(QUEUE, {}, token=a["accessToken"]), 409, "MATCH_PENDING")

        first = await answer(api, a, match, "accept")
        assert first.status == 200 and first.json["status"] == "proposed" and first.json["match"]["accepted"]
        assert (await ws_b.expect("match.accepted"))["data"] == {"matchId": match["matchId"], "userId": a["user"]["id"]}
        assert (await answer(api, a, match, "accept")).status == 200  # a repeat changes nothing
        second = (await answer(api, b, match, "accept")).json
        assert second["status"] == "matched" and second["match"]["roomId"]
        room_id = second["match"]["roomId"]
        for ws in (ws_a, ws_b):
            assert (await ws.expect("match.ready"))["data"]["roomId"] == room_id
            await ws.expect("match.matched")
            await ws.expect("subscribed", room_id=room_id)  # the event channel follows the new room
        room = (await api.get(f"/api/rooms/{room_id}", token=a["accessToken"])).json
        roles = {p["userId"]: p["role"] for p in room["participants"]}
        assert roles == {a["user"]["id"]: "candidate", b["user"]["id"]: "interviewer"}
        assert room["problem"]["id"] == match["problem"]["id"] and room["language"] == "go"
        assert room["mode"] == "peer" and room["hostId"] == b["user"]["id"]
        assert (await status(api, a))["match"]["roomId"] == room_id
        assert_error(await answer(api, a, match, "decline"), 409, "MATCH_ACCEPTED")
        assert_error(await api.post(QUEUE, {}, token=a["accessToken"]), 409, "IN_LIVE_ROOM")
        await api.post(f"/api/rooms/{room_id}/leave", token=a["accessToken"])
        await api.post(f"/api/rooms/{room_id}/leave", token=b["accessToken"])
        assert (await status(api, a))["status"] == "idle"  # the room is over
    finally:
        ws_a.close()
        ws_b.close()


async def test_fifo_among_equals_and_roles_complement(server, people) -> None:
    api = Api(server.url)
    old, young, interviewer = await people(3)
    await enter(api, old, roles=["candidate"], topics=["fifo"])
    await enter(api, young, roles=["candidate"], topics=["fifo"])  # two candidates: no pair
    await asyncio.sleep(0.2)
    assert (await status(api, young))["status"] == "searching"
    await enter(api, interviewer, roles=["interviewer"], topics=["fifo"])
    match = await proposal(api, interviewer)
    assert match["opponent"]["userId"] == old["user"]["id"] and match["myRole"] == "interviewer"
    assert (await status(api, young))["position"] == 1


async def test_decline_sends_the_other_back_to_their_old_place(server, people) -> None:
    api = Api(server.url)
    a, b, c = await people(3)
    ws_a = await EventClient.connect(server, a["accessToken"])
    try:
        queued_at = (await enter(api, a, topics=["declines"]))["queuedAt"]
        await enter(api, b, topics=["declines"])
        match = await proposal(api, a)
        assert (await answer(api, a, match, "accept")).status == 200
        assert (await answer(api, b, match, "decline")).status == 204
        assert (await answer(api, b, match, "decline")).status == 204  # a repeat changes nothing
        event = (await ws_a.expect("match.declined"))["data"]
        assert event == {"matchId": match["matchId"], "status": "searching", "declinedBy": b["user"]["id"]}
        assert (await status(api, b))["status"] == "idle"
        back = await status(api, a)
        assert back["status"] == "searching" and back["queuedAt"] == queued_at
        assert_error(await answer(api, a, match, "accept"), 410, "MATCH_DECLINED")
        await enter(api, c, topics=["declines"])
        assert (await proposal(api, c))["opponent"]["userId"] == a["user"]["id"]
    finally:
        ws_a.close()


async def test_timeout_requeues_who_accepted_and_drops_who_was_silent(quick, people) -> None:
    api = Api(quick.url)
    a, b = await people(2, on=quick)
    ws_a, ws_b = [await EventClient.connect(quick, u["accessToken"]) for u in (a, b)]
    try:
        queued_at = (await enter(api, a, roles=["candidate"]))["queuedAt"]
        await enter(api, b, roles=["interviewer"])
        match = (await ws_a.expect("match.proposed"))["data"]
        assert (await answer(api, a, match, "accept")).status == 200
        assert (await ws_a.expect("match.expired"))["data"] == {"matchId": match["matchId"], "status": "searching"}
        assert (await ws_b.expect("match.expired"))["data"] == {"matchId": match["matchId"], "status": "idle"}
        assert (await status(api, a))["queuedAt"] == queued_at
        assert (await status(api, b))["status"] == "idle"
        assert_error(await answer(api, b, match, "accept"), 410, "MATCH_EXPIRED")
    finally:
        ws_a.close()
        ws_b.close()


async def test_silent_entries_expire_unless_polled_or_connected(quick, people) -> None:
    api = Api(quick.url)
    silent, polling, connected = await people(3, on=quick)
    for user in (silent, polling, connected):
        await enter(api, user, roles=["candidate"])  # three candidates: nobody is paired
    ws = await EventClient.connect(quick, connected["accessToken"])
    try:
        for _ in range(10):
            await asyncio.sleep(QUICK_TTL / 5)
            assert (await status(api, polling))["status"] == "searching"
        assert (await status(api, silent))["status"] == "idle"
        assert (await status(api, connected))["status"] == "searching"
    finally:
        ws.close()
    await asyncio.sleep(QUICK_TTL + 0.5)  # the socket closed: now the entry goes silent too
    assert (await status(api, connected))["status"] == "idle"


async def test_restart_in_the_middle_of_a_proposal(make_server, tmp_path) -> None:
    settings = {"mongodb_db": "restart_matchmaking", "data_dir": tmp_path, "match_proposal_ttl_sec": 4}
    first = await make_server(**settings, match_tick_sec=0.05)
    api = Api(first.url)
    a, b, c, d = [await api.register() for _ in range(4)]
    await enter(api, a, roles=["candidate"])
    await enter(api, b, roles=["interviewer"])
    match = await proposal(api, a)
    await enter(api, c, roles=["candidate"])
    await enter(api, d, roles=["interviewer"])
    other = await proposal(api, c)  # nobody answers this one
    assert (await answer(api, a, match, "accept")).status == 200
    await first.stop()
    second = await make_server(**settings, match_tick_sec=0.05)
    api = Api(second.url)
    assert (await status(api, b))["match"]["opponentAccepted"] is True
    done = (await answer(api, b, match, "accept")).json
    assert done["status"] == "matched"
    room = (await api.get(f"/api/rooms/{done['match']['roomId']}", token=b["accessToken"])).json
    assert {p["userId"] for p in room["participants"]} == {a["user"]["id"], b["user"]["id"]}
    await eventually(lambda: _is(api, c, "idle"), timeout=8)  # expired after the restart: both were silent
    assert (await status(api, d))["status"] == "idle"
    assert_error(await answer(api, c, other, "accept"), 410, "MATCH_EXPIRED")
    await second.stop()


async def test_close_scores_first_and_a_widening_window(make_server) -> None:
    srv = await make_server(match_tick_sec=0.05, match_score_gap=10, match_score_gap_per_sec=40)
    api = Api(srv.url)
    strong, weak, mid = [await api.register() for _ in range(3)]
    scores = {strong["user"]["id"]: 95.0, weak["user"]["id"]: 20.0, mid["user"]["id"]: 28.0}

    async def known(user_ids: list[str]) -> dict[str, float]:
        return {u: scores[u] for u in user_ids if u in scores}

    srv.ctx.matchmaking.scores = known
    await enter(api, strong, roles=["candidate"])
    await enter(api, weak, roles=["interviewer"])
    await enter(api, mid, roles=["candidate"])
    match = await proposal(api, weak)  # strong waited longer, but is 75 points away: mid (8 away) comes first
    assert match["opponent"]["userId"] == mid["user"]["id"]
    await answer(api, weak, match, "decline")  # mid goes back; weak leaves
    newcomer = await api.register()
    scores[newcomer["user"]["id"]] = 20.0
    await enter(api, newcomer, roles=["interviewer"])
    assert (await proposal(api, newcomer))["opponent"]["userId"] == mid["user"]["id"]
    late = await api.register()
    scores[late["user"]["id"]] = 20.0
    await enter(api, late, roles=["interviewer"])
    assert (await proposal(api, late))["opponent"]["userId"] == strong["user"]["id"]  # 75 <= 10 + 40 * 1.6 s
    await srv.stop()


def random_preferences(rng: random.Random) -> dict[str, list[str]]:
    return {
        "languages": rng.sample(["python", "go", "java", "rust"], rng.choice([0, 1, 2])),
        "difficulties": rng.sample(["easy", "medium", "hard"], rng.choice([0, 1, 2])),
        "topics": rng.sample(["arrays", "graphs", "strings", "dynamic-programming"], rng.choice([0, 0, 1, 2])),
        "roles": rng.choice([[], ["candidate"], ["interviewer"]]),
    }


async def test_200_users_entering_at_once(make_server) -> None:
    srv = await make_server()
    api = Api(srv.url)
    users = await asyncio.gather(*(api.register() for _ in range(200)))
    rng = random.Random(19)
    bodies = [random_preferences(rng) for _ in users]
    answers = await asyncio.gather(
        *(api.post(QUEUE, body, token=u["accessToken"]) for u, body in zip(users, bodies, strict=True))
    )
    assert {r.status for r in answers} == {202}

    async def settled() -> bool:
        searching = srv.ctx.matchmaking.store.searching()
        return not any(compatible(a, b, ScoreWindow(0, 0, 0)) for i, a in enumerate(searching) for b in searching[i:])

    await eventually(settled, timeout=20)  # everyone left searching has no compatible partner left
    matches = await srv.db.matches.find({}).to_list()
    booked = [u for m in matches for u in m["userIds"]]
    assert len(booked) == len(set(booked))  # nobody in two proposals
    entries = {e["_id"]: e async for e in srv.db.matchQueue.find({})}
    prefs = {u["user"]["id"]: body for u, body in zip(users, bodies, strict=True)}
    for m in matches:
        a, b = (seeker_of({**entries[u], "prefs": prefs[u]}) for u in m["userIds"])
        assert compatible(a, b, ScoreWindow(0, 0, 0)) and all(entries[u]["matchId"] == m["_id"] for u in m["userIds"])
    assert len(booked) >= 150, len(booked)
    await srv.stop()
