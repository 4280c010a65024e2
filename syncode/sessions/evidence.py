"""What a training report is computed from, gathered from the services that own it: the session and its
timeline (this package), runs and submissions (execution), the problem and its tests (problems), chat, peer
feedback, and the judge (static analysis of the final code; the reference solution's times on the largest
tests, run once per problem, language and test set and kept in `db.referenceTimings`).

The judge is asked once it is idle (or after a while) and with its back-pressure respected (busy: retried a
while); without a sandbox or a toolchain the report goes on without that evidence and says so. Code left as the
problem's starter code is not judged: nobody wrote it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from judge import Judge, JudgeBusy, JudgeError, TestCase
from syncode.clock import utcnow
from syncode.db import Database
from syncode.services.chat import ChatService
from syncode.services.execution import ExecutionService
from syncode.services.feedback import FeedbackService
from syncode.services.problems import ProblemService
from syncode.sessions.scoring import Case, Run, Submission, largest

log = logging.getLogger("syncode.reports")

HINT_EVENTS = ("hint_revealed", "hint_requested")
AI_EVENTS = ("ai_message",)
JOBS_WAIT_SEC = 60.0  # how long a report waits for the session's runs and submissions still being judged
BUSY_RETRIES = 15
BUSY_PAUSE_SEC = 2.0
IDLE_WAIT_SEC = 30.0


@dataclass
class Evidence:
    session: dict[str, Any]
    candidate_id: str
    readers: list[str]
    reason: str | None = None  # why the room finished (phase, empty, abandoned, admin)
    problem: dict[str, Any] | None = None
    large: list[int] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    code: tuple[str, str] | None = None  # (language, code) the code quality is judged on
    analysis: dict[str, Any] | None = None
    reference_ms: dict[int, int] | None = None
    hints: list[str] = field(default_factory=list)
    coding_started_at: datetime | None = None
    chat: int = 0
    ai: int = 0
    ratings: list[int] = field(default_factory=list)
    feedback_ids: list[str] = field(default_factory=list)

    @property
    def last(self) -> Submission | None:
        return self.submissions[-1] if self.submissions else None


def candidate_of(session: dict[str, Any]) -> str:
    """The participant the report is for: the candidate (roles as the session ended), else the first participant
    who was not an observer (a peer room whose candidate never came), else the first one."""
    people = session["participants"]
    for wanted in (lambda p: p["role"] == "candidate", lambda p: p["role"] != "observer", lambda p: True):
        found = next((p["userId"] for p in people if wanted(p)), None)
        if found:
            return found
    raise ValueError("a session without participants")


def readers_of(session: dict[str, Any], candidate_id: str) -> list[str]:
    """The candidate, and in peer mode the interviewers."""
    interviewers = [p["userId"] for p in session["participants"] if p["role"] == "interviewer"]
    return [candidate_id, *(interviewers if session["mode"] == "peer" else [])]


def submission_of(doc: dict[str, Any]) -> Submission:
    cases = tuple(
        Case(c["index"], c["isHidden"], c["verdict"], c.get("timeMs"), c.get("stderr")) for c in doc.get("results", [])
    )
    return Submission(doc["_id"], doc["createdAt"], doc.get("verdict"), doc["passed"], doc["total"], cases)


def reference_key(problem: dict[str, Any], language: str, code: str, indexes: list[int]) -> str:
    digest = hashlib.sha256(f"{problem.get('casesVersion')}|{indexes}|{code}".encode()).hexdigest()[:24]
    return f"{problem['_id']}:{language}:{digest}"


class EvidenceGatherer:
    def __init__(
        self,
        db: Database,
        judge: Judge,
        execution: ExecutionService,
        problems: ProblemService,
        chat: ChatService,
        feedback: FeedbackService,
    ) -> None:
        self.db = db
        self.judge = judge
        self.execution = execution
        self.problems = problems
        self.chat = chat
        self.feedback = feedback

    async def gather(self, session: dict[str, Any]) -> Evidence:
        candidate = candidate_of(session)
        found = Evidence(session, candidate, readers_of(session, candidate))
        await self._timeline(found)
        jobs = await self._jobs(session["_id"])
        found.runs = [Run(r["_id"], r["createdAt"], r.get("verdict")) for r in jobs[0] if r["status"] == "completed"]
        judged = [s for s in jobs[1] if s["status"] == "completed"]
        found.submissions = [submission_of(s) for s in judged]
        found.code = await self._final_code(session, jobs[0], judged)
        await self._problem(found, judged[-1]["language"] if judged else None)
        if found.code and not self._untouched(found):
            found.analysis = await self._judged(lambda: self.judge.analyze(*found.code))
        else:
            found.code = None  # the starter code is nobody's work
        await self._conversation(found)
        return found

    async def _timeline(self, found: Evidence) -> None:
        session = found.session
        query = {"sessionId": session["_id"], "type": {"$in": ["phase_changed", *HINT_EVENTS, *AI_EVENTS]}}
        events = await self.db.sessionEvents.find(query).sort([("at", 1), ("_id", 1)]).to_list(None)
        phases = [e for e in events if e["type"] == "phase_changed"]
        coding = next((e["at"] for e in phases if e["data"].get("to") == "coding"), None)
        found.coding_started_at = coding or session["startedAt"]
        found.reason = next((e["data"].get("reason") for e in phases if e["data"].get("to") == "finished"), None)
        found.hints = [e["_id"] for e in events if e["type"] in HINT_EVENTS]
        found.ai = sum(1 for e in events if e["type"] in AI_EVENTS and e.get("actorId") == found.candidate_id)

    async def _jobs(self, session_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The session's runs and submissions once none is still being judged (or after JOBS_WAIT_SEC)."""
        waited = 0.0
        while True:
            runs, submissions = await self.execution.report_jobs(session_id)
            busy = any(j["status"] in ("queued", "running") for j in runs + submissions)
            if not busy or waited >= JOBS_WAIT_SEC:
                return runs, submissions
            await asyncio.sleep(0.25)
            waited += 0.25

    async def _final_code(
        self, session: dict[str, Any], runs: list[dict[str, Any]], submissions: list[dict[str, Any]]
    ) -> tuple[str, str] | None:
        """The last judged submission's code, else the code the session ended with, else the last run's."""
        if submissions:
            return submissions[-1]["language"], submissions[-1]["code"]
        final = session.get("finalCode")
        if not final:
            query = {"sessionId": session["_id"]}
            final = await self.db.codeSnapshots.find_one(query, {"language": 1, "code": 1}, sort=[("createdAt", -1)])
        if final and final.get("code", "").strip():
            return final["language"], final["code"]
        return (runs[-1]["language"], runs[-1]["code"]) if runs else None

    @staticmethod
    def _untouched(found: Evidence) -> bool:
        language, code = found.code or ("", "")
        starter = (found.problem or {}).get("starterCode", {}).get(language)
        return starter is not None and code.strip() == starter.strip()

    async def _problem(self, found: Evidence, language: str | None) -> None:
        problem_id = found.session.get("problemId")
        loaded = await self.problems.for_report(problem_id) if problem_id else None
        if loaded is None:
            return
        found.problem, cases = loaded
        found.large = largest(cases)
        reference = (found.problem.get("referenceSolutions") or {}).get(language or "")
        if reference and found.submissions:
            found.reference_ms = await self._reference(found.problem, cases, found.large, language, reference)

    async def _reference(
        self, problem: dict[str, Any], cases: list[dict[str, Any]], indexes: list[int], language: str, code: str
    ) -> dict[int, int] | None:
        """The reference solution's CPU time per large test (only those it passes), measured once and kept."""
        key = reference_key(problem, language, code, indexes)
        kept = await self.db.referenceTimings.find_one({"_id": key})
        if kept:
            return {int(i): ms for i, ms in kept["times"].items()}
        tests = [TestCase(input=cases[i]["input"], expected_output=cases[i]["expectedOutput"]) for i in indexes]
        time_ms, memory_mb = self.judge.limits(None, None, (problem["timeLimitMs"], problem["memoryLimitMb"]))
        comparison = {
            "comparison": problem.get("comparison", "lines"),
            "abs_tol": problem.get("floatAbsTol", 1e-6),
            "rel_tol": problem.get("floatRelTol", 1e-6),
        }
        result = await self._judged(lambda: self.judge.judge(language, code, tests, time_ms, memory_mb, **comparison))
        if result is None or result["verdict"] == "internal_error" or result.get("compile_output"):
            return None
        times = {
            str(indexes[c["index"]]): c["time_ms"]
            for c in result["results"]
            if c["verdict"] == "accepted" and c.get("time_ms") is not None
        }
        if not times:  # it passed none of them: not kept, so a passing run later can be
            return None
        await self.db.referenceTimings.replace_one(
            {"_id": key}, {"times": times, "problemId": problem["_id"], "createdAt": utcnow()}, upsert=True
        )
        return {int(i): ms for i, ms in times.items()}

    async def _judged(self, call: Any) -> dict[str, Any] | None:
        """A judge call's result as a dict; None when this machine cannot run it (no sandbox or toolchain). It
        waits for an idle judge first (at most IDLE_WAIT_SEC): people waiting for their runs go first."""
        try:
            await asyncio.wait_for(self.judge.until_idle(), IDLE_WAIT_SEC)
        except TimeoutError:
            pass
        for _ in range(BUSY_RETRIES):
            try:
                return (await call()).model_dump(mode="json")
            except JudgeBusy:
                await asyncio.sleep(BUSY_PAUSE_SEC)
            except JudgeError as exc:
                log.warning("report evidence without the judge: %s", exc)
                return None
        return None

    async def _conversation(self, found: Evidence) -> None:
        session = found.session
        found.chat = await self.chat.count(
            session["roomId"], found.candidate_id, session["startedAt"], session.get("finishedAt")
        )
        if session["mode"] == "peer":
            received = await self.feedback.about(session["_id"], found.candidate_id)
            found.ratings = [f["ratings"]["communication"] for f in received]
            found.feedback_ids = [f["_id"] for f in received]
