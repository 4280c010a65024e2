"""The service container: builds every service once at start-up and hands them to handlers and realtime."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from config import Settings
from syncode.collab import CollabPlane
from syncode.db import Database
from syncode.events import EventBus
from syncode.ratelimit import RateLimiter
from syncode.services.admin import AdminService
from syncode.services.audit import AuditService
from syncode.services.auth import AuthService
from syncode.services.blobs import LocalBlobStore
from syncode.services.chat import ChatService
from syncode.services.execution import ExecutionService
from syncode.services.feedback import FeedbackService
from syncode.services.health import HealthService
from syncode.services.mail import MailService
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.services.quotas import QuotaService
from syncode.services.rooms import RoomService
from syncode.services.users import UserService


@dataclass
class Context:
    settings: Settings
    db: Database
    bus: EventBus
    limiter: RateLimiter
    audit: AuditService
    mail: MailService
    blobs: LocalBlobStore
    auth: AuthService
    users: UserService
    health: HealthService
    problems: ProblemService
    admin: AdminService
    presence: Presence
    rooms: RoomService
    feedback: FeedbackService
    chat: ChatService
    quotas: QuotaService
    execution: ExecutionService
    collab: CollabPlane | None = None  # wired by run.py once the collab plane is up
    judge: Any = None  # the judge (judge.Judge), wired by run.py


def build_context(settings: Settings, db: Database) -> Context:
    bus = EventBus()
    audit = AuditService(db)
    mail = MailService(settings)
    blobs = LocalBlobStore(
        settings.data_dir / "blobs", settings.base_url, settings.internal_secret, settings.blob_url_ttl_sec
    )
    auth = AuthService(settings, db, audit, mail)
    users = UserService(settings, db, audit, auth, blobs, bus)
    health = HealthService(settings, db, time.monotonic())
    health.probes["mail"] = mail.health
    admin = AdminService(db, audit, auth, users, bus, health.uptime_sec, settings.version)
    problems = ProblemService(db, audit)
    presence = Presence()
    rooms = RoomService(settings, db, bus, audit, problems, blobs, presence)
    limiter = RateLimiter(settings.rate_limit_enabled)
    quotas = QuotaService(settings, db, rooms, blobs)
    return Context(
        settings=settings,
        db=db,
        bus=bus,
        limiter=limiter,
        audit=audit,
        mail=mail,
        blobs=blobs,
        auth=auth,
        users=users,
        health=health,
        problems=problems,
        admin=admin,
        presence=presence,
        rooms=rooms,
        feedback=FeedbackService(db, rooms),
        chat=ChatService(settings, db, bus, rooms, limiter),
        quotas=quotas,
        execution=ExecutionService(settings, db, bus, limiter, rooms, problems, quotas),
    )
