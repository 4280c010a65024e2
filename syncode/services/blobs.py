"""Object store for avatars, recordings and exports: one interface (`BlobStore`), two implementations chosen by
settings (`build_blob_store`): local files served through HMAC-signed, expiring URLs (here), and S3-compatible
storage with presigned URLs (syncode/services/s3store.py). Nothing else knows which one runs.

An upload URL enforces the declared content type and size and works once. Here the first accepted PUT claims it (a
marker under `.claims/`, which no key can name), so nothing can replace an object through its upload URL
afterwards; `accept_upload` then only finds the object.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from config import Settings
from syncode.errors import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from syncode.security import sign, signature_matches

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*(\.[a-z0-9]+)?$")
CLAIMS = ".claims"  # markers of used upload URLs, one directory per hour of expiry
CLAIM_BUCKET_SEC = 3600
# The first bytes of each image format an upload may declare.
IMAGE_SIGNATURES: dict[str, tuple[tuple[int, bytes], ...]] = {
    "image/png": ((0, b"\x89PNG\r\n\x1a\n"),),
    "image/jpeg": ((0, b"\xff\xd8\xff"),),
    "image/gif": ((0, b"GIF8"),),
    "image/webp": ((0, b"RIFF"), (8, b"WEBP")),
}


def is_image_of_type(head: bytes, content_type: str) -> bool:
    """Whether bytes starting with `head` are an image of this type, by their magic bytes."""
    signature = IMAGE_SIGNATURES.get(content_type)
    return signature is not None and all(head[at : at + len(magic)] == magic for at, magic in signature)


@dataclass(frozen=True)
class SignedUpload:
    url: str
    method: str
    headers: dict[str, str]
    key: str
    expires_at: int


@dataclass(frozen=True)
class S3Target:
    """Where a third party (LiveKit egress) writes objects of this store directly: an S3 bucket and its keys."""

    bucket: str
    region: str
    endpoint: str
    access_key: str
    secret: str
    force_path_style: bool


class BlobStore(Protocol):
    ttl_sec: int  # a signed URL works at least this long

    def signed_upload(self, key: str, content_type: str, max_bytes: int) -> SignedUpload: ...

    def signed_download(self, key: str) -> str: ...

    async def accept_upload(self, key: str, content_type: str, max_bytes: int) -> bool:
        """Make an upload through a signed URL final; False when nothing was uploaded under `key`."""
        ...

    async def read_signed(self, key: str, params: dict[str, str]) -> tuple[bytes, str]:
        """Serve a signed download URL of this server (/blobs/...)."""
        ...

    async def put_signed(self, key: str, params: dict[str, str], content_type: str, body: bytes) -> None:
        """Accept an upload through a signed URL of this server (/blobs/...)."""
        ...

    async def head(self, key: str, size: int) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def size(self, key: str) -> int: ...

    async def delete(self, key: str) -> None: ...

    def egress_target(self) -> S3Target | None:
        """The bucket recordings are uploaded to by LiveKit egress; None when this store cannot receive them."""
        ...

    async def close(self) -> None: ...


def build_blob_store(settings: Settings) -> BlobStore:
    """S3 when SYNCODE_S3_BUCKET is set, otherwise local files under <data_dir>/blobs."""
    if settings.s3_enabled:
        from syncode.services.s3store import S3BlobStore  # aioboto3 is loaded only when used

        return S3BlobStore(settings)
    return LocalBlobStore(
        settings.data_dir / "blobs", settings.base_url, settings.internal_secret, settings.blob_url_ttl_sec
    )


class LocalBlobStore:
    def __init__(self, root: Path, base_url: str, secret: str, ttl_sec: int) -> None:
        self.root = root
        self.base_url = base_url
        self.secret = secret
        self.ttl_sec = ttl_sec

    def _path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise NotFound("no such object", "BLOB_NOT_FOUND")
        return self.root / key

    @staticmethod
    def _message(op: str, key: str, exp: int, content_type: str = "", max_bytes: int = 0) -> str:
        return f"{op}\n{key}\n{exp}\n{content_type}\n{max_bytes}"

    def signed_upload(self, key: str, content_type: str, max_bytes: int) -> SignedUpload:
        exp = int(time.time()) + self.ttl_sec
        sig = sign(self.secret, self._message("put", key, exp, content_type, max_bytes))
        query = urlencode({"op": "put", "exp": exp, "ct": content_type, "max": max_bytes, "sig": sig})
        url = f"{self.base_url}/blobs/{quote(key)}?{query}"
        return SignedUpload(url, "PUT", {"Content-Type": content_type}, key, exp)

    def signed_download(self, key: str) -> str:
        # Expiry rounded to the TTL window so the same object yields a stable, cacheable URL for a while.
        exp = (int(time.time()) // self.ttl_sec + 2) * self.ttl_sec
        sig = sign(self.secret, self._message("get", key, exp))
        return f"{self.base_url}/blobs/{quote(key)}?{urlencode({'exp': exp, 'sig': sig})}"

    def verify(self, op: str, key: str, params: dict[str, str]) -> None:
        try:
            exp = int(params.get("exp", ""))
            max_bytes = int(params.get("max", "0"))
        except ValueError:
            raise Forbidden("malformed signature", "BLOB_SIGNATURE_INVALID") from None
        message = self._message(op, key, exp, params.get("ct", ""), max_bytes)
        if not signature_matches(self.secret, message, params.get("sig", "")):
            raise Forbidden("bad signature", "BLOB_SIGNATURE_INVALID")
        if exp < time.time():
            raise Forbidden("URL expired", "BLOB_URL_EXPIRED")

    async def put_signed(self, key: str, params: dict[str, str], content_type: str, body: bytes) -> None:
        """Store an upload made through a signed URL, enforcing its content type and size."""
        self.verify("put", key, params)
        if content_type.split(";")[0].strip() != params.get("ct"):
            raise ValidationFailed("content type does not match the upload URL", "BLOB_CONTENT_TYPE")
        if len(body) > int(params["max"]):
            raise PayloadTooLarge("upload larger than announced", "BLOB_TOO_LARGE")
        if not await asyncio.to_thread(self._claim, key, int(params["exp"])) or await self.exists(key):
            raise Conflict("this upload URL has been used already; ask for a new one", "BLOB_URL_USED")
        await self.put(key, body)

    def _claim(self, key: str, exp: int) -> bool:
        """Mark the upload URL of this key used; False when it was already. Markers of expired URLs are pruned."""
        claims = self.root / CLAIMS
        bucket = exp // CLAIM_BUCKET_SEC
        for old in claims.glob("*") if claims.is_dir() else ():
            if old.name.isdigit() and (int(old.name) + 2) * CLAIM_BUCKET_SEC < time.time():  # long expired
                shutil.rmtree(old, ignore_errors=True)
        marker = claims / str(bucket) / hashlib.sha256(key.encode()).hexdigest()
        marker.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    async def put(self, key: str, body: bytes) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(body)
            tmp.replace(path)

        await asyncio.to_thread(write)

    async def read_signed(self, key: str, params: dict[str, str]) -> tuple[bytes, str]:
        self.verify("get", key, params)
        path = self._path(key)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound("no such object", "BLOB_NOT_FOUND") from None
        return data, mimetypes.guess_type(path.name)[0] or "application/octet-stream"

    async def head(self, key: str, size: int) -> bytes:
        """The first `size` bytes of an object."""

        def read() -> bytes:
            with self._path(key).open("rb") as file:
                return file.read(size)

        try:
            return await asyncio.to_thread(read)
        except FileNotFoundError:
            raise NotFound("no such object", "BLOB_NOT_FOUND") from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def size(self, key: str) -> int:
        return await asyncio.to_thread(lambda: self._path(key).stat().st_size)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    async def accept_upload(self, key: str, content_type: str, max_bytes: int) -> bool:
        """The signed PUT enforced type and size and claimed its URL: the object is final once it is there."""
        return await self.exists(key)

    def egress_target(self) -> S3Target | None:
        return None  # LiveKit egress uploads to S3-compatible storage only

    async def close(self) -> None:
        pass
