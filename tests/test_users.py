"""Profiles, soft delete, avatars through signed URLs, and refusal of banned or deleted accounts."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlparse

from syncode.services.auth import USER_CACHE_SEC
from tests.conftest import Api, assert_error


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def test_get_and_update_profile(api: Api) -> None:
    user = await api.register("profile_user")
    token = user["accessToken"]
    r = await api.get("/api/users/me", token=token)
    assert r.status == 200 and r.json["username"] == "profile_user"
    r = await api.patch(
        "/api/users/me", {"displayName": "Pro File", "bio": "hello", "preferredLanguage": "rust"}, token=token
    )
    assert r.status == 200
    assert (r.json["displayName"], r.json["bio"], r.json["preferredLanguage"]) == ("Pro File", "hello", "rust")
    assert r.json["updatedAt"] >= r.json["createdAt"]
    r = await api.patch("/api/users/me", {"username": "profile_user2"}, token=token)
    assert r.json["username"] == "profile_user2"
    other = await api.register("taken_name")
    assert_error(await api.patch("/api/users/me", {"username": "TAKEN_NAME"}, token=token), 409, "USERNAME_TAKEN")
    for bad in (
        {"preferredLanguage": "cobol"},
        {"bio": "x" * 501},
        {"username": "a!"},
        {"email": "x@y.z"},
        {"username": None},
    ):
        assert_error(await api.patch("/api/users/me", bad, token=token), 400, "VALIDATION_FAILED")
    # The public view of another user has no email or role.
    r = await api.get(f"/api/users/{other['user']['id']}", token=token)
    assert r.status == 200
    assert r.json["username"] == "taken_name" and "email" not in r.json and "role" not in r.json
    assert_error(await api.get("/api/users/not-a-real-id", token=token), 404, "USER_NOT_FOUND")
    assert_error(await api.get(f"/api/users/{other['user']['id']}"), 401)


async def test_soft_delete_frees_email_and_username(api: Api, server) -> None:
    user = await api.register("leaving_user")
    token = user["accessToken"]
    assert_error(await api.delete("/api/users/me", {"password": "not it at all"}, token=token), 400, "INVALID_PASSWORD")
    assert_error(await api.delete("/api/users/me", {}, token=token), 400, "VALIDATION_FAILED")
    assert (await api.delete("/api/users/me", {"password": user["password"]}, token=token)).status == 204
    # Refused at once: access token, refresh token, login, public profile.
    assert_error(await api.get("/api/users/me", token=token), 401)
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]}), 401)
    r = await api.post("/api/auth/login", {"identifier": "leaving_user", "password": user["password"]})
    assert_error(r, 401, "INVALID_CREDENTIALS")
    viewer = await api.register()
    assert_error(await api.get(f"/api/users/{user['user']['id']}", token=viewer["accessToken"]), 404)
    # The data is kept.
    kept = await server.db.users.find_one({"_id": user["user"]["id"]})
    assert kept["email"] == "leaving_user@example.com" and kept["deletedAt"] is not None
    # Email and username are free again.
    again = await api.register("leaving_user")
    assert again["user"]["id"] != user["user"]["id"]
    actions = [e["action"] async for e in server.db.auditLogs.find({"targetId": user["user"]["id"]})]
    assert "user.deleted" in actions


async def test_banned_user_is_refused_at_once(api: Api, server) -> None:
    user = await api.register("banned_user")
    token = user["accessToken"]
    assert (await api.get("/api/users/me", token=token)).status == 200
    await server.db.users.update_one({"_id": user["user"]["id"]}, {"$set": {"bannedAt": datetime.now(UTC)}})
    # A change made behind the server's back is seen once the cached account expires (the first request after
    # that is still served from it while the account is read again).
    await asyncio.sleep(USER_CACHE_SEC)
    for _ in range(20):
        if (r := await api.get("/api/users/me", token=token)).status != 200:
            break
        await asyncio.sleep(0.05)
    assert_error(r, 403, "USER_BANNED")
    r = await api.post("/api/auth/login", {"identifier": "banned_user", "password": user["password"]})
    assert_error(r, 403, "USER_BANNED")
    assert_error(await api.post("/api/auth/refresh", {"refreshToken": user["refreshToken"]}), 403, "USER_BANNED")


async def test_avatar_upload_flow(api: Api) -> None:
    user = await api.register("avatar_user")
    token = user["accessToken"]
    image = png()
    r = await api.post("/api/users/me/avatar", {"contentType": "image/png", "size": len(image)}, token=token)
    assert r.status == 200, r.body
    upload = r.json
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "image/png"}
    assert upload["key"].startswith(f"avatars/{user['user']['id']}/")
    # Not confirmed before the bytes are there.
    assert_error(await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token), 404)
    # Wrong content type or a bigger body than announced are refused; a tampered URL too.
    r = await api.request("PUT", upload["uploadUrl"], body=image, headers={"Content-Type": "image/jpeg"})
    assert_error(r, 400, "BLOB_CONTENT_TYPE")
    r = await api.request("PUT", upload["uploadUrl"], body=image + b"xx", headers=upload["headers"])
    assert_error(r, 413, "BLOB_TOO_LARGE")
    tampered = upload["uploadUrl"].replace(f"max={len(image)}", "max=99999")
    r = await api.request("PUT", tampered, body=image, headers=upload["headers"])
    assert_error(r, 403, "BLOB_SIGNATURE_INVALID")
    r = await api.request("PUT", upload["uploadUrl"], body=image, headers=upload["headers"])
    assert r.status == 204
    r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
    assert r.status == 200
    avatar_url = r.json["avatarUrl"]
    got = await api.get(avatar_url)
    assert got.status == 200 and got.body == image and got.headers["Content-Type"] == "image/png"
    # Another user's key cannot be confirmed.
    other = await api.register()
    r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=other["accessToken"])
    assert_error(r, 404, "AVATAR_NOT_UPLOADED")
    # Expired or forged download URLs are refused.
    parsed = urlparse(avatar_url)
    params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    expired = f"{api.base_url}{parsed.path}?{urlencode({**params, 'exp': 1000})}"
    assert_error(await api.get(expired), 403)
    assert (await api.delete("/api/users/me/avatar", token=token)).status == 204
    assert (await api.get("/api/users/me", token=token)).json["avatarUrl"] is None
    assert_error(await api.get(avatar_url), 404, "BLOB_NOT_FOUND")


async def test_avatar_request_validation(api: Api) -> None:
    token = (await api.register())["accessToken"]
    for bad in (
        {"contentType": "image/gif", "size": 10},
        {"contentType": "image/png", "size": 2 * 1024 * 1024 + 1},
        {"contentType": "image/png", "size": 0},
        {"contentType": "image/png"},
    ):
        assert_error(await api.post("/api/users/me/avatar", bad, token=token), 400, "VALIDATION_FAILED")
    assert_error(await api.post("/api/users/me/avatar", {"contentType": "image/png", "size": 10}), 401)


async def upload_avatar(api: Api, token: str, content_type: str, data: bytes, put_type: str | None = None) -> dict:
    """Ask for an upload URL and PUT `data` there; returns the AvatarUploadResponse."""
    r = await api.post("/api/users/me/avatar", {"contentType": content_type, "size": len(data)}, token=token)
    assert r.status == 200, r.body
    upload = r.json
    r = await api.request("PUT", upload["uploadUrl"], body=data, headers={"Content-Type": put_type or content_type})
    assert r.status == 204, r.body
    return upload


HTML = b"<html><script>alert(document.cookie)</script></html>"


async def test_upload_url_works_once(api: Api) -> None:
    """Issue 24, finding 8: an upload URL reused after confirm replaced the avatar with anything."""
    token = (await api.register())["accessToken"]
    image = png()
    upload = await upload_avatar(api, token, "image/png", image)
    # Not again before confirm ...
    r = await api.request("PUT", upload["uploadUrl"], body=png(3, 3), headers=upload["headers"])
    assert_error(r, 409, "BLOB_URL_USED")
    r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
    assert r.status == 200, r.body
    avatar_url = r.json["avatarUrl"]
    # ... nor after, with any content: the image served is the one confirmed.
    for body in (HTML, png(4, 4), image):
        r = await api.request("PUT", upload["uploadUrl"], body=body, headers=upload["headers"])
        assert_error(r, 409, "BLOB_URL_USED")
    got = await api.get(avatar_url)
    assert got.status == 200 and got.body == image and got.headers["Content-Type"] == "image/png"
    # Not even once the avatar is removed (the object is gone, the URL stays used).
    assert (await api.delete("/api/users/me/avatar", token=token)).status == 204
    r = await api.request("PUT", upload["uploadUrl"], body=image, headers=upload["headers"])
    assert_error(r, 409, "BLOB_URL_USED")
    assert_error(await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token), 404)


async def test_confirm_checks_the_image_bytes(api: Api) -> None:
    token = (await api.register())["accessToken"]
    image = png()
    current = await upload_avatar(api, token, "image/png", image)
    r = await api.post("/api/users/me/avatar/confirm", {"key": current["key"]}, token=token)
    avatar_url = r.json["avatarUrl"]
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32 + b"\xff\xd9"
    webp = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8L" + b"\x00" * 22
    refused = [
        ("image/png", HTML),  # HTML served as image/png
        ("image/png", jpeg),
        ("image/jpeg", image),
        ("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 16),
        ("image/webp", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ]
    for content_type, data in refused:
        upload = await upload_avatar(api, token, content_type, data)
        r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
        error = assert_error(r, 400, "VALIDATION_FAILED", content_type)
        assert content_type in error["message"] and error["details"] == {"key": "not an image"}
        # The upload is discarded and the avatar is unchanged.
        r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
        assert_error(r, 404, "AVATAR_NOT_UPLOADED")
        assert (await api.get("/api/users/me", token=token)).json["avatarUrl"] == avatar_url
        assert (await api.get(avatar_url)).body == image
    for content_type, data in (("image/jpeg", jpeg), ("image/webp", webp)):
        upload = await upload_avatar(api, token, content_type, data)
        r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
        assert r.status == 200, r.body
        got = await api.get(r.json["avatarUrl"])
        assert got.body == data and got.headers["Content-Type"] == content_type


async def test_nosniff_on_every_response(api: Api) -> None:
    token = (await api.register())["accessToken"]
    upload = await upload_avatar(api, token, "image/png", png())
    r = await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=token)
    avatar_url = r.json["avatarUrl"]
    responses = {
        "API": await api.get("/api/users/me", token=token),
        "401": await api.get("/api/users/me"),
        "404": await api.get("/api/no/such/thing"),
        "400": await api.patch("/api/users/me", {"bio": 1}, token=token),
        "blob": await api.get(avatar_url),
        "blob 404": await api.get("/blobs/avatars/none.png?exp=1&sig=x"),
        "blob PUT refused": await api.request("PUT", upload["uploadUrl"], body=png(), headers=upload["headers"]),
        "docs": await api.get("/api/docs"),
        "openapi": await api.get("/api/openapi.json"),
        "CORS preflight": await api.request("OPTIONS", "/api/users/me"),
        "WebSocket without upgrade": await api.get("/api/ws"),
        "collab WebSocket without upgrade": await api.get("/collab/some-room"),
    }
    assert responses["blob"].status == 200 and responses["blob"].headers["Content-Type"] == "image/png"
    assert responses["API"].status == 200 and responses["404"].status == 404
    assert responses["WebSocket without upgrade"].status == responses["collab WebSocket without upgrade"].status == 400
    for name, r in responses.items():
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (name, r.status, dict(r.headers))
