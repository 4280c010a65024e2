"""The route table of the HTTP API (paths as in API.md) and the Tornado application built from it."""

from __future__ import annotations

import re
from typing import Any

import tornado.web

from handlers import (
    admin,
    ai,
    auth,
    chat,
    collab,
    execution,
    feedback,
    guide,
    health,
    matchmaking,
    media,
    metrics,
    problems,
    replay,
    reports,
    rooms,
    sessions,
    users,
    web,
)
from handlers.base import BaseHandler, NotFoundHandler
from handlers.headers import SecurityHeaders
from handlers.openapi import build_openapi
from syncode.context import Context

Route = tuple[str, type, dict[str, Any]]

API_ROUTES: list[Route] = [
    ("/health", health.HealthHandler, {}),
    ("/api/health", health.HealthHandler, {}),
    ("/metrics", metrics.MetricsHandler, {}),
    ("/api/auth/register", auth.RegisterHandler, {}),
    ("/api/auth/login", auth.LoginHandler, {}),
    ("/api/auth/refresh", auth.RefreshHandler, {}),
    ("/api/auth/logout", auth.LogoutHandler, {}),
    ("/api/auth/change-password", auth.ChangePasswordHandler, {}),
    ("/api/auth/forgot-password", auth.ForgotPasswordHandler, {}),
    ("/api/auth/reset-password", auth.ResetPasswordHandler, {}),
    ("/api/users/me", users.MeHandler, {}),
    ("/api/users/me/avatar", users.AvatarHandler, {}),
    ("/api/users/me/avatar/confirm", users.AvatarConfirmHandler, {}),
    ("/api/users/me/active-room", rooms.ActiveRoomHandler, {}),
    ("/api/users/me/quotas", execution.QuotasHandler, {}),
    # Training reports and statistics (issue 16)
    ("/api/users/me/stats", reports.StatsHandler, {}),
    ("/api/users/me/weaknesses", reports.WeaknessesHandler, {}),
    ("/api/sessions/compare", reports.CompareHandler, {}),  # before /api/sessions/{sessionId}
    ("/api/sessions/{sessionId}/report", reports.ReportHandler, {}),
    ("/api/users/{userId}", users.UserHandler, {}),
    ("/api/problems", problems.ProblemsHandler, {}),
    ("/api/problems/tags", problems.TagsHandler, {}),
    ("/api/problems/{problemId}", problems.ProblemHandler, {}),
    ("/api/bookmarks", problems.BookmarksHandler, {}),
    ("/api/bookmarks/{problemId}", problems.BookmarkHandler, {}),
    ("/api/admin/stats", admin.StatsHandler, {}),
    ("/api/admin/users", admin.AdminUsersHandler, {}),
    ("/api/admin/users/{userId}", admin.AdminUserHandler, {}),
    ("/api/admin/audit-logs", admin.AuditLogsHandler, {}),
    ("/api/admin/rooms", rooms.AdminRoomsHandler, {}),
    ("/api/admin/rooms/{roomId}/close", rooms.AdminRoomCloseHandler, {}),
    ("/api/rooms", rooms.RoomsHandler, {}),
    ("/api/rooms/join", rooms.JoinHandler, {}),
    ("/api/rooms/lookup/{inviteCode}", rooms.LookupHandler, {}),
    ("/api/rooms/{roomId}", rooms.RoomHandler, {}),
    ("/api/rooms/{roomId}/leave", rooms.LeaveHandler, {}),
    ("/api/rooms/{roomId}/participants", rooms.ParticipantsHandler, {}),
    ("/api/rooms/{roomId}/participants/{userId}", rooms.ParticipantHandler, {}),
    ("/api/rooms/{roomId}/phase", rooms.PhaseHandler, {}),
    ("/api/rooms/{roomId}/problem", rooms.ProblemSelectHandler, {}),
    ("/api/rooms/{roomId}/settings", rooms.SettingsHandler, {}),
    ("/api/rooms/{roomId}/lock", rooms.LockHandler, {}),
    ("/api/rooms/{roomId}/unlock", rooms.UnlockHandler, {}),
    ("/api/rooms/{roomId}/timer/pause", rooms.PauseHandler, {}),
    ("/api/rooms/{roomId}/timer/resume", rooms.ResumeHandler, {}),
    ("/api/rooms/{roomId}/role-swap", rooms.RoleSwapHandler, {}),
    ("/api/rooms/{roomId}/role-swap/{requestId}", rooms.RoleSwapAnswerHandler, {}),
    ("/api/rooms/{roomId}/chat", chat.RoomChatHandler, {}),
    ("/api/rooms/{roomId}/run", execution.RunHandler, {}),
    ("/api/rooms/{roomId}/submit", execution.SubmitHandler, {}),
    ("/api/rooms/{roomId}/runs", execution.RoomRunsHandler, {}),
    ("/api/rooms/{roomId}/submissions", execution.RoomSubmissionsHandler, {}),
    ("/api/rooms/{roomId}/analysis", execution.AnalysisHandler, {}),
    ("/api/rooms/{roomId}/analysis/{analysisId}", execution.AnalysisResultHandler, {}),
    ("/api/executions/{runId}", execution.ExecutionHandler, {}),
    ("/api/submissions/{submissionId}", execution.SubmissionHandler, {}),
    # The AI interviewer (issue 17)
    ("/api/rooms/{roomId}/ai/messages", ai.AiMessagesHandler, {}),
    ("/api/rooms/{roomId}/ai/messages/{messageId}", ai.AiMessageHandler, {}),
    ("/api/rooms/{roomId}/ai/hints", ai.AiHintsHandler, {}),
    ("/api/rooms/{roomId}/ai/hints/{hintId}", ai.AiHintHandler, {}),
    ("/api/rooms/{roomId}/ai/reviews", ai.AiReviewsHandler, {}),
    ("/api/rooms/{roomId}/ai/reviews/{reviewId}", ai.AiReviewHandler, {}),
    ("/api/rooms/{roomId}/ai/weaknesses", ai.AiWeaknessesHandler, {}),
    ("/api/rooms/{roomId}/ai/settings", ai.AiSettingsHandler, {}),
    ("/api/rooms/{roomId}/feedback", feedback.FeedbackHandler, {}),
    ("/api/rooms/{roomId}/feedback/mine", feedback.MyFeedbackHandler, {}),
    # Media: LiveKit tokens, recording consent and recordings (issue 20)
    ("/api/rooms/{roomId}/media/token", media.MediaTokenHandler, {}),
    ("/api/rooms/{roomId}/media/consent", media.ConsentHandler, {}),
    ("/api/rooms/{roomId}/media/recording/start", media.RecordingStartHandler, {}),
    ("/api/rooms/{roomId}/media/recording/stop", media.RecordingStopHandler, {}),
    ("/api/internal/livekit/webhook", media.LiveKitWebhookHandler, {}),
    # The interviewer's guide (issue 23)
    ("/api/rooms/{roomId}/guide", guide.RoomGuideHandler, {}),
    ("/api/rooms/{roomId}/hints/reveal", guide.HintRevealHandler, {}),
    ("/api/rooms/{roomId}/feedback/form", guide.FeedbackFormHandler, {}),
    ("/api/sessions/{sessionId}/guide", guide.SessionGuideHandler, {}),
    # Sessions (fixed paths such as /api/sessions/compare go before /api/sessions/{sessionId})
    ("/api/sessions", sessions.SessionsHandler, {}),
    ("/api/sessions/{sessionId}", sessions.SessionHandler, {}),
    ("/api/sessions/{sessionId}/events", sessions.SessionEventsHandler, {}),
    ("/api/sessions/{sessionId}/snapshots", sessions.SessionSnapshotsHandler, {}),
    ("/api/sessions/{sessionId}/recording", sessions.SessionRecordingHandler, {}),
    ("/api/sessions/{sessionId}/feedback", sessions.SessionFeedbackHandler, {}),
    ("/api/sessions/{sessionId}/ai-messages", sessions.SessionAiMessagesHandler, {}),
    ("/api/sessions/{sessionId}/whiteboard", sessions.SessionWhiteboardHandler, {}),
    # Keystroke replay (issue 16)
    ("/api/sessions/{sessionId}/replay", replay.ReplayHandler, {}),
    ("/api/sessions/{sessionId}/replay/marks", replay.ReplayMarksHandler, {}),
    # Matchmaking (issue 19)
    ("/api/matchmaking/queue", matchmaking.QueueHandler, {}),
    ("/api/matchmaking/status", matchmaking.StatusHandler, {}),
    ("/api/matchmaking/matches/{matchId}/accept", matchmaking.AcceptHandler, {}),
    ("/api/matchmaking/matches/{matchId}/decline", matchmaking.DeclineHandler, {}),
    ("/blobs/{key}", users.BlobHandler, {}),
    ("/collab/documents", collab.DocumentsHandler, {}),
    ("/collab/documents/{roomId}", collab.DocumentHandler, {}),
    ("/collab/documents/{roomId}/kick", collab.KickHandler, {}),
    ("/collab/health", collab.CollabHealthHandler, {}),
    ("/api/internal/collab/snapshot", collab.SnapshotCallbackHandler, {}),
    ("/api/internal/collab/user-disconnected", collab.UserDisconnectedCallbackHandler, {}),
]

