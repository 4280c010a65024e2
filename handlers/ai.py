"""The AI interviewer of a room: /api/rooms/{roomId}/ai/messages, /hints, /reviews, /weaknesses and /settings."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.ai import (
    AiMessageAccepted,
    AiRoomSettings,
    AiSettingsRequest,
    CodeReview,
    HintAccepted,
    HintRequest,
    ReviewAccepted,
    ReviewRequest,
    RoomWeaknesses,
    SendAiMessageRequest,
)
from syncode.models.common import Page, PageQuery
from syncode.models.sessions import AiMessage

ASKING = (
    "The room's candidate and interviewers (`ai_assist`; observers 403), while the room is live (409 "
    "ROOM_FINISHED). 429 RATE_LIMITED per user and room ({limit} per SYNCODE_AI_WINDOW_SEC, 300 s by default) or "
    "QUOTA_EXCEEDED (the daily AI quota of /users/me/quotas), with Retry-After. The answer is queued, answered "
    "in the background (status queued -> running -> completed | failed) and survives a restart; it is pushed on "
    "/api/ws as `{event}` and can be polled. provider says who answered: `llm` when an LLM is configured and "
    "answered, `offline` otherwise (also when the LLM failed or its answer gave the solution away)."
)
ERRORS = (400, 403, 404, 409, 429)


class AiMessagesHandler(BaseHandler):
    @operation(
        summary="Send a message to AI interviewer",
        tag="AI",
        request=SendAiMessageRequest,
        response=AiMessageAccepted,
        status=202,
        errors=ERRORS,
        description="The message is stored (role user) and pushed as `ai.message`; `messageId` is the AI's reply. "
        "The AI sees the problem, the live code, the room's recent runs and submissions (never hidden test data), "
        "the phase and the conversation. " + ASKING.format(limit=20, event="ai.message"),
    )
    async def post(self, roomId: str) -> None:
        message_id = await self.ctx.ai.send_message(self.user, roomId, self.body(SendAiMessageRequest))
        self.respond(AiMessageAccepted(message_id=message_id))

    @operation(
        summary="Get AI conversation history",
        tag="AI",
        query=PageQuery,
        response=Page[AiMessage],
        errors=(400, 403, 404),
        description="Every message of the room's AI conversation (chat, hints, reviews, proactive turns), newest "
        "first by default; for the room's participants and admins.",
    )
    async def get(self, roomId: str) -> None:
        data, pagination = await self.ctx.ai.list_messages(self.user, roomId, self.query(PageQuery))
        self.respond(Page[AiMessage](data=data, pagination=pagination))


class AiMessageHandler(BaseHandler):
    @operation(
        summary="Poll AI message result",
        tag="AI",
        response=AiMessage,
        errors=(403, 404),
        description="Any AI message of the room (status queued, running, completed or failed).",
    )
    async def get(self, roomId: str, messageId: str) -> None:
        self.respond(await self.ctx.ai.get_message(self.user, roomId, messageId))


class AiHintsHandler(BaseHandler):
    @operation(
        summary="Request a targeted hint",
        tag="AI",
        request=HintRequest,
        response=HintAccepted,
        status=202,
        errors=ERRORS,
        description="Levels climb subtle -> moderate -> direct: the n-th hint on the room's problem is at least "
        "the n-th level, `level` asks for at least that one. A hint starts from the current code (a failing "
        "visible test, a crash, nested loops, a missing guard for empty input) and the problem's hint ladder, and "
        "never contains a reference solution. Each is stored with the code it answered and joins the session "
        "timeline (`hint_requested`). " + ASKING.format(limit=3, event="ai.hint"),
    )
    async def post(self, roomId: str) -> None:
        hint_id = await self.ctx.ai.request_hint(self.user, roomId, self.body(HintRequest))
        self.respond(HintAccepted(hint_id=hint_id))


class AiHintHandler(BaseHandler):
    @operation(summary="Get hint result", tag="AI", response=AiMessage, errors=(403, 404))
    async def get(self, roomId: str, hintId: str) -> None:
        self.respond(await self.ctx.ai.get_hint(self.user, roomId, hintId))


class AiReviewsHandler(BaseHandler):
    @operation(
        summary="Request code review",
        tag="AI",
        request=ReviewRequest,
        response=ReviewAccepted,
        status=202,
        errors=ERRORS,
        description="Reviews `code` (default: the live document, in `language`, default the room's). Issues come "
        "from the test results, the loop structure and the judge's static analysis; the complexity is estimated "
        "from the loop structure; the score is 0..10. An accepted solution gets a follow-up question. "
        + ASKING.format(limit=10, event="ai.review"),
    )
    async def post(self, roomId: str) -> None:
        review_id = await self.ctx.ai.request_review(self.user, roomId, self.body(ReviewRequest))
        self.respond(ReviewAccepted(review_id=review_id))


class AiReviewHandler(BaseHandler):
    @operation(summary="Get review result", tag="AI", response=CodeReview, errors=(403, 404))
    async def get(self, roomId: str, reviewId: str) -> None:
        self.respond(await self.ctx.ai.get_review(self.user, roomId, reviewId))


class AiWeaknessesHandler(BaseHandler):
    @operation(
        summary="Get cross-session weakness tracking",
        tag="AI",
        response=RoomWeaknesses,
        errors=(403, 404),
        description="The weakness categories of the room's candidate, from their training reports (as "
        "GET /users/me/weaknesses shows them to the candidate): for the candidate and the interviewers, not "
        "observers (403).",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.ai.weaknesses(self.user, roomId))


class AiSettingsHandler(BaseHandler):
    @operation(
        summary="Get the room's AI settings",
        tag="AI",
        response=AiRoomSettings,
        errors=(403, 404),
        description="Whether the AI interviewer's proactive turns (ai rooms) are muted.",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.ai.room_settings(self.user, roomId))

    @operation(
        summary="Mute or unmute the AI interviewer's proactive turns",
        tag="AI",
        request=AiSettingsRequest,
        response=AiRoomSettings,
        errors=(400, 403, 404, 409),
        description="In an ai room the AI speaks on its own: a greeting, reactions to runs and submissions, nudges "
        "after an idle time, the wrap-up (at most one turn per 45 s). Muted, it answers only when asked; it still "
        "moves the room to wrapup. The candidate and interviewers (`ai_assist`).",
    )
    async def put(self, roomId: str) -> None:
        self.respond(await self.ctx.ai.update_settings(self.user, roomId, self.body(AiSettingsRequest)))
