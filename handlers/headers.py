"""Security headers on every response of the application: the API, the client's pages and files, the docs page,
error answers and WebSocket handshakes alike (a Tornado output transform sees each response's first chunk).

A handler that sets its own Content-Security-Policy (the client's pages, the docs page) keeps it; every other
response gets the strictest one (JSON, files and errors load nothing and are never framed).
"""

from __future__ import annotations

import tornado.httputil
from tornado.web import OutputTransform

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


class SecurityHeaders(OutputTransform):
    def __init__(self, request: tornado.httputil.HTTPServerRequest) -> None:
        pass

    def transform_first_chunk(
        self, status_code: int, headers: tornado.httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
        for name, value in HEADERS.items():
            if name not in headers:
                headers[name] = value
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        return chunk
