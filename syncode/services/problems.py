"""The problem bank: search and details for users, authoring for admins, bookmarks, per-user progress, and each
problem's interviewer guide (`db.problemGuides`, read by `guide` alone: never part of what `find` returns)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from syncode.cache import DocumentCache
from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import Conflict, NotFound
from syncode.models.common import Pagination
from syncode.models.guide import InterviewerGuide
from syncode.models.problems import (
    CreateProblemRequest,
    ProblemDetail,
    ProblemFields,
    ProblemGuide,
    ProblemQuery,
    ProblemSummary,
    TagInfo,
    TestCase,
    UpdateProblemRequest,
)
from syncode.models.rooms import ProblemRef
from syncode.pagination import paginate
from syncode.services.audit import AuditService
from syncode.services.auth import Principal

DIFFICULTY_RANK = {"easy": 1, "medium": 2, "hard": 3}
# API sort name -> (stored field, descending by default)
SORTS = {
    "createdAt": ("createdAt", True),
    "title": ("titleKey", False),
    "difficulty": ("difficultyRank", False),
    "acceptanceRate": ("acceptanceSort", True),
}
TAG_NAMES = {"bfs": "BFS", "dfs": "DFS"}
DEFAULT_TIME_LIMIT_MS = 2000
DEFAULT_MEMORY_LIMIT_MB = 256
CASES_CACHE_PROBLEMS = 16
JUDGING_CACHE_PROBLEMS = 1024
JUDGING_CACHE_TTL_SEC = 5.0  # how long a change made outside this service (the bank loader) may go unseen
JUDGING_FIELDS = dict.fromkeys(
    ("timeLimitMs", "memoryLimitMb", "comparison", "floatAbsTol", "floatRelTol", "casesVersion", "deletedAt"), 1
)
REPORT_FIELDS = {**JUDGING_FIELDS, "title": 1, "difficulty": 1, "referenceSolutions": 1, "starterCode": 1}
# What `find` leaves out: the solutions are read by the guide alone.
UNSERVED_FIELDS = {"referenceSolutions": 0, "naiveSolutions": 0}
# Enough to build a ProblemSummary (and sort keys for pagination).
SUMMARY_FIELDS = {
    "slug": 1,
    "title": 1,
    "difficulty": 1,
    "tags": 1,
    "totalSubmissions": 1,
    "acceptedSubmissions": 1,
    "createdAt": 1,
    "titleKey": 1,
    "difficultyRank": 1,
    "acceptanceSort": 1,
}

if TYPE_CHECKING:  # the rooms package imports this module: a runtime import would be circular
    from syncode.rooms.repository import RoomRepository


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:100] or new_id()[:8]


def tag_name(slug: str) -> str:
    return TAG_NAMES.get(slug) or slug.replace("-", " ").title()


def acceptance_rate(total: int, accepted: int) -> float | None:
    """A percentage with one decimal, None before the first submission (stored for sorting as -1)."""
    return round(100.0 * accepted / total, 1) if total else None


@dataclass(frozen=True)
class Attempt:
    """A judged submission, as the problem's statistics and the user's attempt status count it."""

    user_id: str
    problem_id: str
    accepted: bool


def added_totals(submissions: int, accepted: int) -> list[dict[str, Any]]:
    """The pipeline update adding submissions to a problem's totals and recomputing its acceptance rate."""
    return [
        {
            "$set": {
                "totalSubmissions": {"$add": ["$totalSubmissions", submissions]},
                "acceptedSubmissions": {"$add": ["$acceptedSubmissions", accepted]},
            }
        },
        {
            "$set": {
                "acceptanceSort": {
                    "$round": [{"$multiply": [100, {"$divide": ["$acceptedSubmissions", "$totalSubmissions"]}]}, 1]
                }
            }
        },
    ]


def progress_change(accepted: bool, now: datetime) -> dict[str, Any]:
    """Solved stays solved; a first failed attempt marks the problem attempted."""
    if accepted:
        return {"$set": {"status": "solved", "updatedAt": now}, "$setOnInsert": {"_id": new_id()}}
    return {"$setOnInsert": {"_id": new_id(), "status": "attempted", "updatedAt": now}}


