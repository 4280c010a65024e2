"""S3-compatible object storage (AWS, MinIO, Ceph, R2) behind the `BlobStore` interface, through aioboto3.

Clients move bytes to and from the bucket themselves, with presigned URLs: a PUT whose signature covers the declared
Content-Type and the exact Content-Length (the store refuses any other body), and a GET, both expiring after
SYNCODE_BLOB_URL_TTL_SEC. Uploads land under `incoming/`; `accept_upload` checks what arrived (size, type), marks
the key accepted (an empty object under `accepted/`), copies the upload to its key and deletes it. An upload URL
used again writes only under `incoming/`, which nothing serves and a second accept discards: it works once, as
with the local store. URLs are signed here by a botocore client (no network involved); every request to the store
goes through one aioboto3 client, opened on first use and closed at stop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aioboto3
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config import Settings
from syncode.errors import NotFound, PayloadTooLarge, ServiceUnavailable, ValidationFailed
from syncode.services.blobs import KEY_PATTERN, S3Target, SignedUpload

INCOMING = "incoming/"  # where presigned uploads land until accepted
ACCEPTED = "accepted/"  # an empty marker per key whose upload was accepted: its URL is used
MISSING = {"404", "NoSuchKey", "NotFound"}


def not_found() -> NotFound:
    return NotFound("no such object", "BLOB_NOT_FOUND")


class S3BlobStore:
    def __init__(self, settings: Settings) -> None:
        self.bucket = settings.s3_bucket
        self.ttl_sec = settings.blob_url_ttl_sec
        endpoint = settings.s3_endpoint or None
        self._target = S3Target(
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key_id,
            secret=settings.s3_secret_access_key,
            force_path_style=bool(endpoint),  # MinIO, Ceph and most self-hosted stores want path-style URLs
        )
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if endpoint else "auto"},
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        self._args: dict[str, Any] = {
            "service_name": "s3",
            "endpoint_url": endpoint,
            "region_name": settings.s3_region,
            "aws_access_key_id": settings.s3_access_key_id,
            "aws_secret_access_key": settings.s3_secret_access_key,
            "config": config,
        }
        self._signer = boto3.session.Session().client(**self._args)  # presigns locally, never sends
        self._session = aioboto3.Session()
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._opening = asyncio.Lock()

    # -- URLs (signed locally) ------------------------------------------------------------------------------

    def signed_upload(self, key: str, content_type: str, max_bytes: int) -> SignedUpload:
        """A PUT of exactly `max_bytes` bytes (the declared size) of this content type, under `incoming/`."""
        params = {
            "Bucket": self.bucket,
            "Key": INCOMING + self._checked(key),
            "ContentType": content_type,
            "ContentLength": max_bytes,
        }
        url = self._signer.generate_presigned_url("put_object", Params=params, ExpiresIn=self.ttl_sec)
        return SignedUpload(url, "PUT", {"Content-Type": content_type}, key, int(time.time()) + self.ttl_sec)

    def signed_download(self, key: str) -> str:
        params = {"Bucket": self.bucket, "Key": self._checked(key)}
        return self._signer.generate_presigned_url("get_object", Params=params, ExpiresIn=self.ttl_sec)

    @staticmethod
    def _checked(key: str) -> str:
        if not KEY_PATTERN.match(key):
            raise not_found()
        return key

    # -- requests to the store ------------------------------------------------------------------------------

    async def _s3(self) -> Any:
        if self._client is None:
            async with self._opening:
                if self._client is None:
                    self._client = await self._stack.enter_async_context(self._session.client(**self._args))
        return self._client

    @asynccontextmanager
    async def _reachable(self) -> AsyncIterator[Any]:
        """The client; a store that cannot be reached is a 503, not a stack trace."""
        try:
            yield await self._s3()
        except BotoCoreError as exc:
            raise ServiceUnavailable(f"object storage unreachable: {exc}", "STORAGE_UNAVAILABLE") from None

    async def _head(self, key: str) -> dict[str, Any] | None:
        async with self._reachable() as s3:
            try:
                return await s3.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in MISSING:
                    return None
                raise

    async def accept_upload(self, key: str, content_type: str, max_bytes: int) -> bool:
        final = self._checked(key)
        staged = INCOMING + final
        uploaded = await self._head(staged)
        if uploaded is None:
            return await self.exists(final)  # accepted before (a retried confirm), or never uploaded
        try:
            if await self._head(ACCEPTED + final) is not None:
                return await self.exists(final)  # its URL was used: a later upload through it is dropped
            check_upload(uploaded, content_type, max_bytes)
            async with self._reachable() as s3:
                await s3.put_object(Bucket=self.bucket, Key=ACCEPTED + final, Body=b"")
                source = {"Bucket": self.bucket, "Key": staged}
                await s3.copy_object(Bucket=self.bucket, Key=final, CopySource=source, MetadataDirective="COPY")
        finally:
            await self.delete(staged)
        return True

    async def head(self, key: str, size: int) -> bytes:
        async with self._reachable() as s3:
            try:
                found = await s3.get_object(Bucket=self.bucket, Key=self._checked(key), Range=f"bytes=0-{size - 1}")
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "InvalidRange":  # an empty object
                    return b""
                if code in MISSING:
                    raise not_found() from None
                raise
            async with found["Body"] as body:
                return await body.read()

    async def exists(self, key: str) -> bool:
        return await self._head(self._checked(key)) is not None

    async def size(self, key: str) -> int:
        found = await self._head(self._checked(key))
        if found is None:
            raise not_found()
        return int(found["ContentLength"])

    async def delete(self, key: str) -> None:
        async with self._reachable() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=key)

    # -- what only the local store serves ---------------------------------------------------------------------

    async def read_signed(self, key: str, params: dict[str, str]) -> tuple[bytes, str]:
        raise not_found()  # objects are fetched from the bucket through presigned URLs

    async def put_signed(self, key: str, params: dict[str, str], content_type: str, body: bytes) -> None:
        raise not_found()

    def egress_target(self) -> S3Target | None:
        return self._target

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None


def check_upload(uploaded: dict[str, Any], content_type: str, max_bytes: int) -> None:
    """What arrived is what the upload URL allowed (the store's own check of the signature comes first)."""
    if int(uploaded.get("ContentLength", 0)) > max_bytes:
        raise PayloadTooLarge("upload larger than announced", "BLOB_TOO_LARGE")
    if str(uploaded.get("ContentType", "")).split(";")[0].strip() != content_type:
        raise ValidationFailed("content type does not match the upload URL", "BLOB_CONTENT_TYPE")
