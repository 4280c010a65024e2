"""Password hashing and token minting/verification."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from typing import Any

import bcrypt
import jwt

from syncode.clock import new_id
from syncode.errors import Unauthorized

ALGORITHM = "HS256"


def _bcrypt_input(password: str) -> bytes:
    """bcrypt reads at most 72 bytes: passwords are pre-hashed so every character counts (and none is refused)."""
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


async def hash_password(password: str, rounds: int) -> str:
    # bcrypt is deliberately slow: keep it off the event loop.
    salt = bcrypt.gensalt(rounds)
    digest = await asyncio.to_thread(bcrypt.hashpw, _bcrypt_input(password), salt)
    return digest.decode()


async def verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(bcrypt.checkpw, _bcrypt_input(password), password_hash.encode())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Opaque tokens are stored hashed; SHA-256 suffices for high-entropy random strings."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_matches(secret: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)


def issue_jwt(secret: str, typ: str, subject: str, ttl_sec: int, **claims: Any) -> tuple[str, int]:
    """A signed token of type `typ`; returns (token, expiry epoch seconds)."""
    now = int(time.time())
    exp = now + ttl_sec
    payload = {"sub": subject, "typ": typ, "jti": new_id(), "iat": now, "exp": exp, **claims}
    return jwt.encode(payload, secret, algorithm=ALGORITHM), exp


def decode_jwt(secret: str, token: str, typ: str) -> dict[str, Any]:
    """Verify signature, expiry and type. Only HS256 is accepted, so `alg: none` and key confusion fail."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat", "typ"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired", "TOKEN_EXPIRED") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid token", "INVALID_TOKEN") from None
    if claims.get("typ") != typ:
        raise Unauthorized("wrong token type", "INVALID_TOKEN")
    return claims


def issue_collab_token(secret: str, ttl_sec: int, user_id: str, room_id: str, role: str) -> tuple[str, int]:
    """The token a client presents to /collab/{roomId}: who, which room, which role."""
    return issue_jwt(secret, "collab", user_id, ttl_sec, roomId=room_id, role=role)
