"""Auth endpoints over real HTTP against a real database."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes

import jwt
import pytest

from tests.conftest import Api, assert_error


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


async def test_lockout_after_five_failures(api: Api, server) -> None:
    user = await api.register("locked_user")
    for _ in range(4):
        assert_error(
            await api.post("/api/auth/login", {"identifier": "locked_user", "password": "bad password"}),
            401,
            "INVALID_CREDENTIALS",
        )
    r = await api.post("/api/auth/login", {"identifier": "locked_user", "password": "bad password"})
    assert_error(r, 429, "ACCOUNT_LOCKED")
    assert 800 < int(r.headers["Retry-After"]) <= 900
    # Even the right password is refused while locked.
    r = await api.post("/api/auth/login", {"identifier": "locked_user", "password": user["password"]})
    assert_error(r, 429, "ACCOUNT_LOCKED")
    actions = [e["action"] async for e in server.db.auditLogs.find({"targetId": user["user"]["id"]})]
    assert "auth.locked" in actions
    assert actions.count("auth.login_failed") == 5


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


def _outbox_token(server, address: str) -> str:
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
    token = _outbox_token(server, address)
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
    token = _outbox_token(server, "expiring@example.com")
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
