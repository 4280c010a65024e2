"""Run and submit code in rooms, and static analysis, through the judge.

A request is admitted at once or refused (room rules, per-user rate limit, daily quota, judge back-pressure);
the judging then runs in a background task owned by this service. Every state change is stored before it is
published on the bus, and events carry the same views the polling endpoints return, so both show the same
data. A result is published as soon as it is stored; the bookkeeping nobody waits for (the session timeline,
problem statistics, attempt status) yields to judging: it waits until the judge is idle (at most
BOOKKEEPING_MAX_DELAY_SEC), then is written at once for all the jobs finished meanwhile. One process owns the
jobs (DESIGN.md). A job is stored with everything needed to judge it again (code, input, limits; a submission's
tests are read from its problem), so the jobs an earlier process left running (killed, or stopped while they ran)
are judged again at start-up, once: a job that was in flight at two restarts in a row may be what brings the
server down, and is marked failed with an `error` saying to try again, as is one the judge cannot take any more.
A job is `unrecorded` until its bookkeeping is written; a start writes what a crash left out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any, TypeVar

from pydantic.alias_generators import to_camel

from config import Settings
from judge import (
    AnalysisResult,
    CaseResult,
    Judge,
    JudgeBusy,
    JudgeError,
    JudgeResult,
    Progress,
    TestCase,
    Ticket,
    Verdict,
)
from judge import RunResult as JudgeRun
from syncode.clock import new_id, utcnow
from syncode.collab import CollabPlane
from syncode.db import Database
from syncode.errors import (
    Conflict,
    DomainError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
)
from syncode.events import Event, EventBus
from syncode.models.common import ApiModel, PageQuery, Pagination
from syncode.models.execution import (
    AnalysisRequest,
    RunRequest,
    RunResult,
    StaticAnalysisResult,
    SubmissionResult,
    SubmitRequest,
)
from syncode.pagination import paginate
from syncode.ratelimit import Rate, RateLimiter
from syncode.rooms import RoomService
from syncode.services.auth import Principal
from syncode.services.permissions import Cap
from syncode.services.problems import Attempt, ProblemService
from syncode.services.quotas import QuotaService
from syncode.sessions.recorder import SessionRecorder, timeline_event
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.execution")

PREVIEW_CHARS = 200  # outputs in run lists
PROGRESS_INTERVAL_SEC = 0.25  # between two submission.progress events of one submission
BOOKKEEPING_MAX_DELAY_SEC = 2.0  # how long a finished job's bookkeeping waits for the judge to be idle
JUDGE_BUSY_RETRY_SEC = 2
MAX_ATTEMPTS = 2  # judgings of one job: the first, and one more after a restart
CASE_FIELDS = {"test_case_id", "index", "is_hidden", "verdict", "time_ms", "memory_kb"}
VISIBLE_CASE_FIELDS = CASE_FIELDS | {"stdout", "stderr", "expected_output"}
WITHOUT_CODE = {"code": 0, "stdin": 0}
T = TypeVar("T")


camel_key = cache(to_camel)  # a few dozen field names, converted for every test case of every job


def camel(value: Any) -> Any:
    """Judge results (snake_case) in stored form (camelCase, like every document)."""
    if isinstance(value, dict):
        return {camel_key(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def job_status(verdict: Verdict) -> str:
    """A sandbox failure is the platform's, not the program's: the job failed."""
    return "failed" if verdict is Verdict.internal_error else "completed"


def case_record(case: CaseResult) -> dict[str, Any]:
    """A test case's stored result. Outputs of hidden cases never get past this point."""
    return camel(case.model_dump(mode="json", include=CASE_FIELDS if case.is_hidden else VISIBLE_CASE_FIELDS))


def run_changes(result: JudgeRun) -> dict[str, Any]:
    return {
        **camel(result.model_dump(mode="json", exclude={"language"})),
        "status": job_status(result.verdict),
        "finishedAt": utcnow(),
    }


