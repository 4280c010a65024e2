"""S3-compatible object storage: avatars through presigned URLs against moto in server mode (behind a gate that checks
presigned signatures and expiry as S3 does), with real HTTP PUTs and GETs."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.conftest import Api, assert_error
from tests.media_fakes import S3Gate, start_s3
from tests.test_users import png

BUCKET = "syncode-avatars"
TTL_SEC = 60


@pytest.fixture(scope="module")
async def s3():
    gate, moto = await start_s3(BUCKET)
    yield gate
    gate.stop()
    moto.stop()


@pytest.fixture(scope="module")
async def server(make_server, s3: S3Gate):
    srv = await make_server(blob_url_ttl_sec=TTL_SEC, **s3.settings())
    yield srv
    await srv.stop()


async def ask_upload(api: Api, token: str, content_type: str, size: int) -> dict:
    r = await api.post("/api/users/me/avatar", {"contentType": content_type, "size": size}, token=token)
    assert r.status == 200, r.body
    return r.json


async def put(api: Api, upload: dict, body: bytes, content_type: str | None = None) -> int:
    headers = {"Content-Type": content_type or upload["headers"]["Content-Type"]}
    return (await api.request("PUT", upload["uploadUrl"], body=body, headers=headers)).status


async def confirm(api: Api, token: str, key: str):
    return await api.post("/api/users/me/avatar/confirm", {"key": key}, token=token)


async def test_avatar_through_presigned_urls(api: Api, s3: S3Gate) -> None:
    user = await api.register()
    token, image = user["accessToken"], png()
    upload = await ask_upload(api, token, "image/png", len(image))
    url = urlparse(upload["uploadUrl"])
    assert upload["uploadUrl"].startswith(s3.url) and "X-Amz-Signature=" in url.query
    assert "content-length%3Bcontent-type" in url.query  # the signature covers the declared size and type
    assert await put(api, upload, image) == 200
    r = await confirm(api, token, upload["key"])
    assert r.status == 200, r.body
    avatar_url = r.json["avatarUrl"]
    assert avatar_url.startswith(f"{s3.url}/{BUCKET}/{upload['key']}?")
    got = await api.get(avatar_url)
    assert got.status == 200 and got.body == image and got.headers["Content-Type"] == "image/png"
    # The upload was moved to its key; the storage quota counts the bytes stored.
    assert f"incoming/{upload['key']}" not in s3.objects() and upload["key"] in s3.objects()
    quotas = (await api.get("/api/users/me/quotas", token=token)).json
    assert quotas["storage"]["usedBytes"] == len(image)
    # Removing the avatar removes the object.
    assert (await api.delete("/api/users/me/avatar", token=token)).status == 204
    assert upload["key"] not in s3.objects()
    assert (await api.get("/api/users/me/quotas", token=token)).json["storage"]["usedBytes"] == 0


async def test_signature_refuses_other_sizes_and_types(api: Api, s3: S3Gate) -> None:
    token, image = (await api.register())["accessToken"], png()
    upload = await ask_upload(api, token, "image/png", len(image))
    refused = len(s3.refused)
    assert await put(api, upload, image + b"more bytes") == 403  # bigger than declared
    assert await put(api, upload, image[:-4]) == 403  # smaller too: the length is signed
    assert await put(api, upload, image, "image/jpeg") == 403
    assert await put(api, upload, image, "text/html") == 403
    tampered = {**upload, "uploadUrl": upload["uploadUrl"].replace("X-Amz-Expires=60", "X-Amz-Expires=99999")}
    assert await put(api, tampered, image) == 403
    assert s3.refused[refused:] == ["SignatureDoesNotMatch"] * 5
    assert_error(await confirm(api, token, upload["key"]), 404, "AVATAR_NOT_UPLOADED")  # nothing arrived
    # Too big is refused before any URL is made.
    r = await api.post("/api/users/me/avatar", {"contentType": "image/png", "size": 3 * 1024 * 1024}, token=token)
    assert_error(r, 400, "VALIDATION_FAILED")


async def test_upload_url_works_once(api: Api, s3: S3Gate) -> None:
    token, image = (await api.register())["accessToken"], png()
    upload = await ask_upload(api, token, "image/png", len(image))
    assert await put(api, upload, image) == 200
    avatar_url = (await confirm(api, token, upload["key"])).json["avatarUrl"]
    # S3 takes another upload through the same URL, but it lands where nothing serves it and is dropped.
    other = png(2, 2)[:-12] + b"\x00" * 12  # same size, not the same bytes
    assert await put(api, upload, other) == 200
    assert (await confirm(api, token, upload["key"])).status == 200  # a retried confirm: still the first
    assert (await api.get(avatar_url)).body == image
    assert f"incoming/{upload['key']}" not in s3.objects()
    # Not even once the avatar is removed.
    assert (await api.delete("/api/users/me/avatar", token=token)).status == 204
    assert await put(api, upload, image) == 200
    assert_error(await confirm(api, token, upload["key"]), 404, "AVATAR_NOT_UPLOADED")
    assert not [k for k in s3.objects() if k.endswith(upload["key"]) and not k.startswith("accepted/")]


async def test_confirm_checks_what_arrived(api: Api, s3: S3Gate) -> None:
    """A store that does not check signatures (moto itself, bypassing the gate): the server's own checks hold."""
    token, image = (await api.register())["accessToken"], png()

    async def lax_put(body: bytes, content_type: str) -> dict:
        upload = await ask_upload(api, token, "image/png", len(image))
        direct = upload["uploadUrl"].replace(s3.url, s3.moto_url)
        assert (await api.request("PUT", direct, body=body, headers={"Content-Type": content_type})).status == 200
        return upload

    upload = await lax_put(image + b"x" * (3 * 1024 * 1024), "image/png")
    assert_error(await confirm(api, token, upload["key"]), 413, "BLOB_TOO_LARGE")
    upload = await lax_put(image, "image/gif")
    assert_error(await confirm(api, token, upload["key"]), 400, "BLOB_CONTENT_TYPE")
    upload = await lax_put(b"<html>" + b" " * (len(image) - 6), "image/png")
    assert_error(await confirm(api, token, upload["key"]), 400, "VALIDATION_FAILED")  # not a PNG by its bytes
    assert not [k for k in s3.objects() if "avatars/" in k and not k.startswith("accepted/")]


async def test_download_url_expires(api: Api, s3: S3Gate) -> None:
    token, image = (await api.register())["accessToken"], png()
    upload = await ask_upload(api, token, "image/png", len(image))
    assert await put(api, upload, image) == 200
    avatar_url = (await confirm(api, token, upload["key"])).json["avatarUrl"]
    assert (await api.get(avatar_url)).status == 200
    try:
        s3.clock_offset = TTL_SEC - 5  # still valid a little before its time is up
        assert (await api.get(avatar_url)).status == 200
        s3.clock_offset = TTL_SEC + 5  # and refused after
        r = await api.get(avatar_url)
        assert r.status == 403 and b"Request has expired" in r.body
    finally:
        s3.clock_offset = 0
    fresh = (await api.get("/api/users/me", token=token)).json["avatarUrl"]  # profiles hand out fresh URLs
    assert (await api.get(fresh)).body == image
