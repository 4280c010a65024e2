"""The service container: builds every service once at start-up and hands them to handlers and realtime."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from config import Settings
from judge import Judge, SandboxUnavailable
from syncode.ai import AiService, Interviewer, build_ai
from syncode.collab import CollabPlane, Membership, disconnect_event
from syncode.db import Database
from syncode.events import Event, EventBus
from syncode.matchmaking import MatchEngine, MatchmakingService, MatchStore, MatchViews, Outcomes
from syncode.media.livekit import build_gateway
from syncode.media.service import MediaService
from syncode.metrics import Metrics
from syncode.ratelimit import RateLimiter
from syncode.rooms import RoomRepository, RoomService
from syncode.rooms.effects import RoomEffects
from syncode.rooms.views import RoomViews
from syncode.services.admin import AdminService
from syncode.services.audit import AuditService
from syncode.services.auth import AuthService
from syncode.services.blobs import BlobStore, build_blob_store
from syncode.services.chat import ChatService
from syncode.services.execution import ExecutionService
from syncode.services.feedback import FeedbackService
from syncode.services.guide import GuideService
from syncode.services.health import HealthService
from syncode.services.mail import MailService
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.services.quotas import QuotaService
from syncode.services.recordings import RecordingStore
from syncode.services.users import UserService
from syncode.sessions.access import SessionAccess
from syncode.sessions.history import SessionHistory
from syncode.sessions.recorder import SessionRecorder
from syncode.sessions.replay import SessionReplay
from syncode.sessions.reports import ReportService
from syncode.sessions.stats import StatsService

log = logging.getLogger("syncode")


@dataclass
class Context:
    settings: Settings
    db: Database
    bus: EventBus
    limiter: RateLimiter
    audit: AuditService
    mail: MailService
    blobs: BlobStore
    auth: AuthService
    users: UserService
    health: HealthService
    problems: ProblemService
    admin: AdminService
    presence: Presence
    sessions: SessionRecorder
    rooms: RoomService
    feedback: FeedbackService
    chat: ChatService
    quotas: QuotaService
    execution: ExecutionService
    collab: CollabPlane
    judge: Judge
    reports: ReportService = field(init=False)  # built from the services above
    stats: StatsService = field(init=False)
    ai: AiService = field(init=False)
    interviewer: Interviewer = field(init=False)
    matchmaking: MatchmakingService = field(init=False)
    media: MediaService = field(init=False)
    history: SessionHistory
    guide: GuideService
    replay: SessionReplay = field(init=False)
    metrics: Metrics = field(init=False)


CollabFactory = Callable[[Membership], CollabPlane]


@dataclass(frozen=True)
class Component:
    """A part of the server with work to do at start (optional) and at stop."""

    name: str
    start: Callable[[], Awaitable[None]] | None
    stop: Callable[[], Awaitable[None]]


def components(ctx: Context) -> list[Component]:
    """Started in this order once the database is up, stopped in reverse before it closes: each may rely on
    those before it. The HTTP listener starts after all of them and stops before."""
    return [
        Component("storage", None, ctx.blobs.close),  # the object store's client, closed last
        Component("quotas", None, ctx.quotas.close),  # counters written while the database is up
        Component("mail", None, ctx.auth.drain),  # reset mails asked for are sent
        Component("collab", ctx.collab.start, ctx.collab.close),  # replays its journal / writes what is pending
        Component("rooms", ctx.rooms.start, ctx.rooms.close),  # re-arms phase deadlines
        Component("matchmaking", ctx.matchmaking.start, ctx.matchmaking.close),  # expiries and pairing resume
        Component("judge", lambda: start_judge(ctx.judge), ctx.judge.close),
        Component("execution", ctx.execution.start, ctx.execution.close),  # jobs in flight are judged again
        Component("reports", ctx.reports.start, ctx.reports.close),  # resumes pending reports
        Component("ai", ctx.ai.start, ctx.ai.close),  # resumes unanswered AI messages
        Component("interviewer", ctx.interviewer.start, ctx.interviewer.close),  # the AI of ai rooms
        Component("media", None, ctx.media.close),  # the LiveKit client
    ]


async def start_judge(judge: Judge) -> None:
    """Without a usable sandbox the server still serves: execution answers 503 and health says why."""
    try:
        await judge.start()
    except SandboxUnavailable as exc:
        log.error(f"code execution unavailable: {exc}")


async def publish_soon(bus: EventBus, event: Event) -> None:
    bus.publish(event)


async def collab_health(collab: CollabPlane) -> dict[str, str]:
    health = await collab.health()
    detail = f"{health['documents']} documents, {health['pendingWrites']} updates not yet in the update log"
    return {"status": health["status"], "detail": detail}


def build_media(ctx: Context, room_repo: RoomRepository, recordings: RecordingStore) -> MediaService:
    """LiveKit media, hooked to the room commands (live permissions) and events (finish, kick) it follows."""
    bus, gateway = ctx.bus, build_gateway(ctx.settings)
    media = MediaService(ctx.settings, gateway, ctx.rooms, room_repo, ctx.sessions, recordings, ctx.blobs, bus)
    ctx.rooms.fx.on_permissions_changed(media.permissions_changed)
    bus.subscribe("room.finished", media.room_finished)
    bus.subscribe("participant.kicked", media.participant_kicked)
    bus.subscribe("participant.updated", media.participant_joined)
    ctx.health.probes["media"] = media.health
    return media


def wire_ai(ctx: Context) -> None:
    """The AI interviewer; with an LLM configured it also writes the training reports' prose."""
    ctx.ai, ctx.interviewer, prose = build_ai(
        ctx.settings, ctx.db, ctx.bus, ctx.rooms, ctx.quotas, ctx.collab, ctx.judge, ctx.problems, ctx.execution,
        ctx.sessions,
    )  # fmt: skip
    ctx.ai.weaknesses_of = ctx.stats.weaknesses_of
    ctx.reports.prose = prose


