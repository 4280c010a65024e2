"""Security headers on every response of the application: the API, the client's pages and files, the docs page,
error answers and WebSocket handshakes alike (a Tornado output transform sees each response's first chunk).

A handler that sets its own Content-Security-Policy (the client's pages, the docs page) keeps it, with
frame-ancestors 'none' added when it lacks one; every other response gets the strictest one (JSON, files and errors
load nothing and are never framed).
"""

from __future__ import annotations

import urllib.parse

import tornado.httputil
from tornado.web import OutputTransform

from config import Settings

STRICT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The docs page: swagger-ui's own script and stylesheet files, its inline style element and data: icons.
DOCS_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",  # fetches /api/openapi.json and sends "Try it out" requests
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    )
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Content-Security-Policy": STRICT_POLICY,
}


def origin(url: str, scheme: str | None = None) -> str:
    """scheme://host[:port] of a URL, with its scheme swapped when asked; "" when it has none."""
    parts = urllib.parse.urlsplit(url)
    return f"{scheme or parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def s3_origins(settings: Settings) -> list[str]:
    """Where the browser fetches and uploads avatars and recordings through presigned URLs (S3 configured)."""
    if not settings.s3_enabled:
        return []  # local blobs: served by this server
    if settings.s3_endpoint:
        return [origin(settings.s3_endpoint)]  # path-style URLs on the store's own host
    bucket, region = settings.s3_bucket, settings.s3_region
    return [f"https://{bucket}.s3.{region}.amazonaws.com", f"https://{bucket}.s3.amazonaws.com"]


def livekit_origins(settings: Settings) -> list[str]:
    """LiveKit's signalling WebSocket, and its http(s) form (livekit-client validates a failed connection there
    and asks LiveKit Cloud for its regions)."""
    url = settings.livekit_url
    secure = url.startswith(("wss:", "https:"))
    found = [origin(url, "wss" if secure else "ws"), origin(url, "https" if secure else "http")]
    return [o for o in found if o]


def client_policy(settings: Settings) -> str:
    """The web client's pages: its own scripts and styles (CodeMirror adds style elements), the collab and event
    WebSockets at the public URL, images and uploads from the object store, LiveKit when configured."""
    public_ws = origin(settings.base_url, "wss" if settings.base_url.startswith("https") else "ws")
    store = s3_origins(settings)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            " ".join(["img-src 'self' data: blob:", *store]),
            " ".join(["media-src 'self' blob:", *store]),
            " ".join(["connect-src 'self'", public_ws, *livekit_origins(settings), *store]),
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        )
    )


class SecurityHeaders(OutputTransform):
    def __init__(self, request: tornado.httputil.HTTPServerRequest) -> None:
        pass

    def transform_first_chunk(
        self, status_code: int, headers: tornado.httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
        for name, value in HEADERS.items():
            if name not in headers:
                headers[name] = value
        policy = headers["Content-Security-Policy"]
        if "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'"
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        return chunk
