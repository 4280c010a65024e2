"""`/metrics`: the server's Prometheus metrics (syncode/metrics.py), off unless SYNCODE_METRICS_ENABLED or
SYNCODE_METRICS_TOKEN is set; with a token, a scrape sends `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST

from handlers.base import BaseHandler, operation
from syncode.errors import NotFound, Unauthorized


class MetricsHandler(BaseHandler):
    @operation(
        summary="Prometheus metrics",
        tag="Health",
        auth=False,
        errors=(401, 404),
        content_type="text/plain",
        description=(
            "Prometheus text format. 404 unless SYNCODE_METRICS_ENABLED or SYNCODE_METRICS_TOKEN is set; with a "
            "token, 401 without `Authorization: Bearer <token>`."
        ),
    )
    async def get(self) -> None:
        settings = self.ctx.settings
        if not (settings.metrics_enabled or settings.metrics_token):
            raise NotFound("metrics are off (SYNCODE_METRICS_ENABLED, SYNCODE_METRICS_TOKEN)", "NOT_FOUND")
        if settings.metrics_token:
            scheme, _, given = self.request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), settings.metrics_token.encode()
            ):
                raise Unauthorized("metrics need the bearer token (SYNCODE_METRICS_TOKEN)", "UNAUTHORIZED")
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(await self.ctx.metrics.render())
