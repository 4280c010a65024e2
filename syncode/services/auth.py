"""Accounts and tokens: register, login with lockout, refresh rotation with reuse detection, password flows."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NoReturn

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from config import Settings
from syncode.cache import DocumentCache
from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import Conflict, Forbidden, RateLimited, Unauthorized, ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.users import RegisterRequest
from syncode.security import decode_jwt, hash_password, issue_jwt, random_token, token_hash, verify_password
from syncode.services.audit import AuditService
from syncode.services.mail import MailService
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.auth")

# Accounts are re-read at most this often per process (in the background: no request waits for it). A change
# through the API takes effect at once; one made behind the server's back (promote-admin, a hand edit) within
# this bound, give or take one request.
USER_CACHE_SEC = 1.0
USER_CACHE_MAX = 50_000


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    id: str
    role: str
    username: str
    family_id: str | None = None  # refresh-token family of this login, to spare it on password change
    generation: int = 0  # the account's token generation when the token was issued (see revoke_access_tokens)
    user: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # the account document

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    user: dict[str, Any]


def email_key(email: str) -> str:
    return email.strip().lower()


def username_key(username: str) -> str:
    return username.lower()


def login_key(identifier: str) -> str:
    """What a login names: an email (matched as emailKey) or a username (usernameKey), normalised alike."""
    return identifier.strip().lower()


def check_account_usable(user: dict[str, Any] | None) -> dict[str, Any]:
    """Deleted accounts do not exist for auth purposes (401); banned ones are refused (403)."""
    if user is None or user.get("deletedAt"):
        raise Unauthorized("account not found or deleted", "UNAUTHORIZED")
    if user.get("bannedAt"):
        raise Forbidden("this account is banned", "USER_BANNED")
    return user


class AuthService:
    def __init__(self, settings: Settings, db: Database, audit: AuditService, mail: MailService, bus: EventBus) -> None:
        self.settings = settings
        self.db = db
        self.audit = audit
        self.mail = mail
        self.bus = bus
        self._dummy: str | None = None  # a real hash, to equalise timing for unknown identifiers
        # Every request reads its caller's account; the services that change accounts call `forget_user`.
        self._users = DocumentCache(capacity=USER_CACHE_MAX, ttl=USER_CACHE_SEC)
        self._tokens: dict[str, dict[str, Any]] = {}
        # Reset mails are looked up, minted and sent after the answer, so that it takes the same time either way.
        self._resets = BackgroundTasks("password reset mail")

    async def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = await hash_password(random_token(), self.settings.bcrypt_rounds)
        return self._dummy

    # -- tokens -------------------------------------------------------------------------------------------

    def _access_token(self, user: dict[str, Any], family_id: str) -> str:
        token, _ = issue_jwt(
            self.settings.jwt_secret,
            "access",
            user["_id"],
            self.settings.access_token_ttl_sec,
            role=user["role"],
            fam=family_id,
            gen=user.get("tokenGeneration", 0),
        )
        return token

    async def _issue(self, user: dict[str, Any], family_id: str | None = None) -> Tokens:
        family_id = family_id or new_id()
        refresh = random_token()
        now = utcnow()
        await self.db.refreshTokens.insert_one(
            {
                "_id": new_id(),
                "tokenHash": token_hash(refresh),
                "userId": user["_id"],
                "familyId": family_id,
                "createdAt": now,
                "expiresAt": now + timedelta(seconds=self.settings.refresh_token_ttl_sec),
                "rotatedAt": None,
                "revokedAt": None,
            }
        )
        await self.db.users.update_one({"_id": user["_id"]}, {"$set": {"lastActiveAt": now}})
        return Tokens(self._access_token(user, family_id), refresh, self.settings.access_token_ttl_sec, user)

    async def authenticate(self, access_token: str) -> Principal:
        """Verify an access token and the account behind it (a ban or deletion takes effect at once).

        Access tokens carry the account's token generation (`gen`) when issued; bumping it revokes every one
        issued before (see revoke_user_tokens). A newer generation than the cached account's is accepted: it was
        read from the database after the cached copy (by another process, within USER_CACHE_SEC)."""
        claims = self._verified_claims(access_token)
        user = check_account_usable(await self.cached_user(claims["sub"]))
        if claims.get("gen", 0) < user.get("tokenGeneration", 0):
            raise Unauthorized("token revoked; sign in or refresh again", "TOKEN_REVOKED")
        return Principal(user["_id"], user["role"], user["username"], claims.get("fam"), claims.get("gen", 0), user)

    def _verified_claims(self, access_token: str) -> dict[str, Any]:
        """Tokens already verified are remembered until they expire: a client sends the same one many times."""
        claims = self._tokens.get(access_token)
        if claims is None or claims["exp"] <= time.time():
            claims = decode_jwt(self.settings.jwt_secret, access_token, "access")
            if len(self._tokens) >= USER_CACHE_MAX:
                self._tokens.clear()
            self._tokens[access_token] = claims
        return claims

    async def cached_user(self, user_id: str) -> dict[str, Any] | None:
        return await self._users.get(user_id, lambda: self.db.users.find_one({"_id": user_id}))

    def forget_user(self, user_id: str) -> None:
        """Call after changing an account so this process sees the change at once."""
        self._users.forget(user_id)

    async def revoke_user_tokens(self, user_id: str, except_family: str | None = None) -> None:
        """Revoke the account's refresh tokens (but those of `except_family`) and every access token issued so far
        (that family's too: it gets a new one from /auth/refresh)."""
        query: dict[str, Any] = {"userId": user_id, "revokedAt": None}
        if except_family:
            query["familyId"] = {"$ne": except_family}
        await self.db.refreshTokens.update_many(query, {"$set": {"revokedAt": utcnow()}})
        await self.revoke_access_tokens(user_id)

    async def revoke_access_tokens(self, user_id: str) -> None:
        """Bump the account's token generation: access tokens issued before it are refused from now on (in this
        process at once, in others once their cached copy of the account is read again), and event sockets opened
        with one are closed (`user.tokens_revoked`)."""
        user = await self.db.users.find_one_and_update(
            {"_id": user_id}, {"$inc": {"tokenGeneration": 1}}, return_document=ReturnDocument.AFTER
        )
        self.forget_user(user_id)
        if user is not None and not user.get("bannedAt") and not user.get("deletedAt"):  # those close with 4003
            generation = user["tokenGeneration"]
            self.bus.publish(
                Event("user.tokens_revoked", {"userId": user_id, "generation": generation}, user_ids=(user_id,))
            )

    # -- account flows ------------------------------------------------------------------------------------

    async def register(self, req: RegisterRequest, ip: str | None) -> Tokens:
        now = utcnow()
        user = {
            "_id": new_id(),
            "email": str(req.email),
            "emailKey": email_key(str(req.email)),
            "username": req.username,
            "usernameKey": username_key(req.username),
            "passwordHash": await hash_password(req.password, self.settings.bcrypt_rounds),
            "displayName": req.display_name,
            "bio": None,
            "avatarKey": None,
            "role": "user",
            "preferredLanguage": None,
            "createdAt": now,
            "updatedAt": now,
            "bannedAt": None,
            "banReason": None,
            "deletedAt": None,
            "lastActiveAt": now,
            "tokenGeneration": 0,
        }
        try:
            await self.db.users.insert_one(user)
        except DuplicateKeyError as exc:
            raise self._taken(exc) from None
        await self.audit.record("auth.register", actor_id=user["_id"], target_type="user", target_id=user["_id"], ip=ip)
        return await self._issue(user)

    @staticmethod
    def _taken(exc: DuplicateKeyError) -> Conflict:
        if "emailKey" in str(exc):
            return Conflict("this email is already registered", "EMAIL_TAKEN", {"email": "already registered"})
        return Conflict("this username is taken", "USERNAME_TAKEN", {"username": "already taken"})

    async def login(self, identifier: str, password: str, ip: str | None) -> Tokens:
        """Known and unknown identifiers take the same path: the same lockout, the same work, the same answers.

        The lockout counts failures per (identifier, client address), so that whoever guesses from one address
        locks out only that address (the owner still signs in from elsewhere, or after a password reset), and an
        identifier locks whether or not an account has it (a 429 tells nothing about who exists)."""
        key = login_key(identifier)
        ip = ip or "unknown"
        await self._check_lockout(key, ip)
        user = await self.db.users.find_one({"emailKey" if "@" in key else "usernameKey": key})
        if user is None:
            # Spend the same time as a real check, so response timing does not reveal which accounts exist.
            await verify_password(password, await self._dummy_hash())
            await self._login_failed(key, ip, None, identifier)
        if not await verify_password(password, user["passwordHash"]):
            await self._login_failed(key, ip, user["_id"], identifier)
        check_account_usable(user)
        await self.db.loginFailures.delete_many({"_id": {"$in": self._lockout_ids(user, ip)}})
        await self.audit.record("auth.login", actor_id=user["_id"], target_type="user", target_id=user["_id"], ip=ip)
        return await self._issue(user)

    @staticmethod
    def _lockout_id(key: str, ip: str) -> str:
        return token_hash(f"{key}\n{ip}")

    def _lockout_ids(self, user: dict[str, Any], ip: str) -> list[str]:
        """The lockout records of this account's identifiers at this address."""
        keys = [user[name] for name in ("emailKey", "usernameKey") if user.get(name)]
        return [self._lockout_id(key, ip) for key in keys]

    async def _check_lockout(self, key: str, ip: str) -> None:
        now = utcnow()
        record = await self.db.loginFailures.find_one({"_id": self._lockout_id(key, ip), "expiresAt": {"$gt": now}})
        locked_until = record and record.get("lockedUntil")
        if locked_until and locked_until > now:
            raise RateLimited(
                "too many failed logins from this address; try again later or reset the password",
                (locked_until - now).total_seconds(),
                "ACCOUNT_LOCKED",
            )

    async def _login_failed(self, key: str, ip: str, user_id: str | None, identifier: str) -> NoReturn:
        """Count a failure of (key, ip); the one that reaches the threshold, and each after it, locks the pair for
        login_lockout_sec doubled once per failure past the threshold, up to login_lockout_max_sec."""
        s = self.settings
        failures, now = await self._count_failure(key, ip), utcnow()
        await self.audit.record(
            "auth.login_failed",
            actor_id=None,
            target_type="user",
            target_id=user_id,
            ip=ip,
            metadata={"identifier": identifier[:254]},
        )
        if failures < s.login_lockout_failures:
            raise Unauthorized("invalid credentials", "INVALID_CREDENTIALS")
        doublings = min(failures - s.login_lockout_failures, 40)  # 2**40 seconds exceed any cap
        lock = min(s.login_lockout_sec * 2**doublings, s.login_lockout_max_sec)
        locked_until = now + timedelta(seconds=lock)
        await self.db.loginFailures.update_one(
            {"_id": self._lockout_id(key, ip)},
            {
                "$set": {
                    "lockedUntil": locked_until,
                    "expiresAt": locked_until + timedelta(seconds=s.login_lockout_max_sec),
                }
            },
        )
        await self.audit.record(
            "auth.locked",
            actor_id=None,
            target_type="user",
            target_id=user_id,
            ip=ip,
            metadata={"identifier": identifier[:254], "failures": failures, "lockSec": lock},
        )
        raise RateLimited(
            "too many failed logins from this address; try again later or reset the password", lock, "ACCOUNT_LOCKED"
        )

    async def _count_failure(self, key: str, ip: str) -> int:
        """Add a failure to the record of (key, ip), starting a new one when there is none or it expired; returns
        the count."""
        record_id, now = self._lockout_id(key, ip), utcnow()
        # An expired record the TTL monitor has not removed yet counts as none.
        await self.db.loginFailures.delete_one({"_id": record_id, "expiresAt": {"$lte": now}})
        window_end = now + timedelta(seconds=self.settings.login_lockout_window_sec)
        insert = {"key": key, "ip": ip, "lockedUntil": None, "expiresAt": window_end}

        async def count() -> dict[str, Any]:
            return await self.db.loginFailures.find_one_and_update(
                {"_id": record_id},
                {"$inc": {"failures": 1}, "$setOnInsert": insert},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )

        try:
            record = await count()
        except DuplicateKeyError:  # a concurrent failure inserted the record first: add to that one
            record = await count()
        return int(record["failures"])

    async def refresh(self, refresh_token: str, ip: str | None) -> Tokens:
        digest = token_hash(refresh_token)
        now = utcnow()
        current = await self.db.refreshTokens.find_one_and_update(
            {"tokenHash": digest, "rotatedAt": None, "revokedAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"rotatedAt": now}},
        )
        if current is None:
            await self._refresh_refused(digest, ip)
        user = check_account_usable(await self.db.users.find_one({"_id": current["userId"]}))
        return await self._issue(user, current["familyId"])

    async def _refresh_refused(self, digest: str, ip: str | None) -> None:
        known = await self.db.refreshTokens.find_one({"tokenHash": digest})
        if known and known["rotatedAt"] is not None:
            # A rotated token came back: someone holds a stolen copy. Revoke the whole family.
            await self.db.refreshTokens.update_many(
                {"familyId": known["familyId"], "revokedAt": None}, {"$set": {"revokedAt": utcnow()}}
            )
            # The thief may hold an access token of any login of this account: revoke them all (the other
            # logins get new ones from their refresh tokens, which stay valid).
            await self.revoke_access_tokens(known["userId"])
            await self.audit.record(
                "auth.refresh_reused",
                actor_id=None,
                target_type="user",
                target_id=known["userId"],
                ip=ip,
                metadata={"familyId": known["familyId"]},
            )
            raise Unauthorized(
                "refresh token was already used; all sessions of this login revoked", "REFRESH_TOKEN_REUSED"
            )
        if known and known["revokedAt"] is not None:
            raise Unauthorized("refresh token was revoked", "REFRESH_TOKEN_REVOKED")
        raise Unauthorized("invalid or expired refresh token", "INVALID_REFRESH_TOKEN")

    async def logout(self, refresh_token: str | None) -> None:
        if refresh_token:
            await self.db.refreshTokens.update_one(
                {"tokenHash": token_hash(refresh_token), "revokedAt": None}, {"$set": {"revokedAt": utcnow()}}
            )

    async def change_password(self, principal: Principal, current: str, new: str, ip: str | None) -> None:
        user = check_account_usable(await self.db.users.find_one({"_id": principal.id}))
        if not await verify_password(current, user["passwordHash"]):
            raise ValidationFailed(
                "current password is wrong", "INVALID_PASSWORD", {"currentPassword": "does not match"}
            )
        await self._set_password(user["_id"], new)
        await self.revoke_user_tokens(user["_id"], except_family=principal.family_id)
        await self.audit.record(
            "auth.password_changed", actor_id=user["_id"], target_type="user", target_id=user["_id"], ip=ip
        )

    async def _set_password(self, user_id: str, password: str) -> None:
        digest = await hash_password(password, self.settings.bcrypt_rounds)
        await self.db.users.update_one({"_id": user_id}, {"$set": {"passwordHash": digest, "updatedAt": utcnow()}})
        self.forget_user(user_id)

    def forgot_password(self, email: str, ip: str | None) -> None:
        """Always succeeds from the caller's view; mails a single-use token when the account exists.

        The caller is answered before anything is looked up: the lookup, the token and the mail happen in the
        background, so that the answer takes as long for an unknown address as for a known one."""
        self._resets.spawn(self._send_reset(email, ip))

    async def drain(self) -> None:
        """Until the reset mails asked for so far are sent (or failed): at stop, before the database closes."""
        await self._resets.wait()

    async def _send_reset(self, email: str, ip: str | None) -> None:
        user = await self.db.users.find_one({"emailKey": email_key(email)})
        if user is None or user.get("bannedAt"):
            return
        token = random_token()
        now = utcnow()
        await self.db.passwordResets.insert_one(
            {
                "_id": new_id(),
                "tokenHash": token_hash(token),
                "userId": user["_id"],
                "createdAt": now,
                "expiresAt": now + timedelta(seconds=self.settings.reset_token_ttl_sec),
                "usedAt": None,
            }
        )
        minutes = self.settings.reset_token_ttl_sec // 60
        link = f"{self.settings.base_url}/reset-password?token={token}"
        body = (
            f"Hello {user['username']},\n\nSomeone asked to reset the password of your SynCode account.\n"
            f"Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
            f"Reset token: {token}\n\nIf it was not you, ignore this message; your password stays as it is.\n"
        )
        await self.audit.record(
            "auth.password_reset_requested", actor_id=None, target_type="user", target_id=user["_id"], ip=ip
        )
        try:
            await self.mail.send(user["email"], "Reset your SynCode password", body)
        except Exception:
            log.exception("password reset mail failed", extra={"userId": user["_id"]})

    async def reset_password(self, token: str, new_password: str, ip: str | None) -> None:
        now = utcnow()
        reset = await self.db.passwordResets.find_one_and_update(
            {"tokenHash": token_hash(token), "usedAt": None, "expiresAt": {"$gt": now}},
            {"$set": {"usedAt": now}},
        )
        if reset is None:
            raise ValidationFailed(
                "reset token is invalid, used or expired", "INVALID_RESET_TOKEN", {"token": "invalid or expired"}
            )
        user = check_account_usable(await self.db.users.find_one({"_id": reset["userId"]}))
        await self._set_password(reset["userId"], new_password)
        await self.revoke_user_tokens(reset["userId"])
        # Whoever reads the account's mail may sign in again from any address.
        keys = [user[name] for name in ("emailKey", "usernameKey") if user.get(name)]
        await self.db.loginFailures.delete_many({"key": {"$in": keys}})
        await self.audit.record(
            "auth.password_reset", actor_id=reset["userId"], target_type="user", target_id=reset["userId"], ip=ip
        )