def build_matchmaking(ctx: Context) -> MatchmakingService:
    """Matchmaking, its parts wired together, scores from the training reports; a searching user who joins a room
    leaves the queue, a banned or deleted one leaves matchmaking."""
    store, views = MatchStore(ctx.db), MatchViews(ctx.users, ctx.problems)
    outcomes = Outcomes(store, ctx.rooms, ctx.users, views, ctx.bus)
    engine = MatchEngine(ctx.settings, store, outcomes, views, ctx.problems, ctx.presence)
    matchmaking = MatchmakingService(
        store, engine, outcomes, views, ctx.rooms, ctx.problems, ctx.reports.average_scores
    )
    ctx.bus.subscribe(
        "room.membership",
        lambda event: matchmaking.joined_room(event.data["userId"]) if event.data.get("member") else None,
    )
    for gone in ("user.banned", "user.deleted"):
        ctx.bus.subscribe(gone, lambda event: matchmaking.cancel(event.data["userId"]))
    return matchmaking


def build_context(
    settings: Settings, db: Database, collab_plane: CollabFactory, metrics: Metrics | None = None
) -> Context:
    """Every service, built once. `collab_plane` makes the collab plane (it lives in realtime/, which imports this
    package, not the other way round) from the membership rule it must apply at every connect. `metrics` is the
    one whose command listener the database client was made with (a fresh one otherwise)."""
    bus = EventBus()
    audit = AuditService(db)
    mail = MailService(settings)
    blobs = build_blob_store(settings)
    recordings = RecordingStore(db, blobs)
    auth = AuthService(settings, db, audit, mail, bus)
    users = UserService(settings, db, audit, auth, blobs, bus)
    health = HealthService(settings, db, time.monotonic())
    health.probes["mail"] = mail.health
    room_repo = RoomRepository(db)
    problems = ProblemService(db, audit, room_repo)
    presence = Presence()
    sessions = SessionRecorder(db)

    async def membership(room_id: str, user_id: str) -> bool | None:
        in_room = await rooms.collab_member(room_id, user_id)
        if not in_room:
            return in_room
        user = await auth.cached_user(user_id)
        return user is not None and not user.get("deletedAt") and not user.get("bannedAt")

    collab = collab_plane(membership)
    collab.on_user_disconnected(lambda gone: publish_soon(bus, disconnect_event(gone)))
    views = RoomViews(settings, users, problems, presence)
    rooms = RoomService(settings, room_repo, views, RoomEffects(bus, sessions, collab, views), problems, presence)
    judge = Judge(settings)
    health.probes["sandbox"] = judge.health
    limiter = RateLimiter(settings.rate_limit_enabled)
    quotas = QuotaService(settings, db, room_repo, blobs, recordings)
    collab.on_snapshot(rooms.receive_snapshot)
    health.probes["collab"] = lambda: collab_health(collab)
    for gone in ("user.banned", "user.deleted"):
        bus.subscribe(gone, lambda event: rooms.user_gone(event.data["userId"]))
    feedback = FeedbackService(db, rooms, sessions)
    execution = ExecutionService(settings, db, bus, limiter, rooms, problems, quotas, judge, sessions, collab)
    history = SessionHistory(db, SessionAccess(db), sessions, users, problems, execution, feedback, recordings)
    guide = GuideService(rooms, problems, feedback, SessionAccess(db))
    admin = AdminService(
        audit, auth, users, bus, room_repo, rooms, execution, history, judge.load, health.uptime_sec, settings.version
    )
    ctx = Context(
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
        sessions=sessions,
        rooms=rooms,
        feedback=feedback,
        chat=ChatService(settings, db, bus, rooms, limiter, sessions),
        quotas=quotas,
        execution=execution,
        collab=collab,
        judge=judge,
        history=history,
        guide=guide,
    )
    ctx.reports = ReportService(db, bus, sessions, judge, ctx.execution, problems, ctx.chat, ctx.feedback)
    ctx.stats = StatsService(db, ctx.execution, problems, ctx.reports)
    ctx.replay = SessionReplay(db, SessionAccess(db), collab)
    bus.subscribe("room.finished", ctx.reports.room_finished)
    wire_ai(ctx)
    ctx.matchmaking = build_matchmaking(ctx)
    ctx.media = build_media(ctx, room_repo, recordings)
    ctx.metrics = watch(metrics or Metrics(), ctx)
    return ctx


def watch(metrics: Metrics, ctx: Context) -> Metrics:
    """What /metrics reads from the services: executions as they finish, the judge and collab when scraped."""
    metrics.follow_executions(ctx.bus)

    async def judge() -> None:
        load = ctx.judge.load()
        metrics.judge_queue.set(load["queued"])
        metrics.judge_running.set(load["running"])

    async def collab() -> None:
        health = await ctx.collab.health()
        metrics.websockets.labels("collab").set(health["connections"])
        metrics.collab_rooms.set(health["documents"])

    metrics.samplers += [judge, collab]
    return metrics
