"""Profiles: read and edit one's own, read others' public view, soft delete, avatars."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from config import Settings
from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import Conflict, NotFound, ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.admin import AdminUserQuery
from syncode.models.users import (
    AvatarUploadResponse,
    PublicProfile,
    UpdateProfileRequest,
    UserProfile,
    UserStats,
)
from syncode.pagination import PageResult, paginate
from syncode.security import verify_password
from syncode.services.audit import AuditService
from syncode.services.auth import AuthService, Principal, check_account_usable, username_key
from syncode.services.blobs import BlobStore, is_image_of_type

AVATAR_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class UserCard:
    username: str
    display_name: str | None
    avatar_url: str | None
    preferred_language: str | None = None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


class UserService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        audit: AuditService,
        auth: AuthService,
        blobs: BlobStore,
        bus: EventBus,
    ) -> None:
        self.settings = settings
        self.db = db
        self.audit = audit
        self.auth = auth
        self.blobs = blobs
        self.bus = bus

    def _public_fields(self, user: dict[str, Any]) -> dict[str, Any]:
        avatar = user.get("avatarKey")
        return {
            "id": user["_id"],
            "username": user["username"],
            "display_name": user.get("displayName"),
            "bio": user.get("bio"),
            "avatar_url": self.blobs.signed_download(avatar) if avatar else None,
            "created_at": user["createdAt"],
            "stats": UserStats(**user.get("stats", {})),
        }

    def profile(self, user: dict[str, Any]) -> UserProfile:
        return UserProfile(
            **self._public_fields(user),
            email=user["email"],
            role=user["role"],
            preferred_language=user.get("preferredLanguage"),
            updated_at=user["updatedAt"],
        )

    async def get_live(self, user_id: str) -> dict[str, Any]:
        return check_account_usable(await self.db.users.find_one({"_id": user_id}))

    async def me(self, principal: Principal) -> UserProfile:
        return self.profile(principal.user)

    async def cards(self, user_ids: list[str]) -> dict[str, UserCard]:
        """Name, avatar and preferred language of each of these users, in one query (for lists of participants)."""
        fields = {"username": 1, "displayName": 1, "avatarKey": 1, "preferredLanguage": 1}
        cards = {}
        async for user in self.db.users.find({"_id": {"$in": user_ids}}, fields):
            avatar = user.get("avatarKey")
            url = self.blobs.signed_download(avatar) if avatar else None
            cards[user["_id"]] = UserCard(user["username"], user.get("displayName"), url, user.get("preferredLanguage"))
        return cards

    async def public_profile(self, user_id: str) -> PublicProfile:
        user = await self.db.users.find_one({"_id": user_id, "deletedAt": None})
        if user is None:
            raise NotFound("user not found", "USER_NOT_FOUND")
        return PublicProfile(**self._public_fields(user))

    async def update(self, principal: Principal, req: UpdateProfileRequest) -> UserProfile:
        changes: dict[str, Any] = {}
        for field in req.model_fields_set:
            changes[UpdateProfileRequest.model_fields[field].alias or field] = getattr(req, field)
        if "username" in changes:
            if changes["username"] is None:
                raise ValidationFailed("username cannot be removed", details={"username": "required"})
            changes["usernameKey"] = username_key(changes["username"])
        changes["updatedAt"] = utcnow()
        try:
            user = await self._write(principal.id, {"$set": changes})
        except DuplicateKeyError:
            raise Conflict("this username is taken", "USERNAME_TAKEN", {"username": "already taken"}) from None
        return self.profile(check_account_usable(user))

    # -- administration -----------------------------------------------------------------------------------

    async def find(self, user_id: str, live_only: bool = False) -> dict[str, Any] | None:
        """The account document, deleted ones included unless `live_only`."""
        query: dict[str, Any] = {"_id": user_id, "deletedAt": None} if live_only else {"_id": user_id}
        return await self.db.users.find_one(query)

    async def search(self, q: AdminUserQuery) -> PageResult:
        query: dict[str, Any] = {}
        if q.search:
            pattern = {"$regex": re.escape(q.search.strip()), "$options": "i"}
            query["$or"] = [{"email": pattern}, {"username": pattern}, {"displayName": pattern}]
        if q.role:
            query["role"] = q.role
        if q.status == "active":
            query.update(deletedAt=None, bannedAt=None)
        elif q.status == "banned":
            query.update(deletedAt=None, bannedAt={"$ne": None})
        elif q.status == "deleted":
            query["deletedAt"] = {"$ne": None}
        return await paginate(self.db.users, query, descending=q.sort_order == "desc", cursor=q.cursor, limit=q.limit)

    async def counts(self, day: datetime, week: datetime) -> dict[str, int]:
        """Accounts for the admin dashboard: total, active in the last day, banned, new in the last week."""
        live = {"deletedAt": None}
        figures = await asyncio.gather(
            self.db.users.count_documents(live),
            self.db.users.count_documents({**live, "lastActiveAt": {"$gte": day}}),
            self.db.users.count_documents({**live, "bannedAt": {"$ne": None}}),
            self.db.users.count_documents({"createdAt": {"$gte": week}}),
        )
        return dict(zip(("total", "active24h", "banned", "newLast7d"), figures, strict=True))

    async def set_role(self, user_id: str, role: str) -> None:
        await self._write(user_id, {"$set": {"role": role, "updatedAt": utcnow()}})

    async def set_banned(self, user_id: str, banned: bool, reason: str | None) -> None:
        ban = {"bannedAt": utcnow(), "banReason": reason} if banned else {"bannedAt": None, "banReason": None}
        await self._write(user_id, {"$set": ban})

    async def _write(self, user_id: str, update: dict[str, Any]) -> dict[str, Any] | None:
        """Every account write goes through here, so the auth cache never serves the old document."""
        user = await self.db.users.find_one_and_update(
            {"_id": user_id, "deletedAt": None}, update, return_document=ReturnDocument.AFTER
        )
        self.auth.forget_user(user_id)
        return user

    async def delete(self, principal: Principal, password: str, ip: str | None) -> None:
        user = await self.get_live(principal.id)
        if not await verify_password(password, user["passwordHash"]):
            raise ValidationFailed("password is wrong", "INVALID_PASSWORD", {"password": "does not match"})
        # Unsetting the keys frees the email and username for new accounts; the data itself is kept.
        await self._write(user["_id"], {"$set": {"deletedAt": utcnow()}, "$unset": {"emailKey": "", "usernameKey": ""}})
        await self.auth.revoke_user_tokens(user["_id"])
        # Rooms and sockets react to this as to a ban: the account leaves its live rooms, its sockets close.
        self.bus.publish(Event("user.deleted", {"userId": user["_id"]}, user_ids=(user["_id"],)))
        await self.audit.record("user.deleted", actor_id=user["_id"], target_type="user", target_id=user["_id"], ip=ip)

    # -- avatars ------------------------------------------------------------------------------------------

    def _avatar_prefix(self, user_id: str) -> str:
        return f"avatars/{user_id}/"

    async def avatar_upload(self, principal: Principal, content_type: str, size: int) -> AvatarUploadResponse:
        await self.get_live(principal.id)
        key = f"{self._avatar_prefix(principal.id)}{new_id()}.{AVATAR_EXTENSIONS[content_type]}"
        signed = self.blobs.signed_upload(key, content_type, size)
        return AvatarUploadResponse(
            upload_url=signed.url,
            method=signed.method,
            headers=signed.headers,
            key=signed.key,
            expires_at=datetime.fromtimestamp(signed.expires_at, UTC),
        )

    async def avatar_confirm(self, principal: Principal, key: str) -> UserProfile:
        # The key's extension is the declared type (the upload URL enforced the Content-Type): check the bytes.
        declared = next((ct for ct, ext in AVATAR_EXTENSIONS.items() if key.endswith(f".{ext}")), "")
        mine = key.startswith(self._avatar_prefix(principal.id))
        if not mine or not await self.blobs.accept_upload(key, declared, self.settings.avatar_max_bytes):
            raise NotFound("no uploaded avatar under this key", "AVATAR_NOT_UPLOADED")
        old = (await self.get_live(principal.id)).get("avatarKey")
        if not is_image_of_type(await self.blobs.head(key, 16), declared):
            if key != old:
                await self.blobs.delete(key)
            raise ValidationFailed(
                f"the uploaded file is not a {declared or 'supported'} image", details={"key": "not an image"}
            )
        user = await self._write(principal.id, {"$set": {"avatarKey": key, "updatedAt": utcnow()}})
        if old and old != key:
            await self.blobs.delete(old)
        return self.profile(user)

    async def avatar_delete(self, principal: Principal) -> None:
        user = await self.get_live(principal.id)
        if user.get("avatarKey"):
            await self._write(principal.id, {"$set": {"avatarKey": None, "updatedAt": utcnow()}})
            await self.blobs.delete(user["avatarKey"])
