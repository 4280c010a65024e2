"""Auth endpoints over real HTTP against a real database."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import jwt
import pytest
import tornado.websocket
from aiosmtpd.controller import Controller

from syncode.embedded import free_port
from tests.conftest import Api, Response, assert_error, make_admin


async def test_register_returns_tokens_and_profile(api: Api) -> None:
    r = await api.post(
        "/api/auth/register",
        {"email": "Reg@Example.com", "username": "reg_user", "password": "password123", "displayName": "Reg"},
    )
    assert r.status == 201
    body = r.json
    assert body["expiresIn"] == 900
    assert body["user"]["email"] == "Reg@example.com"  # the domain is normalised
    assert body["user"]["username"] == "reg_user"
    assert body["user"]["role"] == "user"
    assert body["user"]["stats"] == {"totalSessions": 0, "problemsSolved": 0, "streakDays": 0}
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["user"]["createdAt"])
    assert "refreshToken=" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    claims = jwt.decode(body["accessToken"], options={"verify_signature": False})
    assert {"sub", "role", "jti", "iat", "exp"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 900


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "username": "abc", "password": "password123"}, "email"),
        ({"email": "x@example.com", "username": "ab", "password": "password123"}, "username"),
        ({"email": "x@example.com", "username": "bad-name!", "password": "password123"}, "username"),
        ({"email": "x@example.com", "username": "a" * 31, "password": "password123"}, "username"),
        ({"email": "x@example.com", "username": "abcd", "password": "short"}, "password"),
        ({"email": "x@example.com", "username": "abcd", "password": "p" * 129}, "password"),
        ({"email": "x@example.com", "username": "abcd", "password": "password123", "admin": True}, "admin"),
        ({"username": "abcd", "password": "password123"}, "email"),
    ],
)
async def test_register_validation(api: Api, payload: dict, field: str) -> None:
    body = assert_error(await api.post("/api/auth/register", payload), 400, "VALIDATION_FAILED")
    assert field in body["details"]


async def test_register_rejects_non_json(api: Api) -> None:
    r = await api.request("POST", "/api/auth/register", body=b"{nope", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_FAILED")
    r = await api.post("/api/auth/register", [1, 2])
    assert_error(r, 400, "VALIDATION_FAILED")


async def test_register_duplicates(api: Api) -> None:
    await api.register("dupe_user")
    r = await api.post(
        "/api/auth/register", {"email": "DUPE_USER@example.com", "username": "other_one", "password": "password123"}
    )
    assert_error(r, 409, "EMAIL_TAKEN")
    r = await api.post(
        "/api/auth/register", {"email": "fresh@example.com", "username": "Dupe_User", "password": "password123"}
    )
    assert_error(r, 409, "USERNAME_TAKEN")


async def test_login_by_email_or_username(api: Api) -> None:
    user = await api.register("login_user")
    for identifier in ("login_user@example.com", "LOGIN_USER", "login_user"):
        r = await api.post("/api/auth/login", {"identifier": identifier, "password": user["password"]})
        assert r.status == 200, r.body
        assert r.json["user"]["id"] == user["user"]["id"]
    assert_error(
        await api.post("/api/auth/login", {"identifier": "login_user", "password": "wrong pass"}),
        401,
        "INVALID_CREDENTIALS",
    )
    assert_error(
        await api.post("/api/auth/login", {"identifier": "nobody_here", "password": "whatever1"}),
        401,
        "INVALID_CREDENTIALS",
    )
    assert_error(await api.post("/api/auth/login", {"identifier": "login_user"}), 400, "VALIDATION_FAILED")


# Other loopback addresses than the 127.0.0.1 every other test connects from: two different clients.
ADDRESS_A, ADDRESS_B = "127.0.0.2", "127.0.0.3"
LOCK_SEC = 900  # the default first lock


async def login(api: Api, identifier: str, password: str) -> Response:
    return await api.post("/api/auth/login", {"identifier": identifier, "password": password})


async def test_lockout_is_per_address_and_spares_the_owner_elsewhere(api: Api, server) -> None:
    user = await api.register()
    name, uid = user["user"]["username"], user["user"]["id"]
    at_a, at_b = Api(server.url, ADDRESS_A), Api(server.url, ADDRESS_B)
    for _ in range(4):
        assert_error(await login(at_a, name, "bad password"), 401, "INVALID_CREDENTIALS")
    r = await login(at_a, name, "bad password")
    assert_error(r, 429, "ACCOUNT_LOCKED")
    assert int(r.headers["Retry-After"]) == LOCK_SEC
    # Even the right password is refused from A while it is locked...
    r = await login(at_a, name, user["password"])
    assert_error(r, 429, "ACCOUNT_LOCKED")
    assert LOCK_SEC - 60 < int(r.headers["Retry-After"]) <= LOCK_SEC
    # ...but the owner signs in from B, where failures count on their own; that does not unlock A.
    r = await login(at_b, name, user["password"])
    assert r.status == 200 and r.json["user"]["id"] == uid
    assert_error(await login(at_b, name, "bad password"), 401, "INVALID_CREDENTIALS")
    assert_error(await login(at_a, name, user["password"]), 429, "ACCOUNT_LOCKED")
    entries = [e async for e in server.db.auditLogs.find({"targetId": uid, "action": {"$ne": "auth.register"}})]
    failed = [e["ip"] for e in entries if e["action"] == "auth.login_failed"]
    assert failed.count(ADDRESS_A) == 5 and failed.count(ADDRESS_B) == 1
    assert [e["ip"] for e in entries if e["action"] == "auth.locked"] == [ADDRESS_A]
    assert [e["ip"] for e in entries if e["action"] == "auth.login"] == [ADDRESS_B]


def login_answer(r: Response) -> tuple:
    """All a login answer tells, but its request id, date and the seconds of its Retry-After."""
    return r.status, {**r.json, "requestId": None}, sorted(name for name in r.headers if name != "Date")


async def test_unknown_identifier_locks_like_a_known_one(api: Api, server) -> None:
    user = await api.register()
    at_a = Api(server.url, ADDRESS_A)
    answers = {}
    for who, identifier in [("known", user["user"]["email"]), ("unknown", "nobody_locks@example.com")]:
        answers[who] = [await login(at_a, identifier, "bad password") for _ in range(6)]
    assert [r.status for r in answers["unknown"]] == [401] * 4 + [429] * 2
    for known, unknown in zip(answers["known"], answers["unknown"], strict=True):
        assert login_answer(known) == login_answer(unknown)
        assert abs(int(known.headers.get("Retry-After", 0)) - int(unknown.headers.get("Retry-After", 0))) <= 2


async def test_lockout_backs_off_and_ends(api: Api, server) -> None:
    user = await api.register()
    name = user["user"]["username"]
    at_a = Api(server.url, ADDRESS_A)

    async def lock_passes(**fields) -> None:  # age the lock in the database instead of sleeping
        past = datetime.now(UTC) - timedelta(seconds=1)
        result = await server.db.loginFailures.update_many(
            {"key": name, "ip": ADDRESS_A}, {"$set": {"lockedUntil": past, **fields}}
        )
        assert result.modified_count == 1

    for _ in range(4):
        assert_error(await login(at_a, name, "bad password"), 401, "INVALID_CREDENTIALS")
    locks = []
    for _ in range(3):
        r = await login(at_a, name, "bad password")
        assert_error(r, 429, "ACCOUNT_LOCKED")
        locks.append(int(r.headers["Retry-After"]))
        await lock_passes()
    assert locks == [LOCK_SEC, 2 * LOCK_SEC, 4 * LOCK_SEC]  # each failure after a lock doubles it...
    await lock_passes(failures=60)
    r = await login(at_a, name, "bad password")
    assert_error(r, 429, "ACCOUNT_LOCKED")
    assert int(r.headers["Retry-After"]) == server.settings.login_lockout_max_sec  # ...up to a day
    # Once the lock has passed, the right password signs in and the count starts over.
    await lock_passes()
    assert (await login(at_a, name, user["password"])).status == 200
    assert await server.db.loginFailures.count_documents({"key": name}) == 0
    assert_error(await login(at_a, name, "bad password"), 401, "INVALID_CREDENTIALS")


async def test_password_reset_clears_the_lockout(api: Api, server) -> None:
    user = await api.register()
    name, email = user["user"]["username"], user["user"]["email"]
    at_a = Api(server.url, ADDRESS_A)
    for identifier in (name, email):
        statuses = [(await login(at_a, identifier, "bad password")).status for _ in range(5)]
        assert statuses == [401] * 4 + [429]
    assert (await api.post("/api/auth/forgot-password", {"email": email})).status == 202
    token = await _outbox_token(server, email)
    assert (await api.post("/api/auth/reset-password", {"token": token, "newPassword": "after reset 1"})).status == 204
    for identifier in (name, email):
        assert (await login(at_a, identifier, "after reset 1")).status == 200


async def test_refresh_rotates_and_detects_reuse(api: Api) -> None:
    user = await api.register("refresh_user")
    first = user["refreshToken"]
    r = await api.post("/api/auth/refresh", {"refreshToken": first})
    assert r.status == 200
    second = r.json["refreshToken"]
    assert second != first
    # The rotated token comes back: the whole family is revoked, including the newest token.
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": first}), 401, "REFRESH_TOKEN_REUSED")
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": second}), 401, "REFRESH_TOKEN_REVOKED")
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": "made-up"}), 401, "INVALID_REFRESH_TOKEN")
    assert_error(await api.post("/api/auth/refresh", {}), 401, "INVALID_REFRESH_TOKEN")


async def test_refresh_from_cookie_and_logout(api: Api) -> None:
    user = await api.register("cookie_user")
    cookie = {"Cookie": f"refreshToken={user['refreshToken']}"}
    r = await api.post("/api/auth/refresh", {}, headers=cookie)
    assert r.status == 200
    token = r.json["refreshToken"]
    r = await api.post("/api/auth/logout", {"refreshToken": token})
    assert r.status == 204
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": token}), 401)
    # Logout is idempotent and needs no token.
    assert (await api.post("/api/auth/logout", {})).status == 204


async def test_access_token_tampering(api: Api, server) -> None:
    user = await api.register("tamper_user")
    token = user["accessToken"]
    assert (await api.get("/api/users/me", token=token)).status == 200
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_payload = base64.urlsafe_b64encode(json.dumps({**claims, "role": "admin"}).encode()).decode().rstrip("=")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    secret = server.settings.jwt_secret
    now = int(time.time())
    cases = {
        "bad signature": f"{header}.{forged_payload}.{signature}",
        "alg none": f"{none_header}.{payload}.",
        "wrong key": jwt.encode(claims, "another-secret-of-sufficient-length-32b", algorithm="HS256"),
        "wrong type": jwt.encode({**claims, "typ": "collab"}, secret, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, bad in cases.items():
        assert_error(await api.get("/api/users/me", token=bad), 401, case=name)
    expired = jwt.encode({**claims, "iat": now - 2000, "exp": now - 1000}, secret, algorithm="HS256")
    assert_error(await api.get("/api/users/me", token=expired), 401, "TOKEN_EXPIRED")
    assert_error(await api.get("/api/users/me"), 401, "UNAUTHORIZED")
    assert_error(await api.get("/api/users/me", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")


async def test_change_password_revokes_other_sessions(api: Api) -> None:
    user = await api.register("change_pw")
    other = await api.post("/api/auth/login", {"identifier": "change_pw", "password": user["password"]})
    token = user["accessToken"]
    r = await api.post(
        "/api/auth/change-password", {"currentPassword": "wrong one", "newPassword": "new password 1"}, token=token
    )
    assert_error(r, 400, "INVALID_PASSWORD")
    r = await api.post(
        "/api/auth/change-password", {"currentPassword": user["password"], "newPassword": "short"}, token=token
    )
    assert_error(r, 400, "VALIDATION_FAILED")
    r = await api.post(
        "/api/auth/change-password", {"currentPassword": user["password"], "newPassword": "new password 1"}, token=token
    )
    assert r.status == 204
    # This login's refresh token still works; the other login's is revoked.
    assert (await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})).status == 200
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": other.json["refreshToken"]}), 401)
    assert_error(await api.post("/api/auth/login", {"identifier": "change_pw", "password": user["password"]}), 401)
    assert (await api.post("/api/auth/login", {"identifier": "change_pw", "password": "new password 1"})).status == 200
    assert_error(await api.post("/api/auth/change-password", {"currentPassword": "x", "newPassword": "yyyyyyyy"}), 401)


async def _outbox_token(server, address: str) -> str:
    await server.ctx.auth.drain()  # the mail is sent after the answer
    mails = sorted((server.settings.data_dir / "outbox").glob(f"*-{address}.eml"))
    assert mails, "no mail in the outbox"
    message = message_from_bytes(mails[-1].read_bytes())
    assert message["To"] == address
    assert message["Subject"] == "Reset your SynCode password"
    assert message["Message-ID"] and message["Date"]
    text = message.get_payload(decode=True).decode()
    link = re.search(r"(http://\S+/reset-password\?token=(\S+))", text)
    assert link, text
    return link.group(2)


async def test_forgot_and_reset_password_through_outbox(api: Api, server) -> None:
    user = await api.register("reset_user")
    address = "reset_user@example.com"
    assert (await api.post("/api/auth/forgot-password", {"email": "nobody@example.com"})).status == 202
    assert (await api.post("/api/auth/forgot-password", {"email": address.upper()})).status == 202
    token = await _outbox_token(server, address)
    assert_error(
        await api.post("/api/auth/reset-password", {"token": "wrong", "newPassword": "brand new pw"}),
        400,
        "INVALID_RESET_TOKEN",
    )
    r = await api.post("/api/auth/reset-password", {"token": token, "newPassword": "brand new pw"})
    assert r.status == 204
    # Single use, all refresh tokens revoked, the new password works.
    assert_error(
        await api.post("/api/auth/reset-password", {"token": token, "newPassword": "another pw 1"}),
        400,
        "INVALID_RESET_TOKEN",
    )
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]}), 401)
    assert (await api.post("/api/auth/login", {"identifier": address, "password": "brand new pw"})).status == 200


async def test_reset_token_expires(make_server) -> None:
    server = await make_server(reset_token_ttl_sec=60)
    api = Api(server.url)
    await api.register("expiring")
    await api.post("/api/auth/forgot-password", {"email": "expiring@example.com"})
    token = await _outbox_token(server, "expiring@example.com")
    # Age the token in the database instead of sleeping.
    past = datetime.now(UTC) - timedelta(seconds=1)
    await server.db.passwordResets.update_many({}, {"$set": {"expiresAt": past}})
    assert_error(
        await api.post("/api/auth/reset-password", {"token": token, "newPassword": "brand new pw"}),
        400,
        "INVALID_RESET_TOKEN",
    )
    await server.stop()


async def test_long_passwords_count_in_full(api: Api) -> None:
    """bcrypt alone reads 72 bytes: a 128-character (multi-byte) password must neither fail nor be truncated."""
    password = "ü" * 100 + "x" * 28
    user = await api.register("long_pw_user", password=password)
    r = await api.post("/api/auth/login", {"identifier": "long_pw_user", "password": password})
    assert r.status == 200
    r = await api.post("/api/auth/login", {"identifier": "long_pw_user", "password": password[:-1] + "y"})
    assert_error(r, 401, "INVALID_CREDENTIALS")
    assert user["user"]["username"] == "long_pw_user"


class HeldInbox:
    """An SMTP server that holds each mail at DATA until released."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        self.holding.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


async def test_forgot_password_answers_before_any_account_work(make_server) -> None:
    """Known and unknown addresses get the same answer after the same work: none, the mail comes afterwards."""
    inbox, port = HeldInbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server = await make_server(smtp_host="127.0.0.1", smtp_port=port)
        api = Api(server.url)
        user = await api.register()
        address = user["user"]["email"]
        # The mail is held at the SMTP server until the answers are in: a server that sent it before answering
        # could only answer after its SMTP timeout (15 s), with the mail failed.
        known = await asyncio.wait_for(api.post("/api/auth/forgot-password", {"email": address}), 10)
        unknown = await asyncio.wait_for(api.post("/api/auth/forgot-password", {"email": "nobody@example.com"}), 10)
        assert known.status == unknown.status == 202 and known.body == unknown.body == b""
        assert sorted(known.headers) == sorted(unknown.headers)
        assert await asyncio.to_thread(inbox.holding.wait, 10), "the mail never reached the SMTP server"
        assert inbox.messages == []
        inbox.release.set()
        await server.ctx.auth.drain()
        [(rcpt, content)] = inbox.messages
        assert rcpt == [address]
        token = re.search(r"reset-password\?token=(\S+)", message_from_bytes(content).get_payload(decode=True).decode())
        r = await api.post("/api/auth/reset-password", {"token": token.group(1), "newPassword": "held mail 1"})
        assert r.status == 204
        await server.stop()
    finally:
        inbox.release.set()
        controller.stop()


async def ws_first_frame(server, token: str) -> tuple[dict | None, int | None]:
    """Connect to /api/ws: the first frame (`ready`) and None, or None and the close code."""
    url = f"{server.url.replace('http', 'ws', 1)}/api/ws?token={token}"
    connection = await tornado.websocket.websocket_connect(url)
    message = await connection.read_message()
    connection.close()
    return (json.loads(message), None) if message is not None else (None, connection.close_code)


async def assert_revoked(api: Api, server, *tokens: str) -> None:
    for token in tokens:
        assert_error(await api.get("/api/users/me", token=token), 401, "TOKEN_REVOKED")
        assert await ws_first_frame(server, token) == (None, 4001)


async def assert_works(api: Api, server, token: str, user_id: str) -> None:
    r = await api.get("/api/users/me", token=token)
    assert r.status == 200 and r.json["id"] == user_id
    frame, _ = await ws_first_frame(server, token)
    assert frame["type"] == "ready" and frame["data"]["userId"] == user_id


async def test_password_change_revokes_access_tokens(api: Api, server) -> None:
    user = await api.register()
    uid = user["user"]["id"]
    other = (await login(api, user["user"]["username"], user["password"])).json
    await assert_works(api, server, user["accessToken"], uid)  # the account is now cached
    r = await api.post(
        "/api/auth/change-password",
        {"currentPassword": user["password"], "newPassword": "changed pw 1"},
        token=user["accessToken"],
    )
    assert r.status == 204
    await assert_revoked(api, server, user["accessToken"], other["accessToken"])
    # This login's refresh token is spared: it gets a working access token.
    r = await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})
    assert r.status == 200
    await assert_works(api, server, r.json["accessToken"], uid)
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": other["refreshToken"]}), 401)


async def test_revocation_closes_open_event_sockets(api: Api, server) -> None:
    """A socket opened before a password change closes with 4001; one opened with the new token stays open."""
    user = await api.register()
    url = f"{server.url.replace('http', 'ws', 1)}/api/ws?token="
    before = await tornado.websocket.websocket_connect(url + user["accessToken"])
    assert json.loads(await before.read_message())["type"] == "ready"
    r = await api.post(
        "/api/auth/change-password",
        {"currentPassword": user["password"], "newPassword": "changed pw 2"},
        token=user["accessToken"],
    )
    assert r.status == 204
    assert await asyncio.wait_for(before.read_message(), 10) is None
    assert before.close_code == 4001 and "revoked" in (before.close_reason or "")
    fresh = (await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})).json["accessToken"]
    after = await tornado.websocket.websocket_connect(url + fresh)
    assert json.loads(await after.read_message())["type"] == "ready"
    # A second revocation (a reused refresh token) closes the new socket too.
    assert (await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})).status == 401
    assert await asyncio.wait_for(after.read_message(), 10) is None
    assert after.close_code == 4001


async def test_password_reset_revokes_access_tokens(api: Api, server) -> None:
    user = await api.register()
    uid, email = user["user"]["id"], user["user"]["email"]
    await assert_works(api, server, user["accessToken"], uid)
    assert (await api.post("/api/auth/forgot-password", {"email": email})).status == 202
    token = await _outbox_token(server, email)
    assert (await api.post("/api/auth/reset-password", {"token": token, "newPassword": "reset pw 12"})).status == 204
    await assert_revoked(api, server, user["accessToken"])
    r = await login(api, email, "reset pw 12")
    assert r.status == 200
    await assert_works(api, server, r.json["accessToken"], uid)


async def test_refresh_token_reuse_revokes_access_tokens(api: Api, server) -> None:
    user = await api.register()
    uid = user["user"]["id"]
    other = (await login(api, user["user"]["username"], user["password"])).json  # another login, not stolen
    rotated = await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})
    assert rotated.status == 200
    await assert_works(api, server, rotated.json["accessToken"], uid)
    reused = await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]})
    assert_error(reused, 401, "REFRESH_TOKEN_REUSED")
    await assert_revoked(api, server, user["accessToken"], rotated.json["accessToken"], other["accessToken"])
    # The other login's refresh token still works and gets it a working access token.
    r = await api.post("/api/auth/refresh", {"refreshToken": other["refreshToken"]})
    assert r.status == 200
    await assert_works(api, server, r.json["accessToken"], uid)


async def test_ban_revokes_access_tokens_for_good(api: Api, server) -> None:
    admin, user = await make_admin(server, api), await api.register()
    uid = user["user"]["id"]
    for banned in (True, False):
        r = await api.patch(f"/api/admin/users/{uid}", {"banned": banned}, token=admin["accessToken"])
        assert r.status == 200, r.body
    # Lifting the ban does not bring back the tokens issued before it.
    await assert_revoked(api, server, user["accessToken"])
    r = await login(api, user["user"]["username"], user["password"])
    await assert_works(api, server, r.json["accessToken"], uid)
