"""The AI endpoints of a room (API.md, AI) and the durable answering of AI messages.

A request is admitted at once or refused: the caller's capability (`Cap.ai_assist`: not observers), the limits
per user and room (limits.py) and the daily AI quota (QuotaService). It is stored queued with the code it is about
(202 with its id), answered in the background by at most `ai_workers` at a time (queued -> running -> completed |
failed, each state stored), and the result is pushed on /api/ws (`ai.message`, `ai.hint`, `ai.review`) as the
polling endpoints show it. A restart resumes every unfinished message; none is dropped. Every message joins the
session timeline (`ai_message`; hints also `hint_requested`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from config import Settings
from judge import Judge
from syncode.ai.brief import escalated
from syncode.ai.engine import Answer, Responder
from syncode.ai.gather import BriefBuilder, candidate_of
from syncode.ai.limits import SlidingWindows
from syncode.ai.store import AiStore, message_view, review_view
from syncode.clock import new_id, utcnow
from syncode.collab import CollabPlane
from syncode.errors import ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.ai import (
    AiRoomSettings,
    AiSettingsRequest,
    CodeReview,
    HintRequest,
    ReviewRequest,
    RoomWeaknesses,
    SendAiMessageRequest,
)
from syncode.models.common import PageQuery, Pagination
from syncode.models.reports import WeaknessEntry
from syncode.models.sessions import AiMessage
from syncode.rooms import RoomService
from syncode.rooms.rules import Room
from syncode.services.auth import Principal
from syncode.services.execution import camel
from syncode.services.permissions import Cap
from syncode.services.quotas import QuotaService
from syncode.sessions.recorder import SessionRecorder
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.ai")

MAX_ATTEMPTS = 3  # an answer that took the process down this often is marked failed
ANALYSIS_TIMEOUT_SEC = 20.0
EVENTS = {"chat": "ai.message", "proactive": "ai.message", "hint": "ai.hint", "review": "ai.review"}
FAILED = "The AI could not answer this time. Please ask again."
Weaknesses = Callable[[str], Awaitable[list[WeaknessEntry]]]


def answer_fields(answer: Answer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": "completed",
        "content": answer.content,
        "provider": answer.provider,
        "model": answer.model,
        "fallback": answer.fallback,
        "guarded": answer.guarded,
    }
    if answer.review:
        review = answer.review
        issues = [{"line": i.line, "severity": i.severity, "message": i.message, "suggestion": i.suggestion}
                  for i in review.issues]  # fmt: skip
        fields["review"] = {
            "summary": review.summary,
            "issues": issues,
            "complexity": {"time": review.time, "space": review.space},
            "score": review.score,
        }
    return fields


class AiService:
    def __init__(
        self,
        settings: Settings,
        store: AiStore,
        rooms: RoomService,
        quotas: QuotaService,
        collab: CollabPlane,
        judge: Judge,
        builder: BriefBuilder,
        responder: Responder,
        bus: EventBus,
        recorder: SessionRecorder,
    ) -> None:
        self.settings = settings
        self.store = store
        self.rooms = rooms
        self.quotas = quotas
        self.collab = collab
        self.judge = judge
        self.builder = builder
        self.responder = responder
        self.bus = bus
        self.recorder = recorder
        self.weaknesses_of: Weaknesses | None = None  # the training reports' weaknesses of a user (wired later)
        self.on_close: list[Callable[[], Awaitable[None]]] = []  # the LLM client
        self.provider = "llm" if settings.llm_base_url else "offline"
        self.model = (settings.llm_model or "default") if settings.llm_base_url else None
        self.windows = SlidingWindows()
        self._slots = asyncio.Semaphore(settings.ai_workers)
        self._tasks = BackgroundTasks("AI answer")
        self._writes = BackgroundTasks("AI bookkeeping")  # off the answer's path: timeline events, `running`
        self._running: set[str] = set()
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Answer what an earlier process left unanswered (queued, or running when it stopped)."""
        for message_id in await self.store.unfinished():
            self._spawn(message_id)

    async def close(self) -> None:
        """Stop answering: what is in flight stays queued or running and resumes at the next start."""
        self._closed = True
        self._tasks.cancel()
        await self._tasks.wait()
        await self._writes.wait()
        for close in self.on_close:
            await close()

    async def until_idle(self) -> None:
        """Until every answer spawned so far is stored, with its bookkeeping (tests, benchmarks)."""
        await self._tasks.wait()
        await self._writes.wait()

    # -- requests ----------------------------------------------------------------------------------------

    async def send_message(self, principal: Principal, room_id: str, req: SendAiMessageRequest) -> str:
        text = req.content.strip()
        limit = self.settings.ai_message_max_chars
        if not text or len(text) > limit:
            raise ValidationFailed(f"a message holds 1 to {limit} characters", details={"content": "length"})
        room, release = await self._admit(principal, room_id, "chat")
        try:
            code, language = await self._code(room, None, None)
            now = utcnow()
            asked = self._doc(room, "chat", "user", now, authorId=principal.id, content=text)
            asked.update(status="completed", completedAt=now)
            reply = self._doc(room, "chat", "assistant", now + timedelta(milliseconds=1), question=text)
            reply.update(requestId=asked["_id"], requestedBy=principal.id, code=code, language=language)
            await self.store.insert(asked, reply)
        except BaseException:
            release()
            raise
        self._published(room, asked)
        self._spawn(reply["_id"], reply)
        return reply["_id"]

    async def request_hint(self, principal: Principal, room_id: str, req: HintRequest) -> str:
        room, release = await self._admit(principal, room_id, "hint")
        try:
            code, language = await self._code(room, None, None)
            now = utcnow()
            given = await self.store.hints_given(room_id, room.get("problemId"), now)
            level = escalated(req.level, given)
            doc = self._doc(room, "hint", "assistant", now, level=level, requestedLevel=req.level, hintsGiven=given)
            doc.update(question=req.question, requestedBy=principal.id, code=code, language=language)
            await self.store.insert(doc)
        except BaseException:
            release()
            raise
        data = {"hintId": doc["_id"], "level": level, "requestedLevel": req.level}
        self._writes.spawn(self.recorder.event(room.get("sessionId"), "hint_requested", principal.id, data))
        self._spawn(doc["_id"], doc)
        return doc["_id"]

    async def request_review(self, principal: Principal, room_id: str, req: ReviewRequest) -> str:
        room, release = await self._admit(principal, room_id, "review")
        try:
            code, language = await self._code(room, req.code, req.language)
            doc = self._doc(room, "review", "assistant", utcnow(), requestedBy=principal.id, code=code)
            doc["language"] = language
            await self.store.insert(doc)
        except BaseException:
            release()
            raise
        self._spawn(doc["_id"], doc)
        return doc["_id"]

    async def speak(self, room: Room, trigger: str, code: str | None = None, language: str | None = None) -> str:
        """A proactive turn of the AI interviewer (ai rooms; the interviewer bounds them): no quota."""
        if code is None:
            code, language = await self._code(room, None, language)
        doc = self._doc(room, "proactive", "assistant", utcnow(), trigger=trigger, code=code)
        doc["language"] = language or room["language"]
        await self.store.insert(doc)
        self._spawn(doc["_id"], doc)
        return doc["_id"]

    async def _admit(self, principal: Principal, room_id: str, kind: str) -> tuple[Room, Callable[[], None]]:
        """The room, once the caller may use the AI there and has requests left; `release` gives them back."""
        room = await self.rooms.live_access(principal, room_id, Cap.ai_assist)
        s = self.settings
        limit, what = {
            "chat": (s.ai_messages_per_window, "messages"),
            "hint": (s.ai_hints_per_window, "hints"),
            "review": (s.ai_reviews_per_window, "reviews"),
        }[kind]
        key = f"{kind}:{principal.id}:{room_id}"
        self.windows.take(key, limit, s.ai_window_sec, what)
        try:
            counter = await self.quotas.take_ai(principal.id)
        except BaseException:
            self.windows.give_back(key)
            raise

        def release() -> None:
            self.windows.give_back(key)
            self.quotas.refund_ai(counter)

        return room, release

    async def _code(self, room: Room, code: str | None, language: str | None) -> tuple[str, str]:
        """The code a request is about: as given, else the live document (kept as a `manual` snapshot)."""
        language = language or room["language"]
        if code is not None:
            return code, language
        ready = await self.collab.request_snapshot(room["_id"], "manual", language)
        return ready.code, language

    def _doc(self, room: Room, kind: str, role: str, at: Any, **fields: Any) -> dict[str, Any]:
        return {
            "_id": new_id(),
            "roomId": room["_id"],
            "sessionId": room.get("sessionId"),
            "problemId": room.get("problemId"),
            "phase": room["status"],
            "role": role,
            "authorId": None,
            "kind": kind,
            "content": "",
            "status": "queued",
            "provider": self.provider,
            "model": self.model,
            "createdAt": at,
            "completedAt": None,
            "attempts": 0,
            **fields,
        }

    # -- answering ---------------------------------------------------------------------------------------

    def _spawn(self, message_id: str, fresh: dict[str, Any] | None = None) -> None:
        """Answer in the background; `fresh`: the document this process just stored (no need to read it back)."""
        if message_id not in self._running and not self._closed:
            self._running.add(message_id)
            task = self._tasks.spawn(self._work(message_id, fresh))
            task.add_done_callback(lambda _: self._running.discard(message_id))

    async def _running_doc(self, message_id: str, fresh: dict[str, Any] | None) -> dict[str, Any] | None:
        if fresh is None:  # left by an earlier process, or by a restart of this one's work
            return await self.store.claim(message_id)
        self._writes.spawn(self.store.mark_running(message_id))  # stays queued if this process stops first
        return {**fresh, "status": "running", "attempts": fresh["attempts"] + 1}

    async def _work(self, message_id: str, fresh: dict[str, Any] | None) -> None:
        async with self._slots:
            doc = await self._running_doc(message_id, fresh)
            if doc is None:
                return
            room = await self.rooms.repo.read(doc["roomId"])
            try:
                if doc["attempts"] > MAX_ATTEMPTS or room is None:
                    raise RuntimeError("gave up" if room else "room gone")
                fields = answer_fields(await self._answer(room, doc))
            except Exception as exc:
                log.exception("AI answer failed", extra={"messageId": message_id, "roomId": doc["roomId"]})
                fields = {"status": "failed", "content": FAILED, "error": f"{type(exc).__name__}"}
            fields["completedAt"] = utcnow()
            await self.store.finish(doc, fields)
            if room is not None:
                self._published(room, {**doc, **fields})

    async def _answer(self, room: Room, doc: dict[str, Any]) -> Answer:
        if doc["kind"] == "review" and "analysis" not in doc:
            doc["analysis"] = await self._analysis(doc["language"], doc.get("code") or "")
            await self.store.note(doc["_id"], analysis=doc["analysis"])
        brief = await self.builder.build(room, doc)
        return await self.responder.answer(brief)

    async def _analysis(self, language: str, code: str) -> dict[str, Any] | None:
        """The judge's static analysis of the code, when a sandbox can run it now (the review goes on without)."""
        if not code.strip():
            return None
        try:
            result = await asyncio.wait_for(self.judge.analyze(language, code), ANALYSIS_TIMEOUT_SEC)
        except Exception as exc:  # no sandbox, busy, unavailable language, timeout: the offline checks remain
            log.info("review without static analysis", extra={"reason": type(exc).__name__})
            return None
        return camel(result.model_dump(mode="json", include={"summary", "diagnostics", "complexity"}))

    def _published(self, room: Room, doc: dict[str, Any]) -> None:
        """Pushed on /api/ws as the polling endpoints show it (it is stored), then into the session timeline."""
        view = review_view(doc) if doc["kind"] == "review" else message_view(doc)
        self.bus.publish(Event(EVENTS[doc["kind"]], view.to_json(), room_id=room["_id"]))
        data = {"messageId": doc["_id"], "kind": doc["kind"], "role": doc["role"], "status": doc["status"]}
        data["provider"] = doc["provider"]
        self._writes.spawn(self.recorder.event(room.get("sessionId"), "ai_message", doc.get("authorId"), data))

    # -- reads -------------------------------------------------------------------------------------------

    async def get_message(self, principal: Principal, room_id: str, message_id: str) -> AiMessage:
        await self.rooms.access(principal, room_id)
        return message_view(await self.store.get(room_id, message_id))

    async def list_messages(
        self, principal: Principal, room_id: str, q: PageQuery
    ) -> tuple[list[AiMessage], Pagination]:
        await self.rooms.access(principal, room_id)
        page = await self.store.page(room_id, q.sort_order == "desc", q.cursor, q.limit)
        return [message_view(d) for d in page.items], Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def get_hint(self, principal: Principal, room_id: str, hint_id: str) -> AiMessage:
        await self.rooms.access(principal, room_id)
        return message_view(await self.store.get(room_id, hint_id, "hint"))

    async def get_review(self, principal: Principal, room_id: str, review_id: str) -> CodeReview:
        await self.rooms.access(principal, room_id)
        return review_view(await self.store.get(room_id, review_id, "review"))

    async def weaknesses(self, principal: Principal, room_id: str) -> RoomWeaknesses:
        """The room candidate's weakness categories from their training reports: for the candidate and the
        interviewers (who may use the AI there), not observers."""
        room, _ = await self.rooms.access(principal, room_id, Cap.ai_assist)
        candidate = candidate_of(room)
        if candidate is None or self.weaknesses_of is None:
            return RoomWeaknesses(candidate_id=candidate["userId"] if candidate else None, data=[])
        return RoomWeaknesses(candidate_id=candidate["userId"], data=await self.weaknesses_of(candidate["userId"]))

    async def room_settings(self, principal: Principal, room_id: str) -> AiRoomSettings:
        await self.rooms.access(principal, room_id)
        state = await self.store.room_state(room_id)
        return AiRoomSettings(proactive_muted=state.get("proactiveMuted", False))

    async def update_settings(self, principal: Principal, room_id: str, req: AiSettingsRequest) -> AiRoomSettings:
        await self.rooms.live_access(principal, room_id, Cap.ai_assist)
        state = await self.store.update_room(room_id, proactiveMuted=req.proactive_muted)
        return AiRoomSettings(proactive_muted=state["proactiveMuted"])
