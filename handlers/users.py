"""/api/users/*"""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.users import (
    AvatarConfirmRequest,
    AvatarUploadRequest,
    AvatarUploadResponse,
    DeleteAccountRequest,
    PublicProfile,
    UpdateProfileRequest,
    UserProfile,
)


class MeHandler(BaseHandler):
    @operation(summary="Get current user profile", tag="Users", response=UserProfile, errors=(401, 403))
    async def get(self) -> None:
        self.respond(await self.ctx.users.me(self.user))

    @operation(
        summary="Update current user profile",
        tag="Users",
        request=UpdateProfileRequest,
        response=UserProfile,
        errors=(400, 401, 403, 409),
    )
    async def patch(self) -> None:
        self.respond(await self.ctx.users.update(self.user, self.body(UpdateProfileRequest)))

    @operation(
        summary="Soft-delete account",
        tag="Users",
        request=DeleteAccountRequest,
        status=204,
        errors=(400, 401, 403),
        description="Needs the password. The data is kept, login becomes impossible, and the email and "
        "username are free for new accounts.",
    )
    async def delete(self) -> None:
        await self.ctx.users.delete(self.user, self.body(DeleteAccountRequest).password, self.client_ip)
        self.respond()


class UserHandler(BaseHandler):
    @operation(summary="Get public profile of another user", tag="Users", response=PublicProfile, errors=(401, 404))
    async def get(self, userId: str) -> None:
        self.respond(await self.ctx.users.public_profile(userId))


class AvatarHandler(BaseHandler):
    @operation(
        summary="Upload avatar (presigned URL)",
        tag="Users",
        request=AvatarUploadRequest,
        response=AvatarUploadResponse,
        errors=(400, 401, 403),
        description="Returns a signed URL: PUT the image bytes there with the given headers (the URL works "
        "once), then POST /users/me/avatar/confirm with the key.",
    )
    async def post(self) -> None:
        req = self.body(AvatarUploadRequest)
        self.respond(await self.ctx.users.avatar_upload(self.user, req.content_type, req.size))

    @operation(summary="Remove avatar", tag="Users", status=204, errors=(401, 403))
    async def delete(self) -> None:
        await self.ctx.users.avatar_delete(self.user)
        self.respond()


class AvatarConfirmHandler(BaseHandler):
    @operation(
        summary="Confirm an uploaded avatar",
        tag="Users",
        request=AvatarConfirmRequest,
        response=UserProfile,
        errors=(400, 401, 403, 404),
        description="400 VALIDATION_FAILED (and the upload is discarded) when the file's first bytes are not "
        "those of the image type declared for the upload.",
    )
    async def post(self) -> None:
        self.respond(await self.ctx.users.avatar_confirm(self.user, self.body(AvatarConfirmRequest).key))


class BlobHandler(BaseHandler):
    """Serves and accepts objects of the local blob store through signed URLs (no bearer token)."""

    max_body_bytes = 3 * 1024 * 1024  # the signed size (≤ 2 MiB for avatars) is enforced by the store

    def _params(self) -> dict[str, str]:
        return {k: self.get_query_argument(k) for k in self.request.query_arguments}

    @operation(
        summary="Download an object through a signed URL",
        tag="Blobs",
        errors=(403, 404),
        auth=False,
        content_type="application/octet-stream",
    )
    async def get(self, key: str) -> None:
        data, content_type = await self.ctx.blobs.read_signed(key, self._params())
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "private, max-age=300")
        self.finish(data)

    @operation(
        summary="Upload an object through a signed URL",
        tag="Blobs",
        status=204,
        errors=(400, 403, 409, 413),
        auth=False,
        description="A signed upload URL works once: 409 BLOB_URL_USED after its first accepted upload.",
        content_type="application/octet-stream",
    )
    async def put(self, key: str) -> None:
        content_type = self.request.headers.get("Content-Type", "")
        await self.ctx.blobs.put_signed(key, self._params(), content_type, self.request.body)
        self.respond()
