"""Domain errors. Services raise these; one place (handlers/base.py) turns them into ErrorResponse bodies."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details
        self.headers: dict[str, str] = {}


class ValidationFailed(DomainError):
    status, code = 400, "VALIDATION_FAILED"


class Unauthorized(DomainError):
    status, code = 401, "UNAUTHORIZED"


class Forbidden(DomainError):
    status, code = 403, "FORBIDDEN"


class NotFound(DomainError):
    status, code = 404, "NOT_FOUND"


class Conflict(DomainError):
    status, code = 409, "CONFLICT"


class Gone(DomainError):
    status, code = 410, "GONE"


class PayloadTooLarge(DomainError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class RateLimited(DomainError):
    status, code = 429, "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code)
        self.retry_after = max(1, int(retry_after + 0.999))
        self.headers["Retry-After"] = str(self.retry_after)


class ServiceUnavailable(DomainError):
    status, code = 503, "SERVICE_UNAVAILABLE"
