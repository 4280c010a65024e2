"""Cross-cutting behaviour: errors, request ids, limits, CORS, rate limiting, health, OpenAPI, pagination, mail."""

from __future__ import annotations

import asyncio
import base64
import re
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from syncode.clock import new_id, utcnow
from syncode.embedded import EmbeddedDatabase, free_port
from syncode.errors import ValidationFailed
from syncode.pagination import decode_cursor, encode_cursor, paginate
from tests.conftest import Api, assert_error


async def test_unknown_path_and_method_use_error_shape(api: Api) -> None:
    assert_error(await api.get("/api/nothing/here"), 404, "NOT_FOUND")
    assert_error(await api.request("PUT", "/api/auth/login", {}), 405, "METHOD_NOT_ALLOWED")


async def test_request_id_is_echoed_or_generated(api: Api) -> None:
    r = await api.get("/api/health", headers={"X-Request-Id": "client-chosen-id-123"})
    assert r.headers["X-Request-Id"] == "client-chosen-id-123"
    r = await api.get("/api/health", headers={"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])


async def test_body_over_one_mib_is_413(api: Api) -> None:
    big = b'{"email": "' + b"a" * (1024 * 1024) + b'"}'
    r = await api.request("POST", "/api/auth/register", body=big, headers={"Content-Type": "application/json"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


async def test_deep_nesting_and_huge_integers_are_400(api: Api) -> None:
    """Issue 24, finding 4: these raised RecursionError / ValueError (500), unauthenticated /api/auth/* too."""
    user = await api.register()
    token = user["accessToken"]
    deep_array = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"email":' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001
    just_over = b'{"displayName":' + b"[" * 64 + b"]" * 64 + b"}"  # 65 levels, the limit is 64
    huge = b"1" * 5000
    cases = {
        "deep array": (deep_array, {"body": "nested too deeply"}),
        "deep object": (deep_object, {"body": "nested too deeply"}),
        "65 levels": (just_over, {"body": "nested too deeply"}),
        "huge integer": (huge, {"body": "number too long"}),
        "huge integer field": (b'{"password":' + huge + b"}", {"body": "number too long"}),
        "huge negative in a list": (b'{"tags":[1,-' + huge + b"]}", {"body": "number too long"}),
    }
    endpoints = [
        ("POST", "/api/auth/register", None),
        ("POST", "/api/auth/login", None),
        ("POST", "/api/auth/forgot-password", None),
        ("PATCH", "/api/users/me", token),
        ("POST", "/api/users/me/avatar", token),
    ]
    for method, path, auth in endpoints:
        for case, (body, details) in cases.items():
            r = await api.request(method, path, body=body, token=auth, headers={"Content-Type": "application/json"})
            error = assert_error(r, 400, "VALIDATION_FAILED", f"{method} {path}: {case}")
            assert error["details"] == details, (path, case, error)
    # 64 levels are parsed (and then judged by the schema like any other value).
    at_limit = b'{"displayName":' + b"[" * 63 + b"]" * 63 + b"}"
    error = assert_error(await api.patch("/api/users/me", token=token, body=at_limit), 400, "VALIDATION_FAILED")
    assert "displayName" in error["details"]
    # Numbers in a query string, and a cursor (base64 JSON) nested deeply or holding huge numbers.
    r = await api.get(f"/api/bookmarks?limit={'9' * 5000}", token=token)
    assert "limit" in assert_error(r, 400, "VALIDATION_FAILED")["details"]
    for raw in (b'["createdAt",' + b"[" * 5000 + b"]" * 5000 + b',"x"]', b'["createdAt",' + huge + b',"x"]'):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        assert_error(await api.get(f"/api/bookmarks?cursor={cursor}", token=token), 400, "INVALID_CURSOR")
    # The server is unharmed.
    assert (await api.get("/api/users/me", token=token)).status == 200


async def test_cors(make_server) -> None:
    server = await make_server(cors_origins="https://app.example, https://other.example")
    api = Api(server.url)
    r = await api.request("OPTIONS", "/api/users/me", headers={"Origin": "https://app.example"})
    assert r.status == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    r = await api.get("/api/users/me", headers={"Origin": "https://app.example"})
    assert r.status == 401 and r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    r = await api.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    await server.stop()


async def test_rate_limits_per_ip_route_class(make_server) -> None:
    server = await make_server(rate_limit_enabled=True, rate_limit_auth_per_min=6, rate_limit_ip_per_min=1000)
    api = Api(server.url)
    statuses = []
    for _ in range(4):
        r = await api.post("/api/auth/login", {"identifier": "nobody", "password": "whatever1"})
        statuses.append(r.status)
    assert statuses[:3] == [401, 401, 401]  # burst of 3 (half the per-minute rate)
    assert_error(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["X-RateLimit-Limit"] == "3" and r.headers["X-RateLimit-Remaining"] == "0"
    # Other route classes have their own buckets.
    ok = await api.get("/api/health")
    assert ok.status == 200 and int(ok.headers["X-RateLimit-Remaining"]) > 900
    await server.stop()


async def test_per_user_rate_limit(make_server) -> None:
    server = await make_server(rate_limit_enabled=True, rate_limit_user_per_min=5, rate_limit_auth_per_min=100)
    api = Api(server.url)
    token = (await api.register())["accessToken"]
    statuses = [(await api.get("/api/users/me", token=token)).status for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429
    await server.stop()


async def test_health_ok_and_down(make_server, tmp_path) -> None:
    db = EmbeddedDatabase(tmp_path / "db")
    uri = await db.start()
    server = await make_server(mongodb_uri=uri)
    api = Api(server.url)
    for path in ("/health", "/api/health"):
        r = await api.get(path)
        assert r.status == 200
        body = r.json
        assert body["status"] in ("ok", "degraded")
        assert body["checks"]["database"]["status"] == "ok" and body["checks"]["database"]["latencyMs"] >= 0
        assert {"database", "storage", "mail", "ai", "media"} <= set(body["checks"])
        assert body["uptimeSec"] >= 0 and body["version"]
    await db.stop()
    r = await api.get("/api/health")
    assert r.status == 503
    assert r.json["status"] == "down" and r.json["checks"]["database"]["status"] == "down"
    await server.stop()


async def test_openapi_lists_every_endpoint(api: Api) -> None:
    r = await api.get("/api/openapi.json")
    assert r.status == 200
    doc = r.json
    assert doc["openapi"].startswith("3.1")
    expected = {
        ("post", "/api/auth/register"),
        ("post", "/api/auth/login"),
        ("post", "/api/auth/refresh"),
        ("post", "/api/auth/logout"),
        ("post", "/api/auth/change-password"),
        ("post", "/api/auth/forgot-password"),
        ("post", "/api/auth/reset-password"),
        ("get", "/api/users/me"),
        ("patch", "/api/users/me"),
        ("delete", "/api/users/me"),
        ("get", "/api/users/{userId}"),
        ("post", "/api/users/me/avatar"),
        ("post", "/api/users/me/avatar/confirm"),
        ("delete", "/api/users/me/avatar"),
        ("get", "/api/health"),
    }
    listed = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert expected <= listed
    register = doc["paths"]["/api/auth/register"]["post"]
    body_ref = register["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][body_ref.split("/")[-1]]
    assert {"email", "username", "password"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    assert {"201", "400", "409"} <= set(register["responses"])
    me = doc["paths"]["/api/users/me"]["get"]
    assert me["security"] == [{"bearer": []}] and "401" in me["responses"]
    assert "ErrorResponse" in doc["components"]["schemas"]
    page = await api.get("/api/docs")
    assert page.status == 200 and b"/api/openapi.json" in page.body


async def test_pagination_is_stable_across_inserts(server) -> None:
    collection = server.db.auditLogs
    marker = new_id()
    for i in range(25):
        await collection.insert_one(
            {
                "_id": f"{marker}-{i:02d}",
                "actorId": marker,
                "createdAt": utcnow(),
                "action": "test.page",
                "targetType": "x",
                "targetId": None,
                "metadata": {},
            }
        )
    seen: list[str] = []
    cursor = None
    while True:
        page = await paginate(collection, {"actorId": marker}, cursor=cursor, limit=7)
        seen += [doc["_id"] for doc in page.items]
        # Items inserted between page requests land before the cursor: no duplicates, no gaps.
        await collection.insert_one(
            {
                "_id": new_id(),
                "actorId": marker,
                "createdAt": utcnow(),
                "action": "test.page",
                "targetType": "x",
                "targetId": None,
                "metadata": {},
            }
        )
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    originals = [s for s in seen if s.startswith(marker)]
    assert sorted(originals) == sorted(f"{marker}-{i:02d}" for i in range(25))
    assert len(seen) == len(set(seen))


def test_cursor_round_trip_and_garbage() -> None:
    now = utcnow()
    assert decode_cursor(encode_cursor("createdAt", now, "abc"), "createdAt") == (now, "abc")
    out_of_range = base64.urlsafe_b64encode(b'["createdAt",{"$d":' + b"9" * 30 + b'},"x"]').decode()
    nested_id = encode_cursor("createdAt", now, ["a", {"b": 1}])
    for bad in ("!!!", "bm90IGpzb24", encode_cursor("title", "x", "id"), out_of_range, nested_id):
        with pytest.raises(ValidationFailed):
            decode_cursor(bad, "createdAt")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


async def test_reset_mail_over_real_smtp(make_server) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server = await make_server(smtp_host="127.0.0.1", smtp_port=port, smtp_from="SynCode <noreply@test.local>")
        api = Api(server.url)
        await api.register("smtp_user")
        assert (await api.post("/api/auth/forgot-password", {"email": "smtp_user@example.com"})).status == 202
        for _ in range(100):
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
        mail_from, rcpt, content = inbox.messages[0]
        assert mail_from == "noreply@test.local" and rcpt == ["smtp_user@example.com"]
        text = message_from_bytes(content).get_payload(decode=True).decode()
        token = re.search(r"reset-password\?token=(\S+)", text).group(1)
        r = await api.post("/api/auth/reset-password", {"token": token, "newPassword": "via smtp 123"})
        assert r.status == 204
        health = (await api.get("/api/health")).json
        assert health["checks"]["mail"]["status"] == "ok"
        await server.stop()
    finally:
        controller.stop()
