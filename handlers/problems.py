"""/api/problems/* and /api/bookmarks/*"""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.common import DataList, Page, PageQuery
from syncode.models.problems import (
    CreateProblemRequest,
    ProblemDetail,
    ProblemQuery,
    ProblemSummary,
    TagInfo,
    UpdateProblemRequest,
)


class ProblemsHandler(BaseHandler):
    @operation(
        summary="List and search problems",
        tag="Problems",
        query=ProblemQuery,
        response=Page[ProblemSummary],
        errors=(400,),
        description="`difficulty` and `tags` take several values (comma-separated or repeated); tags match "
        "any of them. `status` filters by the caller's progress (solved, attempted, todo).",
    )
    async def get(self) -> None:
        data, pagination = await self.ctx.problems.list(self.user, self.query(ProblemQuery))
        self.respond(Page[ProblemSummary](data=data, pagination=pagination))

    @operation(
        summary="Create a problem (admin)",
        tag="Problems",
        request=CreateProblemRequest,
        response=ProblemDetail,
        status=201,
        errors=(400, 403, 409),
        admin=True,
    )
    async def post(self) -> None:
        self.respond(await self.ctx.problems.create(self.user, self.body(CreateProblemRequest), self.client_ip))


class TagsHandler(BaseHandler):
    @operation(summary="List all available tags", tag="Problems", response=DataList[TagInfo])
    async def get(self) -> None:
        self.respond(DataList[TagInfo](data=await self.ctx.problems.tags(self.user)))


class ProblemHandler(BaseHandler):
    @operation(
        summary="Get problem details",
        tag="Problems",
        response=ProblemDetail,
        errors=(404,),
        description="By id or slug. Hidden test cases are listed for admins only.",
    )
    async def get(self, problemId: str) -> None:
        self.respond(await self.ctx.problems.detail(self.user, problemId))

    @operation(
        summary="Update a problem (admin)",
        tag="Problems",
        request=UpdateProblemRequest,
        response=ProblemDetail,
        errors=(400, 403, 404, 409),
        admin=True,
        description="Giving `testCases` replaces the whole set.",
    )
    async def patch(self, problemId: str) -> None:
        req = self.body(UpdateProblemRequest)
        self.respond(await self.ctx.problems.update(self.user, problemId, req, self.client_ip))

    @operation(
        summary="Delete a problem (admin)",
        tag="Problems",
        status=204,
        errors=(403, 404, 409),
        admin=True,
        description="Soft delete. 409 PROBLEM_IN_USE while a live room uses the problem.",
    )
    async def delete(self, problemId: str) -> None:
        await self.ctx.problems.delete(self.user, problemId, self.client_ip)
        self.respond()


class BookmarksHandler(BaseHandler):
    @operation(
        summary="List bookmarked problems",
        tag="Bookmarks",
        query=PageQuery,
        response=Page[ProblemSummary],
        errors=(400,),
        description="Newest bookmark first.",
    )
    async def get(self) -> None:
        q = self.query(PageQuery)
        data, pagination = await self.ctx.problems.bookmarks(self.user, q.cursor, q.limit)
        self.respond(Page[ProblemSummary](data=data, pagination=pagination))


class BookmarkHandler(BaseHandler):
    @operation(summary="Bookmark a problem", tag="Bookmarks", status=204, errors=(404,), description="Idempotent.")
    async def put(self, problemId: str) -> None:
        await self.ctx.problems.bookmark(self.user, problemId)
        self.respond()

    @operation(summary="Remove bookmark", tag="Bookmarks", status=204, description="Idempotent.")
    async def delete(self, problemId: str) -> None:
        await self.ctx.problems.unbookmark(self.user, problemId)
        self.respond()
