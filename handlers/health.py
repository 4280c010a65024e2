"""Health check, the OpenAPI document and the docs page."""

from __future__ import annotations

from pathlib import Path

from handlers.base import BaseHandler, operation
from handlers.headers import DOCS_POLICY
from syncode.models.health import HealthResponse

DOCS_PAGE = Path(__file__).resolve().parent.parent / "static" / "app" / "docs.html"  # swagger-ui, built from web/


class HealthHandler(BaseHandler):
    @operation(
        summary="Deep health check",
        tag="Health",
        response=HealthResponse,
        also=((503, HealthResponse),),  # the same report, saying what is down
        auth=False,
        description="200 when ok or degraded, 503 when down (database unreachable).",
    )
    async def get(self) -> None:
        report = await self.ctx.health.check()
        self.respond(report, 503 if report["status"] == "down" else 200)


class OpenApiHandler(BaseHandler):
    def initialize(self, ctx, document: dict, route: str = "unmatched") -> None:  # type: ignore[override]
        super().initialize(ctx, route)
        self.document = document

    @operation(summary="The OpenAPI 3.1 document of this server", tag="Docs", auth=False)
    async def get(self) -> None:
        self.respond(self.document)


class DocsHandler(BaseHandler):
    @operation(summary="API documentation page", tag="Docs", auth=False, content_type="text/html")
    async def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=300")
        self.set_header("Content-Security-Policy", DOCS_POLICY)
        self.finish(DOCS_PAGE.read_bytes())
