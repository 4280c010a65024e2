"""The HTTP server's body limit answered in the API's shape.

Tornado refuses a request whose Content-Length exceeds the server's max_body_size with a bare `400 Bad Request`
(no body, no headers) before any handler runs; the handlers' own limit (handlers/base.py, 1 MiB) answers 413 only
below it. This server answers a declared length over its limit with the same 413 ErrorResponse, the security
headers included, and closes the connection without reading the body.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable

import tornado.httpserver
from tornado import httputil

from handlers.headers import HEADERS


class BodyLimitServer(tornado.httpserver.HTTPServer):
    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection) -> httputil.HTTPMessageDelegate:
        delegate = super().start_request(server_conn, request_conn)
        return DeclaredLengthCheck(delegate, request_conn, self.conn_params.max_body_size)


class DeclaredLengthCheck(httputil.HTTPMessageDelegate):
    def __init__(self, delegate: httputil.HTTPMessageDelegate, connection: httputil.HTTPConnection, limit: int | None):
        self.delegate, self.connection, self.limit = delegate, connection, limit
        self.refused = False

    def headers_received(
        self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine, headers: httputil.HTTPHeaders
    ) -> Awaitable[None] | None:
        declared = headers.get("Content-Length", "")
        if self.limit is not None and declared.isdigit() and int(declared) > self.limit:
            self.refused = True
            return self.refuse()
        return self.delegate.headers_received(start_line, headers)

    async def refuse(self) -> None:
        stream = self.connection.detach()  # type: ignore[attr-defined]  # HTTP1Connection: no more HTTP on it
        request_id = uuid.uuid4().hex
        body = json.dumps(
            {
                "statusCode": 413,
                "code": "PAYLOAD_TOO_LARGE",
                "message": f"request body over {self.limit} bytes",
                "requestId": request_id,
            }
        ).encode()
        lines = [
            "HTTP/1.1 413 Payload Too Large",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(body)}",
            "Connection: close",
            "Cache-Control: no-store",
            f"X-Request-Id: {request_id}",
            *(f"{name}: {value}" for name, value in HEADERS.items()),
        ]
        try:
            await stream.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        except Exception:  # the client went away: nothing to tell it
            pass
        stream.close()

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return None if self.refused else self.delegate.data_received(chunk)

    def finish(self) -> None:
        if not self.refused:
            self.delegate.finish()

    def on_connection_close(self) -> None:
        if not self.refused:
            self.delegate.on_connection_close()
