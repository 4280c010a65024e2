"""Training reports: one per finished session, for its candidate (in peer mode its interviewers may read it too).

Owns `db.reports` (one document per session, keyed by the session id) and `db.referenceTimings` (through
evidence.py). A room's `room.finished` event makes a `pending` report; a background task gathers the evidence
(evidence.py), scores it (scoring.py), words it (narrative.py) and stores it `ready` (or `failed` after
MAX_ATTEMPTS), mirrors its status and overall score on the session (SessionRecorder.report_state) and pushes
`report.ready` to the candidate. The pending document is the queue: a restart resumes every pending report (tried
MAX_ATTEMPTS times in all, restarts included), and a finished session found without one (a crash between the
finish and the report) gets one at start-up or when read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from judge import Judge
from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import Forbidden, NotFound
from syncode.events import Event, EventBus
from syncode.models.reports import ReportPending, TrainingReport
from syncode.services.auth import Principal
from syncode.services.chat import ChatService
from syncode.services.execution import ExecutionService
from syncode.services.feedback import FeedbackService
from syncode.services.problems import ProblemService
from syncode.sessions import narrative, scoring
from syncode.sessions.access import SessionAccess
from syncode.sessions.evidence import Evidence, EvidenceGatherer, candidate_of, readers_of
from syncode.sessions.recorder import SessionRecorder
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.reports")

MAX_ATTEMPTS = 3
HISTORY_REPORTS = 5  # earlier reports a report compares itself with (and that make a user's average score)
BACKFILL_DAYS = 7  # at start-up, finished sessions this recent without a report get one
CONCURRENT_REPORTS = 1  # reports gathered at once (each may run code in the judge)


def score_evidence(found: Evidence) -> dict[str, scoring.Score]:
    problem = found.problem or {}
    start = found.coding_started_at or found.session["startedAt"]
    language, code = found.code or ("", None)
    return {
        "correctness": scoring.correctness(found.last),
        "efficiency": scoring.efficiency(found.last, found.large, found.reference_ms, problem.get("timeLimitMs", 0)),
        "codeQuality": scoring.code_quality(code, language, found.analysis),
        "problemSolving": scoring.problem_solving(
            found.submissions, found.runs, found.hints, start, problem.get("difficulty")
        ),
        "communication": scoring.communication(found.chat, found.ai, found.ratings, found.feedback_ids),
    }


def test_row(case: scoring.Case) -> dict[str, Any]:
    """A test of the last submission: index, verdict and time (a hidden test's input and output never reach here)."""
    return {
        "index": case.index,
        "hidden": case.hidden,
        "passed": case.verdict == "accepted",
        "timeMs": case.time_ms,
        "verdict": case.verdict,
    }


def report_fields(found: Evidence, previous: list[int]) -> dict[str, Any]:
    """The stored report (its API fields, plus what statistics and weaknesses read) from the evidence."""
    scores = score_evidence(found)
    overall = scoring.overall(scores)
    title = (found.problem or {}).get("title")
    tests = [test_row(case) for case in (found.last.cases if found.last else ())]
    return {
        "status": "ready",
        "overallScore": overall,
        "dimensions": {name: score.view() for name, score in scores.items()},
        "strengths": narrative.strengths(scores),
        "improvements": narrative.improvements(scores),
        "summary": narrative.summary(title, overall, scores, found.reason),
        "history": scoring.history(overall, previous),
        "tests": tests,
        "provider": "offline",
        "problemTitle": title,
        "categories": scoring.categories(scores, found.last),
        "generatedAt": utcnow(),
    }


def report_view(doc: dict[str, Any]) -> TrainingReport:
    return TrainingReport.model_validate(doc)


class ReportService:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        recorder: SessionRecorder,
        judge: Judge,
        execution: ExecutionService,
        problems: ProblemService,
        chat: ChatService,
        feedback: FeedbackService,
    ) -> None:
        self.db = db
        self.bus = bus
        self.recorder = recorder
        self.access = SessionAccess(db)
        self.gatherer = EvidenceGatherer(db, judge, execution, problems, chat, feedback)
        self.retry_delay_sec = 5.0
        self._tasks = BackgroundTasks("training report")
        self._running: set[str] = set()
        self._slots = asyncio.Semaphore(CONCURRENT_REPORTS)
        self._closed = False
        # With an LLM configured (the AI interviewer wires it): a report's fields -> its LLM-written summary,
        # strengths, improvements and provider, or None to keep the offline templates. Scores are never changed.
        self.prose: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Resume the pending reports, and make the missing ones of recently finished sessions."""
        async for doc in self.db.reports.find({"status": "pending"}, {"_id": 1}):
            self._spawn(doc["_id"])
        since = utcnow() - timedelta(days=BACKFILL_DAYS)
        query = {"status": "finished", "reportStatus": None, "finishedAt": {"$gte": since}}
        async for session in self.db.sessions.find(query):
            await self.request(session)

    async def close(self) -> None:
        """Stop the reports in progress: they stay pending and resume at the next start."""
        self._closed = True
        self._tasks.cancel()
        await self._tasks.wait()

    async def room_finished(self, event: Event) -> None:
        session = await self.db.sessions.find_one({"roomId": event.room_id})
        if session is not None:
            await self.request(session)

    async def request(self, session: dict[str, Any]) -> None:
        """A pending report for this finished session (once: a second request changes nothing), then its work."""
        candidate = candidate_of(session)
        doc = {
            "_id": session["_id"],
            "sessionId": session["_id"],
            "roomId": session["roomId"],
            "candidateId": candidate,
            "readers": readers_of(session, candidate),
            "startedAt": session["startedAt"],
            "status": "pending",
            "attempts": 0,
            "createdAt": utcnow(),
        }
        try:
            await self.db.reports.insert_one(doc)
        except DuplicateKeyError:
            return
        await self.recorder.report_state(session["_id"], "pending")
        self._spawn(session["_id"])

    def _spawn(self, session_id: str) -> None:
        if session_id not in self._running and not self._closed:
            self._running.add(session_id)
            task = self._tasks.spawn(self._work(session_id))
            task.add_done_callback(lambda _: self._running.discard(session_id))

    # -- the work ----------------------------------------------------------------------------------------

    async def _work(self, session_id: str) -> None:
        async with self._slots:
            while (doc := await self._claim(session_id)) is not None:
                if doc["attempts"] > MAX_ATTEMPTS:  # begun this often, never ended: each try ended the process
                    log.error("training report abandoned", extra={"sessionId": session_id})
                    await self._store(doc, {"status": "failed", "generatedAt": utcnow()})
                    return
                try:
                    await self._make(doc)
                    return
                except Exception:
                    log.exception("training report failed", extra={"sessionId": session_id})
                if doc["attempts"] >= MAX_ATTEMPTS:
                    await self._store(doc, {"status": "failed", "generatedAt": utcnow()})
                    return
                await asyncio.sleep(self.retry_delay_sec * doc["attempts"])

    async def _claim(self, session_id: str) -> dict[str, Any] | None:
        """The pending report, a try counted before it begins: one whose making brings the process down (a crash,
        a kill by the kernel) is not tried again at every start."""
        return await self.db.reports.find_one_and_update(
            {"_id": session_id, "status": "pending"}, {"$inc": {"attempts": 1}}, return_document=True
        )

    async def _make(self, doc: dict[str, Any]) -> None:
        session = await self.db.sessions.find_one({"_id": doc["_id"]})
        if session is None:
            raise NotFound("session not found", "SESSION_NOT_FOUND")
        found = await self.gatherer.gather(session)
        earlier = self.db.reports.find(
            {"candidateId": doc["candidateId"], "status": "ready", "startedAt": {"$lt": session["startedAt"]}},
            {"overallScore": 1},
            sort=[("startedAt", -1)],
            limit=HISTORY_REPORTS,
        )
        previous = [r["overallScore"] async for r in earlier]
        fields = report_fields(found, previous)
        if self.prose is not None:
            fields |= await self.prose(fields) or {}
        await self._store(doc, fields)
        overall = fields["overallScore"]
        ready = {"sessionId": doc["_id"], "roomId": doc["roomId"], "status": "ready", "overallScore": overall}
        self.bus.publish(Event("report.ready", ready, user_ids=(doc["candidateId"],)))

    async def _store(self, doc: dict[str, Any], fields: dict[str, Any]) -> None:
        await self.db.reports.update_one({"_id": doc["_id"]}, {"$set": fields})
        await self.recorder.report_state(doc["_id"], fields["status"], fields.get("overallScore"))

    # -- reading -----------------------------------------------------------------------------------------

    async def get(self, principal: Principal, session_id: str) -> TrainingReport | ReportPending:
        """The report, or that it is pending (202): for its readers and admins; 404 before the session ends."""
        session = await self.access.readable(principal, session_id)
        doc = await self.db.reports.find_one({"_id": session_id})
        if doc is None:
            if session.get("status") != "finished":
                raise NotFound("the report is made when the session finishes", "REPORT_NOT_FOUND")
            await self.request(session)
            doc = await self.db.reports.find_one({"_id": session_id})
        if principal.id not in doc["readers"] and not principal.is_admin:
            raise Forbidden("the report is for the candidate (and in peer mode the interviewer)", "FORBIDDEN")
        if doc["status"] == "pending":
            self._spawn(session_id)  # no-op while it is being made; picks up one whose work ended unexpectedly
            return ReportPending(session_id=session_id)
        return report_view(doc)

    async def readable_reports(self, principal: Principal, session_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Those of these sessions' reports the caller may read, by session id."""
        found = self.db.reports.find({"_id": {"$in": session_ids}})
        return {d["_id"]: d async for d in found if principal.id in d["readers"] or principal.is_admin}

    async def average_scores(self, user_ids: list[str]) -> dict[str, float]:
        """Each user's mean overall score over their latest HISTORY_REPORTS reports (users without one are left
        out); a ScoreSource for matchmaking."""

        async def latest(user_id: str) -> list[int]:
            query = {"candidateId": user_id, "status": "ready"}
            found = self.db.reports.find(query, {"overallScore": 1}, sort=[("startedAt", -1)], limit=HISTORY_REPORTS)
            return [r["overallScore"] async for r in found]

        scores = await asyncio.gather(*(latest(user_id) for user_id in user_ids))
        return {user_id: sum(s) / len(s) for user_id, s in zip(user_ids, scores, strict=True) if s}
