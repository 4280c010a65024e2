"""The base request handler: request ids, CORS, size limit, rate limits, auth, validation, error shaping.

Handlers declare each method with @operation(...); the same declaration drives the checks here and the
OpenAPI document (handlers/openapi.py), so the two cannot drift apart.
"""

from __future__ import annotations

import json
import logging
import re
import time
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import tornado.web
from pydantic import BaseModel, ValidationError

from syncode.context import Context
from syncode.errors import DomainError, Forbidden, PayloadTooLarge, Unauthorized, ValidationFailed
from syncode.ratelimit import Rate
from syncode.services.auth import Principal

log = logging.getLogger("syncode.http")
access_log = logging.getLogger("syncode.access")

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64  # objects and arrays nested in a request body
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a pydantic model (or list/generic of one); None means no body
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = True
    admin: bool = False
    rate: str = "default"  # rate-limit class, see RATES
    description: str = ""
    content_type: str = "application/json"
    other_content_types: tuple[str, ...] = ()  # the success body's other forms (a query parameter chooses)
    also: tuple[tuple[int, Any], ...] = ()  # other non-error answers: (status, model or None for no body)


# Per-route-class rates (per IP; authenticated calls also count against a per-user bucket).
RATES: dict[str, Callable[[Any], Rate]] = {
    "default": lambda s: Rate(s.rate_limit_ip_per_min),
    "auth": lambda s: Rate(s.rate_limit_auth_per_min, max(1, s.rate_limit_auth_per_min // 2)),
    "execute": lambda s: Rate(s.rate_limit_execute_per_min),
}


def operation(**kwargs: Any) -> Callable[[Callable], Callable]:
    def mark(method: Callable) -> Callable:
        method._operation = Operation(**kwargs)  # type: ignore[attr-defined]
        return method

    return mark


def takes_list(annotation: Any) -> bool:
    """list[...] or list[...] | None."""
    if typing.get_origin(annotation) is list:
        return True
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def validation_details(exc: ValidationError) -> dict[str, str]:
    details: dict[str, str] = {}
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "body"
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        details.setdefault(field, message)
    return details


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether objects/arrays sit more than `limit` levels deep (without recursion: any depth is safe)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(raw: bytes) -> Any:
    """A request body as JSON; any bad input (syntax, nesting, an integer too long to convert) is a 400."""
    too_deep = ValidationFailed(
        f"body is nested more than {MAX_JSON_DEPTH} levels deep", details={"body": "nested too deeply"}
    )
    try:
        data = json.loads(raw)
    except RecursionError:
        raise too_deep from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed("body is not valid JSON", details={"body": "invalid JSON"}) from None
    except ValueError:  # int() refuses integers of more than sys.get_int_max_str_digits() digits
        raise ValidationFailed("body holds a number too long to read", details={"body": "number too long"}) from None
    if isinstance(data, (dict, list)) and nested_deeper_than(data, MAX_JSON_DEPTH):
        raise too_deep
    return data


class BaseHandler(tornado.web.RequestHandler):
    ctx: Context
    principal: Principal | None = None
    max_body_bytes = MAX_BODY_BYTES

    def initialize(self, ctx: Context, route: str = "unmatched") -> None:
        self.ctx = ctx
        self.route = route  # the route's template (/api/rooms/{roomId}): the metrics' label, never the raw path
        self.started = time.perf_counter()
        incoming = self.request.headers.get("X-Request-Id", "")
        self.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    # -- request pipeline ---------------------------------------------------------------------------------

    @property
    def op(self) -> Operation | None:
        method = getattr(self, self.request.method.lower(), None)
        return getattr(method, "_operation", None)

    async def prepare(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        self._cors()
        if self.request.method == "OPTIONS":
            return
        declared = self.request.headers.get("Content-Length", "0")
        if len(self.request.body) > self.max_body_bytes or (declared.isdigit() and int(declared) > self.max_body_bytes):
            raise PayloadTooLarge(f"request body over {self.max_body_bytes} bytes")
        op = self.op
        rate = RATES[op.rate if op else "default"](self.ctx.settings)
        self._limit(f"ip:{self.client_ip}:{op.rate if op else 'default'}", rate)
        if op and op.auth:
            self.principal = await self.ctx.auth.authenticate(self._bearer())
            self._limit(f"user:{self.principal.id}", Rate(self.ctx.settings.rate_limit_user_per_min))
            if op.admin and not self.principal.is_admin:
                raise Forbidden("administrators only", "FORBIDDEN")

    def _limit(self, key: str, rate: Rate) -> None:
        verdict = self.ctx.limiter.check(key, rate)
        if self.ctx.limiter.enabled:
            for name, value in verdict.headers().items():
                self.set_header(name, value)

    def _bearer(self) -> str:
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("missing bearer token", "UNAUTHORIZED")
        return token.strip()

    def _cors(self) -> None:
        origin = self.request.headers.get("Origin")
        allowed = self.ctx.settings.cors_origins
        if origin and (origin in allowed or "*" in allowed):
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Vary", "Origin")
            self.set_header("Access-Control-Allow-Credentials", "true")
            self.set_header(
                "Access-Control-Expose-Headers",
                "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset",
            )

    def options(self, *args: Any, **kwargs: Any) -> None:
        self.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, X-Request-Id")
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    @property
    def client_ip(self) -> str:
        return self.request.remote_ip or "unknown"

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "operation declared auth=False"
        return self.principal

    # -- input --------------------------------------------------------------------------------------------

    def body(self, model: type[M]) -> M:
        data = parse_json(self.request.body or b"{}")
        if not isinstance(data, dict):
            raise ValidationFailed("body must be a JSON object", details={"body": "expected an object"})
        return self._validate(model, data)

    def query(self, model: type[M]) -> M:
        data: dict[str, Any] = {}
        for name, values in self.request.query_arguments.items():
            decoded = [v.decode("utf-8", "replace") for v in values]
            field = model.model_fields.get(name) or next(
                (f for f in model.model_fields.values() if f.alias == name), None
            )
            # Multi-valued parameters come repeated (?tag=a&tag=b) or comma-separated (?tag=a,b).
            if field is not None and takes_list(field.annotation):
                data[name] = [part for v in decoded for part in v.split(",") if part]
            else:
                data[name] = decoded[-1]
        return self._validate(model, data)

    @staticmethod
    def _validate(model: type[M], data: dict[str, Any]) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed("request validation failed", details=validation_details(exc)) from None

    # -- output -------------------------------------------------------------------------------------------

    def respond(self, payload: Any = None, status: int | None = None) -> None:
        op = self.op
        self.set_status(status or (op.status if op else 200))
        if payload is None:
            self.finish()
            return
        if isinstance(payload, BaseModel):
            payload = payload.model_dump(mode="json", by_alias=True)
        self.finish(json.dumps(payload, separators=(",", ":"), default=str))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        code, message, details = "INTERNAL_ERROR", "internal server error", None
        if isinstance(exc, DomainError):
            status_code, code, message, details = exc.status, exc.code, exc.message, exc.details
            for name, value in exc.headers.items():
                self.set_header(name, value)
        elif isinstance(exc, tornado.web.HTTPError) or status_code < 500:
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(
                status_code, "BAD_REQUEST" if status_code < 500 else "INTERNAL_ERROR"
            )
            message = self._reason or "error"
        self.set_status(status_code)
        # send_error() cleared the headers set so far: restore the ones every response carries.
        self.set_header("X-Request-Id", self.request_id)
        self._cors()
        body: dict[str, Any] = {
            "statusCode": status_code,
            "code": code,
            "message": message,
            "requestId": self.request_id,
        }
        if details:
            body["details"] = details
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, DomainError) or (isinstance(value, tornado.web.HTTPError) and value.status_code < 500):
            return
        log.error("unhandled error", exc_info=(typ, value, tb), extra=self.log_fields())

    def log_fields(self) -> dict[str, Any]:
        return {
            "requestId": self.request_id,
            "userId": self.principal.id if self.principal else None,
            "method": self.request.method,
            "path": self.request.path,
        }

    def on_finish(self) -> None:
        seconds = time.perf_counter() - self.started
        fields = self.log_fields()
        fields.update(status=self.get_status(), durationMs=round(seconds * 1000, 2), ip=self.client_ip)
        access_log.info("request", extra=fields)
        self.ctx.metrics.observe_request(self.route, self.request.method or "", self.get_status(), seconds)


class NotFoundHandler(BaseHandler):
    """Unknown paths answer with the ErrorResponse shape too."""

    async def prepare(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        raise tornado.web.HTTPError(404, reason="no such endpoint")
