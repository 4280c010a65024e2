"""Shared fixtures: one real SecantusDB per test session, real servers on real sockets, an HTTP client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
import uvloop

from config import load_settings
from run import Server
from syncode.embedded import EmbeddedDatabase


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict:
    """The event loop run.py serves on."""
    return {"uvloop": uvloop.new_event_loop}


@pytest.fixture(scope="session")
async def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """SYNCODE_TEST_MONGODB_URI runs the suite against a real mongod; otherwise SecantusDB is started."""
    external = os.environ.get("SYNCODE_TEST_MONGODB_URI")
    if external:
        yield external
        return
    db = EmbeddedDatabase(tmp_path_factory.mktemp("secantus") / "db")
    uri = await db.start()
    yield uri
    await db.stop()


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Api:
    """A small HTTP client for one server; `source_ip` (127.0.0.2, ...) connects from another loopback address."""

    def __init__(self, base_url: str, source_ip: str | None = None) -> None:
        self.base_url = base_url
        self.source_ip = source_ip
        self.client = tornado.httpclient.AsyncHTTPClient()

    async def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        url = path if path.startswith("http") else self.base_url + path
        response = await self.client.fetch(
            url,
            method=method,
            headers=all_headers,
            body=body,
            raise_error=False,
            allow_nonstandard_methods=True,
            request_timeout=120,
            follow_redirects=False,
            network_interface=self.source_ip,
        )
        return Response(response.code, response.headers, response.body or b"")

    async def get(self, path: str, **kw: Any) -> Response:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("POST", path, json_body, **kw)

    async def patch(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("PATCH", path, json_body, **kw)

    async def put(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("PUT", path, json_body, **kw)

    async def delete(self, path: str, json_body: Any = None, **kw: Any) -> Response:
        return await self.request("DELETE", path, json_body, **kw)

    async def register(self, name: str | None = None, password: str = "correct horse 1", **extra: Any) -> dict:
        """Create an account; returns the AuthResponse body plus the password."""
        name = name or f"u{uuid.uuid4().hex[:10]}"
        r = await self.post(
            "/api/auth/register", {"email": f"{name}@example.com", "username": name, "password": password, **extra}
        )
        assert r.status == 201, r.body
        return {**r.json, "password": password}


def assert_error(response: Response, status: int, code: str | None = None, case: str = "") -> dict:
    """The response is an ErrorResponse with this status (and code); `case` names the input in a failure."""
    assert response.status == status, (case, response.status, response.body[:500])
    body = response.json
    assert body["statusCode"] == status
    assert body["requestId"] == response.headers["X-Request-Id"]
    assert isinstance(body["message"], str) and body["message"]
    if code:
        assert body["code"] == code, (case, body)
    return body


def test_settings(mongo_uri: str, data_dir: Path, **overrides: Any):
    values = {
        "mongodb_uri": mongo_uri,
        "mongodb_db": f"test_{uuid.uuid4().hex[:12]}",
        "data_dir": data_dir,
        "port": 0,
        "bcrypt_rounds": 4,
        "rate_limit_enabled": False,
        "sandbox": "process",
        "judge_pool_size": 0,
        "load_problem_bank": False,  # tests that need the bank ask for it
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
async def make_server(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory):
    """Start a real server with these setting overrides; stopped at the end of the session (stop is idempotent)."""
    servers: list[Server] = []

    async def start(**overrides: Any) -> Server:
        data_dir = overrides.pop("data_dir", None) or tmp_path_factory.mktemp("data")
        server = Server(test_settings(mongo_uri, data_dir, **overrides))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture(scope="module")
async def server(make_server) -> AsyncIterator[Server]:
    srv = await make_server()
    yield srv
    await srv.stop()


@pytest.fixture(scope="module")
def api(server: Server) -> Api:
    return Api(server.url)


async def make_admin(server: Server, api: Api) -> dict:
    """A registered account with the admin role (as `run.py promote-admin` would do)."""
    user = await api.register()
    await server.db.users.update_one({"_id": user["user"]["id"]}, {"$set": {"role": "admin"}})
    server.ctx.auth.forget_user(user["user"]["id"])
    return user


async def silent_websocket(url: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads (a tiny receive window, too)."""
    parsed = urllib.parse.urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (parsed.hostname, parsed.port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parsed.path}?{parsed.query} HTTP/1.1\r\nHost: {parsed.netloc}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += await loop.sock_recv(sock, 1)  # byte by byte: not a frame past the headers
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock
