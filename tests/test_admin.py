"""Admin users, bans, roles, dashboard and audit log over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import tornado.websocket

from tests.conftest import Api, assert_error, make_admin


@pytest.fixture(scope="module")
async def admin(server, api) -> dict:
    return await make_admin(server, api)


async def test_ban_takes_effect_at_once_and_is_audited(api: Api, admin: dict) -> None:
    token = admin["accessToken"]
    victim = await api.register("ban_target")
    vid = victim["user"]["id"]
    r = await api.patch(f"/api/admin/users/{vid}", {"banned": True, "banReason": "spam"}, token=token)
    assert r.status == 200
    assert r.json["bannedAt"] and r.json["banReason"] == "spam"
    assert_error(await api.get("/api/users/me", token=victim["accessToken"]), 403, "USER_BANNED")
    # The ban revoked the refresh tokens; a fresh login is refused as banned.
    assert_error(
        await api.post("/api/auth/refresh", {"refreshToken": victim["refreshToken"]}), 401, "REFRESH_TOKEN_REVOKED"
    )
    r = await api.post("/api/auth/login", {"identifier": "ban_target", "password": victim["password"]})
    assert_error(r, 403, "USER_BANNED")
    r = await api.get(f"/api/admin/audit-logs?targetId={vid}&action=admin.user.banned", token=token)
    [entry] = r.json["data"]
    assert entry["actorId"] == admin["user"]["id"] and entry["ip"] == "127.0.0.1"
    assert entry["metadata"] == {"reason": "spam"}
    # Unban: login works again (old refresh tokens stay revoked).
    r = await api.patch(f"/api/admin/users/{vid}", {"banned": False}, token=token)
    assert r.status == 200 and r.json["bannedAt"] is None and r.json["banReason"] is None
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": victim["refreshToken"]}), 401)
    r = await api.post("/api/auth/login", {"identifier": "ban_target", "password": victim["password"]})
    assert r.status == 200


async def test_role_change_and_self_protection(api: Api, admin: dict) -> None:
    token = admin["accessToken"]
    other = await api.register()
    oid = other["user"]["id"]
    r = await api.patch(f"/api/admin/users/{oid}", {"role": "admin"}, token=token)
    assert r.status == 200 and r.json["role"] == "admin"
    # The new admin can use admin routes at once (same access token: the role is read from the account).
    assert (await api.get("/api/admin/stats", token=other["accessToken"])).status == 200
    r = await api.patch(f"/api/admin/users/{oid}", {"role": "user"}, token=token)
    assert r.json["role"] == "user"
    assert_error(await api.get("/api/admin/stats", token=other["accessToken"]), 403)
    me = admin["user"]["id"]
    assert_error(await api.patch(f"/api/admin/users/{me}", {"banned": True}, token=token), 409, "CANNOT_MODIFY_SELF")
    assert_error(await api.patch(f"/api/admin/users/{me}", {"role": "user"}, token=token), 409, "CANNOT_MODIFY_SELF")
    assert_error(await api.patch(f"/api/admin/users/{oid}", {}, token=token), 400, "VALIDATION_FAILED")
    assert_error(await api.patch(f"/api/admin/users/{oid}", {"banReason": "x"}, token=token), 400)
    assert_error(await api.patch(f"/api/admin/users/{oid}", {"role": "root"}, token=token), 400)
    assert_error(await api.patch("/api/admin/users/nobody", {"banned": True}, token=token), 404, "USER_NOT_FOUND")
    assert_error(await api.get("/api/admin/users/nobody", token=token), 404, "USER_NOT_FOUND")
    actions = (await api.get(f"/api/admin/audit-logs?targetId={oid}", token=token)).json["data"]
    assert [a["action"] for a in actions].count("admin.user.role_changed") == 2


async def test_list_users_filters_and_detail(make_server) -> None:
    server = await make_server()
    api = Api(server.url)
    admin = await make_admin(server, api)
    token = admin["accessToken"]
    names = [f"listed_{i}" for i in range(5)]
    users = {n: await api.register(n) for n in names}
    await api.patch(f"/api/admin/users/{users['listed_1']['user']['id']}", {"banned": True}, token=token)
    gone = users["listed_2"]
    await api.delete("/api/users/me", {"password": gone["password"]}, token=gone["accessToken"])

    async def usernames(query: str) -> list[str]:
        r = await api.get(f"/api/admin/users?{query}", token=token)
        assert r.status == 200, r.body
        return [u["username"] for u in r.json["data"]]

    assert set(await usernames("search=LISTED_")) == set(names)
    assert await usernames("status=banned") == ["listed_1"]
    assert await usernames("status=deleted") == ["listed_2"]
    assert set(await usernames("status=active&search=listed")) == {"listed_0", "listed_3", "listed_4"}
    assert await usernames("role=admin") == [admin["user"]["username"]]
    paged: list[str] = []
    cursor = ""
    while True:
        r = await api.get(f"/api/admin/users?limit=2&search=listed{cursor}", token=token)
        paged += [u["username"] for u in r.json["data"]]
        if not r.json["pagination"]["hasMore"]:
            break
        cursor = f"&cursor={r.json['pagination']['nextCursor']}"
    assert paged == list(reversed(names))  # newest first
    assert_error(await api.get("/api/admin/users?status=weird", token=token), 400)
    detail = (await api.get(f"/api/admin/users/{users['listed_0']['user']['id']}", token=token)).json
    assert detail["email"] == "listed_0@example.com" and detail["profile"]["username"] == "listed_0"
    assert detail["counts"] == {"rooms": 0, "sessions": 0, "submissions": 0}
    assert "auth.register" in [a["action"] for a in detail["recentAudit"]]
    stats = (await api.get("/api/admin/stats", token=token)).json
    assert stats["users"]["total"] == 5 and stats["users"]["banned"] == 1 and stats["users"]["newLast7d"] == 6
    assert stats["users"]["active24h"] == 5
    assert stats["rooms"] == {"active": 0, "byStatus": {}, "createdLast24h": 0}
    assert stats["system"]["version"] and stats["system"]["uptimeSec"] >= 0
    assert stats["system"]["wsConnections"] == 0
    socket = await tornado.websocket.websocket_connect(f"{server.url.replace('http', 'ws')}/api/ws?token={token}")
    await socket.read_message()  # "ready": the server has registered it
    assert (await api.get("/api/admin/stats", token=token)).json["system"]["wsConnections"] == 1
    socket.close()
    assert set(stats["executions"]) == {"last24h", "queued", "running", "avgLatencyMs"}
    await server.stop()


async def test_audit_log_filters(api: Api, admin: dict) -> None:
    token = admin["accessToken"]
    actor = await api.register("audit_actor")
    await api.post("/api/auth/login", {"identifier": "audit_actor", "password": actor["password"]})
    aid = actor["user"]["id"]
    r = await api.get(f"/api/admin/audit-logs?actorId={aid}", token=token)
    assert [e["action"] for e in r.json["data"]] == ["auth.login", "auth.register"]  # newest first
    r = await api.get(f"/api/admin/audit-logs?actorId={aid}&action=auth.register", token=token)
    assert [e["action"] for e in r.json["data"]] == ["auth.register"]
    future = quote((datetime.now(UTC) + timedelta(hours=1)).isoformat())
    past = quote((datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert (await api.get(f"/api/admin/audit-logs?actorId={aid}&from={future}", token=token)).json["data"] == []
    assert len((await api.get(f"/api/admin/audit-logs?actorId={aid}&from={past}", token=token)).json["data"]) == 2
    assert (await api.get(f"/api/admin/audit-logs?actorId={aid}&to={past}", token=token)).json["data"] == []
    assert_error(await api.get("/api/admin/audit-logs?from=yesterday", token=token), 400, "VALIDATION_FAILED")