def submission_changes(result: JudgeResult) -> dict[str, Any]:
    return {
        "verdict": result.verdict.value,
        "passed": result.passed,
        "timeMs": result.time_ms,
        "memoryKb": result.memory_kb,
        "compileOutput": result.compile_output,
        "results": [case_record(c) for c in result.results],
        "status": job_status(result.verdict),
        "finishedAt": utcnow(),
    }


def analysis_changes(result: AnalysisResult) -> dict[str, Any]:
    fields = result.model_dump(mode="json", include={"summary", "diagnostics", "complexity", "tool_results"})
    return {**camel(fields), "status": "completed", "finishedAt": utcnow()}


def run_view(doc: dict[str, Any]) -> RunResult:
    return RunResult.model_validate({**doc, "id": doc["_id"]})


def run_preview(doc: dict[str, Any]) -> RunResult:
    """A run in a list: outputs cut to their first PREVIEW_CHARS characters (`truncated` says so)."""
    result = run_view(doc)
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "compile_output": result.compile_output}
    cut = {name: text[:PREVIEW_CHARS] for name, text in outputs.items() if text and len(text) > PREVIEW_CHARS}
    return result.model_copy(update={**cut, "truncated": result.truncated or bool(cut)})


def submission_view(doc: dict[str, Any]) -> SubmissionResult:
    return SubmissionResult.model_validate({**doc, "id": doc["_id"]})


def submission_summary(doc: dict[str, Any]) -> SubmissionResult:
    """A submission in a list: per-case verdicts and timing, no outputs."""
    results = [
        {k: v for k, v in case.items() if k in ("testCaseId", "index", "isHidden", "verdict", "timeMs", "memoryKb")}
        for case in doc.get("results", [])
    ]
    return submission_view({**doc, "results": results})


def analysis_view(doc: dict[str, Any]) -> StaticAnalysisResult:
    return StaticAnalysisResult.model_validate({**doc, "id": doc["_id"]})


def run_timeline(doc: dict[str, Any]) -> dict[str, Any]:
    return {"runId": doc["_id"], "language": doc["language"], "verdict": doc.get("verdict")}  # None: failed


def submission_timeline(doc: dict[str, Any]) -> dict[str, Any]:
    fields = ("problemId", "language", "verdict", "passed", "total")
    return {"submissionId": doc["_id"], **{field: doc.get(field) for field in fields}}


@dataclass(frozen=True)
class JobKind:
    collection: str
    noun: str
    started: str | None  # event types
    completed: str
    view: Callable[[dict[str, Any]], ApiModel]
    changes: Callable[[Any], dict[str, Any]]  # the judge's result -> what is stored
    again: str  # what the user does about a failed job (its error ends with it)
    timeline: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # the finished job -> its session event


RUN = JobKind("runs", "run", "run.started", "run.completed", run_view, run_changes, "run it again", run_timeline)
SUBMISSION = JobKind(
    "submissions",
    "submission",
    None,
    "submission.completed",
    submission_view,
    submission_changes,
    "submit again",
    submission_timeline,
)
ANALYSIS = JobKind("analyses", "analysis", None, "analysis.completed", analysis_view, analysis_changes, "ask again")
KINDS = (RUN, SUBMISSION, ANALYSIS)


def begin(call: Callable[[Ticket], Awaitable[T]], ticket: Ticket) -> asyncio.Future[T]:
    """Start an admitted judge call; its place in the judge is given back when it ends."""
    judging = asyncio.ensure_future(call(ticket))
    judging.add_done_callback(lambda _: ticket.release())  # also when cancelled before it began
    return judging


def refusal(error: JudgeError) -> DomainError:
    if isinstance(error, JudgeBusy):
        return RateLimited("the judge is busy, retry shortly", JUDGE_BUSY_RETRY_SEC, "JUDGE_BUSY")
    return ServiceUnavailable(str(error), error.code)  # LANGUAGE_UNAVAILABLE, SANDBOX_UNAVAILABLE