class ProblemService:
    def __init__(self, db: Database, audit: AuditService, rooms: RoomRepository) -> None:
        self.db = db
        self.audit = audit
        self.rooms = rooms
        self._cases: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}
        self._judging = DocumentCache(capacity=JUDGING_CACHE_PROBLEMS, ttl=JUDGING_CACHE_TTL_SEC)

    # -- reading ------------------------------------------------------------------------------------------

    @staticmethod
    def visible(principal: Principal | None) -> dict[str, Any]:
        """Non-admins never see unpublished or deleted problems; admins see unpublished ones."""
        if principal and principal.is_admin:
            return {"deletedAt": None}
        return {"deletedAt": None, "isPublished": True}

    async def find(self, principal: Principal | None, ref: str) -> dict[str, Any]:
        """A problem by id or slug, as the caller may see it."""
        query = {"$or": [{"_id": ref}, {"slug": ref}], **self.visible(principal)}
        problem = await self.db.problems.find_one(query, UNSERVED_FIELDS)
        if problem is None:
            raise NotFound("problem not found", "PROBLEM_NOT_FOUND")
        return problem

    async def refs(self, problem_ids: list[str]) -> dict[str, ProblemRef]:
        """Title and difficulty of each of these problems, in one query (a list page must not ask once each)."""
        if not problem_ids:
            return {}
        found = self.db.problems.find({"_id": {"$in": problem_ids}}, {"title": 1, "difficulty": 1})
        return {p["_id"]: ProblemRef(id=p["_id"], title=p["title"], difficulty=p["difficulty"]) async for p in found}

    async def guide(self, problem_id: str) -> InterviewerGuide:
        """Internal: the interviewer's guide to the problem, its hint ladder and reference solutions. The callers
        (the guide service, an AI interviewer) decide who may read it; no problem endpoint serves it to non-admins."""
        fields = {"title": 1, "difficulty": 1, "hints": 1, "referenceSolutions": 1}
        problem = await self.db.problems.find_one({"_id": problem_id}, fields)
        if problem is None:
            raise NotFound("problem not found", "PROBLEM_NOT_FOUND")
        written = await self.stored_guide(problem_id)
        return InterviewerGuide(
            problem=ProblemRef(id=problem["_id"], title=problem["title"], difficulty=problem["difficulty"]),
            approach=written.approach if written else None,
            complexity=written.complexity if written else None,
            mistakes=written.mistakes if written else [],
            follow_ups=written.follow_ups if written else [],
            rubric=written.rubric if written else None,
            hints=problem.get("hints", []),
            reference_solutions=problem.get("referenceSolutions", {}),
        )

    async def stored_guide(self, problem_id: str) -> ProblemGuide | None:
        doc = await self.db.problemGuides.find_one({"_id": problem_id})
        return ProblemGuide.model_validate(doc["guide"]) if doc else None

    async def hints(self, problem_id: str) -> list[str]:
        """The problem's hint ladder (deleted or unpublished problems too: a room may hold one)."""
        problem = await self.db.problems.find_one({"_id": problem_id}, {"hints": 1})
        if problem is None:
            raise NotFound("problem not found", "PROBLEM_NOT_FOUND")
        return problem.get("hints", [])

    async def statement(self, problem_id: str) -> dict[str, Any] | None:
        """Internal (the AI interviewer): what a candidate reads of the problem (title, difficulty, description,
        constraints, examples, starter code, hints), a deleted or unpublished one's too; None when there is none."""
        fields = {"title": 1, "difficulty": 1, "description": 1, "constraints": 1, "examples": 1}
        fields |= {"starterCode": 1, "hints": 1}
        return await self.db.problems.find_one({"_id": problem_id}, fields)

    async def get_for_judging(self, problem_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Internal: the problem's judging settings and all its test cases, hidden ones included (never sent to a
        client as is). Both are served from memory between this service's writes to the problem: every
        submission needs them. Cases can weigh megabytes: the most recently judged problems keep them, keyed by
        the problem's `casesVersion`, which every replacement of the cases changes."""
        problem = await self._judging.get(
            problem_id, lambda: self.db.problems.find_one({"_id": problem_id}, JUDGING_FIELDS)
        )  # by _id alone: see RoomService._read
        if problem is None or problem.get("deletedAt") is not None:
            raise NotFound("problem not found", "PROBLEM_NOT_FOUND")
        version = problem.get("casesVersion")
        cached = self._cases.pop(problem_id, None)
        cases = cached[1] if cached and cached[0] == version else await self.test_cases(problem_id, True)
        self._cases[problem_id] = (version, cases)  # re-inserted last: the dict keeps recency order
        if len(self._cases) > CASES_CACHE_PROBLEMS:
            del self._cases[next(iter(self._cases))]
        return problem, cases

    async def test_cases(self, problem_id: str, include_hidden: bool) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"problemId": problem_id}
        if not include_hidden:
            query["isHidden"] = False
        return await self.db.testCases.find(query).sort("index", 1).to_list()

    async def for_report(self, problem_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """Internal (training reports): the problem (title, level, limits, comparison, starter code, reference
        solutions) and all its test cases, a deleted one's included; None when it does not exist."""
        problem = await self.db.problems.find_one({"_id": problem_id}, REPORT_FIELDS)
        if problem is None:
            return None
        if problem.get("deletedAt") is None:
            return problem, (await self.get_for_judging(problem_id))[1]
        return problem, await self.test_cases(problem_id, True)

    async def list(self, principal: Principal, q: ProblemQuery) -> tuple[list[ProblemSummary], Pagination]:
        query = {**self.visible(principal), **await self._filters(principal, q)}
        field, descending = SORTS[q.sort_by]
        if q.sort_order:
            descending = q.sort_order == "desc"
        page = await paginate(
            self.db.problems,
            query,
            sort_field=field,
            descending=descending,
            cursor=q.cursor,
            limit=q.limit,
            projection=SUMMARY_FIELDS,
        )
        summaries = await self.summaries(principal, page.items)
        return summaries, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def _filters(self, principal: Principal, q: ProblemQuery) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if q.search:
            pattern = {"$regex": re.escape(q.search.strip()), "$options": "i"}
            query["$or"] = [{"title": pattern}, {"slug": pattern}, {"description": pattern}]
        if q.difficulty:
            query["difficulty"] = {"$in": q.difficulty}
        if q.tags:
            query["tags"] = {"$in": q.tags}
        if q.status:
            progress = await self._progress(principal.id)
            solved = [pid for pid, status in progress.items() if status == "solved"]
            attempted = [pid for pid, status in progress.items() if status == "attempted"]
            query["_id"] = {
                "solved": {"$in": solved},
                "attempted": {"$in": attempted},
                "todo": {"$nin": solved + attempted},
            }[q.status]
        return query

    async def _progress(self, user_id: str, problem_ids: list[str] | None = None) -> dict[str, str]:
        query: dict[str, Any] = {"userId": user_id}
        if problem_ids is not None:
            query["problemId"] = {"$in": problem_ids}
        return {p["problemId"]: p["status"] async for p in self.db.problemProgress.find(query)}

    async def solved_by(self, user_ids: list[str]) -> dict[str, set[str]]:
        """The ids of the problems each of these users has solved, in one query (users with none are left out)."""
        solved: dict[str, set[str]] = {}
        query = {"userId": {"$in": user_ids}, "status": "solved"}
        async for progress in self.db.problemProgress.find(query, {"userId": 1, "problemId": 1}):
            solved.setdefault(progress["userId"], set()).add(progress["problemId"])
        return solved

    async def catalog(self) -> list[dict[str, Any]]:
        """Every problem users may see, as {_id, slug, title, difficulty, tags} (what matchmaking chooses from)."""
        fields = {"slug": 1, "title": 1, "difficulty": 1, "tags": 1}
        return await self.db.problems.find(self.visible(None), fields).to_list()

    async def summaries(self, principal: Principal, problems: list[dict[str, Any]]) -> list[ProblemSummary]:
        ids = [p["_id"] for p in problems]
        bookmarked = {
            b["problemId"] async for b in self.db.bookmarks.find({"userId": principal.id, "problemId": {"$in": ids}})
        }
        progress = await self._progress(principal.id, ids)
        return [self._summary(p, p["_id"] in bookmarked, progress.get(p["_id"])) for p in problems]

    @staticmethod
    def _summary_fields(problem: dict[str, Any], bookmarked: bool, status: str | None) -> dict[str, Any]:
        rate = acceptance_rate(problem.get("totalSubmissions", 0), problem.get("acceptedSubmissions", 0))
        return {
            "id": problem["_id"],
            "slug": problem["slug"],
            "title": problem["title"],
            "difficulty": problem["difficulty"],
            "tags": problem["tags"],
            "acceptance_rate": rate,
            "total_submissions": problem.get("totalSubmissions", 0),
            "is_bookmarked": bookmarked,
            "attempt_status": status,
        }

    def _summary(self, problem: dict[str, Any], bookmarked: bool, status: str | None) -> ProblemSummary:
        return ProblemSummary(**self._summary_fields(problem, bookmarked, status))

    async def detail(self, principal: Principal, ref: str) -> ProblemDetail:
        return await self._detail(principal, await self.find(principal, ref))

    async def _detail(self, principal: Principal, problem: dict[str, Any]) -> ProblemDetail:
        bookmarked = await self.db.bookmarks.count_documents({"userId": principal.id, "problemId": problem["_id"]})
        status = (await self._progress(principal.id, [problem["_id"]])).get(problem["_id"])
        cases = await self.test_cases(problem["_id"], include_hidden=principal.is_admin)
        guide = await self.stored_guide(problem["_id"]) if principal.is_admin else None
        return ProblemDetail(
            **self._summary_fields(problem, bool(bookmarked), status),
            description=problem["description"],
            constraints=problem.get("constraints"),
            examples=problem.get("examples", []),
            starter_code=problem.get("starterCode", {}),
            time_limit_ms=problem["timeLimitMs"],
            memory_limit_mb=problem["memoryLimitMb"],
            test_cases=[
                TestCase(
                    id=c["_id"],
                    input=c["input"],
                    expected_output=c["expectedOutput"],
                    is_hidden=c["isHidden"],
                    explanation=c.get("explanation"),
                )
                for c in cases
            ],
            hints=problem.get("hints", []),
            comparison=problem.get("comparison", "lines"),
            is_published=problem.get("isPublished", True),
            guide=guide,
            created_at=problem["createdAt"],
            updated_at=problem["updatedAt"],
        )

    async def tags(self, principal: Principal) -> list[TagInfo]:
        pipeline = [
            {"$match": self.visible(principal)},
            {"$unwind": "$tags"},
            {"$group": {"_id": "$tags", "count": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ]
        rows = await (await self.db.problems.aggregate(pipeline)).to_list()
        return [TagInfo(slug=r["_id"], name=tag_name(r["_id"]), problem_count=r["count"]) for r in rows]

    # -- authoring (admin) --------------------------------------------------------------------------------

    async def create(self, principal: Principal, req: CreateProblemRequest, ip: str | None) -> ProblemDetail:
        now = utcnow()
        doc = {
            "_id": new_id(),
            "createdAt": now,
            "totalSubmissions": 0,
            "acceptedSubmissions": 0,
            "acceptanceSort": -1.0,
            "deletedAt": None,
            "isPublished": True,
            "timeLimitMs": DEFAULT_TIME_LIMIT_MS,
            "memoryLimitMb": DEFAULT_MEMORY_LIMIT_MB,
            "comparison": "lines",
            "examples": [],
            "starterCode": {},
            "hints": [],
            "tags": [],
            "constraints": None,
            "slug": slugify(req.title),
            **self._stored_fields(req, now),
        }
        try:
            await self.db.problems.insert_one(doc)
        except DuplicateKeyError:
            raise await self._duplicate(doc["titleKey"]) from None
        await self._replace_cases(doc["_id"], req.test_cases)
        await replace_guide(self.db, doc["_id"], req.guide)
        await self.audit.record(
            "problem.created",
            actor_id=principal.id,
            target_type="problem",
            target_id=doc["_id"],
            ip=ip,
            metadata={"slug": doc["slug"]},
        )
        return await self._detail(principal, doc)

    @staticmethod
    def _stored_fields(req: ProblemFields, now: Any) -> dict[str, Any]:
        """The request's fields in stored form (only those the request set)."""
        data = req.model_dump(exclude_unset=True, by_alias=False)
        stored: dict[str, Any] = {"updatedAt": now, "editedAt": now}
        simple = {
            "title": "title",
            "slug": "slug",
            "description": "description",
            "difficulty": "difficulty",
            "tags": "tags",
            "constraints": "constraints",
            "starter_code": "starterCode",
            "time_limit_ms": "timeLimitMs",
            "memory_limit_mb": "memoryLimitMb",
            "hints": "hints",
            "comparison": "comparison",
            "is_published": "isPublished",
        }
        for name, field in simple.items():
            if name in data:
                stored[field] = data[name]
        if "title" in data:
            stored["titleKey"] = data["title"].strip().lower()
        if "difficulty" in data:
            stored["difficultyRank"] = DIFFICULTY_RANK[data["difficulty"]]
        if "examples" in data:
            stored["examples"] = data["examples"]
        return stored

    async def _replace_cases(self, problem_id: str, cases: list[Any] | None) -> None:
        if cases is None:
            return
        await replace_test_cases(
            self.db,
            problem_id,
            [
                {
                    "_id": new_id(),
                    "input": c.input,
                    "expectedOutput": c.expected_output,
                    "isHidden": c.is_hidden,
                    "isLarge": False,
                    "explanation": c.explanation,
                }
                for c in cases
            ],
        )
        self._judging.forget(problem_id)  # the new casesVersion

    async def _duplicate(self, title_key: str | None) -> Conflict:
        """Which unique key clashed (servers differ in which index they report first)."""
        if title_key and await self.db.problems.count_documents({"titleKey": title_key}):
            return Conflict("a problem with this title exists", "PROBLEM_TITLE_TAKEN", {"title": "already used"})
        return Conflict("a problem with this slug exists", "PROBLEM_SLUG_TAKEN", {"slug": "already used"})

    async def update(self, principal: Principal, ref: str, req: UpdateProblemRequest, ip: str | None) -> ProblemDetail:
        problem = await self.find(principal, ref)
        changes = self._stored_fields(req, utcnow())
        try:
            updated = await self.db.problems.find_one_and_update(
                {"_id": problem["_id"], "deletedAt": None}, {"$set": changes}, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            raise await self._duplicate(changes.get("titleKey")) from None
        self._judging.forget(problem["_id"])
        if updated is None:
            raise NotFound("problem not found", "PROBLEM_NOT_FOUND")
        await self._replace_cases(problem["_id"], req.test_cases)
        if "guide" in req.model_fields_set:
            await replace_guide(self.db, problem["_id"], req.guide)
        await self.audit.record(
            "problem.updated",
            actor_id=principal.id,
            target_type="problem",
            target_id=problem["_id"],
            ip=ip,
            metadata={"fields": sorted(req.model_dump(exclude_unset=True, by_alias=True))},
        )
        return await self._detail(principal, updated)

    async def delete(self, principal: Principal, ref: str, ip: str | None) -> None:
        problem = await self.find(principal, ref)
        if await self.rooms.problem_in_live_use(problem["_id"]):
            raise Conflict("a live room uses this problem", "PROBLEM_IN_USE")
        # Soft delete; the slug and title are released so the bank can reuse them.
        await self.db.problems.update_one(
            {"_id": problem["_id"]},
            {
                "$set": {
                    "deletedAt": utcnow(),
                    "slug": f"{problem['slug']}~{problem['_id']}",
                    "titleKey": f"{problem['titleKey']}~{problem['_id']}",
                    "deletedSlug": problem["slug"],
                }
            },
        )
        self._judging.forget(problem["_id"])
        await self.audit.record(
            "problem.deleted",
            actor_id=principal.id,
            target_type="problem",
            target_id=problem["_id"],
            ip=ip,
            metadata={"slug": problem["slug"]},
        )

    # -- progress (written by submissions) ----------------------------------------------------------------

    async def record_submissions(self, attempts: list[Attempt]) -> None:
        """Update the problems' totals and the users' attempt status after judged submissions: one write per
        problem and one for all the attempt statuses, however many submissions (their bookkeeping is batched)."""
        totals: dict[str, list[int]] = {}  # problem id -> [submissions, accepted]
        solved: dict[tuple[str, str], bool] = {}  # (user id, problem id) -> accepted at least once
        for attempt in attempts:
            counts = totals.setdefault(attempt.problem_id, [0, 0])
            counts[0] += 1
            counts[1] += attempt.accepted
            key = (attempt.user_id, attempt.problem_id)
            solved[key] = solved.get(key, False) or attempt.accepted
        now = utcnow()
        writes = [
            self.db.problems.update_one({"_id": problem_id}, added_totals(*counts))
            for problem_id, counts in totals.items()
        ]
        if solved:
            progress = [
                UpdateOne({"userId": user_id, "problemId": problem_id}, progress_change(accepted, now), upsert=True)
                for (user_id, problem_id), accepted in solved.items()
            ]
            writes.append(self.db.problemProgress.bulk_write(progress, ordered=False))
        await asyncio.gather(*writes)

    # -- bookmarks ----------------------------------------------------------------------------------------

    async def bookmark(self, principal: Principal, ref: str) -> None:
        problem = await self.find(principal, ref)
        await self.db.bookmarks.update_one(
            {"userId": principal.id, "problemId": problem["_id"]},
            {"$setOnInsert": {"_id": new_id(), "createdAt": utcnow()}},
            upsert=True,
        )

    async def unbookmark(self, principal: Principal, ref: str) -> None:
        problem = await self.db.problems.find_one({"$or": [{"_id": ref}, {"slug": ref}]}, {"_id": 1})
        if problem is not None:
            await self.db.bookmarks.delete_one({"userId": principal.id, "problemId": problem["_id"]})

    async def bookmarks(
        self, principal: Principal, cursor: str | None, limit: int
    ) -> tuple[list[ProblemSummary], Pagination]:
        page = await paginate(self.db.bookmarks, {"userId": principal.id}, cursor=cursor, limit=limit)
        ids = [b["problemId"] for b in page.items]
        found = {
            p["_id"]: p
            async for p in self.db.problems.find({"_id": {"$in": ids}, **self.visible(principal)}, SUMMARY_FIELDS)
        }
        problems = [found[i] for i in ids if i in found]  # keep bookmark order; skip deleted problems
        return await self.summaries(principal, problems), Pagination(
            next_cursor=page.next_cursor, has_more=page.has_more
        )


async def replace_test_cases(db: Database, problem_id: str, cases: list[dict[str, Any]]) -> None:
    """Swap a problem's test cases for these (kept in their own collection so problem documents stay small)."""
    await db.testCases.delete_many({"problemId": problem_id})
    if cases:
        await db.testCases.insert_many([{**case, "problemId": problem_id, "index": i} for i, case in enumerate(cases)])
    await db.problems.update_one({"_id": problem_id}, {"$set": {"casesVersion": new_id()}})


async def replace_guide(db: Database, problem_id: str, guide: ProblemGuide | None) -> None:
    """Store the problem's interviewer guide (None: it has none), apart from the problem document."""
    if guide is None:
        await db.problemGuides.delete_one({"_id": problem_id})
        return
    doc = {"guide": guide.model_dump(mode="json", by_alias=True), "updatedAt": utcnow()}
    await db.problemGuides.update_one({"_id": problem_id}, {"$set": doc}, upsert=True)
