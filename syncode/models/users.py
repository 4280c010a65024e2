"""Accounts, tokens and profiles."""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field

from syncode.models.common import ApiModel, Language, RequestModel, Timestamp

USERNAME = {"min_length": 3, "max_length": 30, "pattern": r"^[A-Za-z0-9_]+$"}
PASSWORD = {"min_length": 8, "max_length": 128}
UserRole = Literal["user", "admin"]
AvatarType = Literal["image/png", "image/jpeg", "image/webp"]


class UserStats(ApiModel):
    total_sessions: int = 0
    problems_solved: int = 0
    streak_days: int = 0


class PublicProfile(ApiModel):
    id: str
    username: str
    display_name: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    created_at: Timestamp
    stats: UserStats


class UserProfile(PublicProfile):
    email: str
    role: UserRole
    preferred_language: str | None = None
    updated_at: Timestamp


class RegisterRequest(RequestModel):
    email: EmailStr = Field(max_length=254)
    username: str = Field(**USERNAME)
    password: str = Field(**PASSWORD)
    display_name: str | None = Field(None, min_length=1, max_length=60)


class LoginRequest(RequestModel):
    identifier: str = Field(min_length=1, max_length=254, description="email or username")
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(RequestModel):
    refresh_token: str | None = Field(None, max_length=200, description="or the refreshToken cookie")


class ChangePasswordRequest(RequestModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(**PASSWORD)


class ForgotPasswordRequest(RequestModel):
    email: EmailStr = Field(max_length=254)


class ResetPasswordRequest(RequestModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(**PASSWORD)


class AuthResponse(ApiModel):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserProfile


class UpdateProfileRequest(RequestModel):
    display_name: str | None = Field(None, max_length=60)
    bio: str | None = Field(None, max_length=500)
    username: str | None = Field(None, **USERNAME)
    preferred_language: Language | None = None


class DeleteAccountRequest(RequestModel):
    password: str = Field(min_length=1, max_length=128)


class AvatarUploadRequest(RequestModel):
    content_type: AvatarType
    size: int = Field(ge=1, le=2 * 1024 * 1024)


class AvatarUploadResponse(ApiModel):
    upload_url: str
    method: str
    headers: dict[str, str]
    key: str
    expires_at: Timestamp


class AvatarConfirmRequest(RequestModel):
    key: str = Field(min_length=1, max_length=200)