class ExecutionService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        bus: EventBus,
        limiter: RateLimiter,
        rooms: RoomService,
        problems: ProblemService,
        quotas: QuotaService,
        judge: Judge,
        sessions: SessionRecorder,
        collab: CollabPlane,
    ) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.limiter = limiter
        self.rooms = rooms
        self.problems = problems
        self.quotas = quotas
        self.judge = judge  # refuses with SandboxUnavailable (503) when no sandbox could start
        self.sessions = sessions
        self.collab = collab
        self._jobs = BackgroundTasks("execution job")  # each follows its judge call to the stored result
        self._bookkeeping = BackgroundTasks("execution bookkeeping")
        self._unrecorded: list[tuple[JobKind, dict[str, Any]]] = []  # finished jobs awaiting their bookkeeping
        self._recorder: asyncio.Future | None = None  # waits for an idle judge, then records them
        self._passed: dict[str, int] = {}  # submission id -> cases passed so far, while it runs

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Judge again, in the background, what an earlier process left queued or running."""
        self._jobs.spawn(self._resume_all())

    async def close(self) -> None:
        """Cancel the jobs in flight: they stay running in the store and are judged again at the next start. The
        bookkeeping of finished ones completes."""
        self._jobs.cancel()
        await self._jobs.wait()
        await self._bookkeeping.wait()

    # -- requests ----------------------------------------------------------------------------------------

    async def run(self, principal: Principal, room_id: str, req: RunRequest) -> str:
        room = await self.rooms.live_access(principal, room_id, Cap.run)
        self._check_unlocked(room)
        async with self._admission(principal):
            time_ms, memory_mb = self.judge.limits(req.timeout_ms, req.memory_mb)  # stored: the enforced ones
            doc = self._new_job(
                principal,
                room,
                req.language,
                code=req.code,
                stdin=req.stdin,
                timeLimitMs=time_ms,
                memoryLimitMb=memory_mb,
            )
            await self._launch(RUN, doc, self._run_call(doc))
        return doc["_id"]

    async def submit(self, principal: Principal, room_id: str, req: SubmitRequest) -> str:
        room = await self.rooms.live_access(principal, room_id, Cap.submit)
        self._check_unlocked(room)
        if room["status"] != "coding":
            raise Conflict("submissions are accepted in the coding phase only", "ROOM_INVALID_PHASE")
        if not room.get("problemId"):
            raise Conflict("this room has no problem to submit to", "ROOM_NO_PROBLEM")
        reading = partial(self.problems.get_for_judging, room["problemId"])
        async with self._admission(principal, reading) as (problem, cases):
            cap = (problem["timeLimitMs"], problem["memoryLimitMb"])
            time_ms, memory_mb = self.judge.limits(req.timeout_ms, req.memory_mb, cap)
            doc = self._new_job(
                principal,
                room,
                req.language,
                problemId=problem["_id"],
                code=req.code,
                passed=0,
                total=len(cases),
                results=[],
                timeLimitMs=time_ms,
                memoryLimitMb=memory_mb,
            )
            await self._launch(SUBMISSION, doc, self._submission_call(doc, problem, cases))
        await self.rooms.snapshot(room, "submission")  # the live document at submission time joins the session
        return doc["_id"]

    async def analyze(self, principal: Principal, room_id: str, req: AnalysisRequest) -> str:
        room = await self.rooms.live_access(principal, room_id, Cap.analyze)
        language = req.language or room["language"]
        if req.code is None:
            self._check_live_language(room, language)
        async with self._admission(principal):  # a refused request takes no snapshot
            code = req.code if req.code is not None else await self._live_code(room)
            doc = self._new_job(principal, room, language, code=code)
            await self._launch(ANALYSIS, doc, self._analysis_call(doc))
        return doc["_id"]

    # -- reading -----------------------------------------------------------------------------------------

    async def get_run(self, principal: Principal, run_id: str) -> RunResult:
        return run_view(await self._readable(principal, RUN, run_id))

    async def get_submission(self, principal: Principal, submission_id: str) -> SubmissionResult:
        return submission_view(self._with_progress(await self._readable(principal, SUBMISSION, submission_id)))

    async def get_analysis(self, principal: Principal, room_id: str, analysis_id: str) -> StaticAnalysisResult:
        await self.rooms.access(principal, room_id)
        doc = await self.db.analyses.find_one({"_id": analysis_id, "roomId": room_id}, WITHOUT_CODE)
        if doc is None:
            raise NotFound("analysis not found", "ANALYSIS_NOT_FOUND")
        return analysis_view(doc)

    async def list_runs(self, principal: Principal, room_id: str, q: PageQuery) -> tuple[list[RunResult], Pagination]:
        items, pagination = await self._page(principal, RUN, room_id, q)
        return [run_preview(d) for d in items], pagination

    async def list_submissions(
        self, principal: Principal, room_id: str, q: PageQuery
    ) -> tuple[list[SubmissionResult], Pagination]:
        items, pagination = await self._page(principal, SUBMISSION, room_id, q)
        return [submission_summary(self._with_progress(d)) for d in items], pagination

    async def recent_jobs(self, room_id: str, limit: int) -> list[dict[str, Any]]:
        """Internal (the AI interviewer): the room's latest finished runs and submissions, oldest first, with their
        code, each marked `kind` (run | submission). Stored results hold no output of a hidden case."""
        found: list[dict[str, Any]] = []
        for kind in (RUN, SUBMISSION):
            query = {"roomId": room_id, "status": "completed"}
            docs = self._collection(kind).find(query, sort=[("createdAt", -1), ("_id", -1)], limit=limit)
            found += [{**doc, "kind": kind.noun} async for doc in docs]
        found.sort(key=lambda doc: doc["createdAt"])
        return found[-limit:]

    async def session_jobs(self, session_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The runs and the submissions of a session, oldest first, without code or outputs (for its history)."""
        fields = {"userId": 1, "language": 1, "status": 1, "verdict": 1, "createdAt": 1, "passed": 1, "total": 1}
        order = [("createdAt", 1), ("_id", 1)]
        runs = await self.db.runs.find({"sessionId": session_id}, fields).sort(order).to_list(None)
        submissions = await self.db.submissions.find({"sessionId": session_id}, fields).sort(order).to_list(None)
        return runs, submissions

    async def session_submissions(self, session_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Verdicts and passed counts of the submissions of these sessions, by session (one query for a page)."""
        found: dict[str, list[dict[str, Any]]] = {sid: [] for sid in session_ids}
        fields = {"sessionId": 1, "verdict": 1, "passed": 1, "createdAt": 1}
        async for doc in self.db.submissions.find({"sessionId": {"$in": session_ids}}, fields):
            found[doc["sessionId"]].append(doc)
        return found

    async def report_jobs(self, session_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Internal (training reports): a session's runs and submissions, oldest first, with their code."""
        runs = await self.db.runs.find({"sessionId": session_id}).sort("createdAt", 1).to_list()
        submissions = await self.db.submissions.find({"sessionId": session_id}).sort("createdAt", 1).to_list()
        return runs, submissions

    async def user_submissions(
        self, user_id: str, start: datetime, end: datetime, accepted_only: bool = False
    ) -> list[dict[str, Any]]:
        """Internal (statistics): a user's judged submissions created in [start, end), without code or results."""
        query: dict[str, Any] = {"userId": user_id, "createdAt": {"$gte": start, "$lt": end}, "status": "completed"}
        if accepted_only:
            query["verdict"] = "accepted"
        fields = {"createdAt": 1, "verdict": 1, "language": 1, "problemId": 1, "sessionId": 1}
        return await self.db.submissions.find(query, fields).to_list()

    # -- figures for the admin dashboard ------------------------------------------------------------------

    async def count(self, since: datetime | None = None, user_id: str | None = None) -> dict[str, int]:
        """Runs and submissions created since `since` (all when None), of one user or everyone."""
        query: dict[str, Any] = {}
        if since is not None:
            query["createdAt"] = {"$gte": since}
        if user_id is not None:
            query["userId"] = user_id
        runs, submissions = await asyncio.gather(
            self.db.runs.count_documents(query), self.db.submissions.count_documents(query)
        )
        return {"runs": runs, "submissions": submissions}

    async def mean_latency_ms(self, since: datetime) -> float | None:
        """Mean time from request to result over the runs and submissions since then that finished."""
        total, count = 0.0, 0
        match = {"$match": {"createdAt": {"$gte": since}, "finishedAt": {"$ne": None}}}
        group = {
            "$group": {"_id": None, "sum": {"$sum": {"$subtract": ["$finishedAt", "$createdAt"]}}, "n": {"$sum": 1}}
        }
        for collection in (self.db.runs, self.db.submissions):
            rows = await (await collection.aggregate([match, group])).to_list()
            if rows:
                total += rows[0]["sum"]
                count += rows[0]["n"]
        return round(total / count, 1) if count else None

    async def _readable(self, principal: Principal, kind: JobKind, job_id: str) -> dict[str, Any]:
        """The job, for its owner and for those who may view its room (participants, admins)."""
        doc = await self._collection(kind).find_one({"_id": job_id}, WITHOUT_CODE)
        if doc is None:
            raise NotFound(f"{kind.noun} not found", f"{kind.noun.upper()}_NOT_FOUND")
        if doc["userId"] != principal.id:
            await self.rooms.access(principal, doc["roomId"])
        return doc

    async def _page(
        self, principal: Principal, kind: JobKind, room_id: str, q: PageQuery
    ) -> tuple[list[dict[str, Any]], Pagination]:
        await self.rooms.access(principal, room_id)
        page = await paginate(
            self._collection(kind),
            {"roomId": room_id},
            descending=q.sort_order == "desc",
            cursor=q.cursor,
            limit=q.limit,
            projection=WITHOUT_CODE,
        )
        return page.items, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    # -- admission ---------------------------------------------------------------------------------------

    @staticmethod
    def _check_unlocked(room: dict[str, Any]) -> None:
        if room.get("editorLocked"):
            raise Conflict("the editor is locked: nobody can run or submit", "ROOM_EDITOR_LOCKED")

    def _check_live_language(self, room: dict[str, Any], language: str) -> None:
        """Without code, the live document is analysed: only in the room's current language."""
        if language != room["language"]:
            raise ValidationFailed(
                "to analyse another language than the room's, send the code",
                details={"code": "required when language differs from the room's"},
            )

    async def _live_code(self, room: dict[str, Any]) -> str:
        """The room's live document (taken as a `manual` snapshot)."""
        ready = await self.collab.request_snapshot(room["_id"], "manual", room["language"])
        return ready.code

    def _new_job(self, principal: Principal, room: dict[str, Any], language: str, **fields: Any) -> dict[str, Any]:
        return {
            "_id": new_id(),
            "roomId": room["_id"],
            "userId": principal.id,
            "sessionId": room.get("sessionId"),
            "language": language,
            "status": "running",  # stored once the judge has admitted it (it runs it, or queues it for a worker)
            "attempts": 1,  # judgings begun (MAX_ATTEMPTS)
            "createdAt": utcnow(),
            "finishedAt": None,
            **fields,
        }

    @asynccontextmanager
    async def _admission(
        self, principal: Principal, reading: Callable[[], Awaitable[T]] | None = None
    ) -> AsyncIterator[T | None]:
        """The per-user execute rate and the daily quota (an atomic counter: concurrent requests cannot overshoot
        it), taken while `reading` (what the job needs from the database) runs; yields what it read. A job
        refused after admission (its reading failed included) is refunded."""
        self.limiter.check(f"user:{principal.id}:execute", Rate(self.settings.rate_limit_execute_per_min))
        read, counter = await asyncio.gather(
            reading() if reading else asyncio.sleep(0), self.quotas.take_execution(principal.id), return_exceptions=True
        )
        try:
            for outcome in (read, counter):
                if isinstance(outcome, BaseException):
                    raise outcome
            yield read
        except BaseException:
            if not isinstance(counter, BaseException):
                self.quotas.refund_execution(counter)
            raise

    async def _launch(self, kind: JobKind, doc: dict[str, Any], call: Callable[[Ticket], Awaitable[Any]]) -> None:
        """Hand the job to the judge, then store it (off the judge's critical path) as running and follow it in
        the background; a refusal stores nothing."""
        judging = self._hand_to_judge(doc["language"], call)
        if kind.timeline:
            doc["unrecorded"] = True  # until its bookkeeping is written (a restart writes what a crash left out)
        try:
            await self._collection(kind).insert_one(doc)
        except BaseException:
            judging.cancel()
            raise
        self._follow_in_background(kind, doc, judging)

    def _hand_to_judge(self, language: str, call: Callable[[Ticket], Awaitable[Any]]) -> asyncio.Future:
        """Admit the judge call now or refuse it (a refusal is an HTTP error, not a failed job), then start it."""
        try:
            ticket = self.judge.admit(language)
        except JudgeError as error:
            raise refusal(error) from error
        return begin(call, ticket)

    def _follow_in_background(self, kind: JobKind, doc: dict[str, Any], judging: asyncio.Future) -> None:
        following = self._jobs.spawn(self._follow(kind, doc, judging))
        following.add_done_callback(lambda _: judging.cancel())  # a job cancelled before it began to follow it

    # -- judge calls, from what is stored with the job ------------------------------------------------------

    def _run_call(self, doc: dict[str, Any]) -> Callable[[Ticket], Awaitable[JudgeRun]]:
        judge = self.judge
        time_ms, memory_mb = judge.limits(doc.get("timeLimitMs"), doc.get("memoryLimitMb"))

        def call(ticket: Ticket) -> Awaitable[JudgeRun]:
            return judge.run(doc["language"], doc["code"], doc.get("stdin", ""), time_ms, memory_mb, ticket=ticket)

        return call

    def _submission_call(
        self, doc: dict[str, Any], problem: dict[str, Any], cases: list[dict[str, Any]]
    ) -> Callable[[Ticket], Awaitable[JudgeResult]]:
        judge = self.judge
        cap = (problem["timeLimitMs"], problem["memoryLimitMb"])
        time_ms, memory_mb = judge.limits(doc.get("timeLimitMs"), doc.get("memoryLimitMb"), cap)
        tests = [
            TestCase(id=c["_id"], input=c["input"], expected_output=c["expectedOutput"], is_hidden=c["isHidden"])
            for c in cases
        ]

        def call(ticket: Ticket) -> Awaitable[JudgeResult]:
            return judge.judge(
                doc["language"],
                doc["code"],
                tests,
                time_ms,
                memory_mb,
                comparison=problem.get("comparison", "lines"),
                abs_tol=problem.get("floatAbsTol", 1e-6),
                rel_tol=problem.get("floatRelTol", 1e-6),
                on_progress=self._progress_reporter(doc),
                progress_interval=PROGRESS_INTERVAL_SEC,
                ticket=ticket,
            )

        return call

    def _analysis_call(self, doc: dict[str, Any]) -> Callable[[Ticket], Awaitable[AnalysisResult]]:
        judge = self.judge
        return lambda ticket: judge.analyze(doc["language"], doc["code"], ticket=ticket)

    async def _stored_call(self, kind: JobKind, doc: dict[str, Any]) -> Callable[[Ticket], Awaitable[Any]]:
        if kind is RUN:
            return self._run_call(doc)
        if kind is SUBMISSION:  # its problem's tests as they are now (NotFound once the problem is deleted)
            problem, cases = await self.problems.get_for_judging(doc["problemId"])
            return self._submission_call(doc, problem, cases)
        return self._analysis_call(doc)

    # -- after a restart ----------------------------------------------------------------------------------

    async def _resume_all(self) -> None:
        """The bookkeeping an earlier process left unwritten, then the jobs it left unfinished, oldest first, each
        judged again or failed."""
        for kind in KINDS:
            if kind.timeline:  # no index: it would cost every job two index writes, for a query run once per start
                query = {"unrecorded": True, "status": {"$in": ["completed", "failed"]}}
                async for doc in self._collection(kind).find(query, WITHOUT_CODE):
                    self._record_later(kind, doc)
        for kind in KINDS:
            unfinished = self._collection(kind).find({"status": {"$in": ["queued", "running"]}}).sort("createdAt", 1)
            for doc in await unfinished.to_list(None):
                await self._resume(kind, doc)

    async def _resume(self, kind: JobKind, doc: dict[str, Any]) -> None:
        attempts = doc.get("attempts", 1)
        if attempts >= MAX_ATTEMPTS:
            reason = "the server restarted while this was running, and again while it ran a second time"
            await self._fail(kind, doc, f"{reason}; {kind.again}")
            return
        try:
            call = await self._stored_call(kind, doc)
            ticket = await self._admit_when_free(doc["language"])
        except (JudgeError, DomainError) as error:
            reason = f"the server restarted while this was running and cannot run it again ({error})"
            await self._fail(kind, doc, f"{reason}; {kind.again}")
            return
        try:  # counted before it runs: if this judging brings the server down too, the next start gives up
            doc = await self._update(kind, doc, {"attempts": attempts + 1, "status": "running"})
        except BaseException:
            ticket.release()
            raise
        log.info(f"judging a {kind.noun} again after a restart", extra={"jobId": doc["_id"], "roomId": doc["roomId"]})
        self._follow_in_background(kind, doc, begin(call, ticket))

    async def _admit_when_free(self, language: str) -> Ticket:
        """A place in the judge's queue, waiting while it is full (jobs resumed together may outnumber it)."""
        while True:
            try:
                return self.judge.admit(language)
            except JudgeBusy:
                await asyncio.sleep(JUDGE_BUSY_RETRY_SEC)

    async def _fail(self, kind: JobKind, doc: dict[str, Any], error: str) -> None:
        """A job that ends without a result: stored failed with the reason, published, in the session timeline."""
        doc = await self._update(kind, doc, {"status": "failed", "error": error, "finishedAt": utcnow()})
        self._publish(kind.completed, kind, doc)
        if kind.timeline:
            self._record_later(kind, doc)

    # -- background --------------------------------------------------------------------------------------

    async def _follow(self, kind: JobKind, doc: dict[str, Any], judging: asyncio.Future) -> None:
        """running (stored by `_launch`) -> completed | failed, each state stored, then published. The completion
        is published as soon as the result is stored (the poll shows it too); then a job with a result queues its
        bookkeeping, which clients do not wait for."""
        if kind.started:
            self._publish(kind.started, kind, doc)
        try:
            doc = await self._update(kind, doc, kind.changes(await judging))
        except asyncio.CancelledError:  # the server stops: the job stays running, judged again at the next start
            judging.cancel()
            raise
        except Exception as exc:
            log.exception("execution job failed", extra={"jobId": doc["_id"], "roomId": doc["roomId"]})
            error = f"the judge failed ({type(exc).__name__}); {kind.again}"
            doc = await self._update(kind, doc, {"status": "failed", "error": error, "finishedAt": utcnow()})
        finally:
            self._passed.pop(doc["_id"], None)
        self._publish(kind.completed, kind, doc)
        if kind.timeline:
            self._record_later(kind, doc)

    # -- bookkeeping -------------------------------------------------------------------------------------

    def _record_later(self, kind: JobKind, doc: dict[str, Any]) -> None:
        """Queue a finished job's bookkeeping. It waits for an idle judge: while submissions queue for the
        sandboxes, its database writes would take CPU from their judging (the 8-room bench measured about 3 ms
        of database CPU per submission), and waiting batches them."""
        self._unrecorded.append((kind, doc))
        if self._recorder is None or self._recorder.done():
            self._recorder = self._bookkeeping.spawn(self._record_when_idle())

    async def _record_when_idle(self) -> None:
        try:
            await asyncio.wait_for(self.judge.until_idle(), BOOKKEEPING_MAX_DELAY_SEC)
        except TimeoutError:
            pass  # a judge that is never idle must not hold the statistics back for long
        finished, self._unrecorded, self._recorder = self._unrecorded, [], None
        await self._record(finished)

    async def _record(self, finished: list[tuple[JobKind, dict[str, Any]]]) -> None:
        """The session timeline (each event dated when its job finished), and for judged programs (not sandbox
        failures) the problems' statistics and the users' attempt status."""
        events = [
            timeline_event(doc["sessionId"], kind.noun, doc["userId"], kind.timeline(doc), doc["finishedAt"])
            for kind, doc in finished
        ]
        attempts = [
            Attempt(doc["userId"], doc["problemId"], doc["verdict"] == "accepted")
            for kind, doc in finished
            if kind is SUBMISSION and doc["status"] == "completed"
        ]
        writes = {
            "session events": self.sessions.events(events),
            "problem statistics": self.problems.record_submissions(attempts),
        }
        outcomes = await asyncio.gather(*writes.values(), return_exceptions=True)
        for what, outcome in zip(writes, outcomes, strict=True):
            if isinstance(outcome, Exception):  # one failed write must not hide the other's
                log.error("execution bookkeeping failed: %s", what, exc_info=outcome, extra={"jobs": len(finished)})
        for kind in KINDS:  # written (or failed and logged): not to be written again after a restart
            if ids := [doc["_id"] for done, doc in finished if done is kind]:
                await self._collection(kind).update_many({"_id": {"$in": ids}}, {"$unset": {"unrecorded": ""}})

    def _progress_reporter(self, doc: dict[str, Any]) -> Callable[[Progress], None]:
        """Progress is kept in memory (no database write per test case) and shown by polling too. The judge
        reports it at most every PROGRESS_INTERVAL_SEC from the submission on: judging that ends sooner needs none
        (its completion follows at once), and a problem with hundreds of fast cases must not cost an event per
        case. Polling shows what was published, so both ways show the same figures."""

        def report(progress: Progress) -> None:
            self._passed[doc["_id"]] = progress.passed
            self.bus.publish(
                Event(
                    "submission.progress",
                    {
                        "submissionId": doc["_id"],
                        "passed": progress.passed,
                        "done": progress.done,
                        "total": progress.total,
                    },
                    room_id=doc["roomId"],
                )
            )

        return report

    def _with_progress(self, doc: dict[str, Any]) -> dict[str, Any]:
        passed = self._passed.get(doc["_id"])
        return doc if passed is None else {**doc, "passed": passed}

    # -- storage -----------------------------------------------------------------------------------------

    def _collection(self, kind: JobKind) -> Any:
        return getattr(self.db, kind.collection)

    async def _update(self, kind: JobKind, doc: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        await self._collection(kind).update_one({"_id": doc["_id"]}, {"$set": changes})
        return {**doc, **changes}

    def _publish(self, event_type: str, kind: JobKind, doc: dict[str, Any]) -> None:
        self.bus.publish(Event(event_type, kind.view(doc).to_json(), room_id=doc["roomId"]))
