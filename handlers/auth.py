"""/api/auth/*"""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.errors import Unauthorized
from syncode.models.users import (
    AuthResponse,
    ChangePasswordRequest,
    ForgotPasswordRequest,
    LoginRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
)
from syncode.services.auth import Tokens

REFRESH_COOKIE = "refreshToken"


class AuthHandler(BaseHandler):
    def send_tokens(self, tokens: Tokens, status: int = 200) -> None:
        self.set_cookie(
            REFRESH_COOKIE,
            tokens.refresh_token,
            httponly=True,
            samesite="Strict",
            path="/api/auth",
            secure=self.request.protocol == "https",
            expires_days=self.ctx.settings.refresh_token_ttl_sec / 86400,
        )
        self.respond(
            AuthResponse(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_in=tokens.expires_in,
                user=self.ctx.users.profile(tokens.user),
            ),
            status,
        )

    def refresh_token_from(self, given: str | None) -> str | None:
        return given or self.get_cookie(REFRESH_COOKIE)


class RegisterHandler(AuthHandler):
    @operation(
        summary="Create a new account",
        tag="Auth",
        request=RegisterRequest,
        response=AuthResponse,
        status=201,
        errors=(400, 409, 429),
        auth=False,
        rate="auth",
    )
    async def post(self) -> None:
        req = self.body(RegisterRequest)
        self.send_tokens(await self.ctx.auth.register(req, self.client_ip), 201)


class LoginHandler(AuthHandler):
    @operation(
        summary="Authenticate and get tokens",
        tag="Auth",
        request=LoginRequest,
        response=AuthResponse,
        errors=(400, 401, 403, 429),
        auth=False,
        rate="auth",
        description="`identifier` is an email or a username. Failures count per identifier and client address, "
        "whether or not an account has that identifier: five within 15 minutes lock that identifier at that "
        "address for 15 minutes (429 ACCOUNT_LOCKED with Retry-After, even for the right password), each "
        "further failure doubles the lock, up to a day. Other addresses are not affected; a successful login "
        "clears the count of its address, a password reset that of every address.",
    )
    async def post(self) -> None:
        req = self.body(LoginRequest)
        self.send_tokens(await self.ctx.auth.login(req.identifier, req.password, self.client_ip))


class RefreshHandler(AuthHandler):
    @operation(
        summary="Refresh access token",
        tag="Auth",
        request=RefreshRequest,
        response=AuthResponse,
        errors=(400, 401, 403, 429),
        auth=False,
        rate="auth",
        description="Rotates the refresh token (body or `refreshToken` cookie). Presenting a rotated token "
        "again revokes its whole family and every access token of the account (401 REFRESH_TOKEN_REUSED); "
        "the account's other logins get new access tokens here.",
    )
    async def post(self) -> None:
        token = self.refresh_token_from(self.body(RefreshRequest).refresh_token)
        if not token:
            raise Unauthorized("no refresh token given", "INVALID_REFRESH_TOKEN")
        self.send_tokens(await self.ctx.auth.refresh(token, self.client_ip))


class LogoutHandler(AuthHandler):
    @operation(
        summary="Invalidate refresh token",
        tag="Auth",
        request=RefreshRequest,
        status=204,
        errors=(400,),
        auth=False,
        rate="auth",
    )
    async def post(self) -> None:
        await self.ctx.auth.logout(self.refresh_token_from(self.body(RefreshRequest).refresh_token))
        self.clear_cookie(REFRESH_COOKIE, path="/api/auth")
        self.respond()


class ChangePasswordHandler(AuthHandler):
    @operation(
        summary="Change current user's password",
        tag="Auth",
        request=ChangePasswordRequest,
        status=204,
        errors=(400, 401, 403, 429),
        rate="auth",
        description="Revokes the refresh tokens of every other login of this account, and every access token "
        "issued so far, this one included (401 TOKEN_REVOKED): this login gets a new access token from "
        "/auth/refresh with its refresh token, which stays valid.",
    )
    async def post(self) -> None:
        req = self.body(ChangePasswordRequest)
        await self.ctx.auth.change_password(self.user, req.current_password, req.new_password, self.client_ip)
        self.respond()


class ForgotPasswordHandler(AuthHandler):
    @operation(
        summary="Request password reset email",
        tag="Auth",
        request=ForgotPasswordRequest,
        status=202,
        errors=(400, 429),
        auth=False,
        rate="auth",
        description="Always 202, whether or not the account exists, answered before the account is looked up "
        "(the mail is sent afterwards). The mail holds a single-use token valid for 30 minutes.",
    )
    async def post(self) -> None:
        self.ctx.auth.forgot_password(str(self.body(ForgotPasswordRequest).email), self.client_ip)
        self.respond()


class ResetPasswordHandler(AuthHandler):
    @operation(
        summary="Reset password with token",
        tag="Auth",
        request=ResetPasswordRequest,
        status=204,
        errors=(400, 401, 403, 429),
        auth=False,
        rate="auth",
        description="Revokes every refresh and access token of the account and clears its login lockouts. "
        "400 INVALID_RESET_TOKEN when the token is unknown, used or expired.",
    )
    async def post(self) -> None:
        req = self.body(ResetPasswordRequest)
        await self.ctx.auth.reset_password(req.token, req.new_password, self.client_ip)
        self.respond()
