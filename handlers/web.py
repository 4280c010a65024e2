"""The browser client: `static/app/index.html` at `/` and at every client-side route (deep links work on reload),
its content-hashed files under `/assets/` with long-lived cache headers. `scripts/build-web` builds static/app from
`web/`; the build is committed, so serving it needs no Node."""

from __future__ import annotations

import gzip
import mimetypes
import re
from pathlib import Path
from typing import Any

import tornado.web

from handlers.base import BaseHandler
from handlers.headers import client_policy

BUILD_DIR = Path(__file__).resolve().parent.parent / "static" / "app"

# Paths the client routes itself (web/src/main.js); anything else keeps the API's 404.
CLIENT_ROUTES = (
    "/",
    "/signin",
    "/register",
    "/forgot-password",
    "/reset-password",
    "/join/{code}",
    "/rooms/{roomId}",
    "/sessions",
    "/sessions/{sessionId}",  # also /sessions/compare
    "/problems",
    "/problems/{problemId}",
    "/match",
    "/profile",
    "/admin",
)
ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
ASSET_CACHE = "public, max-age=31536000, immutable"


class BuiltFiles:
    """The files of the build, read once each (a new build comes with a restart), with their gzip form."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, tuple[bytes, bytes | None, str] | None] = {}

    def get(self, relative: str) -> tuple[bytes, bytes | None, str] | None:
        """(bytes, gzipped bytes or None, content type) of root/relative, or None when there is no such file."""
        if relative not in self._files:
            self._files[relative] = self._read(relative)
        return self._files[relative]

    def _read(self, relative: str) -> tuple[bytes, bytes | None, str] | None:
        path = self.root / relative
        if not path.is_file():
            return None
        data = path.read_bytes()
        content_type = {".js": "application/javascript", ".mjs": "application/javascript"}.get(path.suffix) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        if content_type.startswith("text/") or content_type == "application/javascript":
            content_type += "; charset=utf-8"
        packed = None
        if content_type.startswith(GZIP_TYPES) and len(data) > 1024:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            if len(packed) >= len(data):
                packed = None
        return data, packed, content_type


BUILD = BuiltFiles(BUILD_DIR)


class StaticHandler(BaseHandler):
    """No auth and no API rate limit; the base handler's request id, nosniff and error shape."""

    async def prepare(self) -> None:
        self.set_header("X-Request-Id", self.request_id)

    def send_file(self, relative: str, cache_control: str) -> None:
        found = BUILD.get(relative)
        if found is None:
            raise tornado.web.HTTPError(404, reason="no such file")
        data, packed, content_type = found
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", cache_control)
        if packed is not None:
            self.set_header("Vary", "Accept-Encoding")
            if "gzip" in self.request.headers.get("Accept-Encoding", ""):
                self.set_header("Content-Encoding", "gzip")
                data = packed
        self.finish(data)


class ClientHandler(StaticHandler):
    """index.html for every client route; never cached for long, so a new build is picked up at once."""

    async def get(self, *args: Any, **kwargs: Any) -> None:
        self.set_header("Content-Security-Policy", client_policy(self.ctx.settings))  # handlers/headers.py
        self.set_header("Referrer-Policy", "same-origin")
        self.send_file("index.html", "no-cache")

    head = get


class AssetHandler(StaticHandler):
    async def get(self, name: str) -> None:
        if not ASSET_NAME.match(name):
            raise tornado.web.HTTPError(404, reason="no such file")
        self.send_file(f"assets/{name}", ASSET_CACHE)

    head = get


def client_routes(ctx: Any, to_pattern: Any) -> list[tuple[str, type, dict[str, Any]]]:
    """Tornado routes of the client (patterns from CLIENT_ROUTES, as the API's templates)."""
    routes: list[tuple[str, type, dict[str, Any]]] = [
        (to_pattern(path), ClientHandler, {"ctx": ctx}) for path in CLIENT_ROUTES
    ]
    routes.append((r"/assets/(?P<name>[^/]+)$", AssetHandler, {"ctx": ctx}))
    return routes