PARAM = re.compile(r"{(\w+)}")


def to_pattern(template: str) -> str:
    """/api/users/{userId} -> ^/api/users/(?P<userId>[^/]+)$ ; a blob key may contain slashes."""

    def group(match: re.Match) -> str:
        name = match.group(1)
        return f"(?P<{name}>.+)" if name == "key" else f"(?P<{name}>[^/]+)"

    return PARAM.sub(group, template) + "$"


def make_app(ctx: Context, extra_routes: list[Route] | None = None, **settings: Any) -> tornado.web.Application:
    routes = API_ROUTES + (extra_routes or [])
    document = build_openapi(routes, "SynCode API", ctx.settings.version)
    handlers: list[Any] = [
        (r"/api/openapi\.json", health.OpenApiHandler, {"ctx": ctx, "document": document}),
        (r"/api/docs", health.DocsHandler, {"ctx": ctx}),
    ]
    handlers += [(to_pattern(path), cls, {"ctx": ctx, **kwargs}) for path, cls, kwargs in routes]
    handlers += web.client_routes(ctx, to_pattern)  # the browser client (static/app)
    return tornado.web.Application(
        [labelled(handler) for handler in handlers],
        transforms=[SecurityHeaders],  # in place of the default list: it holds gzip only with compress_response
        default_handler_class=NotFoundHandler,
        default_handler_args={"ctx": ctx},
        compress_response=False,
        **settings,
    )


def labelled(handler: tuple[str, type, dict[str, Any]]) -> tuple[str, type, dict[str, Any]]:
    """An HTTP route's handler learns its template (the label of its metrics): the pattern without its regex."""
    pattern, cls, kwargs = handler
    if not issubclass(cls, BaseHandler):
        return handler  # the WebSocket planes count their connections themselves
    template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern).rstrip("$").replace("\\", "")
    return pattern, cls, {**kwargs, "route": template}
