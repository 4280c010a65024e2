"""Gathers a Brief for one AI message from the services that own each part: the problem's statement and guide
(ProblemService: the same guide the interviewer's guide endpoints serve), the room's latest runs and submissions
(ExecutionService; hidden tests show a verdict only), the conversation and the hint count (AiStore). The code and
language are the ones stored with the request, with the hint count. The problem's part is kept in memory for
PROBLEM_CACHE_SEC (an admin's edit reaches the AI within that time), a room's recent jobs until its next run or
submission completes (`jobs_changed`); the conversation is read for each answer, and only for the LLM."""

from __future__ import annotations

import asyncio
from typing import Any

from syncode.ai.brief import Brief, GuideBrief, ProblemBrief, Turn, job_brief
from syncode.ai.store import AiStore
from syncode.cache import DocumentCache
from syncode.enums import Role
from syncode.errors import NotFound
from syncode.events import Event
from syncode.rooms.rules import Room
from syncode.services.execution import ExecutionService
from syncode.services.problems import ProblemService

RECENT_JOBS = 5
PROBLEM_CACHE_SEC = 30.0
JOBS_CACHE_SEC = 60.0
CONVERSATION_TURNS = 12
TASKS = {"chat": "chat", "hint": "hint", "review": "review", "proactive": "proactive"}


def candidate_of(room: Room) -> dict[str, Any] | None:
    """The room's candidate, present or not (the latest to hold the role)."""
    candidates = [p for p in room.get("participants", []) if p.get("role") == Role.candidate]
    present = [p for p in candidates if p.get("leftAt") is None]
    return (present or candidates or [None])[-1]


class BriefBuilder:
    def __init__(
        self, problems: ProblemService, execution: ExecutionService, store: AiStore, conversations: bool
    ) -> None:
        self.problems = problems
        self.execution = execution
        self.store = store
        self.conversations = conversations  # the offline engine does not read the conversation
        self._problems = DocumentCache(capacity=256, ttl=PROBLEM_CACHE_SEC)
        self._jobs = DocumentCache(capacity=4096, ttl=JOBS_CACHE_SEC)

    async def build(self, room: Room, doc: dict[str, Any]) -> Brief:
        room_id = room["_id"]
        (problem, guide, visible), jobs, turns = await asyncio.gather(
            self.problem(doc.get("problemId")), self.recent_jobs(room_id), self._conversation(room_id, doc)
        )
        candidate = candidate_of(room)
        return Brief(
            task=TASKS[doc["kind"]],
            phase=doc.get("phase") or room["status"],
            mode=room["mode"],
            language=doc.get("language") or room["language"],
            code=doc.get("code") or "",
            problem=problem,
            guide=guide,
            jobs=[job_brief(job, visible) for job in jobs if job.get("createdAt") <= doc["createdAt"]],
            conversation=[Turn(t["role"], t["kind"], t["content"]) for t in turns],
            question=doc.get("question"),
            level=doc.get("level") or "subtle",
            hints_given=doc.get("hintsGiven", 0),
            trigger=doc.get("trigger"),
            analysis=doc.get("analysis"),
            candidate=(candidate.get("displayName") or candidate.get("username")) if candidate else None,
        )

    async def _conversation(self, room_id: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
        if not self.conversations:
            return []
        return await self.store.conversation(room_id, doc["createdAt"], CONVERSATION_TURNS, doc.get("requestId"))

    async def recent_jobs(self, room_id: str) -> list[dict[str, Any]]:
        cached = await self._jobs.get(room_id, lambda: self._load_jobs(room_id))
        return cached["jobs"] if cached else []

    async def _load_jobs(self, room_id: str) -> dict[str, Any]:
        return {"jobs": await self.execution.recent_jobs(room_id, RECENT_JOBS)}

    def jobs_changed(self, event: Event) -> None:
        """A run or submission of the room completed (subscribed to run.completed and submission.completed)."""
        if event.room_id:
            self._jobs.forget(event.room_id)

    async def problem(
        self, problem_id: str | None
    ) -> tuple[ProblemBrief | None, GuideBrief | None, dict[str, dict[str, Any]]]:
        """The problem as the candidate reads it, the guide, and the visible tests by id."""
        if not problem_id:
            return None, None, {}
        cached = await self._problems.get(problem_id, lambda: self._load(problem_id))
        return cached["parts"] if cached else (None, None, {})

    async def _load(self, problem_id: str) -> dict[str, Any] | None:
        stored = await self.problems.statement(problem_id)
        if stored is None:
            return None
        problem = ProblemBrief(
            id=problem_id,
            title=stored["title"],
            difficulty=stored["difficulty"],
            description=stored.get("description", ""),
            constraints=stored.get("constraints"),
            examples=stored.get("examples", []),
            hints=stored.get("hints", []),
            starter=stored.get("starterCode") or {},
        )
        try:
            written = await self.problems.guide(problem_id)
        except NotFound:
            return {"parts": (problem, None, {})}
        complexity = written.complexity
        guide = GuideBrief(
            approach=written.approach,
            time=complexity.time if complexity else None,
            space=complexity.space if complexity else None,
            mistakes=written.mistakes,
            follow_ups=written.follow_ups,
            references=written.reference_solutions,
        )
        visible = {case["_id"]: case for case in await self.problems.test_cases(problem_id, include_hidden=False)}
        return {"parts": (problem, guide, visible)}
