"""Authorization matrix: every room endpoint by every kind of caller, expected outcomes generated from the
permissions table (syncode/services/permissions.py) and checked against the real server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from syncode.services.permissions import Cap, capabilities
from tests.conftest import Api, make_admin

ACTORS = ("anonymous", "stranger", "observer", "candidate", "interviewer", "host", "admin")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {room}, {candidate}, {problem} are filled in per room
    cap: Cap
    body: dict | None = None


ENDPOINTS = [
    Endpoint("GET", "/api/rooms/{room}", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/participants", Cap.view),
    Endpoint("GET", "/api/rooms/{room}/chat", Cap.chat),
    Endpoint("POST", "/api/rooms/{room}/leave", Cap.leave),
    Endpoint("DELETE", "/api/rooms/{room}", Cap.destroy),
    Endpoint("PATCH", "/api/rooms/{room}/participants/{candidate}", Cap.update_participant, {"muted": True}),
    Endpoint("DELETE", "/api/rooms/{room}/participants/{candidate}", Cap.kick),
    Endpoint("POST", "/api/rooms/{room}/phase", Cap.advance_phase, {"to": "warmup"}),
    Endpoint("PUT", "/api/rooms/{room}/problem", Cap.select_problem, {"problemId": "{problem}"}),
    Endpoint("PATCH", "/api/rooms/{room}/settings", Cap.update_settings, {"name": "renamed"}),
    Endpoint("POST", "/api/rooms/{room}/lock", Cap.lock_editor),
    Endpoint("POST", "/api/rooms/{room}/unlock", Cap.lock_editor),
    Endpoint("POST", "/api/rooms/{room}/timer/pause", Cap.control_timer),
    Endpoint("POST", "/api/rooms/{room}/timer/resume", Cap.control_timer),
    Endpoint("POST", "/api/rooms/{room}/role-swap", Cap.role_swap),
    Endpoint("POST", "/api/rooms/{room}/role-swap/not-a-request", Cap.role_swap, {"accept": True}),
    Endpoint("GET", "/api/rooms/{room}/guide", Cap.read_guide),
    Endpoint("POST", "/api/rooms/{room}/hints/reveal", Cap.reveal_hint, {"index": 0}),
]

# The room each case runs in: the host gave up the interviewer seat (role observer, still host), so
# host, interviewer, candidate and observer are four different people.
ROLES = {"host": "observer", "interviewer": "interviewer", "candidate": "candidate", "observer": "observer"}


def expected_allowed(actor: str, cap: Cap) -> bool:
    if actor in ("anonymous", "stranger"):
        return False
    if actor == "admin":
        return cap == Cap.view
    return cap in capabilities(ROLES[actor], actor == "host", "peer")


@pytest.fixture(scope="module")
async def server(make_server):
    return await make_server(max_active_rooms=10_000)


@pytest.fixture(scope="module")
async def people(server, api) -> dict:
    users = {name: await api.register() for name in ("host", "interviewer", "candidate", "observer", "stranger")}
    users["admin"] = await make_admin(server, api)
    problem = await api.post(
        "/api/problems",
        {
            "title": "Matrix Problem",
            "description": "d",
            "difficulty": "easy",
            "testCases": [{"input": "", "expectedOutput": ""}],
        },
        token=users["admin"]["accessToken"],
    )
    users["problem"] = problem.json["id"]
    return users


async def fresh_room(api: Api, people: dict) -> str:
    host = people["host"]["accessToken"]
    room = (await api.post("/api/rooms", {"mode": "peer", "config": {"maxParticipants": 4}}, token=host)).json
    for name in ("candidate", "observer"):
        r = await api.post(
            "/api/rooms/join", {"inviteCode": room["inviteCode"], "role": name}, token=people[name]["accessToken"]
        )
        assert r.status == 200, r.body
    r = await api.patch(
        f"/api/rooms/{room['id']}/participants/{people['host']['user']['id']}", {"role": "observer"}, token=host
    )
    assert r.status == 200, r.body
    r = await api.post(
        "/api/rooms/join",
        {"inviteCode": room["inviteCode"], "role": "interviewer"},
        token=people["interviewer"]["accessToken"],
    )
    assert r.status == 200, r.body
    return room["id"]


def fill(value, room_id: str, people: dict):
    if isinstance(value, dict):
        return {k: fill(v, room_id, people) for k, v in value.items()}
    if isinstance(value, str):
        return (
            value.replace("{room}", room_id)
            .replace("{candidate}", people["candidate"]["user"]["id"])
            .replace("{problem}", people["problem"])
        )
    return value


async def matrix_mismatches(api: Api, people: dict, endpoints: list[Endpoint]) -> list[tuple]:
    """Call every endpoint as every actor, each case in a fresh room; return what differs from the table."""
    mismatches = []
    for endpoint in endpoints:
        for actor in ACTORS:
            room_id = await fresh_room(api, people)  # each case gets its own room: mutations don't leak
            token = None if actor == "anonymous" else people[actor]["accessToken"]
            r = await api.request(
                endpoint.method, fill(endpoint.path, room_id, people), fill(endpoint.body, room_id, people), token=token
            )
            if actor == "anonymous":
                ok = r.status == 401
            elif expected_allowed(actor, endpoint.cap):
                ok = r.status not in (401, 403) and r.status < 500
            else:
                ok = r.status == 403 and r.json["code"] == "FORBIDDEN"
            if not ok:
                mismatches.append((endpoint.method, endpoint.path, actor, r.status, r.body[:120]))
    return mismatches


async def test_authorization_matrix(api: Api, people: dict) -> None:
    assert not await matrix_mismatches(api, people, ENDPOINTS)
